#!/usr/bin/env bash
# Install the Debian 12 packages tierd needs to build, test and run its
# end-to-end guest.  Idempotent: packages already present are skipped by apt.
set -euo pipefail

build_pkgs=(
	build-essential cmake pkg-config
	clang llvm libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev groff-base
	libnuma-dev libsystemd-dev libinih-dev libcmocka-dev
)
test_pkgs=(
	systemd numactl
	# end-to-end guest: TCG qemu, a Debian kernel with BTF/NUMA/soft-dirty,
	# busybox for the initramfs
	qemu-system-x86 linux-image-amd64 busybox-static cpio
	# e2e harness: reads tierctl stats --json
	jq
	# kernel-patches/check-series.sh: checkpatch.pl and 6.1 files to apply to
	linux-source-6.1 git perl xz-utils
	# ... kernel headers to compile the trace header in a module, docutils
	# to parse its .rst
	linux-headers-amd64 python3-docutils
)

want=("${build_pkgs[@]}")
[ "${1:-}" = "--build-only" ] || want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
