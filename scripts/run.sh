#!/usr/bin/env bash
# Set up a fresh Debian 12 machine and run tierd in the foreground on the
# default policy (conf/tierd.conf), logging to the terminal.  Stop it with
# Ctrl-C; query it meanwhile with: build/daemon/tierctl stats (or top).
# Extra arguments go to tierd (e.g. -v).
#
# On a machine without a slow-tier node tierd stays idle; this script,
# which knows it runs from the source tree, then says how to see it work
# in a guest (scripts/demo.sh).  tierd's own idle message stays about the
# machine: an installed tierd has no scripts/ beside it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TIERD_BUILD_DIR:-$top/build}

bash "$top/scripts/install-deps.sh" --build-only
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target tierd tierctl

# tierd's log, passed through; after its idle line, once, the way to the
# demo.  The filter ignores Ctrl-C so it drains tierd's last lines.
hint() {
	local line said=0
	trap '' INT TERM
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		*"idle: no slow-tier node"*)
			[ $said = 1 ] && continue
			said=1
			printf '%s\n' "run.sh: this machine has no slow memory tier, so tierd has nothing to promote." \
				"run.sh: to see it move a hot set to DRAM, run: bash scripts/demo.sh (a two-node guest, about a minute)"
			;;
		esac
	done
}
exec {log}> >(hint >&2)
hint_pid=$!
rc=0
"$build/daemon/tierd" -c "$top/conf/tierd.conf" "$@" 2>&"$log" || rc=$?
exec {log}>&-
wait "$hint_pid" 2>/dev/null || true
exit $rc
