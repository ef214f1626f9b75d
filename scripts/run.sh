#!/usr/bin/env bash
# Set up a fresh Debian 12 machine and run tierd in the foreground on the
# default policy (conf/tierd.conf), logging to the terminal.  Stop it with
# Ctrl-C; query it meanwhile with: build/tierctl stats
# Extra arguments go to tierd (e.g. -v).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TIERD_BUILD_DIR:-$top/build}

bash "$top/scripts/install-deps.sh" --build-only
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target tierd tierctl
exec "$build/tierd" -c "$top/conf/tierd.conf" "$@"
