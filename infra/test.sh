#!/usr/bin/env bash
# make test: installs and starts what the tests need (the moto emulator), then runs every test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source infra/common.sh

# Each phase's duration, printed as it ends and once more at the end (CI logs show where time goes).
timings=()
phase_started=$SECONDS
end_phase() {
  local took=$((SECONDS - phase_started))
  timings+=("$(printf '%-28s %4ss' "$1" "$took")")
  echo "== $1 took ${took}s"
  phase_started=$SECONDS
}
summary() {
  echo "== phase timings"
  printf '   %s\n' "${timings[@]}"
  echo "   total                        ${SECONDS}s"
}
trap summary EXIT

infra/emulator.sh install
end_phase "install emulator"
echo "== building the workspace and its tests"
cargo build --workspace --all-targets
end_phase "build"

mkdir -p target
moto_port="$(free_port)"
moto_pid="$(infra/emulator.sh start "$moto_port" target/moto-test.log)"
trap 'kill "$moto_pid" 2>/dev/null || true; summary' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"

echo "== cargo test (unit, handler and emulator integration tests)"
cargo test --workspace --all-targets --no-fail-fast
end_phase "cargo test"

# The release Lambda binaries (lambda-check), then suites that drive a running local stack
# (each starts its own with infra/run.sh on free ports).
for suite in infra/lambda-check.sh infra/api-test.sh infra/browser-test.sh infra/fuzz.sh; do
  if [ -f "$suite" ]; then
    echo "== $suite"
    bash "$suite"
    end_phase "$suite"
  fi
done
