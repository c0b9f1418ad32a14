#!/usr/bin/env bash
# Crash consistency: concurrent token exchanges against the release daemon, SIGKILL at random
# moments, restart, repeat; at the end every credential that was answered with 200 must still
# authenticate. Reports rounds, credentials acknowledged and credentials lost (target: 0).
#
# Usage: scripts/crash.sh [rounds=20] [workers=8]   (after `make release`)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/release/mqtt-authd ] || { echo "run make release first" >&2; exit 2; }
exec python3 scripts/crash/crash.py .build/release/mqtt-authd "${1:-20}" "${2:-8}"
