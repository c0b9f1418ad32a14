"""Kills mqtt-authd with SIGKILL while exchanges are in flight; see scripts/crash.sh."""
import base64, hashlib, hmac, json, os, random, signal, socket, subprocess, sys, tempfile, threading, time
import urllib.request, urllib.error

binary, rounds, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
secret = "crash-jwt-secret-0123456789abcdef0123456789"
key = "sk_crash_key"
work = tempfile.mkdtemp(prefix="mqtt-authd-crash-")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
with open(os.path.join(work, "mqtt-authd.yml"), "w") as f:
    f.write(f"""listen: "127.0.0.1:{port}"
database: "./store.sqlite"
api_keys: [{{name: crash, key: "{key}"}}]
providers:
  - {{name: supabase, type: supabase, project_url: "https://crash.supabase.co", jwt_secret: "{secret}"}}
rate_limits: {{per_api_key: {{rate: 0, burst: 1}}}}
credentials: {{max_per_user: 1000}}
acl: {{rules: [{{user: "%", topic: "users/%u/#", permission: pubsub}}]}}
""")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(subject):
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": subject, "email": f"{subject}@example.com", "iss": "https://crash.supabase.co/auth/v1",
              "aud": "authenticated", "role": "authenticated", "iat": now, "exp": now + 3600}
    body = b64(json.dumps(claims).encode())
    signature = b64(hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest())
    return f"{header}.{body}.{signature}"


def post(path, payload, headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def start():
    log = open(os.path.join(work, "daemon.log"), "a")
    process = subprocess.Popen([binary, "--config", os.path.join(work, "mqtt-authd.yml"), "--log-level", "warning"],
                               stdout=log, stderr=log)
    for _ in range(400):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return process
        except OSError:
            time.sleep(0.025)
    raise SystemExit("the daemon did not start; see " + work)


acknowledged, lock = [], threading.Lock()
statuses = {}
rng = random.Random(20261130)
for round_number in range(rounds):
    daemon = start()
    stop = threading.Event()

    def worker(index):
        count = 0
        while not stop.is_set():
            subject = f"crash-{round_number}-{index}-{count}"
            count += 1
            try:
                status, body = post("/v2/tokens/exchange", {"provider": "supabase", "token": token(subject)},
                                    {"Authorization": f"Bearer {key}"})
            except OSError:
                continue
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    answer = json.loads(body)
                    acknowledged.append((answer["mqtt_username"], answer["mqtt_password"]))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    time.sleep(rng.uniform(0.3, 1.5))
    daemon.send_signal(signal.SIGKILL)
    daemon.wait()
    stop.set()
    for thread in threads:
        thread.join()
    print(f"round {round_number + 1:2}: killed; {len(acknowledged)} credentials acknowledged so far", flush=True)

daemon = start()
lost = [user for user, password in acknowledged
        if post("/mqtt/auth", {"username": user, "password": password, "clientid": "check"})[0] != 200]
daemon.send_signal(signal.SIGTERM)
daemon.wait()
print(f"rounds: {rounds}; workers: {workers}; answers by status: {dict(sorted(statuses.items()))}")
print(f"credentials acknowledged with 200: {len(acknowledged)}; lost after kill -9 and restart: {len(lost)}")
sys.exit(1 if lost else 0)
