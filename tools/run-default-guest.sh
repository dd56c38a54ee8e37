#!/bin/sh
# `make run`: boots the default Linux guest (tools/mkguest.sh) on vx86 with
# an interactive shell on the serial console; `exit` powers the guest off.
#
# Usage: tools/run-default-guest.sh BUILD_DIR [more vx86 options...]
# Environment:
#   VX86_GUEST_ARCH    amd64 (the default) or i386; -accel auto runs either
#                      on kvm where the CPU has VT-x/AMD-V, on bt elsewhere.
#   VX86_GUEST_APPEND  extra kernel command-line arguments, e.g. "quiet", or
#                      "-- uname -a" to run one command instead of a shell
#                      (see tools/mkguest.sh for the guest's conventions).
# The images are built into BUILD_DIR/guests-linux when missing (needs apt,
# and root the first time); `cmake --build BUILD_DIR --target guest-images`
# refreshes them.
set -eu

die() { echo "run-default-guest: $*" >&2; exit 1; }

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [vx86 options...]" >&2; exit 2; }
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
vx86=$build/vx86
[ -x "$vx86" ] || die "$vx86 does not exist yet; build vx86 first (make build)"

arch=${VX86_GUEST_ARCH:-amd64}
case $arch in amd64|i386) ;; *) die "VX86_GUEST_ARCH must be amd64 or i386, not '$arch'" ;; esac
dir=$build/guests-linux
kernel=$dir/vmlinuz-$arch
initrd=$dir/initrd-$arch.cpio.gz
if [ ! -s "$kernel" ] || [ ! -s "$initrd" ]; then
  sh "$here/mkguest.sh" "$arch" "$dir" || die "cannot build the $arch guest images (see above)"
fi

append="console=ttyS0${VX86_GUEST_APPEND:+ $VX86_GUEST_APPEND}"
echo "run-default-guest: booting the $arch guest; type 'exit' in its shell to power off" >&2
exec "$vx86" -m 512M -kernel "$kernel" -initrd "$initrd" -append "$append" -nographic "$@"
