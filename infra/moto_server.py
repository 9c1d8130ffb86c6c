"""moto's own server (what `moto_server` runs), with DynamoDB requests taken one at a time.

moto applies TransactWriteItems by deep-copying each table it touches for rollback, while
other server threads keep writing to that table: under concurrency the copy fails ("dictionary
changed size during iteration") and the transaction answers 500, or a rollback overwrites a
neighbour's write. DynamoDB itself isolates transactions. Serializing the emulator's DynamoDB
requests (each takes about a millisecond) restores that; SQS and SES stay concurrent, so long
polls block nobody.

It also makes two of moto's update-expression checks run once per expression instead of once
per node of its syntax tree (see `_check_the_root_only`): the rate limiter's shift registers
(up to 100 SET actions) otherwise cost 0.6-0.8 s per write in moto instead of about 0.15 s.

    python infra/moto_server.py -H 127.0.0.1 -p 5000
"""
import sys
import threading

import moto.server as moto_server
from moto.dynamodb.parsing import validators as _validators

_dynamodb = threading.Lock()


class SerializedDynamoDB:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _dynamodb:
                # Read the whole answer inside the lock: the work happens while it is produced.
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def _check_the_root_only(check):
    """moto runs its "one SET/ADD/REMOVE clause" and "no overlapping paths" checks on every
    nested UpdateExpression node, each walking the whole subtree: cubic in the number of
    actions. The root holds every action of every subtree, so checking it once refuses exactly
    the same expressions."""

    def traverse(self, node):
        return check(self, node)

    return traverse


_validators.ActionCountValidator.traverse = _check_the_root_only(_validators.ActionCountValidator.verify_action_counts)
_validators.OverlappingPathsValidator.traverse = _check_the_root_only(
    _validators.OverlappingPathsValidator.check_for_overlapping_paths
)

# werkzeug listens with a backlog of 128; bursts of a thousand clients overflow it.
import werkzeug.serving

werkzeug.serving.BaseWSGIServer.request_queue_size = 4096

_run_simple = moto_server.run_simple


def _run_simple_serialized(host, port, app, **kwargs):
    return _run_simple(host, port, SerializedDynamoDB(app), **kwargs)


moto_server.run_simple = _run_simple_serialized

if __name__ == "__main__":
    moto_server.main(sys.argv[1:])
