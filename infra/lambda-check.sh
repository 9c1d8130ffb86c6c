#!/usr/bin/env bash
# The deployable artefacts, checked without Docker:
#   1. sam validate --lint: the SAM template is valid and lint-clean;
#   2. cargo lambda build --release: every function as a Lambda bootstrap (x86_64), zipped;
#   3. lambda-smoke: every sample in events/ through those bootstraps, each started
#      under a Lambda Runtime API emulator, against the AWS emulator.
#
#   infra/lambda-check.sh              all three, on the release bootstraps (CI, after make test)
#   infra/lambda-check.sh validate     1
#   infra/lambda-check.sh build        1 and 2 (make package)
#   infra/lambda-check.sh smoke        3, on the release bootstraps step 2 built
#   infra/lambda-check.sh smoke-debug  3, on the workspace's debug build of the same
#                                      mains (make test: no second build of the tree)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source infra/common.sh
infra/lambda-tools.sh
export PATH="$root/.venv/bin:$PATH"
functions=(submit track reply csat assign-worker outbox-sweeper inbound-email)

step="${1:-all}"
case "$step" in all | validate | build | smoke | smoke-debug) ;;
  *) echo "usage: $0 [validate|build|smoke|smoke-debug]" >&2; exit 2 ;;
esac

if [ "$step" = all ] || [ "$step" = validate ] || [ "$step" = build ]; then
  echo "== sam validate --lint"
  sam validate --lint --template-file template.yaml --region "$AWS_REGION"
fi
[ "$step" = validate ] && exit 0

if [ "$step" = all ] || [ "$step" = build ]; then
  echo "== cargo lambda build --release --x86-64"
  bins=()
  for f in "${functions[@]}"; do bins+=(--bin "$f"); done
  cargo lambda build --release --x86-64 "${bins[@]}"
  python3 infra/zip-bootstraps.py "${functions[@]}"
fi
[ "$step" = build ] && exit 0

# The debug mains and lambda-smoke come with the workspace build (a build of
# one package alone would resolve other features and rebuild the tree).
for bin in lambda-smoke "${functions[@]}"; do
  [ -x "target/debug/$bin" ] || { cargo build --quiet --workspace --bins; break; }
done
bootstraps=target/lambda
if [ "$step" = smoke-debug ]; then
  # The same layout as cargo lambda's (<function>/bootstrap), linked to the debug build.
  bootstraps=target/debug-bootstraps
  for f in "${functions[@]}"; do
    mkdir -p "$bootstraps/$f"
    ln -sf "../../debug/$f" "$bootstraps/$f/bootstrap"
  done
fi

echo "== every sample event through the bootstraps in $bootstraps"
started_moto=""
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  port="$(free_port)"
  started_moto="$(infra/emulator.sh start "$port" target/moto-lambda.log)"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
fi
trap '[ -n "$started_moto" ] && kill "$started_moto" 2>/dev/null || true' EXIT
target/debug/lambda-smoke "$bootstraps"
