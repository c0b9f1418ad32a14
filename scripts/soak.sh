#!/usr/bin/env bash
# Soak: a mixed wrk load on /mqtt/auth, /mqtt/acl and /v2/tokens/exchange at once, against the
# release daemon, for a configurable time. Every interval it records each endpoint's requests/s,
# p99 latency, 5xx answers and transport errors, and the daemon's RSS. Targets for 10 minutes:
# no 5xx, RSS growth under 10% after the first interval (warm-up), a steady p99.
#
# Usage: scripts/soak.sh [minutes=10] [interval-seconds=30]   (after `make release`)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
interval="${2:-30}"
binary=.build/release/mqtt-authd
[ -x "$binary" ] || { echo "run make release first" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

work="$(mktemp -d)"
cleanup() { [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
. scripts/bench/lib.sh
port="$(free_port)"
secret="soak-jwt-secret-0123456789abcdef0123456789"
key="sk_soak_key"
bench_config "$port" "./store.sqlite" "$key" "$secret" "https://soak.supabase.co" > "$work/mqtt-authd.yml"
"$binary" --config "$work/mqtt-authd.yml" --log-level warning 2>"$work/daemon.log" &
daemon=$!
wait_healthy "$port"
python3 scripts/bench/make-bodies.py "http://127.0.0.1:$port" "$key" "$secret" "https://soak.supabase.co/auth/v1" 1000 "$work"

load() { # name path bodies [key] -> one RESULT line (with 5xx counted by soak.lua)
  WRK_BODIES="$3" WRK_API_KEY="${4:-}" wrk -t1 -c8 -d"${interval}s" --latency -s scripts/bench/soak.lua "http://127.0.0.1:$port$2" \
    > "$work/$1.wrk" 2>&1 || true
  grep '^RESULT' "$work/$1.wrk" | sed "s/^RESULT/$1/" || { echo "wrk failed for $1:" >&2; cat "$work/$1.wrk" >&2; exit 1; }
}

rss() { awk '/VmRSS/ {print $2}' "/proc/$daemon/status"; }
echo "interval endpoint req/s p99_ms 5xx errors rss_kb" > "$work/report"
end=$(( $(date +%s) + minutes * 60 ))
step=0
echo "start: RSS $(rss) kB; ${minutes} min in ${interval} s intervals" >&2
while [ "$(date +%s)" -lt "$end" ]; do
  step=$((step + 1))
  load auth /mqtt/auth "$work/auth.txt" > "$work/auth.out" & a=$!
  load acl /mqtt/acl "$work/acl.txt" > "$work/acl.out" & b=$!
  load exchange /v2/tokens/exchange "$work/exchange.txt" "$key" > "$work/exchange.out" & c=$!
  wait "$a" "$b" "$c"
  memory="$(rss)"
  for name in auth acl exchange; do
    python3 - "$step" "$memory" "$work/$name.out" >> "$work/report" <<'PY'
import sys
line = open(sys.argv[3]).read().split()
fields = dict(kv.split("=") for kv in line[1:])
print(sys.argv[1], line[0], fields["rps"], f'{int(fields["p99_us"]) / 1000:.2f}', fields["s5xx"], fields["errors"], sys.argv[2])
PY
  done
  tail -3 "$work/report" >&2
done
echo "end: RSS $(rss) kB" >&2
python3 - "$work/report" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]).read().splitlines()[1:]]
steps = sorted({int(r[0]) for r in rows})
print(f"{'interval':>8} {'auth r/s':>9} {'p99 ms':>7} {'acl r/s':>9} {'p99 ms':>7} {'exch r/s':>9} {'p99 ms':>7} {'RSS MB':>7}")
for step in steps:
    by = {r[1]: r for r in rows if int(r[0]) == step}
    print(f"{step:8} " + " ".join(f"{float(by[n][2]):9.0f} {float(by[n][3]):7.2f}" for n in ("auth", "acl", "exchange")) + f" {int(by['auth'][6]) / 1024:7.1f}")
fivexx = sum(int(r[4]) for r in rows)
errors = sum(int(r[5]) for r in rows)
rss = [int(r[6]) for r in rows if r[1] == "auth"]
warm = rss[0]
growth = (rss[-1] - warm) / warm * 100
print(f"5xx: {fivexx}; transport errors: {errors}; RSS after warm-up {warm / 1024:.1f} MB, at the end {rss[-1] / 1024:.1f} MB ({growth:+.1f}%)")
for name in ("auth", "acl", "exchange"):
    p99 = [float(r[3]) for r in rows if r[1] == name]
    print(f"{name} p99 ms: min {min(p99):.2f}, median {statistics.median(p99):.2f}, max {max(p99):.2f}")
sys.exit(1 if fivexx or growth >= 10 else 0)
PY
