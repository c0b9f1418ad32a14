#!/usr/bin/env bash
# Installs the Debian package on this machine, checks it with no Swift toolchain on the PATH,
# then purges it and checks that nothing is left (`make test` runs it after `make deb`).
#   - /usr/bin/mqtt-authd --version and /usr/bin/aclcheck --version print the package's version;
#   - every installed ELF file finds all its libraries (a missing one is named), and the Swift
#     runtime only in the package's /usr/lib/mqtt-authd/swift;
#   - /etc/mqtt-authd/mqtt-authd.yml is a conffile;
#   - the daemon, as the mqtt-authd user, starts from a copy of that file with a test provider
#     and API key added, exchanges a token and keeps its SQLite file in /var/lib/mqtt-authd;
#   - Debian's mosquitto loads /usr/lib/mqtt-authd/libMosquittoAuthPlugin.so and accepts the
#     exchanged credential, and refuses a wrong password;
#   - dpkg --purge leaves no file, folder or user behind.
# It needs root (it installs a package and creates a system user). Not root: it fails, unless
# CHECK_DEB_SKIP_UNLESS_ROOT=1, with which it prints why and exits 0. It refuses to run when an
# mqtt-authd package is installed already: that one is not ours to remove.
# Usage: scripts/check-deb.sh dist/mqtt-authd_<version>_<arch>.deb
set -euo pipefail
deb="$(realpath "${1:?usage: scripts/check-deb.sh DEB}")"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin     # no Swift toolchain from here on
unset LD_LIBRARY_PATH
fail() { echo "check-deb: $*" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then
  if [ "${CHECK_DEB_SKIP_UNLESS_ROOT:-}" = 1 ]; then
    echo "check-deb: skipped: installing the package needs root"; exit 0
  fi
  fail "must run as root: it installs $deb with dpkg and creates the mqtt-authd user (CHECK_DEB_SKIP_UNLESS_ROOT=1 skips it)"
fi
if dpkg-query -W -f='${Status}' mqtt-authd 2>/dev/null | grep -qv "not-installed"; then
  fail "an mqtt-authd package is installed already ($(dpkg-query -W -f='${Version} ${Status}' mqtt-authd)); remove it first"
fi
if getent passwd mqtt-authd >/dev/null || [ -e /etc/mqtt-authd ] || [ -e /var/lib/mqtt-authd ]; then
  fail "an mqtt-authd user, /etc/mqtt-authd or /var/lib/mqtt-authd exists already; not ours to remove"
fi
version="$(dpkg-deb --field "$deb" Version)"

work="$(mktemp -d)"
chmod 0755 "$work"
pids=()
cleanup() {
  status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if dpkg-query -W -f='${Status}' mqtt-authd 2>/dev/null | grep -qv "not-installed"; then
    DEBIAN_FRONTEND=noninteractive dpkg --purge mqtt-authd >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  [ "$status" = 0 ] || echo "check-deb: FAILED" >&2
  exit "$status"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {   # port pid log
  for _ in $(seq 100); do
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; fail "process $2 exited before listening on $1"; }
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$3" >&2; fail "nothing listens on $1 after 10 s"
}

# Install, with apt so that Depends: resolve.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" > "$work/install.log" 2>&1 \
  || { cat "$work/install.log" >&2; fail "apt-get install $deb failed"; }
echo "installed: $(dpkg-query -W -f='${Package} ${Version}, Installed-Size ${Installed-Size} KiB' mqtt-authd)"

for file in /usr/bin/mqtt-authd /usr/bin/aclcheck /usr/lib/mqtt-authd/libMosquittoAuthPlugin.so; do
  [ -f "$file" ] || fail "$file is not installed"
  missing="$(ldd "$file" 2>&1 | grep 'not found' || true)"
  [ -z "$missing" ] || fail "$file needs a library that is not installed: $(awk '{print $1}' <<<"$missing" | tr '\n' ' ')"
  # Swift's runtime comes from the package's private copy, never from anywhere else.
  outside="$(ldd "$file" | grep -iE 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime' | grep -v '=> /usr/lib/mqtt-authd/swift/' || true)"
  [ -z "$outside" ] || fail "$file loads a Swift runtime library from outside /usr/lib/mqtt-authd/swift: $outside"
done
for file in /usr/lib/mqtt-authd/swift/*.so; do
  missing="$(ldd "$file" 2>&1 | grep 'not found' || true)"
  [ -z "$missing" ] || fail "$file needs a library that is not installed: $(awk '{print $1}' <<<"$missing" | tr '\n' ' ')"
done
for command in mqtt-authd aclcheck; do
  printed="$(/usr/bin/$command --version 2>&1)" || fail "/usr/bin/$command --version failed: $printed"
  grep -qF "$version" <<<"$printed" || fail "/usr/bin/$command --version printed '$printed', not $version"
done
echo "mqtt-authd --version and aclcheck --version print $version"
dpkg-query --showformat='${Conffiles}' -W mqtt-authd | grep -q '^ */etc/mqtt-authd/mqtt-authd.yml ' \
  || fail "/etc/mqtt-authd/mqtt-authd.yml is not a conffile"
getent passwd mqtt-authd >/dev/null || fail "postinst did not create the mqtt-authd user"
[ "$(stat -c '%U:%G %a' /var/lib/mqtt-authd)" = "mqtt-authd:mqtt-authd 750" ] \
  || fail "/var/lib/mqtt-authd is $(stat -c '%U:%G %a' /var/lib/mqtt-authd), not mqtt-authd:mqtt-authd 750"
[ "$(stat -c '%U:%G %a' /etc/mqtt-authd/mqtt-authd.yml)" = "root:mqtt-authd 640" ] \
  || fail "/etc/mqtt-authd/mqtt-authd.yml is $(stat -c '%U:%G %a' /etc/mqtt-authd/mqtt-authd.yml), not root:mqtt-authd 640"
echo "conffile, user, /var/lib/mqtt-authd and the config's owner and mode are as installed by postinst"

# The packaged config with a test provider and API key, on a free port.
port="$(free_port)"
secret="check-deb-secret-with-at-least-32-characters"
api_key="sk_test_check_deb_key"
issuer="http://127.0.0.1:54321/auth/v1"
config="$work/mqtt-authd.yml"
sed -e "s|^listen: .*|listen: \"127.0.0.1:$port\"|" \
    -e "s|^database: .*|database: \"/var/lib/mqtt-authd/check-deb.sqlite\"|" \
    /etc/mqtt-authd/mqtt-authd.yml > "$config"
cat >> "$config" <<YAML
api_keys:
  - name: backend
    key: "$api_key"
providers:
  - name: test
    type: supabase
    project_url: "http://127.0.0.1:54321"
    jwt_secret: "$secret"
    username: uuid
YAML
chown root:mqtt-authd "$config"; chmod 0640 "$config"
runuser -u mqtt-authd -- /usr/bin/mqtt-authd --config "$config" > "$work/daemon.log" 2>&1 &
pids+=($!)
wait_port "$port" "${pids[-1]}" "$work/daemon.log"

sub=8d0fd2b3-9ca7-4c35-a4d4-6d6a1f6b1e11
token="$(python3 - "$secret" "$issuer" "$sub" <<'PY'
import base64, hashlib, hmac, json, sys, time
secret, issuer, sub = sys.argv[1:4]
b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()
now = int(time.time())
claims = {"iss": issuer, "aud": "authenticated", "role": "authenticated", "sub": sub,
          "email": "check-deb@example.com", "iat": now, "exp": now + 600, "is_anonymous": False}
signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
print(signing_input + "." + b64(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()))
PY
)"
curl -sS -o "$work/credential.json" -w '%{http_code}' "http://127.0.0.1:$port/v2/tokens/exchange" \
  -H "Authorization: Bearer $api_key" -H "Content-Type: application/json" \
  -d "{\"provider\":\"test\",\"token\":\"$token\"}" > "$work/status" || true
[ "$(cat "$work/status")" = 200 ] || { cat "$work/credential.json" "$work/daemon.log" >&2; fail "the exchange answered $(cat "$work/status")"; }
username="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mqtt_username"])' "$work/credential.json")"
password="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mqtt_password"])' "$work/credential.json")"
[ -f /var/lib/mqtt-authd/check-deb.sqlite ] || fail "no SQLite file under /var/lib/mqtt-authd"
[ "$(stat -c '%U' /var/lib/mqtt-authd/check-deb.sqlite)" = mqtt-authd ] \
  || fail "/var/lib/mqtt-authd/check-deb.sqlite is owned by $(stat -c '%U' /var/lib/mqtt-authd/check-deb.sqlite)"
echo "the daemon runs as mqtt-authd from the packaged config, exchanged a token, and keeps /var/lib/mqtt-authd/check-deb.sqlite"

# Debian's mosquitto with the installed plugin, pointed at that daemon.
broker_port="$(free_port)"
{
  echo "log_dest stderr"
  echo "user root"
  echo "per_listener_settings false"
  echo "allow_anonymous false"
  echo "listener $broker_port 127.0.0.1"
  echo "plugin /usr/lib/mqtt-authd/libMosquittoAuthPlugin.so"
  echo "plugin_opt_url http://127.0.0.1:$port"
  echo "plugin_opt_config $config"
  echo "plugin_opt_acl local"
} > "$work/mosquitto.conf"
/usr/sbin/mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
pids+=($!)
wait_port "$broker_port" "${pids[-1]}" "$work/mosquitto.log"
mosquitto_pub -h 127.0.0.1 -p "$broker_port" -i check-deb-1 -u "$username" -P "$password" \
    -t "users/$username/inbox" -m hello -q 1 > "$work/pub.log" 2>&1 \
  || { cat "$work/pub.log" "$work/mosquitto.log" >&2; fail "mosquitto refused the exchanged credential"; }
if mosquitto_pub -h 127.0.0.1 -p "$broker_port" -i check-deb-2 -u "$username" -P "wrong-$password" \
    -t "users/$username/inbox" -m hello -q 1 > "$work/pub-wrong.log" 2>&1; then
  cat "$work/mosquitto.log" >&2; fail "mosquitto accepted a wrong password"
fi
grep -qi "not authori" "$work/pub-wrong.log" || { cat "$work/pub-wrong.log" >&2; fail "the wrong password failed, but not as 'not authorised'"; }
echo "Debian's mosquitto loads the installed plugin, accepts the exchanged credential and refuses a wrong password"

for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
pids=()

# Purge, and check that nothing is left.
DEBIAN_FRONTEND=noninteractive dpkg --purge mqtt-authd > "$work/purge.log" 2>&1 \
  || { cat "$work/purge.log" >&2; fail "dpkg --purge failed"; }
for path in /usr/bin/mqtt-authd /usr/bin/aclcheck /usr/lib/mqtt-authd /lib/systemd/system/mqtt-authd.service \
            /etc/mqtt-authd /var/lib/mqtt-authd /usr/share/doc/mqtt-authd; do
  [ ! -e "$path" ] || fail "$path is left after dpkg --purge"
done
! getent passwd mqtt-authd >/dev/null || fail "the mqtt-authd user is left after dpkg --purge"
! getent group mqtt-authd >/dev/null || fail "the mqtt-authd group is left after dpkg --purge"
! dpkg -L mqtt-authd >/dev/null 2>&1 || fail "dpkg still knows the files of mqtt-authd"
[ ! -e /var/lib/systemd/deb-systemd-helper-enabled/mqtt-authd.service.dsh-also ] || fail "deb-systemd-helper state is left after purge"
echo "dpkg --purge leaves no file, folder, user or group behind"
echo "check-deb: $(basename "$deb") passed"
