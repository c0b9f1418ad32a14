#!/usr/bin/env bash
# Checks that the release binaries and the plugin run without a Swift toolchain: nothing they
# load may resolve from the toolchain's folder, and no Swift runtime library may be needed at
# all (the runtime is linked in statically). Then loads the release plugin into Mosquitto.
# Usage: scripts/check-static.sh [release-folder]   (default .build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
folder="${1:-.build/release}"
toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"
status=0
for artifact in mqtt-authd aclcheck libMosquittoAuthPlugin.so; do
  path="$folder/$artifact"
  if [ ! -e "$path" ]; then echo "missing: $path" >&2; status=1; continue; fi
  libraries="$(ldd "$path" 2>&1 || true)"
  if grep -q "$toolchain" <<<"$libraries"; then
    echo "$artifact loads from the toolchain ($toolchain):" >&2
    grep "$toolchain" <<<"$libraries" >&2
    status=1
  fi
  if grep -qE 'libswift|libFoundation|libdispatch|libBlocksRuntime|not found' <<<"$libraries"; then
    echo "$artifact needs a Swift runtime library or a missing one:" >&2
    grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|not found' <<<"$libraries" >&2
    status=1
  fi
  [ "$status" = 0 ] && echo "$artifact: $(du -h "$path" | cut -f1), needs only: $(awk '{print $1}' <<<"$libraries" | grep -v '^/' | tr '\n' ' ')"
done
[ "$status" = 0 ] || exit "$status"

# The release plugin must load into Debian's mosquitto and refuse bad options (the broker
# exits with the plugin's reason), without any Swift library on the search path.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
{
  echo "log_dest stderr"
  [ "$(id -u)" = 0 ] && echo "user root"
  echo "plugin $(realpath "$folder/libMosquittoAuthPlugin.so")"
  echo "plugin_opt_acl probe"
  echo "listener 0 127.0.0.1"
} > "$work/mosquitto.conf"
if env -u LD_LIBRARY_PATH timeout 20 mosquitto -c "$work/mosquitto.conf" > "$work/log" 2>&1; then
  echo "mosquitto started with a bad plugin option" >&2; cat "$work/log" >&2; exit 1
fi
if ! grep -q "plugin_opt_acl must be local, http or synced" "$work/log"; then
  echo "the release plugin did not load into mosquitto:" >&2; cat "$work/log" >&2; exit 1
fi
echo "libMosquittoAuthPlugin.so: loads into Debian's mosquitto and checks its options"
