#!/bin/bash
# Boots the Debian test guest under vx86 (bt) and under QEMU TCG in the same
# run and prints, for the time to the guest's marker and for each in-guest
# benchmark, the seconds each took and the ratio vx86/QEMU. Times are taken
# on the host when each phase's start and end lines reach the console.
# On a shared, noisy host set BENCH_RUNS=N: both emulators then run N times,
# alternating, and each phase's figure is its fastest run.
# usage: tools/bench-linux.sh BUILD_DIR [i386|amd64] [vx86 -accel value]
set -u
BUILD=${1:?usage: bench-linux.sh BUILD_DIR [i386|amd64] [accel]}
ARCH=${2:-i386}
ACCEL=${3:-bt}
HERE=$(cd "$(dirname "$0")" && pwd)
GUESTS=$BUILD/guests-linux
sh "$HERE/mkguest.sh" "$ARCH" "$GUESTS" >&2 || exit 1
case $ARCH in
  i386) QEMU=qemu-system-i386 ;;
  amd64) QEMU=qemu-system-x86_64 ;;
  *) echo "bench-linux: unknown arch $ARCH" >&2; exit 2 ;;
esac
command -v "$QEMU" >/dev/null || { echo "bench-linux: $QEMU missing (apt-get install qemu-system-x86)" >&2; exit 1; }

# Each phase prints BENCH-START name / BENCH-END name around its work.
read -r -d '' SCRIPT <<'GUEST'
b() { echo "BENCH-START $1"; shift; "$@"; echo "BENCH-END"; }
loop() { i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; }
forks() { i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done; }
b seq sh -c 'seq 1 400000 > /tmp/d'
b shell-loop loop
b md5sum md5sum /tmp/d
b sha256sum sha256sum /tmp/d
b gzip sh -c 'gzip -c /tmp/d > /tmp/d.gz'
b gunzip sh -c 'gunzip -c /tmp/d.gz > /dev/null'
b fork-exec forks
GUEST
CMD=$(printf %s "$SCRIPT" | base64 -w0)
APPEND="console=ttyS0 quiet panic=-1 vx86.cmd=$CMD"

# run NAME COMMAND...: prints "phase seconds" lines for one emulator.
run() {
  local name=$1; shift
  local t0 start=0 phase="" now
  t0=$(date +%s.%N)
  "$@" -m 512M -kernel "$GUESTS/vmlinuz-$ARCH" -initrd "$GUESTS/initrd-$ARCH.cpio.gz" \
      -append "$APPEND" -nographic -no-reboot </dev/null 2>/dev/null |
  while IFS= read -r line; do
    now=$(date +%s.%N)
    line=${line%$'\r'}   # no tr here: a pipe would buffer and bunch the lines
    case $line in
      *VX86-GUEST-READY*) echo "boot-to-marker $(awk -v a="$now" -v b="$t0" 'BEGIN { print a - b }')" ;;
      BENCH-START*) phase=${line#BENCH-START }; start=$now ;;
      BENCH-END*) echo "$phase $(awk -v a="$now" -v b="$start" 'BEGIN { print a - b }')" ;;
    esac
  done
}

RUNS=${BENCH_RUNS:-1}
echo "bench-linux: $ARCH guest, vx86 -accel $ACCEL against $QEMU -accel tcg, $RUNS run(s) each" >&2
: > /tmp/bench-vx86.$$
: > /tmp/bench-qemu.$$
for ((r = 1; r <= RUNS; r++)); do
  run vx86 timeout 3600 "$BUILD/vx86" -accel "$ACCEL" >> /tmp/bench-vx86.$$
  run qemu timeout 3600 "$QEMU" -accel tcg >> /tmp/bench-qemu.$$
done
# fastest run of each phase
best() { awk '!($1 in m) || $2 < m[$1] { m[$1] = $2 } END { for (p in m) print p, m[p] }' "$1" | sort; }
printf '%-16s %10s %10s %10s\n' phase vx86-s qemu-s vx86/qemu
join <(best /tmp/bench-vx86.$$) <(best /tmp/bench-qemu.$$) | while read -r p v q; do
  awk -v p="$p" -v v="$v" -v q="$q" 'BEGIN { printf "%-16s %10.2f %10.2f %10.2f\n", p, v, q, (q > 0 ? v / q : 0) }'
done
rm -f /tmp/bench-vx86.$$ /tmp/bench-qemu.$$
