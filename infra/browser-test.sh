#!/usr/bin/env bash
# The portal pages as a customer meets them: journeys and accessibility checks in
# headless Chromium (browser/portal.test.mjs, node's test runner) against a local
# stack of its own, with the widget on its demo host page (a second origin).
# Screenshots of every page at 375 and 1280 px go to artifacts/screenshots/; the
# stack's log to target/browser-test/stack.log.
#
#   bash infra/browser-test.sh          (make test runs it beside the API suite)
#
# Installs what is missing first (infra/browser-deps.sh; make test has it done
# while the workspace builds).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source infra/common.sh

chromium=/usr/bin/chromium
out="target/browser-test"
mkdir -p "$out"

fail() {
  echo "browser-test: FAILED: $*" >&2
  exit 1
}

bash infra/browser-deps.sh || fail "installing chromium and browser/node_modules"

[ -x target/debug/portalctl ] || cargo build --quiet -p portalctl

# A stack of our own on free ports, with its own portalctl file, stopped however we exit.
start_private_stack browser "$out/stack.log" || fail "the local stack did not come up"
[ -s "$env_file" ] || fail "the stack wrote no $env_file"

rm -rf artifacts/screenshots
echo "== browser tests (node --test browser/portal.test.mjs)"
PORTAL_URL="$base" DEMO_URL="$demo_url" STACK_ENV_FILE="$env_file" PORTALCTL="target/debug/portalctl" \
  SCREENSHOT_DIR="artifacts/screenshots" CHROMIUM="$chromium" \
  node --test browser/portal.test.mjs
echo "== screenshots in artifacts/screenshots/"
