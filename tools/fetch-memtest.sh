#!/bin/sh
# Fetches memtest86+ from Debian's memtest86+ package (apt-get download:
# nothing is installed on the host) and leaves its 64-bit Linux-boot-protocol
# image as DIR/memtest86+x64.bin.
#
# Usage: tools/fetch-memtest.sh DIR
# Exit status: 0 with the image in place, 1 when it cannot be fetched (the
# reason on one line).
set -eu

die() { echo "fetch-memtest: $*" >&2; exit 1; }
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
out=$dir/memtest86+x64.bin
[ -s "$out" ] && exit 0
mkdir -p "$dir" || die "cannot create $dir"
command -v apt-get >/dev/null 2>&1 || die "apt-get is not available to fetch the memtest86+ package"
work=$(mktemp -d "${TMPDIR:-/tmp}/vx86-memtest.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$work"' EXIT INT TERM
if ! (cd "$work" && apt-get download memtest86+ >apt.log 2>&1); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q >"$work/update.log" 2>&1 || true
    (cd "$work" && apt-get download memtest86+ >apt.log 2>&1) ||
      die "apt-get download memtest86+ failed: $(grep -m1 -E '^(E|W):' "$work/apt.log" || tail -n1 "$work/apt.log")"
  else
    die "apt-get download memtest86+ failed (run as root once to refresh apt's lists): $(grep -m1 -E '^(E|W):' "$work/apt.log" || tail -n1 "$work/apt.log")"
  fi
fi
deb=$(ls "$work"/memtest86+_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || die "apt-get download left no memtest86+ .deb"
dpkg-deb -x "$deb" "$work/x" || die "cannot unpack $deb"
[ -s "$work/x/boot/memtest86+x64.bin" ] || die "$deb has no boot/memtest86+x64.bin"
cp "$work/x/boot/memtest86+x64.bin" "$out.tmp" && mv "$out.tmp" "$out" || die "cannot write $out"
echo "fetch-memtest: $(basename "$deb") -> $out"
