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

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
