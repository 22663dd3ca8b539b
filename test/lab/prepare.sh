#!/usr/bin/env bash
# Prepares the lab's guest: Debian's kernel (downloaded with apt, never installed), its modules,
# the uncompressed vmlinux QEMU boots fastest under TCG, and a busybox initramfs that mounts this
# machine's root read-only over 9p with a tmpfs overlay (so the guest has strongSwan, iproute2...).
# Everything lands in build/lab. See ../../../shared/LAB.md for what was measured to work.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-build/lab}
mkdir -p "$OUT"
cd "$OUT"
PKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
KVER=${PKG#linux-image-}
if [ ! -f "kernel-$KVER/vmlinux" ]; then
  rm -rf "kernel-$KVER" && mkdir -p "kernel-$KVER"
  ls "$PKG"_*.deb >/dev/null 2>&1 || apt-get download "$PKG" 2>/dev/null
  dpkg-deb -x "$PKG"_*.deb "kernel-$KVER/root"
  depmod -b "kernel-$KVER/root" "$KVER"
  python3 - "kernel-$KVER/root/boot/vmlinuz-$KVER" "kernel-$KVER/vmlinux" <<'PY'
import lzma, sys
data = open(sys.argv[1], 'rb').read()
at = data.find(b'\xfd7zXZ\x00')
if at < 0: sys.exit('no xz stream in vmlinuz')
d = lzma.LZMADecompressor()
open(sys.argv[2], 'wb').write(d.decompress(data[at:]))
PY
fi
ROOT="kernel-$KVER/root"
MODULES="9p 9pnet_virtio virtio_net virtio_pci overlay esp4 ah4 xfrm_user xfrm4_tunnel tunnel4 xfrm_ipcomp authenc gcm ccm ctr seqiv echainiv jitterentropy_rng sha512_generic drbg ghash_generic aesni_intel aes_generic sha256_generic sha1_generic hmac cbc dummy veth bridge nf_tables nft_chain_nat nft_nat nf_nat nf_conntrack"
rm -rf initramfs && mkdir -p initramfs/bin initramfs/lib/modules
cp /bin/busybox initramfs/bin/busybox
: > initramfs/modules.order
for m in $MODULES; do
  modprobe -d "$ROOT" -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}' | while read -r path; do
    base=$(basename "$path")
    if ! grep -qx "$base" initramfs/modules.order; then
      cp "$path" "initramfs/lib/modules/$base"
      echo "$base" >> initramfs/modules.order
    fi
  done
done
cp "$HERE/guest/init" initramfs/init
chmod +x initramfs/init
(cd initramfs && find . | cpio -o -H newc --quiet | gzip -1) > initramfs.cpio.gz
echo "$KVER" > kernel.version
echo "lab guest: kernel $KVER, $(wc -l < initramfs/modules.order) modules, $(du -h initramfs.cpio.gz | cut -f1) initramfs"
