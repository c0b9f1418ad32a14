#!/usr/bin/env bash
# Copies the Swift runtime libraries that the release products load into <release>/swift,
# stripped, so that the products run from that folder (their RUNPATH holds $ORIGIN/swift) and
# so that make install and make deb ship one shared copy beside them (docs/footprint.md).
# Only what the products need is copied: the closure of their NEEDED entries that resolve into
# the toolchain's runtime folder. `make release` runs it.
# Usage: scripts/stage-runtime.sh [release-folder]   (default .build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
release="${1:-.build/release}"
toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"
runtime="$toolchain/lib/swift/linux"
[ -d "$runtime" ] || { echo "no Swift runtime folder at $runtime" >&2; exit 1; }

products=("$release/mqtt-authd" "$release/aclcheck" "$release/libMosquittoAuthPlugin.so")
for product in "${products[@]}"; do
  [ -f "$product" ] || { echo "missing: $product (run make release)" >&2; exit 1; }
done

# ldd resolves the whole closure; with the runtime folder on the search path it names the
# toolchain's copy of every Swift library, which is what is copied.
libraries="$(for product in "${products[@]}"; do LD_LIBRARY_PATH="$runtime" ldd "$product"; done |
  awk -v runtime="$runtime/" 'index($3, runtime) == 1 {print $3}' | sort -u)"
[ -n "$libraries" ] || { echo "the products load no Swift runtime library: nothing to stage" >&2; exit 1; }

rm -rf "$release/swift"
mkdir -p "$release/swift"
while read -r library; do
  strip --strip-unneeded -o "$release/swift/$(basename "$library")" "$library"
  chmod 0644 "$release/swift/$(basename "$library")"
done <<<"$libraries"

# The staged copies must be enough: nothing may still resolve outside the folder, or be missing.
for product in "${products[@]}"; do
  if env -u LD_LIBRARY_PATH ldd "$product" | grep -E "not found|$toolchain" >&2; then
    echo "$product does not run from $release/swift alone (RUNPATH: $(readelf -d "$product" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p'))" >&2
    exit 1
  fi
done
echo "staged $(wc -l <<<"$libraries") Swift runtime libraries in $release/swift ($(du -sh "$release/swift" | cut -f1))"
