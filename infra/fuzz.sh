#!/usr/bin/env bash
# Coverage-guided fuzzing of request parsing and validation (fuzz/, libFuzzer),
# for a bounded time. Part of the test command (infra/test.sh).
#
#   FUZZ_SECONDS=60 infra/fuzz.sh          # all targets, about FUZZ_SECONDS in all
#   FUZZ_SECONDS=600 infra/fuzz.sh form    # one target for longer
#   FUZZ_STEP=build infra/fuzz.sh          # only build the targets
#
# Works on stable Rust: libFuzzer needs only the SanitizerCoverage flags below,
# which are stable rustc flags (no sanitizer, so no -Z and no nightly); the
# portal has no unsafe code for AddressSanitizer to watch. The flags are the ones
# `cargo fuzz build --sanitizer none` uses. Nothing is installed globally: cargo
# fetches libfuzzer-sys from crates.io and builds libFuzzer with the C++ compiler.
#
# The fuzz targets are workspace members, built in the workspace's dev profile
# with RUSTC_WORKSPACE_WRAPPER adding the instrumentation: it reaches only
# workspace members (the portal, inbound-mail and the targets: the code under
# test), which cargo then builds apart from their plain copies, while every
# dependency is the one the workspace build already compiled. After
# `cargo build --workspace` this build compiles our own crates only.
#
# Targets run side by side (two cores), each on a working corpus in
# target/fuzz/corpus/<target> seeded from the checked-in fuzz/corpus/<target>.
# Any crash, failed property, timeout or out-of-memory fails the script, leaving
# the input in fuzz/artifacts/<target>/ with the command to replay it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seconds="${FUZZ_SECONDS:-60}"
# libFuzzer reads 0 as "no limit".
if [ "$seconds" -lt 1 ]; then seconds=1; fi
all_targets=(form json fields logo mail)
targets=("$@")
if [ "$#" -eq 0 ]; then targets=("${all_targets[@]}"); fi
started=$SECONDS

source infra/common.sh
ensure_build_tools

echo "== building the fuzz targets (target/debug, instrumented)"
# The flags of `cargo fuzz build --sanitizer none --debug-assertions`, and
# opt-level 1 for the instrumented crates (the portal at 0 fuzzes slowly).
export FUZZ_INSTRUMENT="portal portal_fuzz form json fields logo mail mail_fuzz inbound_mail"
export FUZZ_RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth
  -Cllvm-args=-simplifycfg-branch-fold-threshold=0 --cfg fuzzing -Cdebug-assertions -Coverflow-checks
  -Copt-level=1"
export RUSTC_WORKSPACE_WRAPPER="$root/fuzz/instrument-rustc.sh"
unset RUSTC_WRAPPER RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
bin_args=()
for t in "${targets[@]}"; do bin_args+=(--bin "$t"); done
cargo build -p portal-fuzz -p inbound-mail-fuzz "${bin_args[@]}"
build_secs=$((SECONDS - started))
if [ "${FUZZ_STEP:-all}" = build ]; then
  echo "fuzz: targets built in ${build_secs}s"
  exit 0
fi

# Longest input: an over-long description or comment (5,000 characters) must be reachable.
max_len=12288
echo "== fuzzing ${targets[*]} for ${seconds}s (targets side by side)"
pids=()
for t in "${targets[@]}"; do
  mkdir -p "target/fuzz/corpus/$t" "fuzz/artifacts/$t"
  rm -f "fuzz/artifacts/$t"/*
  log="target/fuzz/fuzz-$t.log"
  # The working corpus first: libFuzzer writes new inputs there, never into fuzz/corpus.
  "target/debug/$t" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" \
    "target/fuzz/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1 &
  pids+=($!)
done

failed=0
total=0
for i in "${!targets[@]}"; do
  t="${targets[$i]}"
  log="target/fuzz/fuzz-$t.log"
  rc=0
  wait "${pids[$i]}" || rc=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  corpus="$(find "target/fuzz/corpus/$t" "fuzz/corpus/$t" -type f | wc -l)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)"
  artifacts="$(find "fuzz/artifacts/$t" -type f | wc -l)"
  echo "fuzz $t: ${runs:-0} executions (${rate:-0}/s), ${cov:-cov: ?}, corpus $corpus inputs, exit $rc"
  total=$((total + ${runs:-0}))
  if [ "$rc" -ne 0 ] || [ "$artifacts" -ne 0 ]; then
    failed=1
    echo "!! fuzz $t failed; the end of its log ($log):"
    grep -m1 -A2 'panicked at' "$log" || true
    grep -v -e '^#[0-9]' -e '^ *[0-9]*: ' -e '^ *at ' "$log" | tail -15
    for a in "fuzz/artifacts/$t"/*; do
      [ -f "$a" ] && echo "!! replay with: target/debug/$t $a (after FUZZ_STEP=build infra/fuzz.sh)"
    done
  fi
done
echo "fuzz: $total executions in all, build ${build_secs}s, whole step $((SECONDS - started))s"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED (crash or broken property above)"
  exit 1
fi
echo "fuzz: no crashes"
