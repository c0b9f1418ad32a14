# Shared by the benchmark and soak scripts (source it): free loopback ports, missing Debian
# packages, the daemon's benchmark configuration, waiting for the daemon.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# wait_port PORT: waits up to 10 s for something to listen on 127.0.0.1:PORT.
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; exit 1; }

# need_release FOLDER ARTIFACT...: stops the script unless `make release` built them.
need_release() {
  local folder="$1" artifact; shift
  for artifact in "$@"; do
    [ -e "$folder/$artifact" ] || { echo "run make release first ($folder/$artifact is missing)" >&2; exit 2; }
  done
}

# work_folder: sets $work to a new temporary folder and arranges that, on exit, every process in
# $pids is killed and the folder removed.
work_folder() {
  work="$(mktemp -d)"
  pids=()
  trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
}

# need_packages PACKAGE...: installs those that are missing (as root, or through sudo).
need_packages() {
  local missing="" package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
  done
  if [ -n "$missing" ]; then
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
  fi
}

# bench_config PORT DATABASE API_KEY JWT_SECRET PROJECT_URL [MORE_RULE_LINES]: the YAML of a
# daemon with one Supabase provider, no per-key rate limit (throughput, not the limiter, is
# measured), and each user's own topics.
bench_config() {
  cat <<YAML
listen: "127.0.0.1:$1"
database: "$2"
api_keys: [{name: bench, key: "$3"}]
providers:
  - {name: supabase, type: supabase, project_url: "$5", jwt_secret: "$4"}
credentials: {max_per_user: 20}
rate_limits: {per_api_key: {rate: 0, burst: 1}}
acl:
  rules:
    - {user: "%", topic: "users/%u/#", permission: pubsub}
${6:-}
YAML
}

# wait_healthy PORT: until the daemon answers /healthz (at most 10 s).
wait_healthy() {
  for _ in $(seq 100); do curl -s "http://127.0.0.1:$1/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "the daemon on port $1 did not start" >&2
  return 1
}
