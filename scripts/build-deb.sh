#!/usr/bin/env bash
# Build the Debian package from a copy of this tree, so the tree itself
# stays clean (dpkg-buildpackage builds in place and writes beside it).
#   build-deb.sh OUTDIR [--version V]
# Leaves OUTDIR/tierd_<version>_amd64.deb (and .buildinfo, .changes, the
# build log) and prints the .deb's path.  --version puts a changelog entry
# for V on top (a later version, to test an upgrade).  Needs the build
# dependencies (scripts/install-deps.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: $0 OUTDIR [--version V]" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$1; shift
version=
while [ $# -gt 0 ]; do
	case "$1" in
	--version) [ $# -ge 2 ] || usage; version=$2; shift ;;
	*) usage ;;
	esac
	shift
done
for t in dpkg-buildpackage dh; do
	command -v "$t" >/dev/null ||
		{ echo "build-deb: $t missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/src
rm -rf "$src"
mkdir -p "$src"
# The files git knows (committed or new, not ignored), or the whole tree
# but build directories when this is no git checkout.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	# a file deleted but not yet committed is listed, and skipped
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done | xargs -0 cp --parents -a -t "$src")
else
	(cd "$top" && tar --exclude='./build*' --exclude=./debian/tierd \
		--exclude=./obj-\* -cf - .) | tar -xf - -C "$src"
fi
[ -f "$src/debian/control" ] || { echo "build-deb: no debian/ copied to $src" >&2; exit 1; }

if [ -n "$version" ]; then
	{
		echo "tierd ($version) unstable; urgency=medium"
		echo
		echo "  * Rebuild as $version (scripts/build-deb.sh --version)."
		echo
		echo " -- $(sed -n 's/^Maintainer: //p' "$src/debian/control")  $(date -R)"
		echo
		cat "$src/debian/changelog"
	} > "$src/debian/changelog.new"
	mv "$src/debian/changelog.new" "$src/debian/changelog"
fi

ver=$(cd "$src" && dpkg-parsechangelog -S Version)
rm -f "$out/tierd_${ver}_"*
(cd "$src" && dpkg-buildpackage -b -us -uc) > "$out/build-$ver.log" 2>&1 || {
	tail -n 40 "$out/build-$ver.log" >&2
	echo "build-deb: dpkg-buildpackage failed; log: $out/build-$ver.log" >&2
	exit 1
}
deb=$(ls "$out/tierd_${ver}_"*.deb)
echo "$deb"
