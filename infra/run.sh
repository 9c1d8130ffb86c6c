#!/usr/bin/env bash
# make run: emulator + every route + worker + dev mailbox at http://127.0.0.1:${PORT:-3000}.
# Stops everything it started on Ctrl-C, SIGINT or SIGTERM (also when make itself is killed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source infra/common.sh

export PORT="${PORT:-3000}"
moto_port="${MOTO_PORT:-$(free_port)}"
mkdir -p target
log="target/moto-run-$moto_port.log"

infra/emulator.sh install
# make test builds the whole workspace first and says so: a build of these two
# packages alone would resolve other features and rebuild the portal.
if [ -z "${PORTAL_WORKSPACE_BUILT:-}" ]; then
  # make run builds no fuzz target: a missing C++ compiler is no reason to stop.
  ensure_build_tools || echo "(could not install g++; not needed here)"
  echo "building the portal ..."
  cargo build --quiet -p devserver -p portalctl
fi

pids=()
devserver_pid=""
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Only the stack that wrote portalctl's file removes it: a second make run
  # that stopped on a busy port must not take the running stack's file away.
  local env_file="${PORTAL_LOCAL_ENV_FILE:-.portal-local.env}"
  if [ -n "$devserver_pid" ] && head -n 1 "$env_file" 2>/dev/null | grep -qF "(devserver pid $devserver_pid)"; then
    rm -f "$env_file"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

moto_pid="$(infra/emulator.sh start "$moto_port" "$log")"
pids+=("$moto_pid")
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
export STACK_PREFIX="${STACK_PREFIX:-local-}"

target/debug/devserver &
devserver_pid=$!
pids+=("$devserver_pid")

# If whoever started us (make) goes away, stop too.
parent=$PPID
while kill -0 "${pids[1]}" 2>/dev/null; do
  if ! kill -0 "$parent" 2>/dev/null; then exit 143; fi
  sleep 1
done
wait "${pids[1]}"
