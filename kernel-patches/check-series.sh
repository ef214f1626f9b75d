#!/usr/bin/env bash
# Check the kernel-patches/ series without a kernel tree:
#   1. every patch is a mail with From, Date, Subject "[PATCH n/N] ...",
#      a Signed-off-by of its author and a diff, numbered 1..N in order;
#   2. every hunk parses and the mail's diffstat matches the diff;
#   3. checkpatch.pl --strict --no-tree reports 0 errors, warnings, checks;
#   4. the hunks that can be checked here apply: new files always, files
#      that exist in Debian's linux-source-6.1 against that source; hunks
#      against files the Private Memory Nodes RFC changes are skipped, with
#      the reason printed (README.md records how they were verified against
#      the RFC's own text);
#   4b. the index lines agree with that record: a file whose v4 text was
#      rebuilt byte for byte starts from the recorded v4 blob, each later
#      patch starts from the blob the previous one left, and files that
#      could not be rebuilt carry no index line;
#   5. the TP_PROTO of every event in the resulting trace header equals the
#      one kernel-patches/README.md documents (BPF raw_tp programs read the
#      arguments by position), the one in the .rst documentation and the
#      one quoted above each raw_tp/node_private_* program in
#      bpf/tierd.bpf.c (when that file exists);
#   6. the trace header compiles: a throwaway module instantiating both
#      events is built against Debian's 6.1 kernel headers with W=1 -Werror
#      (skipped, with the reason, when linux-headers-amd64 is missing);
#      the new .rst parses cleanly with docutils.
#
# checkpatch.pl and the 6.1 files come from /usr/src/linux-source-6.1.tar.xz
# (Debian package linux-source-6.1).  Extracting them takes a few seconds;
# they are cached in --cache DIR and re-extracted only when the tarball or
# the set of files the series touches changes.
#
# Exit status: 0 all checks passed, 1 a check failed, 77 cannot run here
# (missing tool or package), 2 bad usage.
set -uo pipefail

usage() {
	echo "usage: $0 [--cache DIR] [--tarball FILE] [PATCH_DIR]" >&2
	exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
patch_dir=$here
cache=${TIERD_KP_CACHE:-${TMPDIR:-/tmp}/tierd-kernel-patches-cache}
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
while [ $# -gt 0 ]; do
	case "$1" in
	--cache) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
	--tarball) [ $# -ge 2 ] || usage; tarball=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "check-series: unknown option '$1'" >&2; usage ;;
	*) patch_dir=$(cd "$1" && pwd) || exit 2; shift ;;
	esac
done
readme=$patch_dir/README.md

# Files the Private Memory Nodes RFC v4 (27 patches) changes, from its cover
# letter's diffstat.  Our hunks against them carry context from the tree
# with the RFC applied, which does not exist here.
rfc_files=(
	drivers/base/node.c
	include/linux/cpuset.h include/linux/cram.h include/linux/gfp_types.h
	include/linux/memory-tiers.h include/linux/memory_hotplug.h
	include/linux/migrate.h include/linux/mm.h include/linux/mmzone.h
	include/linux/node_private.h include/linux/nodemask.h
	include/trace/events/mmflags.h include/uapi/linux/mempolicy.h
	kernel/cgroup/cpuset.c mm/Kconfig mm/Makefile mm/compaction.c
	mm/cram.c mm/damon/paddr.c mm/huge_memory.c mm/hugetlb.c
	mm/internal.h mm/khugepaged.c mm/ksm.c mm/madvise.c
	mm/memory-failure.c mm/memory-tiers.c mm/memory.c mm/memory_hotplug.c
	mm/mempolicy.c mm/migrate.c mm/mlock.c mm/mprotect.c mm/oom_kill.c
	mm/page_alloc.c mm/rmap.c mm/slub.c mm/swap.c mm/vmscan.c
)
# Upstream files whose touched region changed after 6.1, so the hunks (made
# against the RFC's newer upstream base) cannot match 6.1 as they are.
declare -A reduced_context=(
	# v6.14 regrouped the toctree into sections; the neighbouring entries
	# (events, events-kmem / events-power, events-nmi) are unchanged.
	[Documentation/trace/index.rst]=2
)
# v4-final blobs of the RFC files the series touches that were rebuilt byte
# for byte (README.md, "Verification"), and the files that were not, whose
# diffs therefore carry no index line.
declare -A v4_blob=(
	[include/linux/node_private.h]=d2669f68ac20
	[mm/internal.h]=85cd11189854
)
declare -A no_index=(
	[drivers/base/node.c]="no v4-era copy is stored; rebuilt only around the hunks"
	[mm/migrate.c]="no v4-era copy is stored; rebuilt only around the hunks"
	[MAINTAINERS]="the upstream base file was not rebuilt"
	[Documentation/trace/index.rst]="the upstream base blob is not known"
)
declare -A not_in_61=(
	[MAINTAINERS]="the 'MEMORY MANAGEMENT - MEMORY POLICY AND MIGRATION' section the hunk extends was added in v6.16"
)

passed=0
failed=0
skipped=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }

for tool in git perl tar xz; do
	if ! command -v "$tool" >/dev/null; then
		echo "check-series: SKIP: '$tool' is not installed"
		exit 77
	fi
done
if [ ! -r "$tarball" ]; then
	echo "check-series: SKIP: $tarball not found (Debian package linux-source-6.1; scripts/install-deps.sh installs it)"
	exit 77
fi

shopt -s nullglob
patches=("$patch_dir"/[0-9][0-9][0-9][0-9]-*.patch)
shopt -u nullglob
if [ ${#patches[@]} -eq 0 ]; then
	fail "no NNNN-*.patch files in $patch_dir"
	echo "kernel-patches: $passed passed, $failed failed, $skipped skipped"
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/check-series.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# Paths a patch touches, one per line: "new PATH" or "mod PATH".
touched_files() {
	awk '
	/^diff --git / { if (path != "") print kind, path
			 path = substr($4, 3); kind = "mod"; next }
	/^new file mode/ { kind = "new" }
	/^-- $/ { exit }
	END { if (path != "") print kind, path }' "$1"
}

# ---- cache of checkpatch and the 6.1 files the series touches -------------
members=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch)
for p in "${patches[@]}"; do
	while read -r kind path; do
		[ "$kind" = mod ] && members+=("$path")
	done < <(touched_files "$p")
done
mapfile -t members < <(printf '%s\n' "${members[@]}" | sort -u)
src=$cache/linux-source-6.1
stamp_want=$(stat -c '%n %s %Y' "$tarball"; printf '%s\n' "${members[@]}")
if [ "$(cat "$cache/stamp" 2>/dev/null)" != "$stamp_want" ]; then
	echo "check-series: extracting checkpatch and ${#members[@]} files from $tarball into $src"
	rm -rf "$src" "$cache/stamp"
	mkdir -p "$src" || exit 1
	# Files absent from 6.1 make tar exit 2 after extracting the others.
	tar -xJf "$tarball" -C "$src" --strip-components=1 \
		"${members[@]/#/linux-source-6.1/}" 2>"$cache/tar.log"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
		echo "check-series: tar failed with status $rc:"; cat "$cache/tar.log"
		exit 1
	fi
	printf '%s\n' "$stamp_want" >"$cache/stamp"
fi
checkpatch=$src/scripts/checkpatch.pl
if [ ! -r "$checkpatch" ] || [ ! -r "$src/scripts/spelling.txt" ]; then
	fail "checkpatch.pl or spelling.txt missing from $tarball"
	exit 1
fi

# ---- 1-3: mail format, numbering, hunks, checkpatch -------------------------
total=${#patches[@]}
i=0
for p in "${patches[@]}"; do
	i=$((i + 1))
	name=$(basename "$p")
	num=$((10#${name:0:4}))
	if [ "$num" -ne "$i" ]; then
		fail "$name: file number $num, expected $i (series must be numbered 1..$total without gaps)"
	fi

	info=$(git mailinfo -k "$work/msg" "$work/diff" <"$p" 2>&1)
	author=$(sed -n 's/^Author: //p' <<<"$info")
	email=$(sed -n 's/^Email: //p' <<<"$info")
	subject=$(sed -n 's/^Subject: //p' <<<"$info")
	date=$(sed -n 's/^Date: //p' <<<"$info")
	problems=()
	[ -n "$author" ] && [ -n "$email" ] || problems+=("no From: header")
	[ -n "$date" ] || problems+=("no Date: header")
	if [[ ! "$subject" =~ ^\[PATCH\ ([0-9]+)/([0-9]+)\]\ .+ ]]; then
		problems+=("subject '$subject' is not '[PATCH n/m] summary'")
	elif [ "${BASH_REMATCH[1]}" -ne "$num" ] || [ "${BASH_REMATCH[2]}" -ne "$total" ]; then
		problems+=("subject says ${BASH_REMATCH[1]}/${BASH_REMATCH[2]}, expected $num/$total")
	fi
	grep -qxF "Signed-off-by: $author <$email>" "$work/msg" ||
		problems+=("no 'Signed-off-by: $author <$email>' in the commit message")
	[ "$(grep -cv '^\s*$\|^Signed-off-by:' "$work/msg")" -gt 0 ] ||
		problems+=("commit message explains nothing")
	grep -q '^diff --git ' "$work/diff" || problems+=("no diff")
	if [ ${#problems[@]} -eq 0 ]; then
		pass "$name: mail headers, numbering $num/$total, Signed-off-by, diff"
	else
		fail "$name: $(IFS=';'; echo "${problems[*]}")"
	fi

	# git apply parses every hunk (line counts included) without a tree.
	# Run it outside any work tree: inside one (a build dir in the repo,
	# as in CI) git apply silently skips paths outside the current dir.
	if ! numstat=$(git -C "$work" apply --numstat "$p" 2>&1); then
		fail "$name: malformed diff: $numstat"
	else
		read -r files ins del < <(awk '{f++; a += $1; d += $2}
			END {print f, a, d}' <<<"$numstat")
		stat=$(grep -E '^ [0-9]+ files? changed' "$p" | head -n1)
		sf=$(grep -oE '[0-9]+ files? changed' <<<"$stat" | grep -oE '^[0-9]+')
		si=$(grep -oE '[0-9]+ insertions?' <<<"$stat" | grep -oE '^[0-9]+')
		sd=$(grep -oE '[0-9]+ deletions?' <<<"$stat" | grep -oE '^[0-9]+')
		if [ "${sf:-x}" = "$files" ] && [ "${si:-0}" = "$ins" ] && [ "${sd:-0}" = "$del" ]; then
			pass "$name: all hunks parse; diffstat matches ($files files, +$ins -$del)"
		else
			fail "$name: diffstat '$stat' does not match the diff ($files files, +$ins -$del)"
		fi
	fi

	out=$(perl "$checkpatch" --strict --no-tree --color=never "$p" 2>&1)
	summary=$(grep -E '^total: ' <<<"$out")
	if [[ "$summary" =~ ^total:\ 0\ errors,\ 0\ warnings,\ 0\ checks ]]; then
		pass "$name: checkpatch --strict: $summary"
	else
		fail "$name: checkpatch --strict: ${summary:-no summary}"
		echo "$out"
	fi
done

# ---- 4: apply what can be checked here --------------------------------------
tree=$work/tree
mkdir -p "$tree"
git -C "$tree" init -q
declare -A created=()
is_rfc_file() {
	local f
	for f in "${rfc_files[@]}"; do
		[ "$f" = "$1" ] && return 0
	done
	return 1
}
for p in "${patches[@]}"; do
	name=$(basename "$p")
	while read -r kind path; do
		if [ "$kind" = new ] || [ -n "${created[$path]:-}" ]; then
			if err=$(git -C "$tree" apply --include="$path" "$p" 2>&1); then
				created[$path]=1
				pass "$name: $path applies (file created by the series)"
			else
				fail "$name: $path does not apply: $err"
			fi
		elif is_rfc_file "$path"; then
			skip "$name: $path: the hunks target the tree with the RFC v4 series applied, which is not available here (verified against the reconstructed v4 text: README.md, Verification)"
		elif [ -n "${not_in_61[$path]:-}" ]; then
			skip "$name: $path: not checkable against 6.1: ${not_in_61[$path]}"
		elif [ ! -f "$src/$path" ]; then
			fail "$name: $path is neither new, nor in the RFC, nor in linux-source-6.1"
		else
			mkdir -p "$tree/$(dirname "$path")"
			[ -f "$tree/$path" ] || cp "$src/$path" "$tree/$path"
			ctx=${reduced_context[$path]:-}
			if [ -n "$ctx" ]; then
				if err=$(git -C "$tree" apply -C"$ctx" --include="$path" "$p" 2>&1); then
					pass "$name: $path applies to 6.1 with $ctx lines of context (region reorganised upstream after 6.1)"
				else
					fail "$name: $path does not apply to 6.1 even with $ctx lines of context: $err"
				fi
			elif err=$(git -C "$tree" apply --include="$path" "$p" 2>&1); then
				pass "$name: $path applies to linux-source-6.1"
			else
				fail "$name: $path does not apply to linux-source-6.1: $err"
			fi
		fi
	done < <(touched_files "$p")
done

# ---- 4b: index lines --------------------------------------------------------
# "path pre post" for every diff that has an index line, in series order.
index_lines() {
	awk '/^diff --git / { path = substr($4, 3) }
	/^index [0-9a-f]+\.\.[0-9a-f]+/ { split($2, b, /\.\./); print path, b[1], b[2] }
	/^-- $/ { exit }' "$1"
}
declare -A last_blob=()
for p in "${patches[@]}"; do
	name=$(basename "$p")
	while read -r kind path; do
		line=$(index_lines "$p" | awk -v f="$path" '$1 == f')
		if [ -n "${no_index[$path]:-}" ]; then
			if [ -z "$line" ]; then
				pass "$name: $path carries no index line (${no_index[$path]})"
			else
				fail "$name: $path has an index line, but ${no_index[$path]}: it cannot name a real blob"
			fi
			continue
		fi
		if [ -z "$line" ]; then
			fail "$name: $path has no index line"
			continue
		fi
		read -r _ pre post <<<"$line"
		want=${last_blob[$path]:-} what="the previous patch's result"
		if [ -z "$want" ] && [ "$kind" = new ]; then
			want=000000000000 what="a new file"
		elif [ -z "$want" ]; then
			want=${v4_blob[$path]:-} what="the v4-final blob"
		fi
		if [ -z "$want" ]; then
			fail "$name: $path: no recorded v4 blob to start from (add it to v4_blob)"
		elif [ "${pre:0:12}" = "${want:0:12}" ]; then
			pass "$name: $path starts from blob ${pre:0:12}, $what"
		else
			fail "$name: $path starts from blob $pre, expected $want"
		fi
		last_blob[$path]=$post
	done < <(touched_files "$p")
done

# ---- 5: TP_PROTO of the header vs README.md and the .rst --------------------
header=$tree/include/trace/events/node_private.h
rst=$tree/Documentation/trace/events-node-private.rst
# "event TP_PROTO(args)" per event, whitespace collapsed.
protos_header() {
	perl -0777 -ne 'while (/TRACE_EVENT\(\s*(\w+)\s*,\s*TP_PROTO\(([^)]*)\)/g) {
		my ($e, $a) = ($1, $2); $a =~ s/\s+/ /g; $a =~ s/^ | $//g;
		print "$e TP_PROTO($a)\n" }' "$1"
}
protos_rst() {
	perl -0777 -ne 'while (/^(node_private_\w+)\n=+\n.*?TP_PROTO\(([^)]*)\)/msg) {
		my ($e, $a) = ($1, $2); $a =~ s/\s+/ /g; $a =~ s/^ | $//g;
		print "$e TP_PROTO($a)\n" }' "$1"
}
if [ ! -f "$header" ]; then
	fail "include/trace/events/node_private.h was not created by the series"
elif [ ! -f "$readme" ]; then
	fail "$readme is missing"
else
	got=$(protos_header "$header" | sort)
	want=$(grep -E '^node_private_[a-z_]+ TP_PROTO\(.*\)$' "$readme" | sort)
	if [ -z "$got" ]; then
		fail "no TRACE_EVENT with TP_PROTO found in node_private.h"
	elif [ "$got" = "$want" ]; then
		pass "TP_PROTO of $(wc -l <<<"$got") events in node_private.h equals README.md"
	else
		fail "TP_PROTO in node_private.h differs from README.md"
		diff <(echo "$want") <(echo "$got") | sed 's/^/    /'
	fi
	if [ -f "$rst" ]; then
		docs=$(protos_rst "$rst" | sort)
		if [ "$got" = "$docs" ]; then
			pass "TP_PROTO in events-node-private.rst equals node_private.h"
		else
			fail "TP_PROTO in events-node-private.rst differs from node_private.h"
			diff <(echo "$docs") <(echo "$got") | sed 's/^/    /'
		fi
	else
		fail "Documentation/trace/events-node-private.rst was not created by the series"
	fi
fi

# The new documentation must be valid reStructuredText (Sphinx would
# otherwise warn when building Documentation/).
if [ -f "$rst" ]; then
	if ! python3 -c 'import docutils' 2>/dev/null; then
		skip "events-node-private.rst: python3-docutils not installed, reStructuredText not checked"
	elif msgs=$(python3 - "$rst" <<'PY' 2>&1
import io, sys
import docutils.core
err = io.StringIO()
docutils.core.publish_doctree(open(sys.argv[1]).read(),
	settings_overrides={"warning_stream": err, "report_level": 2,
			    "halt_level": 5})
sys.stdout.write(err.getvalue())
PY
) && [ -z "$msgs" ]; then
		pass "events-node-private.rst is valid reStructuredText (docutils)"
	else
		fail "events-node-private.rst: docutils reports problems:"
		echo "$msgs" | sed 's/^/    /'
	fi
fi

# ---- 6: the trace header compiles in a kernel build --------------------------
# Build a throwaway module that instantiates the events from the series'
# header against Debian's 6.1 kernel headers (W=1, -Werror).  This checks
# the TRACE_EVENT definitions themselves (types, TP_fast_assign, the
# TP_printk format against its arguments); the hunks in RFC files cannot be
# compiled here.  The module is never loaded.  A successful build is
# remembered per header content, so unchanged headers are not rebuilt.
kheaders=${KERNEL_HEADERS:-}
if [ -z "$kheaders" ]; then
	for d in /usr/src/linux-headers-*-amd64; do
		[ -f "$d/Makefile" ] && kheaders=$d
	done
fi
if [ ! -f "$header" ]; then
	: # already reported above
elif [ -z "$kheaders" ] || [ ! -f "$kheaders/Makefile" ]; then
	skip "trace header compile test: no kernel headers (Debian package linux-headers-amd64, or set KERNEL_HEADERS)"
elif ! command -v make >/dev/null || ! command -v gcc >/dev/null; then
	skip "trace header compile test: make or gcc missing"
else
	mod=$work/mod
	mkdir -p "$mod/include/trace/events"
	cp "$header" "$mod/include/trace/events/node_private.h"
	cat >"$mod/np_trace_test.c" <<'MOD'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>

#define CREATE_TRACE_POINTS
#include <trace/events/node_private.h>

static int __init np_trace_test_init(void)
{
	trace_node_private_write_fault(1, 0x1234, 9, 0x7f0000000000UL,
				       NODE_PRIVATE_FAULT_PMD, true,
				       VM_FAULT_RETRY,
				       NODE_PRIVATE_ACCESS_WRITE);
	trace_node_private_migrate(1, 0, 0x1234, 9, 5, -ENOMEM);
	return 0;
}
module_init(np_trace_test_init);
MODULE_LICENSE("GPL");
MOD
	printf 'ccflags-y += -I$(src)/include -Werror\nobj-m += np_trace_test.o\n' >"$mod/Kbuild"
	key=$(cat "$mod/np_trace_test.c" "$mod/Kbuild" "$header" | sha256sum | cut -d' ' -f1)
	key="$key $(basename "$kheaders")"
	if [ "$(cat "$cache/module-ok" 2>/dev/null)" = "$key" ]; then
		pass "node_private.h compiles into a module against $(basename "$kheaders") (W=1 -Werror; cached result for this exact header)"
	elif out=$(make -s -C "$kheaders" M="$mod" W=1 modules 2>&1) &&
	     [ -f "$mod/np_trace_test.ko" ]; then
		printf '%s\n' "$key" >"$cache/module-ok"
		pass "node_private.h compiles into a module against $(basename "$kheaders") (W=1 -Werror)"
	else
		fail "node_private.h does not compile against $(basename "$kheaders"):"
		echo "$out" | sed 's/^/    /'
	fi
fi

# The BPF side documents the order it reads next to each program: the
# comment block right above SEC("raw_tp/<event>") quotes its TP_PROTO.
bpf_src=$patch_dir/../bpf/tierd.bpf.c
if [ -f "$bpf_src" ] && [ -f "$header" ]; then
	bpf=$(perl -0777 -ne 'while (m{/\*((?:(?!\*/).)*?)\*/\s*SEC\("raw_tp/(node_private_\w+)"\)}sg) {
		my ($c, $e) = ($1, $2);
		$c =~ s/^\s*\*//mg;
		next unless $c =~ /TP_PROTO\(([^)]*)\)/s;
		my $a = $1; $a =~ s/\s+/ /g; $a =~ s/^ | $//g;
		print "$e TP_PROTO($a)\n" }' "$bpf_src" | sort)
	while read -r event _; do
		line=$(grep "^$event " <<<"$bpf")
		if [ -z "$line" ]; then
			skip "bpf/tierd.bpf.c: no TP_PROTO comment above SEC(\"raw_tp/$event\")"
		elif grep -qxF "$line" <<<"$got"; then
			pass "bpf/tierd.bpf.c: raw_tp/$event reads the documented TP_PROTO"
		else
			fail "bpf/tierd.bpf.c: raw_tp/$event comment says '$line', the header says '$(grep "^$event " <<<"$got")'"
		fi
	done <<<"$got"
fi

echo "kernel-patches: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
