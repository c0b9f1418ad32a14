#!/usr/bin/env python3
"""Writes request bodies for scripts/bench-http.sh, one JSON body per line, for N users:
exchange.txt (Supabase-style HS256 tokens), auth.txt (credentials obtained through the daemon's
own exchange endpoint), acl.txt (publishes to each user's own topics), and the same publishes
as RabbitMQ's topic check (rabbitmq.txt, form-encoded) and VerneMQ's auth_on_publish
(vernemq.txt). The exchange bodies
are for other users than auth.txt's, so that the exchange benchmark, which issues many
credentials per user, cannot push auth.txt's credentials past max_per_user.

Usage: make-bodies.py URL API_KEY JWT_SECRET ISSUER USERS OUTDIR"""
import base64, hashlib, hmac, json, sys, time, urllib.request

url, api_key, secret, issuer, users, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def token(sub: str) -> str:
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"iss": issuer, "aud": "authenticated", "role": "authenticated", "sub": sub,
              "email": f"{sub}@example.com", "iat": now, "exp": now + 86400, "is_anonymous": False}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)

import urllib.parse
with open(f"{out}/exchange.txt", "w") as exchange, open(f"{out}/auth.txt", "w") as auth, open(f"{out}/acl.txt", "w") as acl, \
        open(f"{out}/rabbitmq.txt", "w") as rabbitmq, open(f"{out}/vernemq.txt", "w") as vernemq:
    for index in range(users):
        sub = f"bench-user-{index}"
        exchange.write(json.dumps({"provider": "supabase", "token": token(f"bench-exchange-{index}")}) + "\n")
        body = json.dumps({"provider": "supabase", "token": token(sub)})
        request = urllib.request.Request(url + "/v2/tokens/exchange", data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": "Bearer " + api_key})
        credential = json.load(urllib.request.urlopen(request, timeout=10))
        auth.write(json.dumps({"username": credential["mqtt_username"], "password": credential["mqtt_password"], "clientid": f"c{index}"}) + "\n")
        acl.write(json.dumps({"username": sub, "clientid": f"c{index}", "topic": f"users/{sub}/telemetry/temp", "acc": 2}) + "\n")
        rabbitmq.write(urllib.parse.urlencode({
            "username": sub, "vhost": "/", "resource": "topic", "name": "amq.topic", "permission": "write",
            "routing_key": f"users.{sub}.telemetry.temp", "variable_map.client_id": f"c{index}",
            "variable_map.username": sub, "variable_map.vhost": "/"}) + "\n")
        vernemq.write(json.dumps({"username": sub, "mountpoint": "", "client_id": f"c{index}", "qos": 1,
                                  "topic": f"users/{sub}/telemetry/temp", "payload": "MjEuNQ==", "retain": False}) + "\n")
