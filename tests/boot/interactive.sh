#!/bin/sh
# The `make run` path, typed into: boots the default guest with
# tools/run-default-guest.sh (the amd64 guest, under -accel auto), waits for
# the shell prompt, types two commands one character at a time as a person
# would, checks what they print, types `exit` and expects vx86 to end with
# status 0 when the guest powers off.
#
# Usage: interactive.sh BUILD_DIR LOG [TIMEOUT_SECONDS]
# Exit status: 0 pass, 1 fail.
set -u

fail() { echo "FAIL: $*"; [ -f "$log" ] && { echo "--- last 20 lines of $log ---"; tail -n 20 "$log"; }; exit 1; }
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR LOG [TIMEOUT]" >&2; exit 2; }
build=$1 log=$2 limit=${3:-300}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vx86-interactive.XXXXXX") || fail "mktemp failed"
fifo=$work/in
mkfifo "$fifo" || fail "mkfifo failed"
trap 'exec 3>&- 2>/dev/null; kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT INT TERM

sh "$here/../../tools/run-default-guest.sh" "$build" <"$fifo" >"$log" 2>&1 &
pid=$!
exec 3>"$fifo"
start=$(date +%s)

# wait_for PATTERN COUNT: until the log has COUNT lines matching PATTERN.
wait_for() {
  while [ "$(tr -d '\r' <"$log" | grep -c -- "$1")" -lt "$2" ]; do
    kill -0 "$pid" 2>/dev/null || fail "vx86 ended while waiting for '$1'"
    [ $(( $(date +%s) - start )) -lt "$limit" ] || fail "no '$1' within ${limit}s"
    sleep 1
  done
}
# type_line TEXT: one character at a time, then Enter.
type_line() {
  printf '%s\n' "$1" | fold -w1 | while IFS= read -r ch; do
    printf '%s' "$ch" >&3
    sleep 0.05
  done
  printf '\r' >&3
}

wait_for '^/ # ' 1
type_line 'uname -m'
wait_for '^x86_64$' 1
type_line 'echo typed-$((6*7))'
wait_for '^typed-42$' 1
type_line 'exit'
while kill -0 "$pid" 2>/dev/null; do
  [ $(( $(date +%s) - start )) -lt "$limit" ] || fail "vx86 did not end after exit"
  sleep 1
done
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || fail "vx86 exited with status $rc after the guest powered off"
echo "PASS: shell prompt reached, typed commands ran, exit powered off in $(( $(date +%s) - start ))s"
