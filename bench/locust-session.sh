#!/usr/bin/env bash
# The Django-style session flow (form login → 303 with session and CSRF
# cookies, pages, notes with the CSRF header, logout) run by Locust (Debian's
# python3-locust) and by loadgate against one FastAPI test app: the failures
# each counted, and their requests per endpoint.
#   bench/locust-session.sh        (DURATION=20 USERS=10; about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20}; USERS=${USERS:-10}; PORT=${PORT:-8767}
command -v locust >/dev/null || { sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo; $sudo_ apt-get install -y -qq --no-install-recommends python3-locust; }
out=$(mktemp -d)
go build -o "$out/loadgate" .
(cd testdata/fastapi && exec uvicorn main:app --host 127.0.0.1 --port "$PORT" --log-level warning) &
app=$!
trap 'kill $app 2>/dev/null; wait $app 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/hello" >/dev/null && break; sleep 0.1; done
locust -f bench/locust/session_locustfile.py --headless -u "$USERS" -r "$USERS" -t "${DURATION}s" \
  -H "http://127.0.0.1:$PORT" --csv "$out/locust" --only-summary >"$out/locust.txt" 2>&1 || true
PORT=$PORT DURATION=${DURATION}s USERS=$USERS "$out/loadgate" -c examples/fastapi/session.yml --no-start -q \
  --out "$out/loadgate.json" >"$out/loadgate.txt" 2>&1 || true
python3 - "$out" <<'PY'
import csv, json, sys
out = sys.argv[1]
print("| endpoint | Locust requests | Locust failures | loadgate requests | loadgate failures |")
print("|---|---:|---:|---:|---:|")
loc = {r["Name"]: r for r in csv.DictReader(open(f"{out}/locust_stats.csv"))}
lg = {e["name"]: e for e in json.load(open(f"{out}/loadgate.json"))["endpoints"]}
for name in ["login", "home", "note", "logout"]:
    l, g = loc.get(name, {}), lg.get(name, {})
    print(f"| {name} | {l.get('Request Count', '–')} | {l.get('Failure Count', '–')} | {g.get('requests', '–')} | {g.get('failures', '–')} |")
t = json.load(open(f"{out}/loadgate.json"))["total"]
lt = loc.get("Aggregated", {})
print(f"| **total** | {lt.get('Request Count')} | {lt.get('Failure Count')} | {t['requests']} | {t['failures']} |")
PY
