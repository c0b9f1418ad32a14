#!/usr/bin/env bash
# The shared store against the embedded one: exchange/s and /mqtt/auth req/s with SQLite and
# with PostgreSQL, both daemons running on this machine at once, rounds interleaved so that
# noise hits both alike; the figures that count are the ratios PostgreSQL / SQLite.
#
# PostgreSQL is a throwaway cluster of this script's own (initdb as the postgres user into a
# temporary folder, a free loopback port, fsync and synchronous_commit on, as a real
# deployment runs), stopped on exit.
#
# Usage: scripts/bench-postgres.sh [seconds-per-run=10] [rounds=3]
# Needs wrk and postgresql (installed when missing), loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
connections=32
threads=2

. scripts/bench/lib.sh
need_packages wrk postgresql

[ -x .build/release/mqtt-authd ] || { echo "run make release first (.build/release/mqtt-authd is missing)" >&2; exit 2; }
binary=.build/release/mqtt-authd
bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
work="$(mktemp -d /tmp/mqtt-authd-bench-pg.XXXXXX)"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in ${sqlite_daemon:-} ${postgres_daemon:-}; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/pg/postmaster.pid" ] && as_postgres "$bindir/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

pg_port="$(free_port)"
password="$(openssl rand -hex 16)"
echo "$password" > "$work/pwfile"
[ "$(id -u)" = 0 ] && chown -R postgres "$work"
as_postgres "$bindir/initdb" -D "$work/pg" -U authd --pwfile="$work/pwfile" --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-locale >/dev/null
as_postgres "$bindir/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null

secret="bench-jwt-secret-0123456789abcdef0123456789"
key="sk_bench_key"
start_daemon() { # name database; sets daemon_pid and daemon_port
  local port; port="$(free_port)"
  mkdir -p "$work/$1"
  bench_config "$port" "$2" "$key" "$secret" "https://bench.supabase.co" > "$work/$1/mqtt-authd.yml"
  PGPASSWORD="$password" "$binary" --config "$work/$1/mqtt-authd.yml" --log-level warning >/dev/null 2>"$work/$1/daemon.log" &
  daemon_pid=$!
  daemon_port=$port
}
start_daemon sqlite "./store.sqlite"
sqlite_daemon=$daemon_pid; sqlite_port=$daemon_port
start_daemon postgres "postgres://authd:\${PGPASSWORD}@127.0.0.1:$pg_port/postgres?sslmode=disable"
postgres_daemon=$daemon_pid; postgres_port=$daemon_port
wait_healthy "$sqlite_port"
wait_healthy "$postgres_port"
for name in sqlite postgres; do
  port_var="${name}_port"
  python3 scripts/bench/make-bodies.py "http://127.0.0.1:${!port_var}" "$key" "$secret" "https://bench.supabase.co/auth/v1" 1000 "$work/$name"
done

run() { # name url bodies-file [apikey]
  WRK_BODIES="$3" WRK_API_KEY="${4:-}" wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s scripts/bench/post.lua "$2" \
    | grep '^RESULT' | sed "s/^RESULT/$1/"
}

results="$work/results.txt"
for round in $(seq "$rounds"); do
  run exchange-sqlite "http://127.0.0.1:$sqlite_port/v2/tokens/exchange" "$work/sqlite/exchange.txt" "$key" >> "$results"
  run exchange-postgres "http://127.0.0.1:$postgres_port/v2/tokens/exchange" "$work/postgres/exchange.txt" "$key" >> "$results"
  run auth-sqlite "http://127.0.0.1:$sqlite_port/mqtt/auth" "$work/sqlite/auth.txt" >> "$results"
  run auth-postgres "http://127.0.0.1:$postgres_port/mqtt/auth" "$work/postgres/auth.txt" >> "$results"
  echo "round $round done" >&2
done
cat "$results"
python3 - "$results" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    name = line.split()[0]
    rows.setdefault(name, []).append(dict(kv.split("=") for kv in line.split()[1:]))
print(f"\n{'target':18} {'req/s (median)':>15} {'p99 ms (median)':>16} {'non-2xx':>8}  PostgreSQL/SQLite per round")
for name in ["exchange-sqlite", "exchange-postgres", "auth-sqlite", "auth-postgres"]:
    rps = statistics.median(float(r["rps"]) for r in rows[name])
    p99 = statistics.median(float(r["p99_us"]) for r in rows[name]) / 1000
    bad = sum(int(r["non2xx"]) + int(r["errors"]) for r in rows[name])
    ratios = ""
    if name.endswith("postgres"):
        base = rows[name.replace("postgres", "sqlite")]
        per_round = [float(p["rps"]) / float(s["rps"]) for p, s in zip(rows[name], base)]
        ratios = " / ".join(f"{r:.2f}" for r in per_round) + f"  (median {statistics.median(per_round):.2f})"
    print(f"{name:18} {rps:15.0f} {p99:16.2f} {bad:8d}  {ratios}")
PY
