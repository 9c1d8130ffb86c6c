#!/usr/bin/env bash
# What the browser tests need, installed when missing: Debian's chromium (apt)
# and browser/node_modules (npm ci: playwright-core drives the system Chromium,
# it never downloads one). Run by infra/browser-test.sh, and by make test while
# the workspace builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source infra/common.sh
chromium=/usr/bin/chromium

if [ ! -x "$chromium" ]; then
  echo "== installing chromium (apt)"
  command -v apt-get >/dev/null || { echo "no $chromium and no apt-get to install it" >&2; exit 1; }
  apt_install chromium
fi
command -v node >/dev/null && command -v npm >/dev/null \
  || { echo "node and npm are needed (Debian: apt-get install nodejs npm)" >&2; exit 1; }

# npm ci only when the lockfile changed since the last install.
stamp=browser/node_modules/.browser-test-lock
if ! cmp -s browser/package-lock.json "$stamp"; then
  echo "== npm ci (browser/)"
  (cd browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp browser/package-lock.json "$stamp"
fi
