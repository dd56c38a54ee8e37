#!/bin/sh
# Installs the Debian packages vx86 needs to build, test and boot its guests,
# skipping what is already there. Needs root (apt-get).
set -e
PKGS="cmake make gcc pkg-config libcapstone-dev libsdl2-dev zlib1g-dev check nasm
gcc-multilib seabios qemu-system-x86 cpio busybox-static xz-utils"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "vx86: missing Debian packages:$missing; run as root (apt-get) or install them" >&2
  exit 1
fi
echo "vx86: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
