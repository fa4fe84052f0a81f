#!/bin/sh
# mkinitrd.sh MODDIR TESTBIN OUT: a gzipped initramfs with a static busybox,
# the VLAN modules from MODDIR, the Go test binary and ./init.
set -eu
moddir=$1 testbin=$2 out=$3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/lib/modules"
cp /bin/busybox "$root/bin/busybox" # from busybox-static, so no libraries needed
for m in llc stp garp mrp 8021q dummy; do
  f=$(find "$moddir" -name "$m.ko*" | head -n 1)
  case "$f" in
    *.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;; # later kernels may compress
    *.ko.zst) zstd -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *.ko) cp "$f" "$root/lib/modules/$m.ko" ;;
    *) echo "mkinitrd: module $m not found under $moddir" >&2; exit 1 ;;
  esac
done
cp "$testbin" "$root/bin/netsetup.test"
cp "$(dirname "$0")/init" "$root/init"
chmod 755 "$root/init" "$root/bin/netsetup.test"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
