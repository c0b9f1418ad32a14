#!/usr/bin/env bash
# What the products cost once installed: each one's stripped size, the Swift runtime libraries
# shipped beside them, and the resident memory (VmRSS) of an idle daemon and of an idle
# Debian mosquitto with and without the plugin (BENCHMARKS.md, "Footprint").
# The daemon runs on a fresh SQLite file with one provider and rule; the broker loads the
# plugin in local mode on the same file. Each RSS is read 3 s after the process listens.
#
# Usage: scripts/footprint.sh [release-folder]   (default .build/release, after `make release`)
set -euo pipefail
cd "$(dirname "$0")/.."
release="${1:-.build/release}"
. scripts/bench/lib.sh
need_release "$release" mqtt-authd aclcheck libMosquittoAuthPlugin.so
work_folder

mb() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1e6:.1f} MB')" "$1"; }
rss() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }

echo "stripped sizes ($release):"
for artifact in mqtt-authd aclcheck libMosquittoAuthPlugin.so; do
  strip --strip-unneeded -o "$work/$artifact" "$release/$artifact"
  printf '  %-28s %s\n' "$artifact" "$(mb "$(stat -c %s "$work/$artifact")")"
done
if [ -d "$release/swift" ]; then
  printf '  %-28s %s\n' "swift/ (shared runtime)" "$(mb "$(du -sb "$release/swift" | cut -f1)")"
fi

port="$(free_port)"
cat > "$work/mqtt-authd.yml" <<YAML
listen: "127.0.0.1:$port"
database: "./store.sqlite"
providers:
  - {name: supabase, type: supabase, project_url: "https://footprint.supabase.co", jwt_secret: "footprint-secret-0123456789abcdef0123"}
acl:
  rules:
    - {user: "%", topic: "users/%u/#", permission: pubsub}
YAML
"$release/mqtt-authd" --config "$work/mqtt-authd.yml" --log-level warning 2>"$work/daemon.log" &
daemon=$!
pids+=("$daemon")
wait_port "$port"

user_line=""; [ "$(id -u)" = 0 ] && user_line="user root"
declare -A broker
for setup in bare plugin; do
  broker_port="$(free_port)"
  {
    echo "listener $broker_port 127.0.0.1"
    echo "persistence false"
    echo "log_dest stderr"
    echo "$user_line"
    if [ "$setup" = plugin ]; then
      echo "plugin $(realpath "$release/libMosquittoAuthPlugin.so")"
      echo "plugin_opt_url http://127.0.0.1:$port"
      echo "plugin_opt_config $work/mqtt-authd.yml"
      echo "plugin_opt_acl local"
    else
      echo "allow_anonymous true"
    fi
  } > "$work/$setup.conf"
  env -u LD_LIBRARY_PATH mosquitto -c "$work/$setup.conf" 2>"$work/$setup.log" &
  broker[$setup]=$!
  pids+=("${broker[$setup]}")
  wait_port "$broker_port"
done
sleep 3
echo "idle resident memory (VmRSS):"
printf '  %-28s %s\n' "mqtt-authd" "$(mb "$(rss "$daemon")")"
printf '  %-28s %s\n' "mosquitto, no plugin" "$(mb "$(rss "${broker[bare]}")")"
printf '  %-28s %s\n' "mosquitto with the plugin" "$(mb "$(rss "${broker[plugin]}")")"
