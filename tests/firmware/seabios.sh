#!/bin/sh
# Boots Debian's SeaBIOS with no other option and checks that its banner and
# boot attempts reach the serial console.
# usage: seabios.sh VX86 ACCEL   (exit 77 = skipped)
VX86=$1
ACCEL=$2
BIOS=/usr/share/seabios/bios-256k.bin
[ -r "$BIOS" ] || { echo "SKIP: $BIOS missing (apt-get install seabios)"; exit 77; }
if [ "$ACCEL" = kvm ] && ! [ -r /dev/kvm -a -w /dev/kvm ]; then
  echo "SKIP: /dev/kvm is missing or not accessible"; exit 77
fi
out=$(mktemp)
# SeaBIOS never ends by itself when no disk boots: give it a few seconds.
timeout 15 "$VX86" -accel "$ACCEL" -nographic -serial "file:$out" </dev/null
st=$?
tr -d '\r' < "$out" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' > "$out.txt"
cat "$out.txt"
rm -f "$out"
if [ "$st" != 124 ]; then
  echo "FAIL: vx86 ended with status $st before the timeout"
  rm -f "$out.txt"; exit 1
fi
ok=0
grep -q "^SeaBIOS (version " "$out.txt" && grep -q "Booting from " "$out.txt" && ok=1
rm -f "$out.txt"
[ $ok = 1 ] || { echo "FAIL: SeaBIOS banner or boot attempt missing"; exit 1; }
echo "SeaBIOS banner and boot attempts seen"
