#!/usr/bin/env bash
# Locust parity: the guide's WebsiteUser run by Locust and by loadgate,
# alternately, against one FastAPI app instance. Prints per-endpoint median,
# p95 and RPS side by side and each generator's CPU seconds.
# Needs Debian's python3-locust, python3-fastapi, uvicorn.
#   bench/locust-parity.sh [ROUNDS=2] [DURATION=30]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}; DURATION=${DURATION:-30}; USERS=${USERS:-50}; PORT=${PORT:-8766}
out=$(mktemp -d)
go build -o "$out/loadgate" .
(cd testdata/fastapi && exec uvicorn main:app --host 127.0.0.1 --port "$PORT" --log-level warning) &
app=$!
trap 'kill $app 2>/dev/null; wait $app 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/hello" >/dev/null && break; sleep 0.1; done
for r in $(seq "$ROUNDS"); do
  /usr/bin/time -f "%U %S %M" -o "$out/locust_$r.time" \
    locust -f bench/locust/locustfile.py --headless -u "$USERS" -r 25 -t "${DURATION}s" \
      -H "http://127.0.0.1:$PORT" --csv "$out/locust_$r" --only-summary >/dev/null 2>&1 || true
  PORT=$PORT DURATION=${DURATION}s USERS=$USERS /usr/bin/time -f "%U %S %M" -o "$out/loadgate_$r.time" \
    "$out/loadgate" -c bench/locust/website.yml -q --out "$out/loadgate_$r.json" >/dev/null || true
done
python3 - "$out" "$ROUNDS" <<'PY'
import csv, json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def cpu(path):
    u, s, m = open(path).read().split()[-3:]
    return float(u) + float(s), int(m) / 1024
rows = {}
for r in range(1, rounds + 1):
    for row in csv.DictReader(open(f"{out}/locust_{r}_stats.csv")):
        rows.setdefault(row["Name"], {}).setdefault("locust", []).append(
            (float(row["Median Response Time"]), float(row["95%"]), float(row["Requests/s"]), int(row["Request Count"])))
    res = json.load(open(f"{out}/loadgate_{r}.json"))
    for e in res["endpoints"] + [dict(res["total"], name="Aggregated")]:
        l = e["latency_ms"]
        rows.setdefault(e["name"], {}).setdefault("loadgate", []).append((l["p50"], l["p95"], e["rps"], e["requests"]))
avg = lambda xs, i: sum(x[i] for x in xs) / len(xs)
print(f"| endpoint | Locust median | loadgate median | Locust p95 | loadgate p95 | Locust RPS | loadgate RPS |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name in sorted(rows, key=lambda n: (n == "Aggregated", n)):
    L, G = rows[name].get("locust"), rows[name].get("loadgate")
    if not L or not G:
        continue
    print(f"| {name} | {avg(L,0):.1f} ms | {avg(G,0):.1f} ms | {avg(L,1):.0f} ms | {avg(G,1):.1f} ms | {avg(L,2):.1f} | {avg(G,2):.1f} |")
lc = [cpu(f"{out}/locust_{r}.time") for r in range(1, rounds + 1)]
gc = [cpu(f"{out}/loadgate_{r}.time") for r in range(1, rounds + 1)]
lreq = avg(rows["Aggregated"]["locust"], 3); greq = avg(rows["Aggregated"]["loadgate"], 3)
print()
print(f"generator CPU seconds per run: Locust {sum(c for c,_ in lc)/rounds:.2f} s, loadgate {sum(c for c,_ in gc)/rounds:.2f} s")
print(f"CPU ms per request: Locust {1000*sum(c for c,_ in lc)/rounds/lreq:.3f}, loadgate {1000*sum(c for c,_ in gc)/rounds/greq:.3f}")
print(f"max RSS: Locust {max(m for _,m in lc):.0f} MiB, loadgate {max(m for _,m in gc):.0f} MiB")
PY
