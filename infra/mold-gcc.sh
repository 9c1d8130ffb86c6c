#!/bin/sh
# The linker cargo calls (.cargo/config.toml): the C compiler driver, with mold
# when it is installed (make test installs it; it links the workspace's forty
# debug binaries in a fraction of GNU ld's time), else the system default.
if command -v mold >/dev/null 2>&1; then
  exec cc -fuse-ld=mold "$@"
fi
exec cc "$@"
