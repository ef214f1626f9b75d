#!/usr/bin/env bash
# Set up a fresh Debian 12 machine and run tierd's whole test suite:
# dependencies (apt), configure, build, then every ctest test (unit, BPF
# load/attach on the host kernel, kernel-patch checks, the two-node NUMA
# guest end-to-end test).  Usage: scripts/test.sh [ctest args...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TIERD_BUILD_DIR:-$top/build}

bash "$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
exec ctest --output-on-failure --timeout 900 "$@"
