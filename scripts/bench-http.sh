#!/usr/bin/env bash
# HTTP benchmark: requests/s and p99 at 32 connections for /mqtt/acl, /mqtt/auth,
# /rabbitmq/topic, /vernemq/auth_on_publish and /v2/tokens/exchange, each next to two baselines measured in the same run: nginx's
# `return 200` and a bare 200 route of our own server (/healthz). Rounds interleave the
# targets so that noise on this shared machine hits all of them alike.
#
# Usage: scripts/bench-http.sh [seconds-per-run=10] [rounds=3]
# Needs wrk and nginx-light (installed when missing), loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
connections=32
threads=2

. scripts/bench/lib.sh
need_packages wrk nginx-light curl

binary="${MQTT_AUTHD:-.build/release/mqtt-authd}"   # MQTT_AUTHD=path measures another build
[ -x "$binary" ] || { echo "run make release first ($binary is missing)" >&2; exit 2; }
work="$(mktemp -d)"
cleanup() {
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port="$(free_port)"
nginx_port="$(free_port)"
secret="bench-jwt-secret-0123456789abcdef0123456789"
key="sk_bench_key"

bench_config "$port" "./store.sqlite" "$key" "$secret" "https://bench.supabase.co" \
  '    - {user: "%", topic: "users/%u/admin/#", permission: deny}' > "$work/mqtt-authd.yml"
"$binary" --config "$work/mqtt-authd.yml" --log-level warning 2>"$work/daemon.log" &
daemon=$!

cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$nginx_port; location / { return 200 "ok"; } }
}
NGINX
nginx -c "$work/nginx.conf"

wait_healthy "$port"

# Request bodies for 1,000 users: tokens, and credentials issued by the daemon itself.
python3 scripts/bench/make-bodies.py "http://127.0.0.1:$port" "$key" "$secret" "https://bench.supabase.co/auth/v1" 1000 "$work"

# RabbitMQ and VerneMQ answer a refusal with 200 too: check that the bodies are allowed, so
# that the runs below measure allows.
check_allowed() { # path bodies-file expected-answer
  local answer
  answer="$(head -1 "$2" | curl -s --data-binary @- "http://127.0.0.1:$port$1")"
  [ "$answer" = "$3" ] || { echo "$1 answered '$answer', not '$3'" >&2; exit 1; }
}
check_allowed /rabbitmq/topic "$work/rabbitmq.txt" allow
check_allowed /vernemq/auth_on_publish "$work/vernemq.txt" '{"result":"ok"}'

run() { # name url script [bodies-file [apikey]]
  local name="$1" url="$2" script="$3"
  WRK_BODIES="${4:-}" WRK_API_KEY="${5:-}" wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "scripts/bench/$script" "$url" \
    | grep '^RESULT' | sed "s/^RESULT/$name/"
}

results="$work/results.txt"
for round in $(seq "$rounds"); do
  run nginx "http://127.0.0.1:$nginx_port/" get.lua >> "$results"
  run healthz "http://127.0.0.1:$port/healthz" get.lua >> "$results"
  run acl "http://127.0.0.1:$port/mqtt/acl" post.lua "$work/acl.txt" >> "$results"
  run auth "http://127.0.0.1:$port/mqtt/auth" post.lua "$work/auth.txt" >> "$results"
  run rabbitmq "http://127.0.0.1:$port/rabbitmq/topic" post.lua "$work/rabbitmq.txt" >> "$results"
  run vernemq "http://127.0.0.1:$port/vernemq/auth_on_publish" post.lua "$work/vernemq.txt" >> "$results"
  run exchange "http://127.0.0.1:$port/v2/tokens/exchange" post.lua "$work/exchange.txt" "$key" >> "$results"
  echo "round $round done" >&2
done
cat "$results"
python3 - "$results" <<'PY'
import re, sys, statistics
rows = {}
for line in open(sys.argv[1]):
    name = line.split()[0]
    fields = dict(kv.split("=") for kv in line.split()[1:])
    rows.setdefault(name, []).append(fields)
def median(name, key):
    return statistics.median(float(r[key]) for r in rows[name])
nginx = median("nginx", "rps")
print(f"\n{'target':10} {'req/s (median)':>15} {'p99 ms (median)':>16} {'vs nginx':>9} {'non-2xx':>8}")
for name in ["nginx", "healthz", "acl", "auth", "rabbitmq", "vernemq", "exchange"]:
    rps = median(name, "rps")
    p99 = median(name, "p99_us") / 1000
    bad = sum(int(r["non2xx"]) + int(r["errors"]) for r in rows[name])
    print(f"{name:10} {rps:15.0f} {p99:16.2f} {rps / nginx:9.2f} {bad:8d}")
PY
