#!/bin/sh
# Garbage execution: random 64 KiB images run as the BIOS, so the CPU starts
# in noise and goes wherever it leads. vx86 must never crash: each run ends
# by itself (triple fault under -no-reboot, a debug-exit write, an engine's
# "cannot run this" message) or is still running when the time is up; a
# death by signal or a sanitizer report fails the test.
# usage: garbage.sh VX86 MKGARBAGE ACCEL FIRST_SEED COUNT SCRATCH
VX86=$1 MK=$2 ACCEL=$3 FIRST=$4 COUNT=$5 T=$6
mkdir -p "$T"
if [ "$ACCEL" = kvm ] && ! [ -r /dev/kvm -a -w /dev/kvm ]; then
  echo "SKIP: /dev/kvm is missing or not accessible"; exit 77
fi
fail=0 ended=0 running=0
seed=$FIRST
last=$((FIRST + COUNT - 1))
while [ "$seed" -le "$last" ]; do
  img="$T/garbage-$seed.bin"
  "$MK" "$seed" "$img" || exit 2
  timeout -s KILL 2 "$VX86" -accel "$ACCEL" -bios "$img" -nographic -no-reboot \
    -serial none -m 32M </dev/null >"$T/out-$seed" 2>"$T/err-$seed"
  st=$?
  if [ "$st" = 137 ]; then
    running=$((running + 1))   # killed by our own timeout: still executing noise
  elif [ "$st" -gt 128 ] || grep -q -e "Sanitizer" -e "runtime error" "$T/err-$seed"; then
    echo "FAIL: seed $seed: status $st"; head -5 "$T/err-$seed"
    fail=$((fail + 1))
  else
    ended=$((ended + 1))
  fi
  seed=$((seed + 1))
done
echo "$ACCEL: $COUNT garbage images, $ended ended by themselves, $running still running at the limit"
echo "$((COUNT - fail)) passed, $fail failed"
[ "$fail" = 0 ]
