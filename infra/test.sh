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

# The build's own tools first (apt takes one install at a time), then the
# rest (PyPI, Debian's chromium, npm) downloads while the workspace builds.
ensure_build_tools
mkdir -p target/test-logs
logs=target/test-logs
echo "== installing the emulator, the Lambda tools and the browser's (log: $logs/install.log), building the workspace and its tests"
(infra/emulator.sh install && infra/lambda-tools.sh && infra/browser-deps.sh) >"$logs/install.log" 2>&1 &
install_pid=$!
# Built once: the tests, the functions' mains the smoke test starts, the dev
# server the suites run, and every dependency the instrumented fuzz build reuses.
cargo build --workspace --all-targets
export PORTAL_WORKSPACE_BUILT=1
end_phase "build"
wait "$install_pid" || { tail -n 30 "$logs/install.log"; exit 1; }
end_phase "install tools (rest)"

# moto takes DynamoDB requests one at a time on one core: the tests spread their
# stacks over one emulator per core (tests/api/support reads PORTAL_TEST_EMULATORS).
emulator_pids=()
emulators=()
for i in $(seq 1 "${TEST_EMULATORS:-$(nproc)}"); do
  moto_port="$(free_port)"
  emulator_pids+=("$(infra/emulator.sh start "$moto_port" "target/moto-test-$i.log")")
  emulators+=("http://127.0.0.1:$moto_port")
done
stop_all() {
  kill "${emulator_pids[@]}" 2>/dev/null || true
  summary
}
trap stop_all EXIT
export AWS_ENDPOINT_URL="${emulators[0]}"
PORTAL_TEST_EMULATORS="$(IFS=,; echo "${emulators[*]}")"
export PORTAL_TEST_EMULATORS

echo "== cargo test (unit, handler and emulator integration tests)"
# The integration tests mostly wait on the emulators: more of them at once than
# cores, but not so many that the timing-sensitive ones (round trips counted
# from overlapping calls, the thousand-ticket burst) starve.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-4}"
# Every target but the binaries: no binary holds a test, and the fuzz targets'
# are libFuzzer mains that would fuzz without end. The same packages as the
# build, so the same features: nothing is rebuilt.
cargo test --workspace --lib --tests --benches --examples --no-fail-fast
end_phase "cargo test"

# The template, and every sample event through the functions' real mains under
# the Lambda Runtime API emulator (the debug build: the release bootstraps are
# built and smoke-tested by `make package` and CI, after this command).
bash infra/lambda-check.sh validate
bash infra/lambda-check.sh smoke-debug
end_phase "sam validate, lambda smoke"

# The suites that drive a running local stack, side by side: each starts its
# own (infra/run.sh on free ports), and they wait on their stacks more than
# they use the cores. Each logs to target/test-logs/<suite>.log, shown when both end.
suites=(infra/api-test.sh infra/browser-test.sh)
suite_log() { echo "$logs/$(basename "$1" .sh).log"; }
echo "== ${suites[*]}, side by side"
suite_pids=()
for suite in "${suites[@]}"; do
  bash "$suite" >"$(suite_log "$suite")" 2>&1 &
  suite_pids+=($!)
done
failed=()
for i in "${!suites[@]}"; do
  wait "${suite_pids[$i]}" || failed+=("${suites[$i]}")
done
for suite in "${suites[@]}"; do
  echo "== $suite (log: $(suite_log "$suite"))"
  cat "$(suite_log "$suite")"
done
end_phase "api and browser suites"
[ ${#failed[@]} -eq 0 ] || { echo "== FAILED: ${failed[*]}" >&2; exit 1; }

# Then the fuzz targets, which use both cores.
echo "== infra/fuzz.sh"
bash infra/fuzz.sh
end_phase "infra/fuzz.sh"
