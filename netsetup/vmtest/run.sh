#!/usr/bin/env bash
# Runs netsetup's kernel test (TestApplyVM) in a QEMU VM with Debian's stock
# kernel, because the build machine's kernel has no 802.1Q and no dummy
# links. Needs root (apt-get). Work dir: $VLANVM_WORK (the kernel is cached
# there, so a rerun takes seconds). Last line: "vlanvm: N passed, N failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
W=${VLANVM_WORK:-/tmp/ispacct-vlanvm}
mkdir -p "$W"
# Every way out ends with the closing line; a step that fails counts as a failure.
summary=""
trap '[ -n "$summary" ] || echo "vlanvm: 0 passed, 1 failed"' EXIT
t0=$(date +%s%N)
lap() { local ms=$((($(date +%s%N) - t0) / 1000000)); printf '[vlanvm %d.%03ds] %s\n' $((ms / 1000)) $((ms % 1000)) "$*"; }

# Other jobs on the machine may run apt at the same time: wait for its lock.
aptget() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }

# 1. Host tools; without recommends it is ~30 packages instead of ~180. The
#    install is tried twice in case a concurrent apt run disturbs it.
if ! command -v qemu-system-x86_64 >/dev/null || ! [ -x /bin/busybox ] || ! command -v cpio >/dev/null || ! command -v xz >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  aptget update -qq
  aptget install -y -qq --no-install-recommends qemu-system-x86 busybox-static cpio xz-utils >"$W/apt.log" 2>&1 ||
    aptget install -y -qq --no-install-recommends qemu-system-x86 busybox-static cpio xz-utils >"$W/apt.log" 2>&1 ||
    { cat "$W/apt.log"; exit 1; }
fi
lap "packages ready"

# 2. Debian's kernel, unpacked, never installed. The archive keeps only the
#    current ABI, so the package name is resolved on every run.
kpkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
pkg=$(kpkg)
[ -n "$pkg" ] || { aptget update -qq; pkg=$(kpkg); }
[ -n "$pkg" ] || { echo "vlanvm: cannot resolve linux-image-amd64" >&2; exit 1; }
K=$W/$pkg
if ! [ -s "$K/vmlinux" ] && ! ls "$K"/boot/vmlinuz-* >/dev/null 2>&1; then
  rm -rf "$K.tmp" && mkdir -p "$K.tmp"
  # apt-get warns that the download is unsandboxed as root: harmless.
  (cd "$K.tmp" && { apt-get download -qq "$pkg" 2>/dev/null || { aptget update -qq && apt-get download -qq "$pkg"; }; })
  dpkg-deb --fsys-tarfile "$K.tmp"/*.deb | tar -x -C "$K.tmp" --wildcards './boot/vmlinuz-*' \
    '*/net/8021q/8021q.ko*' '*/net/802/garp.ko*' '*/net/802/mrp.ko*' '*/net/802/stp.ko*' \
    '*/net/llc/llc.ko*' '*/drivers/net/dummy.ko*'
  rm -f "$K.tmp"/*.deb
  # Under TCG the ELF vmlinux booted through PVH starts in ~2 s instead of
  # ~6 s: no real-mode setup and no in-guest decompression. xz exits 1 on
  # the bzImage's trailing bytes, so check the ELF magic instead.
  img=$(ls "$K.tmp"/boot/vmlinuz-*)
  off=$(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$img" | head -n 1 | cut -d: -f1 || true)
  if [ -n "$off" ]; then
    { tail -c +$((off + 1)) "$img" | xz -dc >"$K.tmp/vmlinux" 2>/dev/null; } || true
    [ "$(head -c 4 "$K.tmp/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] || rm -f "$K.tmp/vmlinux"
  fi
  rm -rf "$K" && mv "$K.tmp" "$K"
fi
kimg=$K/vmlinux
[ -s "$kimg" ] || kimg=$(ls "$K"/boot/vmlinuz-*)
lap "kernel $pkg ready ($(basename "$kimg"))"

# 3. A static test binary (the initramfs has no libc, and no zoneinfo for
#    the test helpers that load a time zone: timetzdata embeds it).
(cd "$here/.." && CGO_ENABLED=0 go test -c -tags timetzdata -o "$W/netsetup.test" .)
lap "test binary built"
"$here/mkinitrd.sh" "$K/lib/modules" "$W/netsetup.test" "$W/initrd.gz"
lap "initramfs built ($(du -k "$W/initrd.gz" | cut -f1) KiB)"

# 4. Boot. KVM only with real VT-x/AMD-V: a PVM-backed /dev/kvm cannot run
#    a stock kernel. -nic none: the VM has no network, it only makes links.
accel="-accel tcg -cpu max"
if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then accel="-enable-kvm -cpu host"; fi
# The console speaks to a terminal: the firmware resets it and turns off
# line wrap (ESC c, ESC [?7l), which would act on the one make runs in.
# Control sequences are dropped, and a lone ESC too; the text stays.
plain() { LC_ALL=C sed -u -E 's/\x1b\[[0-?]*[ -/]*[@-~]//g; s/\x1b[@-~]//g; s/\x1b//g'; }
rc=0
timeout "${VLANVM_TIMEOUT:-180}" qemu-system-x86_64 $accel -m 512 -nographic -no-reboot -nic none \
  -kernel "$kimg" -initrd "$W/initrd.gz" -append 'console=ttyS0 panic=-1 quiet' </dev/null 2>&1 |
  tr -d '\r' | plain | tee "$W/serial.log" || rc=$?
lap "VM finished (rc $rc, $accel)"

# QEMU exits 0 whatever the test did: judge by the marker line.
passed=$(grep -c -- '--- PASS' "$W/serial.log" || true)
failed=$(grep -c -- '--- FAIL' "$W/serial.log" || true)
if ! grep -q '^=== VLANVM RESULT: PASS' "$W/serial.log" || [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then
  [ "$failed" -gt 0 ] || failed=1
  summary="vlanvm: $passed passed, $failed failed"
  echo "$summary"
  exit 1
fi
summary="vlanvm: $passed passed, $failed failed"
echo "$summary"
