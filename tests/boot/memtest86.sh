#!/bin/sh
# Runs Debian's memtest86+ (64-bit image, loaded with -kernel) on vx86 and
# passes when it completes its first pass over all of a small memory with
# no errors, as its serial console reports ("Pass:  1  Errors: 0").
#
# Usage: memtest86.sh VX86 ACCEL IMAGE_DIR LOG [MEMORY] [TIMEOUT_SECONDS]
# Exit status: 0 pass, 1 fail, 77 skip (the image cannot be fetched here).
set -u

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
[ $# -ge 4 ] || { echo "usage: $0 VX86 ACCEL IMAGE_DIR LOG [MEMORY] [TIMEOUT]" >&2; exit 2; }
vx86=$1 accel=$2 dir=$3 log=$4 mem=${5:-24M} limit=${6:-900}
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/../../tools/fetch-memtest.sh" "$dir" || skip "memtest86+ image not available (see the line above)"
image=$dir/memtest86+x64.bin

echo "running: $vx86 -accel $accel -m $mem -kernel $image -append console=ttyS0 -nographic -no-reboot"
"$vx86" -accel "$accel" -m "$mem" -kernel "$image" -append console=ttyS0 -nographic -no-reboot \
  </dev/null >"$log" 2>&1 &
pid=$!
start=$(date +%s)
status=running
while :; do
  sleep 2
  # memtest redraws its status line; after the first pass it says
  # "Pass:  1 ... Errors: N".
  if grep -aEq 'Pass: +[1-9][0-9]* +Errors: +[0-9]+' "$log"; then
    status=passed
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    status=exited
    break
  fi
  [ $(( $(date +%s) - start )) -lt "$limit" ] || { status=timeout; break; }
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
elapsed=$(( $(date +%s) - start ))
last=$(grep -aEo 'Pass: +[0-9]+ +Errors: +[0-9]+' "$log" | tail -n 1)
errors=$(grep -aEo 'Errors: +[0-9]+' "$log" | awk '{ if ($2 > m) m = $2 } END { print m + 0 }')
case $status in
  passed) ;;
  exited) fail "vx86 ended before memtest86+ completed a pass (last status: ${last:-none}); see $log" ;;
  timeout) fail "no completed pass within ${limit}s (last status: ${last:-none}); see $log" ;;
esac
[ "$errors" -eq 0 ] || fail "memtest86+ reported $errors errors; see $log"
echo "PASS: memtest86+ completed a pass over $mem with no errors in ${elapsed}s ($last)"
