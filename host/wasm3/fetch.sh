#!/usr/bin/env bash
# Fetches wasm3's C sources from a registry package, pinned and checked: PyPI's pywasm3 sdist ships
# them under wasm3/. They land in build/wasm3/source (never committed). The Node addon (host/wasm3)
# and the board firmware (board/) both build from this one tree.
set -euo pipefail
VERSION=0.5.0
SHA256=5a47c8a39f7f6ae71b3316b2e5d86c9d0db6e771a65f09a86e4d4aa3a19aefcc
OUT=${1:-build/wasm3}

if [ -f "$OUT/source/wasm3.h" ] && [ "$(cat "$OUT/VERSION" 2>/dev/null)" = "$VERSION" ]; then exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: "pywasm3==$VERSION" -d "$tmp"
archive="$tmp/pywasm3-$VERSION.tar.gz"
echo "$SHA256  $archive" | sha256sum --check --quiet || { echo "pywasm3-$VERSION.tar.gz: checksum mismatch" >&2; exit 1; }
tar -xzf "$archive" -C "$tmp"
rm -rf "$OUT/source"
mkdir -p "$OUT/source"
cp "$tmp/pywasm3-$VERSION/wasm3/"*.[ch] "$OUT/source/"
cp "$tmp/pywasm3-$VERSION/LICENSE" "$OUT/LICENSE"
echo "$VERSION" > "$OUT/VERSION"
echo "wasm3 $VERSION sources in $OUT/source"
