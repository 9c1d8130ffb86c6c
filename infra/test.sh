#!/usr/bin/env bash
# make test: installs and starts what the tests need (the moto emulator), then runs every test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source infra/common.sh

infra/emulator.sh install
echo "== building the workspace and its tests"
cargo build --workspace --all-targets

mkdir -p target
moto_port="$(free_port)"
moto_pid="$(infra/emulator.sh start "$moto_port" target/moto-test.log)"
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"

echo "== cargo test (unit, handler and emulator integration tests)"
cargo test --workspace --all-targets

# The release Lambda binaries (lambda-check), then suites that drive a running local stack
# (each starts its own with infra/run.sh on free ports).
for suite in infra/lambda-check.sh infra/api-test.sh infra/browser-test.sh infra/fuzz.sh; do
  if [ -f "$suite" ]; then
    echo "== $suite"
    bash "$suite"
  fi
done
