#!/bin/sh
# Boot-test driver: boots a Linux guest from tools/mkguest.sh on an emulator,
# runs one command in it and checks the console output.
#
# Usage: run-linux.sh --emulator PATH --arch amd64|i386 --accel ACCEL
#                     --cmd COMMAND --expect REGEX
#                     [--mkguest PATH] [--guest-dir DIR] [--timeout SECONDS]
#                     [--append "EXTRA KERNEL ARGS"] [--log FILE]
#
# The emulator is vx86, or any program taking QEMU's options (the tests can be
# pointed at qemu-system-x86_64 as a reference). It is run as
#   EMULATOR -accel ACCEL -m 512M -kernel DIR/vmlinuz-ARCH
#            -initrd DIR/initrd-ARCH.cpio.gz -nographic -no-reboot
#            -append "console=ttyS0 panic=-1 EXTRA vx86.cmd=<COMMAND in base64>"
# with stdin from /dev/null. panic=-1 turns a kernel panic into a reset, which
# -no-reboot turns into an exit, so a broken boot fails fast instead of
# hanging until the timeout. Missing images are built with mkguest.sh first.
#
# Pass: the guest printed VX86-GUEST-READY, a line of the command's output
# (between that marker and VX86-CMD-EXIT=) matches the extended regex REGEX
# (grep -E, one line at a time, carriage returns removed), the command
# exited 0, no kernel panic was printed, and the emulator exited 0 by itself
# (the guest powers off) within the timeout.
# Exit status: 0 pass, 1 fail, 77 skip (the accelerator is not available
# here; the reason is printed), 2 usage error.
set -u

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
usage() { echo "run-linux.sh: $*" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
emulator='' arch='' accel='' cmd='' expect='' have_cmd=false have_expect=false
mkguest=$HERE/../../tools/mkguest.sh
guest_dir=
timeout_s=300
append=
log=
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage "option $1 needs a value"
  case $1 in
    --emulator)  emulator=$2 ;;
    --arch)      arch=$2 ;;
    --accel)     accel=$2 ;;
    --cmd)       cmd=$2; have_cmd=true ;;
    --expect)    expect=$2; have_expect=true ;;
    --mkguest)   mkguest=$2 ;;
    --guest-dir) guest_dir=$2 ;;
    --timeout)   timeout_s=$2 ;;
    --append)    append=$2 ;;
    --log)       log=$2 ;;
    *) usage "unknown option $1" ;;
  esac
  shift 2
done
[ -n "$emulator" ] && [ -n "$arch" ] && [ -n "$accel" ] && $have_cmd && $have_expect ||
  usage "--emulator, --arch, --accel, --cmd and --expect are required"
[ -n "$cmd" ] || usage "--cmd must not be empty (an empty command means an interactive shell)"
case $arch in amd64|i386) ;; *) usage "--arch must be amd64 or i386" ;; esac
case $timeout_s in ''|*[!0-9]*) usage "--timeout must be a number of seconds" ;; esac
[ -n "$guest_dir" ] || guest_dir=$(pwd)/guests-linux
[ -n "$log" ] || log=$(pwd)/boot-$arch-$accel.log

# --- is the accelerator usable here? ----------------------------------------
case $accel in
  kvm)
    case $(uname -m) in x86_64|i?86) ;; *) skip "kvm needs an x86 host, this is $(uname -m)" ;; esac
    [ -e /dev/kvm ] || skip "kvm: /dev/kvm does not exist (no KVM on this host)"
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "kvm: no read/write access to /dev/kvm for $(id -un)"
    ;;
esac
command -v "$emulator" >/dev/null 2>&1 || fail "emulator $emulator not found"

# --- guest images ------------------------------------------------------------
kernel=$guest_dir/vmlinuz-$arch
initrd=$guest_dir/initrd-$arch.cpio.gz
if [ ! -s "$kernel" ] || [ ! -s "$initrd" ]; then
  echo "building the $arch guest images in $guest_dir"
  sh "$mkguest" "$arch" "$guest_dir" || fail "cannot build the $arch guest images (see the mkguest line above)"
fi

# --- boot --------------------------------------------------------------------
cmd64=$(printf %s "$cmd" | base64 -w0) || fail "base64 failed"
cmdline="console=ttyS0 panic=-1${append:+ $append} vx86.cmd=$cmd64"
echo "command: $cmd"
echo "running: $emulator -accel $accel -m 512M -kernel $kernel -initrd $initrd -append \"$cmdline\" -nographic -no-reboot"
raw=$log.raw
start=$(date +%s)
timeout -k 10 "$timeout_s" "$emulator" -accel "$accel" -m 512M -kernel "$kernel" -initrd "$initrd" \
  -append "$cmdline" -nographic -no-reboot </dev/null >"$raw" 2>&1
rc=$?
end=$(date +%s)
tr -d '\r' <"$raw" >"$log" && rm -f "$raw"

show_log() {
  echo "--- last 40 lines of $log ---"
  tail -n 40 "$log"
  echo "---"
}
check() { # CONDITION-MET? REASON
  if ! "$1"; then
    show_log
    fail "$2"
  fi
}

marker_seen() { grep -q 'VX86-GUEST-READY' "$log"; }
no_panic() { ! grep -q 'Kernel panic' "$log"; }
exit_line() { grep -o 'VX86-CMD-EXIT=[0-9]*' "$log" | head -n 1; }
# The command's output: what the console printed between the two markers.
cmd_output() {
  awk '/VX86-CMD-EXIT=/ { sub(/VX86-CMD-EXIT=.*/, ""); if (on && $0 != "") print; exit }
       on { print }
       /VX86-GUEST-READY/ { on = 1 }' "$log"
}
output_matches() { cmd_output | grep -Eq -- "$expect"; }

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  show_log
  if marker_seen; then
    fail "timed out after ${timeout_s}s (the guest reached VX86-GUEST-READY; $(exit_line || true))"
  fi
  fail "timed out after ${timeout_s}s before VX86-GUEST-READY"
fi
check marker_seen "the guest never printed VX86-GUEST-READY (emulator exit status $rc)"
check no_panic "the kernel panicked"
st=$(exit_line)
st=${st#VX86-CMD-EXIT=}
[ -n "$st" ] || { show_log; fail "no VX86-CMD-EXIT= line: the command did not finish"; }
[ "$st" = 0 ] || { show_log; fail "the command exited with status $st"; }
check output_matches "no line of the command's output matches: $expect"
[ "$rc" -eq 0 ] || { show_log; fail "the emulator exited with status $rc after the guest powered off"; }
echo "PASS: $arch guest on $emulator -accel $accel in $((end - start))s; output:"
cmd_output | sed 's/^/  | /'
exit 0
