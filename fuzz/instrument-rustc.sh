#!/usr/bin/env bash
# RUSTC_WRAPPER for infra/fuzz.sh: adds libFuzzer's coverage instrumentation
# (FUZZ_RUSTFLAGS) only to the crates named in FUZZ_INSTRUMENT, i.e. the code
# under test, not the AWS SDK and runtime the portal also links but the fuzzed
# parsers never call. Instrumenting those would cost build time and only add
# noise to the coverage signal. Cargo calls this as: wrapper rustc ARGS...
set -euo pipefail
rustc="$1"
shift
crate=""
prev=""
for arg in "$@"; do
  if [ "$prev" = "--crate-name" ]; then
    crate="$arg"
    break
  fi
  prev="$arg"
done
if [ -n "$crate" ] && [[ " ${FUZZ_INSTRUMENT:-} " == *" $crate "* ]]; then
  # shellcheck disable=SC2086  # FUZZ_RUSTFLAGS is a list of flags
  exec "$rustc" "$@" ${FUZZ_RUSTFLAGS:-}
fi
exec "$rustc" "$@"
