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
Transactions roll back from an undo log of the items they name instead of whole-table copies,
a Query on a table's own key reads its one partition (sort-key condition first), and ReceiveMessage checks retention
without recomputing every queue attribute: each cost time in proportion to the whole table or
queue (see below).

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
# moto backs up every table a transaction touches with a deep copy, once per action, to roll
# back on failure: each transaction costs time in proportion to the whole table, so a test
# that writes a thousand tickets spends minutes copying. The same rollback from an undo log
# of the items the transaction names (at most 100), taken before moto runs it; moto's table
# copies become no-ops (its "restore" puts the same table back, then ours restores the items).
# Safe because DynamoDB requests are serialized above. Held to DynamoDB's all-or-nothing rule
# by infra/devserver/tests/api/emulator.rs.
import copy as _copy
import types

import moto.dynamodb.models as _dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table


def _deepcopy_except_tables(value, memo=None):
    return value if isinstance(value, Table) else _copy.deepcopy(value, memo)


_dynamodb_models.copy = types.SimpleNamespace(deepcopy=_deepcopy_except_tables, copy=_copy.copy)
_transact_write_items = _dynamodb_models.DynamoDBBackend.transact_write_items


def _item_key(table, action):
    attrs = action["Item"] if "Item" in action else action.get("Key", {})
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


def _restore(table, hash_value, range_value, item):
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
    elif item is None:
        table.items[hash_value].pop(range_value, None)
    else:
        table.items[hash_value][range_value] = item


def _transact_write_items_with_undo_log(self, transact_items):
    undo = []
    for entry in transact_items if isinstance(transact_items, list) else []:
        for action in entry.values() if isinstance(entry, dict) else []:
            table = self.tables.get(action.get("TableName")) if isinstance(action, dict) else None
            try:
                hash_value, range_value = _item_key(table, action)
            except (AttributeError, KeyError, TypeError, ValueError):
                continue  # moto refuses the transaction itself, before writing anything
            before = table.get_item(hash_value, range_value) if table.has_range_key == (range_value is not None) else None
            undo.append((table, hash_value, range_value, _copy.deepcopy(before)))
    try:
        return _transact_write_items(self, transact_items)
    except BaseException:
        for table, hash_value, range_value, item in reversed(undo):
            _restore(table, hash_value, range_value, item)
        raise


_dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items_with_undo_log

# moto answers a Query on a table's own key by sorting every item of the table and keeping
# the partition asked for: each ticket page or conversation read costs time in proportion to
# the whole table. The same query over that one partition (secondary indexes unchanged).
_table_query = Table.query


def _query_one_partition(self, hash_key, *args, **kwargs):
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name is not None or hash_key is None or not self.range_key_attr:
        return _table_query(self, hash_key, *args, **kwargs)
    partition = list(self.items[hash_key].values()) if hash_key in self.items else []
    range_comparison = args[0] if args else kwargs.get("range_comparison")
    if range_comparison:
        # moto sorts and sizes every item of the partition before comparing sort keys: a
        # workspace's agents sit beside its thousand contacts and inbox items. The same
        # comparison first (moto repeats it on what is left), so it sorts only the matches.
        range_objs = args[1] if len(args) > 1 else kwargs.get("range_objs")
        partition = [item for item in partition if item.range_key.compare(range_comparison, range_objs)]
    self.all_items = lambda: partition
    try:
        return _table_query(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


Table.query = _query_one_partition

# moto's ReceiveMessage checks each message it hands out against the queue's retention period
# by computing every queue attribute (three scans of all the queue's messages, three times):
# receiving from a queue of a thousand messages costs a second. The same check, reading the
# one attribute it needs.
import moto.sqs.models as _sqs_models
from moto.core.utils import unix_time


def _within_retention_period(self, queue_name, message):
    retention_period = int(self.get_queue(queue_name).message_retention_period)
    return retention_period + message.sent_timestamp / 1000 > unix_time()


_sqs_models.SQSBackend.is_message_valid_based_on_retention_period = _within_retention_period

# werkzeug listens with a backlog of 128; bursts of a thousand clients overflow it.
import werkzeug.serving

werkzeug.serving.BaseWSGIServer.request_queue_size = 4096

# A line per request is a tenth of the emulator's time under a burst: log the failures only.
_log_request = werkzeug.serving.WSGIRequestHandler.log_request


def _log_failed_request(self, code="-", size="-"):
    if not str(code).startswith(("1", "2", "3")):
        _log_request(self, code, size)


werkzeug.serving.WSGIRequestHandler.log_request = _log_failed_request

_run_simple = moto_server.run_simple


def _run_simple_serialized(host, port, app, **kwargs):
    return _run_simple(host, port, SerializedDynamoDB(app), **kwargs)


moto_server.run_simple = _run_simple_serialized

if __name__ == "__main__":
    moto_server.main(sys.argv[1:])
