#!/usr/bin/env bash
# Installs the Lambda tool chain into the project venv (.venv): SAM CLI (with
# cfn-lint), cargo-lambda and zig (its cross linker). All from PyPI, pinned.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/infra/emulator.sh" install
if ! "$root/.venv/bin/python" -c "import ziglang" 2>/dev/null || [ ! -x "$root/.venv/bin/sam" ] || [ ! -x "$root/.venv/bin/cargo-lambda" ]; then
  echo "installing aws-sam-cli, cargo-lambda and ziglang into .venv ..." >&2
  "$root/.venv/bin/pip" install --quiet --disable-pip-version-check \
    "aws-sam-cli==1.170.0" "cargo-lambda==1.9.2" "ziglang==0.17.1" >&2
fi
