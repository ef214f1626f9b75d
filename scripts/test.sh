#!/usr/bin/env bash
# Set up a fresh Debian 12 machine and run tierd's whole test suite:
# dependencies (apt), configure, build, then every ctest test (unit, BPF
# load/attach on the host kernel, kernel-patch checks, the two-node NUMA
# guest end-to-end tests), then a second build with ASan + UBSan and the
# tests labelled "sanitize" in it (unit, pipeline, daemon smoke).
# Usage: scripts/test.sh [ctest args...]  (the args go to the first run)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TIERD_BUILD_DIR:-$top/build}
asan=${TIERD_ASAN_BUILD_DIR:-$top/build-asan}

bash "$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
rc=0
(cd "$build" && ctest --output-on-failure --timeout 900 "$@") || rc=$?

echo "==== sanitizer build (ASan + UBSan): $asan ===="
cmake -S "$top" -B "$asan" -DCMAKE_BUILD_TYPE=Debug -DTIERD_SANITIZE=ON >/dev/null
cmake --build "$asan" -j"$(nproc)"
(cd "$asan" && ctest --output-on-failure --timeout 900 -L sanitize) || rc=$?
exit "$rc"
