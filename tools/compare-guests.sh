#!/bin/sh
# Runs every test guest of a build under QEMU and under vx86, both with KVM,
# and prints a table: each side's result against tests/guests/<name>.expected
# and whether the two COM1 outputs are byte-for-byte identical. Builds nothing.
#
# usage: tools/compare-guests.sh [-o OUTDIR] BUILD_DIR [GUEST...]
#   -o OUTDIR  keep each run's COM1 output and stderr there
#              (<guest>.qemu.out/.err, <guest>.vx86.out/.err)
#   GUEST      names to run (default: every BUILD_DIR/guests/*.bin)
# Environment: QEMU (default qemu-system-x86_64), QEMU_ACCEL and VX86_ACCEL
# (default kvm), TIMEOUT seconds per run (default 30).
set -u

usage() {
  echo "usage: $0 [-o OUTDIR] BUILD_DIR [GUEST...]" >&2
  exit 2
}

outdir=
while getopts o:h opt; do
  case $opt in
    o) outdir=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
build=$1
shift

srcdir=$(cd "$(dirname "$0")/.." && pwd)
expected_dir=$srcdir/tests/guests
qemu=${QEMU:-qemu-system-x86_64}
qemu_accel=${QEMU_ACCEL:-kvm}
vx86_accel=${VX86_ACCEL:-kvm}
timeout_s=${TIMEOUT:-30}
vx86=$build/vx86

if [ ! -d "$build/guests" ]; then
  echo "$0: no $build/guests: build the vx86_guests target first" >&2
  exit 2
fi
[ -x "$vx86" ] || echo "$0: warning: no $vx86; its column will say so" >&2
command -v "$qemu" >/dev/null 2>&1 || echo "$0: warning: $qemu not found; its column will say so" >&2

if [ -n "$outdir" ]; then
  mkdir -p "$outdir" || exit 2
  work=$outdir
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/vx86-compare.XXXXXX") || exit 2
  trap 'rm -rf "$work"' EXIT
fi
trap 'exit 1' INT TERM

if [ $# -gt 0 ]; then
  guests="$*"
else
  guests=$(cd "$build/guests" && ls *.bin 2>/dev/null | sed 's/\.bin$//')
fi
[ -n "$guests" ] || { echo "$0: no guests in $build/guests" >&2; exit 2; }

# run OUT ERR COMMAND...: sets rc and note (""/timeout/emulation). A KVM
# emulation failure pauses QEMU instead of ending it, so it is watched for.
emul_pattern='emulation failure|suberror:? 1([^0-9]|$)'
run() {
  out=$1 err=$2
  shift 2
  : >"$err"
  "$@" </dev/null >"$out" 2>"$err" &
  pid=$!
  ticks=0
  note=
  while kill -0 "$pid" 2>/dev/null; do
    if grep -qiE "$emul_pattern" "$err"; then note=emulation; break; fi
    ticks=$((ticks + 1))
    if [ "$ticks" -ge $((timeout_s * 10)) ]; then note=timeout; break; fi
    sleep 0.1
  done
  if [ -n "$note" ]; then
    kill -TERM "$pid" 2>/dev/null
    n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid"
  rc=$?
  [ -z "$note" ] && grep -qiE "$emul_pattern" "$err" && note=emulation
}

# verdict NAME OUT: one word for the table from rc, note and the output
verdict() {
  if [ "$note" = timeout ]; then echo "timeout"; return; fi
  if [ "$note" = emulation ]; then echo "skip:kvm-emul"; return; fi
  if [ "$rc" = 65 ]; then echo "skip:guest"; return; fi
  if [ "$rc" = 77 ]; then echo "skip:no-kvm"; return; fi
  if tr -d '\r' <"$2" | cmp -s - "$expected_dir/$1.expected"; then
    if [ "$rc" = 33 ]; then echo "pass"; else echo "fail:exit=$rc"; fi
  else
    echo "fail:output,exit=$rc"
  fi
}

printf '%-16s %-22s %-22s %s\n' guest "qemu -accel $qemu_accel" "vx86 -accel $vx86_accel" identical
printf '%-16s %-22s %-22s %s\n' ---------------- ---------------------- ---------------------- ---------
npass=0
nguests=0
for g in $guests; do
  bin=$build/guests/$g.bin
  nguests=$((nguests + 1))
  if [ ! -f "$bin" ]; then
    printf '%-16s %s\n' "$g" "no $bin"
    continue
  fi
  if command -v "$qemu" >/dev/null 2>&1; then
    run "$work/$g.qemu.out" "$work/$g.qemu.err" "$qemu" -accel "$qemu_accel" -bios "$bin" \
      -display none -nodefaults -serial stdio -no-reboot \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04
    q=$(verdict "$g" "$work/$g.qemu.out")
  else
    : >"$work/$g.qemu.out"
    q="no-qemu"
  fi
  if [ -x "$vx86" ]; then
    run "$work/$g.vx86.out" "$work/$g.vx86.err" "$vx86" -accel "$vx86_accel" -bios "$bin" \
      -nographic -serial stdio -no-reboot
    v=$(verdict "$g" "$work/$g.vx86.out")
  else
    : >"$work/$g.vx86.out"
    v="no-vx86"
  fi
  if cmp -s "$work/$g.qemu.out" "$work/$g.vx86.out"; then same=yes; else same=no; fi
  [ "$v" = pass ] && npass=$((npass + 1))
  printf '%-16s %-22s %-22s %s\n' "$g" "$q" "$v" "$same"
done
echo "vx86 passed $npass of $nguests guests${outdir:+; outputs in $outdir}"
