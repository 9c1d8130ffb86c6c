#!/usr/bin/env bash
# The benchmark (not part of `make test`). Builds every function and the
# lambda_http hello-world floor as release Lambda bootstraps, starts the
# emulator, and prints a table (also written to target/bench.md).
#
#   bash infra/bench.sh [lambda] [--runs 8] [--warm 100] [--sizes 128,256,1024] [--only submit,track]
#                       [--function-env PORTAL_INIT_CONNECT_WAIT_MS=0]
#       Lambda-like (the default): AWS over TLS (nginx in front of the emulator,
#       a throwaway CA; BENCH_TLS_WORKERS nginx workers, 1 by default), init at
#       full speed, then each memory size's CPU share (CFS quota via the cgroup
#       filesystem; needs root). Beside the Node.js and Python peers in
#       bench/peers (installed here from npm and PyPI). Each response is also
#       given less the emulator's time (a recording proxy behind nginx).
#   bash infra/bench.sh plain [--runs 30] [--warm 100] [--cpu 1000]
#       Full speed over plain HTTP: CPU per request, AWS round trips, zip sizes
#       (written to target/bench-plain.md).
#   bash infra/bench.sh callgrind [--functions submit,track] [--warm 20]
#       Instructions per request under valgrind's callgrind, over TLS, with the
#       top functions of a warm request (target/callgrind/report.md). Builds
#       unstripped bootstraps into target/lambda-profile.
#   bash infra/bench.sh calls [--calls 2000]
#       Client CPU per AWS call in one process at full speed over plain HTTP:
#       a DynamoDB read through the SDK, an S3 read through S3's SDK and
#       hand-signed (s3_get). The bench binary itself, built in release
#       (target/bench-calls.md).
#   bash infra/bench.sh variants [NAME ...]
#       The build settings side by side (docs/PERFORMANCE.md): submit built
#       under each (into target/variants), then
#       per setting the zipped size, callgrind's instructions and the full-speed
#       first poll. Slow: every setting is a release build from scratch.
# BENCH_NO_BUILD=1 measures bootstraps built earlier (with --dir for the
# lambda, plain and callgrind modes, or the variant names already built).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source infra/common.sh
infra/lambda-tools.sh
export PATH="$root/.venv/bin:$PATH"

mode="lambda"
case "${1:-}" in
  lambda | plain | callgrind | calls | variants) mode="$1"; shift ;;
esac

# Build settings compared by `variants`: a name, then cargo arguments.
variant_args() {
  # The crates the brief names, and sha2, the top entry of the warm profile (SigV4).
  local hot=(serde_json aws-sigv4 hyper rustls sha2)
  case "$1" in
    z) printf '%s\n' --config 'profile.release.opt-level="z"' ;;
    s) ;;
    3) printf '%s\n' --config profile.release.opt-level=3 ;;
    # On top of the release profile ("s"): the hot crates at 3.
    s-hot3)
      for crate in "${hot[@]}"; do printf '%s\n' --config "profile.release.package.$crate.opt-level=3"; done ;;
    *) echo "unknown variant $1" >&2; return 1 ;;
  esac
}

# Builds submit (the largest zip and the longest warm path) under one setting
# into target/variants/NAME.
build_variant() {
  local v="$1" target_dir extra f
  mapfile -t extra < <(variant_args "$v")
  echo "== building variant $v: ${extra[*]:-profile as in Cargo.toml}" >&2
  # Settings on top of the release profile ("s") share the usual target
  # directory (only the crates they touch rebuild); another opt-level
  # rebuilds everything, so it gets its own, which keeps the usual one warm.
  case "$v" in
    s*) target_dir="target" ;;
    *) target_dir="target/variants-build" ;;
  esac
  # Unstripped for callgrind; the zip holds a stripped copy, as cargo's strip makes it.
  CARGO_TARGET_DIR="$target_dir" cargo lambda build --release --x86-64 \
    --lambda-dir "target/variants/$v" --config 'profile.release.strip=false' "${extra[@]}" \
    --bin submit >&2
  for f in submit; do
    strip -o "target/variants/$v/$f/bootstrap.stripped" "target/variants/$v/$f/bootstrap"
    python3 - "target/variants/$v/$f" <<'PY'
import sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(f"{d}/bootstrap.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    info = zipfile.ZipInfo("bootstrap"); info.external_attr = 0o755 << 16; info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, open(f"{d}/bootstrap.stripped", "rb").read())
PY
  done
}

functions=(submit track reply csat assign-worker hello)
bins=()
for f in "${functions[@]}"; do bins+=(--bin "$f"); done
if [ "$mode" = calls ]; then
  # The measured client is this binary's own: built as the functions are.
  cargo build --quiet --release -p bench --bin bench
elif [ -n "${BENCH_NO_BUILD:-}" ]; then
  # Measure bootstraps built earlier (pass --dir to say where).
  echo "== BENCH_NO_BUILD: not building the bootstraps" >&2
  variants=("$@")
elif [ "$mode" = callgrind ]; then
  # Symbols for callgrind_annotate; stripping does not change the code.
  cargo lambda build --release --x86-64 --lambda-dir target/lambda-profile \
    --config 'profile.release.strip=false' "${bins[@]}"
elif [ "$mode" = variants ]; then
  variants=("$@")
  [ ${#variants[@]} -eq 0 ] && variants=(s s-hot3 z 3)
  set --
else
  cargo lambda build --release --x86-64 "${bins[@]}"
  python3 infra/zip-bootstraps.py "${functions[@]}"
fi
if [ "$mode" != calls ] && { [ -z "${BENCH_NO_BUILD:-}" ] || [ ! -x target/debug/bench ]; }; then
  cargo build --quiet -p bench --bin bench
fi

port="$(free_port)"
moto_pid="$(infra/emulator.sh start "$port" target/moto-bench.log)"
nginx_pid=""
cleanup() {
  kill "$moto_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
}
trap cleanup EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"

if [ "$mode" = plain ]; then
  target/debug/bench plain "$@"
  exit 0
fi
if [ "$mode" = calls ]; then
  target/release/bench calls "$@"
  exit 0
fi

# --- TLS in front of the emulator: a throwaway CA, an intermediate and a
# server certificate (a chain as AWS serves one), and nginx terminating TLS.
tls="$root/target/bench-tls"
mkdir -p "$tls/tmp"
if [ ! -s "$tls/server-chain.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Portal bench throwaway root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=Portal bench intermediate" \
    -keyout "$tls/intermediate.key" -out "$tls/intermediate.csr" 2>/dev/null
  openssl x509 -req -days 30 -in "$tls/intermediate.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -extfile <(printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n') \
    -out "$tls/intermediate.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  openssl x509 -req -days 30 -in "$tls/server.csr" -CA "$tls/intermediate.pem" -CAkey "$tls/intermediate.key" \
    -CAcreateserial -out "$tls/server.pem" 2>/dev/null \
    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n')
  cat "$tls/server.pem" "$tls/intermediate.pem" >"$tls/server-chain.pem"
fi
# What a machine that trusts the CA has in its system store.
cat /etc/ssl/certs/ca-certificates.crt "$tls/ca.pem" >"$tls/system-and-ca.pem"

if ! command -v nginx >/dev/null; then
  echo "installing nginx (Debian) ..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >&2 ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >&2
fi
tls_port="$(free_port)"
# nginx forwards to a recording proxy that the bench binary starts on this
# port, in front of the emulator: it splits each response into the
# emulator's time and the function's own.
recorder_port="$(free_port)"
export BENCH_RECORDER_PORT="$recorder_port"
# One worker serves the handshakes of a function's parallel connections one
# after another; BENCH_TLS_WORKERS=2 serves them side by side, as a fleet of
# endpoints does.
export BENCH_TLS_WORKERS="${BENCH_TLS_WORKERS:-1}"
cat >"$tls/nginx.conf" <<EOF
worker_processes $BENCH_TLS_WORKERS;
daemon off;
user root;
pid $tls/nginx.pid;
error_log $tls/nginx-error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $tls/tmp/body;
  proxy_temp_path $tls/tmp/proxy;
  fastcgi_temp_path $tls/tmp/fastcgi;
  uwsgi_temp_path $tls/tmp/uwsgi;
  scgi_temp_path $tls/tmp/scgi;
  client_max_body_size 16m;
  keepalive_timeout 120s;
  keepalive_requests 100000;
  upstream emulator {
    server 127.0.0.1:$recorder_port;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $tls/server-chain.pem;
    ssl_certificate_key $tls/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      proxy_pass http://emulator;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
EOF
nginx -p "$tls" -c "$tls/nginx.conf" -e "$tls/nginx-error.log" &
nginx_pid=$!
export BENCH_TLS_ENDPOINT="https://localhost:$tls_port"
# TLS is up once nginx answers (502 until the bench binary's recorder listens).
for _ in $(seq 1 100); do
  curl -sS -o /dev/null --cacert "$tls/ca.pem" "$BENCH_TLS_ENDPOINT/" 2>/dev/null && break
  sleep 0.1
done
curl -sS -o /dev/null --cacert "$tls/ca.pem" "$BENCH_TLS_ENDPOINT/"
export BENCH_CA_BUNDLE="$tls/ca.pem" BENCH_TRUST_BUNDLE="$tls/system-and-ca.pem"

# --- The peers, installed from npm and PyPI into ignored directories.
if [ "$mode" = lambda ]; then
  if [ ! -d bench/peers/node/node_modules/@aws-sdk/client-dynamodb ]; then
    (cd bench/peers/node && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  if [ ! -d bench/peers/python/.deps/boto3 ]; then
    python3 -m pip install --quiet --disable-pip-version-check --target bench/peers/python/.deps \
      -r bench/peers/python/requirements.txt >&2
  fi
fi
BENCH_NODE="$(command -v node || echo node)"
# The interpreter itself, not a version manager's shim.
BENCH_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
export BENCH_NODE BENCH_PYTHON

echo "== load before the run: $(uptime)"
if [ "$mode" = variants ]; then
  # Each setting is built, then measured; summary.tsv keeps every setting's
  # latest lines, so settings can be run one at a time.
  for v in "${variants[@]}"; do
    [ -n "${BENCH_NO_BUILD:-}" ] || build_variant "$v"
    mkdir -p target/callgrind && touch target/callgrind/summary.tsv
    grep -v "^$v	" target/callgrind/summary.tsv >target/callgrind/summary.tmp || true
    mv target/callgrind/summary.tmp target/callgrind/summary.tsv
    target/debug/bench callgrind --functions submit --dir "target/variants/$v" --label "$v" --out target/callgrind >/dev/null
  done
  printf '| build | function | instructions: init | first request | warm request | first poll, full speed | zip |\n|---|---|---|---|---|---|---|\n'
  while IFS=$'\t' read -r label function init first warm poll; do
    # summary.tsv also holds the callgrind mode's lines (label "current"): no variant zip.
    [ -f "target/variants/$label/$function/bootstrap.zip" ] || continue
    zip_mb="$(python3 -c "import os,sys; print(f'{os.path.getsize(sys.argv[1]) / 1e6:.2f} MB')" "target/variants/$label/$function/bootstrap.zip")"
    printf '| %s | %s | %s | %s | %s | %s ms | %s |\n' "$label" "$function" "$init" "$first" "$warm" "$poll" "$zip_mb"
  done <target/callgrind/summary.tsv | tee target/bench-variants.md
else
  target/debug/bench "$mode" "$@"
fi
echo "== load after the run: $(uptime)"
