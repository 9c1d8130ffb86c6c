# Shared by run.sh and test.sh: credentials and region for the emulator, and a free port.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
# Nothing may reach real AWS from the local stack.
unset AWS_PROFILE AWS_SESSION_TOKEN
# moto answers 500 when concurrent transactions race inside it (it deep-copies
# a table another thread is writing); the SDK retries 500s, give it room.
export SAM_CLI_TELEMETRY=0
export AWS_MAX_ATTEMPTS="${AWS_MAX_ATTEMPTS:-10}"

# The workspace build's tools from Debian: a C++ compiler (libFuzzer, in the
# fuzz targets, is C++; required) and mold, which infra/mold-gcc.sh links with
# when it is there (only faster: without it, no root say, the system linker serves).
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
ensure_build_tools() {
  if ! command -v c++ >/dev/null 2>&1; then
    echo "== installing g++ from Debian (libFuzzer is C++)"
    apt_install g++
  fi
  if ! command -v mold >/dev/null 2>&1; then
    echo "== installing mold from Debian (the linker)"
    apt_install mold 2>/dev/null || echo "(mold could not be installed: linking with the system linker)"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A private copy of the local stack (what `make run` starts) for a test suite: free
# ports, its own portalctl file, stopped however the calling script exits. Sets
# `base`, `demo_url`, `env_file` and `stack_pid`; returns once the form answers.
#   start_private_stack NAME LOG || fail "..."
start_private_stack() {
  local name="$1" log="$2" port moto_port demo_port smtp_port
  port="$(free_port)"
  smtp_port="$(free_port)"
  moto_port="$(free_port)"
  demo_port="$(free_port)"
  base="http://127.0.0.1:$port"
  demo_url="http://127.0.0.1:$demo_port"
  env_file="target/$name-stack-$port.env"
  PORT="$port" MOTO_PORT="$moto_port" DEMO_PORT="$demo_port" SMTP_PORT="$smtp_port" PORTAL_LOCAL_ENV_FILE="$env_file" \
    bash infra/run.sh >"$log" 2>&1 &
  stack_pid=$!
  trap stop_private_stack EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  echo "== starting a local stack at $base (log: $log)"
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$base/portal/demo/submit" 2>/dev/null; then return 0; fi
    if ! kill -0 "$stack_pid" 2>/dev/null; then
      tail -n 20 "$log" >&2
      echo "the stack did not start" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "the stack did not answer within 5 minutes" >&2
  return 1
}

stop_private_stack() {
  kill -TERM "$stack_pid" 2>/dev/null || true
  wait "$stack_pid" 2>/dev/null || true
}
