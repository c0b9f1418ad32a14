#!/usr/bin/env bash
# Broker throughput with the plugin: one publisher to one subscriber, N messages of 64 bytes at
# QoS 1 (mosquitto_pub -l | mosquitto_sub -C), through three brokers measured in the same run:
#   (i)   Debian's mosquitto with no auth plugin and allow_anonymous true: the ceiling;
#   (ii)  the same with our plugin, ACLs decided in-process (plugin_opt_acl local);
#   (iii) the same with our plugin, every ACL check a request to /mqtt/acl (plugin_opt_acl http).
# Rounds interleave the three so that noise on a shared machine hits them alike; the report is
# the median per setup and its ratio to (i).
#
# Usage: scripts/bench-plugin.sh [messages=50000] [rounds=3]   (after `make release`)
set -euo pipefail
cd "$(dirname "$0")/.."
messages="${1:-50000}"
rounds="${2:-3}"
release="${RELEASE_DIR:-.build/release}"   # RELEASE_DIR=folder measures another build
. scripts/bench/lib.sh
need_release "$release" mqtt-authd libMosquittoAuthPlugin.so
work_folder


daemon_port="$(free_port)"
secret="bench-jwt-secret-0123456789abcdef0123456789"
key="sk_bench_plugin_key"
cat > "$work/mqtt-authd.yml" <<YAML
listen: "127.0.0.1:$daemon_port"
database: "./store.sqlite"
api_keys: [{name: bench, key: "$key"}]
providers:
  - {name: supabase, type: supabase, project_url: "https://bench.supabase.co", jwt_secret: "$secret"}
acl:
  rules:
    - {user: "%", topic: "users/%u/#", permission: pubsub}
    - {user: "%", topic: "users/%u/admin/#", permission: deny}
YAML
"$release/mqtt-authd" --config "$work/mqtt-authd.yml" --log-level warning 2>"$work/daemon.log" &
pids+=($!)
wait_port "$daemon_port"

subject="5b0c2d9e-3f7a-4e59-9a51-0c7d1e2f3a4b"
token="$("$release/mqtt-authd" dev-token --config "$work/mqtt-authd.yml" --provider supabase --sub "$subject" --email bench@example.com)"
credential="$(curl -sf "http://127.0.0.1:$daemon_port/v2/tokens/exchange" -H "Authorization: Bearer $key" \
  -H "Content-Type: application/json" -d "{\"provider\":\"supabase\",\"token\":\"$token\"}")"
username="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["mqtt_username"])' "$credential")"
password="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["mqtt_password"])' "$credential")"

user_line=""; [ "$(id -u)" = 0 ] && user_line="user root"
declare -A broker_port
for setup in ceiling local http; do
  port="$(free_port)"
  broker_port[$setup]="$port"
  {
    echo "listener $port 127.0.0.1"
    echo "persistence false"
    # Keep every message for the subscriber: the default queue of 1,000 drops the rest.
    echo "max_queued_messages 0"
    echo "log_dest stderr"
    echo "log_type error"
    echo "$user_line"
    if [ "$setup" = ceiling ]; then
      echo "allow_anonymous true"
    else
      echo "allow_anonymous false"
      echo "plugin $(realpath "$release/libMosquittoAuthPlugin.so")"
      echo "plugin_opt_url http://127.0.0.1:$daemon_port"
      echo "plugin_opt_config $work/mqtt-authd.yml"
      echo "plugin_opt_acl $setup"
    fi
  } > "$work/$setup.conf"
  mosquitto -c "$work/$setup.conf" 2>"$work/$setup.log" &
  pids+=($!)
  wait_port "$port"
done

python3 -c "import sys; sys.stdout.write(('x' * 64 + '\n') * int(sys.argv[1]))" "$messages" > "$work/messages"
topic="users/$username/bench"

# Prints the seconds from the first publish to the subscriber's last message.
run() {
  local port="$1" auth=(-u "$username" -P "$password")
  timeout 600 mosquitto_sub -h 127.0.0.1 -p "$port" "${auth[@]}" -i "bench-sub" -q 1 -t "$topic" -C "$messages" > "$work/received" &
  local sub=$!
  sleep 0.5
  local start end
  start="$(date +%s.%N)"
  mosquitto_pub -h 127.0.0.1 -p "$port" "${auth[@]}" -i "bench-pub" -q 1 -t "$topic" -l < "$work/messages"
  wait "$sub" || true
  end="$(date +%s.%N)"
  local got; got="$(wc -l < "$work/received")"
  [ "$got" = "$messages" ] || { echo "the subscriber got $got of $messages messages" >&2; exit 1; }
  python3 -c "print(f'{float(\"$end\") - float(\"$start\"):.3f}')"
}

declare -A results
echo "$messages messages of 64 bytes, QoS 1, one publisher to one subscriber; $rounds rounds"
for round in $(seq "$rounds"); do
  for setup in ceiling local http; do
    seconds="$(run "${broker_port[$setup]}")"
    results[$setup]="${results[$setup]:-} $seconds"
    printf '  round %d  %-8s %7.3f s  %8.0f msg/s\n' "$round" "$setup" "$seconds" "$(python3 -c "print($messages / $seconds)")"
  done
done

python3 - "$messages" "${results[ceiling]}" "${results[local]}" "${results[http]}" <<'PY'
import statistics, sys
messages = int(sys.argv[1])
names = ["(i) no plugin, anonymous", "(ii) plugin, acl local", "(iii) plugin, acl http"]
medians = [statistics.median(float(x) for x in arg.split()) for arg in sys.argv[2:]]
ceiling = messages / medians[0]
print(f"{'setup':28} {'median msg/s':>12} {'× (i)':>7}")
for name, seconds in zip(names, medians):
    rate = messages / seconds
    print(f"{name:28} {rate:12.0f} {rate / ceiling:7.2f}")
PY
