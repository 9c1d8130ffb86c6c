#!/usr/bin/env bash
# The AWS emulator: moto in server mode, in a project-local virtualenv.
#   infra/emulator.sh install          create .venv with moto[server] if missing
#   infra/emulator.sh start PORT LOG   start moto's server in the background, wait until it answers, print its pid
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
MOTO_VERSION="5.2.5"

install() {
  if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto,sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    return 0
  fi
  echo "installing moto[server]==$MOTO_VERSION into .venv ..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
}

start() {
  local port="$1" log="$2"
  install
  # moto_server's own app, with DynamoDB requests serialized: see infra/moto_server.py.
  "$venv/bin/python" "$root/infra/moto_server.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/moto-api/data.json" >/dev/null 2>&1; then
      echo "$pid"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "moto_server exited; see $log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "moto_server did not answer on port $port; see $log" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

case "${1:-}" in
  install) install ;;
  start) start "${2:?port}" "${3:?log file}" ;;
  *) echo "usage: $0 install | start PORT LOG" >&2; exit 2 ;;
esac
