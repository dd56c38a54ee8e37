#!/bin/sh
# Builds vx86's Linux test guests: a Debian 12 kernel and a busybox initramfs,
# from Debian packages fetched with apt but never installed on the host.
#
# Usage: tools/mkguest.sh ARCH OUTDIR          (ARCH = amd64 | i386)
# Output: OUTDIR/vmlinuz-ARCH        the kernel's bzImage
#         OUTDIR/initrd-ARCH.cpio.gz newc cpio, gzip: busybox + /init
#
# Kernels: amd64 takes the package linux-image-amd64 depends on, i386 the one
# linux-image-686 depends on (both linux-image-6.1.0-N-*); busybox comes from
# busybox-static of the same architecture. The .debs are kept in
# OUTDIR/.cache (or $VX86_GUEST_CACHE); OUTDIR/.mkguest-ARCH.stamp records
# the package versions and this script's hash, and a run whose stamp still
# matches does nothing. Root is only needed to enable the i386 architecture
# and to refresh apt's package lists; without root an existing build is
# reused with a warning when apt cannot be asked. Concurrent runs on the same
# OUTDIR are serialised with flock.
#
# What the guest's /init does (the convention boot tests and users rely on):
#  1. mounts devtmpfs on /dev, then proc, sysfs and devpts. The archive
#     holds no device nodes (building it needs no root), so /init opens
#     /dev/console itself and works even if the kernel started it without
#     one (Debian's kernels carry a built-in /dev/console, others may not);
#  2. prints the line  VX86-GUEST-READY  on the console;
#  3. if the kernel command line carries a command, runs it with `sh -c`,
#     prints  VX86-CMD-EXIT=<status>  and powers off with `poweroff -f`;
#     otherwise starts an interactive shell on the console
#     (`setsid cttyhack sh`, so job control works) and powers off when it
#     exits. The command is given either way:
#       vx86.cmd=<base64>   the command's bytes in standard base64 (RFC 4648,
#                           one word, no spaces): any command, quoting and
#                           length (up to the 2 KiB command line). Use this
#                           from scripts:  printf %s "$cmd" | base64 -w0
#       ... -- <command>    everything after the first " -- " in
#                           /proc/cmdline, verbatim. Handy by hand, but the
#                           kernel also counts these words as init arguments
#                           and panics past ~30 of them.
#     vx86.cmd wins if both are present.
# If poweroff cannot work (no ACPI), the kernel panics when init exits; pass
# panic=-1 so that becomes a reset, which -no-reboot turns into an exit.
set -eu

say() { echo "mkguest: $*" >&2; }
die() { echo "mkguest: ${ARCH:-?}: $*" >&2; exit 1; }
# First apt/dpkg error line of a log, so failures stay one line long.
log_reason() {
  { grep '^E:' "$1" || grep -E '^(W|dpkg-deb|tar):' "$1"; } 2>/dev/null | head -n 1 | cut -c1-200
}

[ $# -eq 2 ] || { echo "usage: $0 amd64|i386 OUTDIR" >&2; exit 2; }
ARCH=$1
OUTDIR=$2
case $ARCH in
  amd64) META=linux-image-amd64 ;;
  i386)  META=linux-image-686 ;;
  *) die "unknown architecture (want amd64 or i386)" ;;
esac

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$SCRIPT_DIR/$(basename "$0")
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
CACHE=${VX86_GUEST_CACHE:-$OUTDIR/.cache}
KERNEL_OUT=$OUTDIR/vmlinuz-$ARCH
INITRD_OUT=$OUTDIR/initrd-$ARCH.cpio.gz
STAMP=$OUTDIR/.mkguest-$ARCH.stamp
IS_ROOT=false
[ "$(id -u)" = 0 ] && IS_ROOT=true

# apt and dpkg keep their own locks, but two of us racing on the same
# output files (ctest -j) would not.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$OUTDIR/.mkguest.lock"
  flock 9
fi

WORK=$(mktemp -d "$OUTDIR/.work-$ARCH.XXXXXX") || die "cannot create a scratch directory"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

have_outputs() { [ -s "$KERNEL_OUT" ] && [ -s "$INITRD_OUT" ] && [ -s "$STAMP" ]; }

# Falls back to the previous build when apt cannot be used; fails otherwise.
reuse_or_die() {
  if have_outputs; then
    say "$ARCH: $1; keeping the existing images"
    exit 0
  fi
  die "$1"
}

# --- apt: enable the architecture, resolve the packages ---------------------
host_arch=$(dpkg --print-architecture)
if [ "$ARCH" != "$host_arch" ] && ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
  $IS_ROOT || reuse_or_die "architecture $ARCH is not enabled in dpkg; run as root to enable it"
  say "$ARCH: enabling the $ARCH architecture in dpkg"
  dpkg --add-architecture "$ARCH" || die "dpkg --add-architecture $ARCH failed"
fi
# Sets KPKG (the real kernel package META depends on), KVER and BVER (the
# versions apt would fetch); fails when apt's lists cannot tell.
resolve_packages() {
  KPKG=$(apt-cache depends "$META:$ARCH" 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*\).*/\1/p' | head -n 1)
  [ -n "$KPKG" ] || return 1
  # One policy call for both: apt-cache spends about a second loading lists.
  policy=$(apt-cache policy "$KPKG:$ARCH" "busybox-static:$ARCH" 2>/dev/null) || return 1
  KVER=$(printf '%s\n' "$policy" | awk -v p="$KPKG" '
    /^[^ ]/ { cur = $1; sub(/:$/, "", cur); sub(/:[a-z0-9]+$/, "", cur) }
    /^ *Candidate:/ && cur == p { print $2; exit }')
  BVER=$(printf '%s\n' "$policy" | awk '
    /^[^ ]/ { cur = $1; sub(/:$/, "", cur); sub(/:[a-z0-9]+$/, "", cur) }
    /^ *Candidate:/ && cur == "busybox-static" { print $2; exit }')
  case $KVER in ''|'(none)') return 1 ;; esac
  case $BVER in ''|'(none)') return 1 ;; esac
}
if ! resolve_packages; then
  $IS_ROOT || reuse_or_die "apt cannot resolve $META:$ARCH and busybox-static:$ARCH; run as root to apt-get update"
  say "$ARCH: apt-get update"
  # One unreachable index (say, a mirror mid-sync) fails the whole update
  # but usually leaves the lists we need: judge by what apt can resolve.
  apt-get update -q >"$WORK/apt.log" 2>&1 ||
    say "$ARCH: warning: apt-get update reported errors, going on with the lists it got ($(log_reason "$WORK/apt.log"))"
  resolve_packages ||
    die "apt cannot resolve $META:$ARCH (${KPKG:-no linux-image-6.1.0-* dependency}) and busybox-static:$ARCH from the configured sources"
fi

SELF_HASH=$(sha256sum "$SCRIPT" | cut -d' ' -f1)
printf 'arch=%s\nkernel=%s %s\nbusybox=busybox-static %s\nmkguest=%s\n' \
  "$ARCH" "$KPKG" "$KVER" "$BVER" "$SELF_HASH" >"$WORK/stamp"
if have_outputs && cmp -s "$WORK/stamp" "$STAMP"; then
  say "$ARCH: up to date ($KPKG $KVER, busybox-static $BVER)"
  exit 0
fi

# --- fetch the .debs (apt-get download: nothing is installed) ---------------
mkdir -p "$CACHE" || die "cannot create $CACHE"
# Prints the cached .deb for PKG VERSION, downloading it if needed; drops
# older versions of the same package from the cache.
fetch_deb() {
  pkg=$1 ver=$2
  file=$CACHE/${pkg}_$(printf %s "$ver" | sed 's/:/%3a/g')_$ARCH.deb
  if [ -s "$file" ] && [ "$(dpkg-deb -f "$file" Version 2>/dev/null)" = "$ver" ]; then
    echo "$file"
    return 0
  fi
  say "$ARCH: downloading $pkg $ver"
  dl=$WORK/dl-$pkg
  mkdir -p "$dl"
  sandbox=
  # apt drops to user _apt to download, which cannot write a root-owned
  # build directory; that warning is noise here.
  $IS_ROOT && sandbox="-o APT::Sandbox::User=root"
  # shellcheck disable=SC2086
  (cd "$dl" && apt-get download -q $sandbox "$pkg:$ARCH=$ver") >"$WORK/apt.log" 2>&1 ||
    die "apt-get download $pkg:$ARCH=$ver failed: $(log_reason "$WORK/apt.log")"
  got=$(ls "$dl"/*.deb 2>/dev/null | head -n 1)
  [ -n "$got" ] && [ "$(dpkg-deb -f "$got" Version 2>/dev/null)" = "$ver" ] ||
    die "apt-get download $pkg:$ARCH=$ver produced no usable .deb"
  for old in "$CACHE/${pkg}_"*"_$ARCH.deb"; do
    [ -e "$old" ] && rm -f "$old"
  done
  mv "$got" "$file" || die "cannot move the .deb into $CACHE"
  echo "$file"
}
KDEB=$(fetch_deb "$KPKG" "$KVER") || exit 1
BDEB=$(fetch_deb busybox-static "$BVER") || exit 1

# --- kernel: only /boot/vmlinuz-* is needed, not the ~400 MB of modules ----
say "$ARCH: extracting the kernel from $(basename "$KDEB")"
mkdir -p "$WORK/kernel"
dpkg-deb --fsys-tarfile "$KDEB" 2>"$WORK/deb.log" |
  tar -xf - -C "$WORK/kernel" --wildcards './boot/vmlinuz-*' 2>>"$WORK/deb.log" || true
set -- "$WORK"/kernel/boot/vmlinuz-*
[ $# -eq 1 ] && [ -s "$1" ] || die "no single /boot/vmlinuz-* in $(basename "$KDEB"): $(log_reason "$WORK/deb.log")"
VMLINUZ=$1

# --- initramfs root, built as an ordinary user ------------------------------
say "$ARCH: building the initramfs"
dpkg-deb -x "$BDEB" "$WORK/bb" 2>"$WORK/deb.log" ||
  die "dpkg-deb -x $(basename "$BDEB") failed: $(log_reason "$WORK/deb.log")"
[ -f "$WORK/bb/bin/busybox" ] || die "busybox-static has no /bin/busybox"
ROOT=$WORK/root
mkdir -p "$ROOT/bin" "$ROOT/sbin" "$ROOT/usr/bin" "$ROOT/usr/sbin" "$ROOT/dev" \
  "$ROOT/proc" "$ROOT/sys" "$ROOT/tmp" "$ROOT/run" "$ROOT/root" "$ROOT/etc"
cp "$WORK/bb/bin/busybox" "$ROOT/bin/busybox"
chmod 0755 "$ROOT/bin/busybox"
chmod 1777 "$ROOT/tmp"
chmod 0700 "$ROOT/root"
# Applet links made here when the guest's busybox runs on this host (it is
# static, so it does on any x86-64 host with 32-bit support); otherwise /init
# makes them with `busybox --install -s` at boot.
if applets=$("$ROOT/bin/busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then
  for a in $applets; do
    case $a in bin/busybox|*/*/*/*|/*|*..*) continue ;; esac
    [ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] || ln -s /bin/busybox "$ROOT/$a"
  done
else
  say "$ARCH: cannot run the $ARCH busybox here; /init will install its applets"
fi
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"

cat >"$ROOT/init" <<'EOF'
#!/bin/busybox sh
# vx86 guest init, written by tools/mkguest.sh (its header documents the
# VX86-GUEST-READY / vx86.cmd= / VX86-CMD-EXIT= convention).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
bb=/bin/busybox
# The archive has no device nodes, so the kernel started us without a
# console (fds 0-2 closed): get /dev from devtmpfs, then attach to it.
$bb mount -t devtmpfs devtmpfs /dev
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
$bb mount -t proc proc /proc || echo "init: cannot mount /proc"
$bb mount -t sysfs sysfs /sys || echo "init: cannot mount /sys"
$bb mkdir -p /dev/pts && $bb mount -t devpts devpts /dev/pts
[ -e /bin/sh ] || $bb --install -s

echo VX86-GUEST-READY

read -r cmdline </proc/cmdline
cmd=
set -f
for w in $cmdline; do
  case $w in vx86.cmd=*) cmd64=${w#vx86.cmd=} ;; esac
done
set +f
if [ -n "${cmd64-}" ]; then
  cmd=$(echo "$cmd64" | base64 -d) || { echo "init: vx86.cmd is not valid base64"; cmd="exit 127"; }
else
  c=" $cmdline "
  case $c in *" -- "*) cmd=${c#* -- } ;; esac
  cmd=${cmd% }
fi

cd /
if [ -n "$cmd" ]; then
  sh -c "$cmd"
  echo "VX86-CMD-EXIT=$?"
else
  setsid cttyhack sh
fi
poweroff -f
echo "init: poweroff failed"
EOF
chmod 0755 "$ROOT/init"

# Fixed times and owners make the archive depend only on its inputs.
find "$ROOT" -exec touch -h -d @0 {} + || die "touch failed"
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort |
  cpio -o -H newc -R 0:0 --reproducible --quiet >"$WORK/initrd.cpio") 2>"$WORK/cpio.log" ||
  die "cpio failed: $(tail -n 1 "$WORK/cpio.log")"
gzip -9n <"$WORK/initrd.cpio" >"$WORK/initrd.cpio.gz" || die "gzip failed"

# --- install: images first, stamp last, so a crash leaves no false stamp ----
rm -f "$STAMP"
cp "$VMLINUZ" "$KERNEL_OUT.tmp" && mv "$KERNEL_OUT.tmp" "$KERNEL_OUT" || die "cannot write $KERNEL_OUT"
cp "$WORK/initrd.cpio.gz" "$INITRD_OUT.tmp" && mv "$INITRD_OUT.tmp" "$INITRD_OUT" || die "cannot write $INITRD_OUT"
cp "$WORK/stamp" "$STAMP" || die "cannot write $STAMP"
say "$ARCH: wrote $KERNEL_OUT and $INITRD_OUT ($KPKG $KVER, busybox-static $BVER)"
