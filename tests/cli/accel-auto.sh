#!/bin/sh
# -accel auto must say on stderr which engine it chose and why, matching
# what the host CPU advertises.
VX86=$1
GUEST=$2   # a bare-metal guest that ends by itself
err=$(timeout 20 "$VX86" -bios "$GUEST" -nographic -no-reboot -serial none 2>&1 >/dev/null </dev/null)
echo "$err"
if grep -qwE 'vmx|svm' /proc/cpuinfo; then
  printf '%s' "$err" | grep -q "accel auto: chose kvm: the host CPU has" && exit 0
  printf '%s' "$err" | grep -q "accel auto: chose bt: the host CPU has .* but" && exit 0
else
  printf '%s' "$err" | grep -q "accel auto: chose bt: the host CPU shows neither VT-x nor AMD-V" && exit 0
fi
echo "FAIL: no explained choice of engine"
exit 1
