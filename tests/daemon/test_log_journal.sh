#!/usr/bin/env bash
# lib/log.c talks the journal's native protocol with the fields a person
# filters on, and plain stderr otherwise.  A private mount namespace gets
# an empty /run with a stand-in journald: a datagram socket at
# /run/systemd/journal/socket (the path sd_journal_sendv() writes to) whose
# datagrams are kept and read back.
#   test_log_journal.sh LOG_PROBE
# Exit 0 PASS, 1 FAIL, 77 SKIP (not root, no unshare or python3).
set -uo pipefail
probe=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for a mount namespace"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: unshare missing (util-linux)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
if [ "${1:-}" != --inside ]; then
	exec unshare -m --propagation private bash "$0" --inside "$probe"
fi
probe=$2
mount -t tmpfs tmpfs /run || { echo "FAIL: cannot mount a tmpfs on /run"; exit 1; }
mkdir -p /run/systemd/journal
tmp=$(mktemp -d)
trap 'kill $rx 2>/dev/null; rm -rf "$tmp"' EXIT

python3 - "$tmp/datagrams" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        d = s.recv(65536)
        out.write(d.rstrip(b"\n") + b"\n\x1e\n")   # one record per datagram
PY
rx=$!
for _ in $(seq 100); do [ -e "$tmp/datagrams.ready" ] && break; sleep 0.05; done

fails=0
check() { if [ "$1" = 1 ]; then echo "PASS: $2"; else echo "FAIL: $2"; fails=$((fails + 1)); fi; }
record() {	# record N: datagram N (1-based) as lines
	awk -v n="$1" 'BEGIN { RS = "\n\x1e\n" } NR == n { print }' "$tmp/datagrams"
}
has() { grep -qx "$2" <<<"$1"; }

# journal, asked for
"$probe" journal 2> "$tmp/err1"
sleep 0.2
r1=$(record 1) r2=$(record 2)
echo "datagram 1:"; sed 's/^/    /' <<<"$r1"
ok=1
for f in MESSAGE='fields 7' PRIORITY=4 SYSLOG_IDENTIFIER=log_probe TIERD_SOURCE=numa_hint \
	 TIERD_SETTING=kernel/numa_balancing TIERD_PID=1234 TIERD_NODE=0 ERRNO=1; do
	has "$r1" "$f" || { echo "    missing $f"; ok=0; }
done
check $ok "a message with fields carries MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and TIERD_SOURCE/SETTING/PID/NODE, ERRNO"
check "$(has "$r2" 'MESSAGE=plain line' && has "$r2" PRIORITY=6 &&
	! grep -q '^TIERD_\|^ERRNO' <<<"$r2" && echo 1 || echo 0)" \
	"a plain message has no fields of its own: $(tr '\n' ' ' <<<"$r2")"
check "$([ -z "$(record 3)" ] && [ ! -s "$tmp/err1" ] && echo 1 || echo 0)" \
	"nothing below the level sent, nothing on stderr"

# auto: the journal only when stderr is the stream JOURNAL_STREAM names
: > "$tmp/datagrams"
: > "$tmp/err2"
stream=$(stat -c '%d:%i' "$tmp/err2")
JOURNAL_STREAM=$stream "$probe" auto 2>> "$tmp/err2"
sleep 0.2
check "$(has "$(record 1)" 'TIERD_PID=1234' && [ ! -s "$tmp/err2" ] && echo 1 || echo 0)" \
	"auto with JOURNAL_STREAM=$stream (stderr's own): native journal entries"
JOURNAL_STREAM=1:1 "$probe" auto 2> "$tmp/err3"
check "$(grep -qx 'log_probe: warning: fields 7' "$tmp/err3" && grep -qx 'log_probe: plain line' "$tmp/err3" &&
	[ "$(record 3)" = "" ] && echo 1 || echo 0)" \
	"auto with a JOURNAL_STREAM that is not stderr: plain stderr ($(tr '\n' '|' < "$tmp/err3"))"
: > "$tmp/err2"
JOURNAL_STREAM=$stream "$probe" stderr 2>> "$tmp/err2"
check "$(grep -qx '<4>fields 7' "$tmp/err2" && grep -qx '<6>plain line' "$tmp/err2" && echo 1 || echo 0)" \
	"stderr while stderr is the journal stream: priority prefixes ($(tr '\n' '|' < "$tmp/err2"))"

# journal asked for, no journald: the line still reaches stderr
kill $rx; wait $rx 2>/dev/null
rm -f /run/systemd/journal/socket
"$probe" journal 2> "$tmp/err4"
check "$(grep -qx 'log_probe: warning: fields 7' "$tmp/err4" && echo 1 || echo 0)" \
	"journal unreachable: falls back to stderr ($(tr '\n' '|' < "$tmp/err4"))"
"$probe" bogus 2> "$tmp/err5"
check "$([ $? = 2 ] && echo 1 || echo 0)" "an unknown target is refused: $(cat "$tmp/err5")"
exit $((fails != 0))
