#!/usr/bin/env bash
# Install the Debian 12 packages tierd needs to build, test and run its
# end-to-end guest, and (unless --build-only) the guest kernels
# (scripts/guest-kernels.sh: Debian 6.12 and 6.1 images unpacked into a
# cache, not installed).  --demo: what scripts/demo.sh needs, the build
# packages, qemu and the 6.12 kernel only; --demo --plot adds gnuplot for
# scripts/demo.sh --plot (bench/plot.sh).  Idempotent: packages already
# present are skipped by apt, cached kernels are re-used.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

build_pkgs=(
	build-essential cmake pkg-config
	clang llvm libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev groff-base
	libnuma-dev libsystemd-dev libinih-dev libcmocka-dev
	# tierctl top reads the stats JSON
	libjson-c-dev
)
test_pkgs=(
	systemd numactl
	# end-to-end guest: TCG qemu, busybox for the initramfs (the kernels
	# come from guest-kernels.sh), flock for the machine-wide guest lock
	qemu-system-x86 busybox-static cpio util-linux
	# e2e harness: reads tierctl stats --json
	jq
	# tests/daemon/top_tmux.sh drives tierctl top in a real terminal
	tmux
	# the Debian package (scripts/build-deb.sh, tests/pkg) and its lint
	dpkg-dev debhelper lintian
	# bench/plot.sh: the guest comparison's figures (PNG)
	gnuplot-nox
	# bench/instructions.sh counts the core's instructions with callgrind;
	# bench_ingest includes valgrind/callgrind.h for its phase dumps
	valgrind
	# kernel-patches/check-series.sh: checkpatch.pl and 6.1 files to apply to
	linux-source-6.1 git perl xz-utils
	# ... kernel headers to compile the trace header in a module, docutils
	# to parse its .rst
	linux-headers-amd64 python3-docutils
)

# scripts/demo.sh: boot the guest beside a build
demo_pkgs=(qemu-system-x86 busybox-static cpio util-linux jq)
# scripts/demo.sh --plot: bench/plot.sh
demo_plot_pkgs=(gnuplot-nox)

mode=all
case "${1:-}" in
--build-only) mode=build ;;
--demo) mode=demo ;;
esac
want=("${build_pkgs[@]}")
case $mode in
all) want+=("${test_pkgs[@]}") ;;
demo) want+=("${demo_pkgs[@]}")
      if [ "${2:-}" = --plot ]; then want+=("${demo_plot_pkgs[@]}"); fi ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: need root to install: ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
case $mode in
all) bash "$here/guest-kernels.sh" ;;
demo) bash "$here/guest-kernels.sh" 6.12 ;;
esac
