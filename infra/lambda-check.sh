#!/usr/bin/env bash
# The deployable artefacts, checked without Docker:
#   1. sam validate --lint: the SAM template is valid and lint-clean;
#   2. cargo lambda build --release: every function as a Lambda bootstrap (x86_64), zipped;
#   3. lambda-smoke: every sample in events/ through those release binaries, each
#      started under a Lambda Runtime API emulator, against the AWS emulator.
#
#   infra/lambda-check.sh          all three
#   infra/lambda-check.sh build    1 and 2 (make test runs them beside cargo test)
#   infra/lambda-check.sh smoke    3, on the binaries step 2 built
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source infra/common.sh
infra/lambda-tools.sh
export PATH="$root/.venv/bin:$PATH"
functions=(submit track reply csat assign-worker outbox-sweeper inbound-email)

step="${1:-all}"
case "$step" in all | build | smoke) ;; *) echo "usage: $0 [build|smoke]" >&2; exit 2 ;; esac

if [ "$step" != smoke ]; then
  echo "== sam validate --lint"
  sam validate --lint --template-file template.yaml --region "$AWS_REGION"

  echo "== cargo lambda build --release --x86-64"
  bins=()
  for f in "${functions[@]}"; do bins+=(--bin "$f"); done
  cargo lambda build --release --x86-64 "${bins[@]}"
  python3 infra/zip-bootstraps.py "${functions[@]}"
fi
[ "$step" = build ] && exit 0

echo "== every sample event through the release binaries"
started_moto=""
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  port="$(free_port)"
  started_moto="$(infra/emulator.sh start "$port" target/moto-lambda.log)"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
fi
trap '[ -n "$started_moto" ] && kill "$started_moto" 2>/dev/null || true' EXIT
cargo build --quiet -p devserver --bin lambda-smoke
target/debug/lambda-smoke target/lambda
