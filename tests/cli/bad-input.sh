#!/bin/sh
# Every kind of bad command line must give one line on stderr naming the
# problem and exit status 2, never a crash or a hang.
# usage: bad-input.sh VX86 SCRATCH_DIR
VX86=$1
T=$2
mkdir -p "$T"
printf 'this is not a kernel, just text padding it out\n%.0s' $(seq 1 200) > "$T/notakernel"
: > "$T/empty"
chmod 000 "$T/unreadable" 2>/dev/null || { echo data > "$T/unreadable"; chmod 000 "$T/unreadable"; }
fail=0
pass=0
check() {
  expect=$1; shift
  out=$(timeout 20 "$VX86" "$@" 2>&1 </dev/null)
  st=$?
  lines=$(printf '%s\n' "$out" | grep -c .)
  if [ "$st" != 2 ] || [ "$lines" != 1 ] || ! printf '%s' "$out" | grep -qiE -- "$expect"; then
    echo "FAIL: vx86 $*: status $st, output:"; printf '%s\n' "$out" | sed 's/^/    /'
    fail=$((fail+1))
  else
    echo "ok: vx86 $* -> $out"
    pass=$((pass+1))
  fi
}
check "unknown option" -frobnicate
check "needs a value" -m
check "needs a value" -kernel
check "at least 2 MiB" -m 0
check "more than" -m 99999G
check "not a memory size" -m lots
check "SMP" -smp 2
check "cannot open" -kernel "$T/does-not-exist"
check "not a bzImage" -kernel "$T/notakernel"
check "too small" -kernel "$T/empty"
check "cannot open BIOS" -bios "$T/does-not-exist"
check "size 0" -bios "$T/empty"
check "needs -kernel" -initrd "$T/notakernel"
check "unknown accelerator" -accel warp
check "-serial" -serial bogus
check "unexpected argument" disk.img
check "unknown log item" -d nonsense
# A file that cannot be read: only meaningful when not running as root.
if [ "$(id -u)" != 0 ]; then check "cannot open" -kernel "$T/unreadable"; fi
check "cannot (open|read).*directory" -kernel "$T"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
