#!/usr/bin/env bash
# Instructions per broker request, counted by callgrind on the release daemon: the figures in
# BENCHMARKS.md's "Where a broker request's time goes". Instruction counts do not depend on
# what else the machine is doing, so two builds can be compared one after the other.
#
# Usage: scripts/profile-broker.sh [acl|auth] [requests=2000]
# Prints the total per request and the costliest functions (self and inclusive); the raw
# profile stays in .build/profile/ for callgrind_annotate or kcachegrind.
set -euo pipefail
cd "$(dirname "$0")/.."
endpoint="${1:-acl}"
requests="${2:-2000}"
case "$endpoint" in acl|auth) ;; *) echo "usage: $0 [acl|auth] [requests]" >&2; exit 2 ;; esac
command -v valgrind >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -q valgrind; }

binary="${MQTT_AUTHD:-.build/release/mqtt-authd}"   # MQTT_AUTHD=path profiles another build
[ -x "$binary" ] || { echo "run make release first ($binary is missing)" >&2; exit 2; }
out=.build/profile
rm -rf "$out" && mkdir -p "$out"
# valgrind 3.19 cannot read the DWARF 5 that Swift writes; symbols are enough.
strip --strip-debug -o "$out/mqtt-authd" "$binary"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
secret="profile-jwt-secret-0123456789abcdef012345"
cat > "$out/mqtt-authd.yml" <<YAML
listen: "127.0.0.1:$port"
database: "./store.sqlite"
api_keys: [{name: profile, key: "sk_profile"}]
providers:
  - {name: supabase, type: supabase, project_url: "https://profile.supabase.co", jwt_secret: "$secret"}
acl: {rules: [{user: "%", topic: "users/%u/#", permission: pubsub}]}
YAML
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" "$out/mqtt-authd" --config "$out/mqtt-authd.yml" --log-level warning 2>"$out/valgrind.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -s "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
python3 scripts/bench/make-bodies.py "http://127.0.0.1:$port" sk_profile "$secret" "https://profile.supabase.co/auth/v1" 1 "$out" >/dev/null

# One kept-alive connection: 200 requests to warm up, then the counters are zeroed and
# `requests` more are counted.
drive() {
  python3 - "$port" "$endpoint" "$(head -1 "$out/$endpoint.txt")" "$1" <<'PY'
import socket, sys
port, endpoint, body, count = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
request = b"POST /mqtt/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (endpoint.encode(), len(body), body)
connection = socket.create_connection(("127.0.0.1", port))
for _ in range(count):
    connection.sendall(request)
    answer = b""
    while not answer.endswith(b"}"):
        chunk = connection.recv(4096)
        if not chunk: sys.exit("connection closed")
        answer += chunk
    if not answer.startswith(b"HTTP/1.1 200"): sys.exit("not allowed: " + answer.decode(errors="replace"))
PY
}
drive 200
callgrind_control -z "$daemon" >/dev/null 2>&1
drive "$requests"
callgrind_control -d "$daemon" >/dev/null 2>&1
sleep 1
kill "$daemon"; wait "$daemon" 2>/dev/null || true
profile="$(ls "$out"/callgrind.out.* | head -1)"
total="$(callgrind_annotate "$profile" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')"
echo "$endpoint: $((total / requests)) instructions per request ($requests requests)"
echo "-- costliest functions, inclusive --"
callgrind_annotate --inclusive=yes "$profile" 2>/dev/null | grep -E '^ *[0-9,]+ ' | sed -n 2,60p \
  | sed -E 's/ \[[^]]*\]$//; s/\?\?\?://' | swift demangle --simplified | cut -c1-150
