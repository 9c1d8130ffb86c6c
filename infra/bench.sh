#!/usr/bin/env bash
# The benchmark (not part of `make test`): builds every function and the
# lambda_http hello-world floor as release Lambda bootstraps, starts the
# emulator, and prints the table (also written to target/bench.md).
#   bash infra/bench.sh [--runs 30] [--warm 100] [--cpu 1000]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source infra/common.sh
infra/lambda-tools.sh
export PATH="$root/.venv/bin:$PATH"
functions=(submit track reply csat assign-worker hello)
bins=()
for f in "${functions[@]}"; do bins+=(--bin "$f"); done
cargo lambda build --release --x86-64 "${bins[@]}"
python3 infra/zip-bootstraps.py "${functions[@]}"
cargo build --quiet -p bench --bin bench
port="$(free_port)"
moto_pid="$(infra/emulator.sh start "$port" target/moto-bench.log)"
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
AWS_ENDPOINT_URL="http://127.0.0.1:$port" target/debug/bench "$@"
