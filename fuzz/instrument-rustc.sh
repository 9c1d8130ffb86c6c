#!/usr/bin/env bash
# RUSTC_WORKSPACE_WRAPPER for infra/fuzz.sh: cargo runs it for workspace
# members only (every dependency is the plain copy the workspace build already
# compiled); it adds libFuzzer's coverage instrumentation (FUZZ_RUSTFLAGS) to
# the members named in FUZZ_INSTRUMENT, i.e. the code under test. Cargo calls
# this as: wrapper rustc ARGS...
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
