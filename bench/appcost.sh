#!/usr/bin/env bash
# The app's own cost, measured (docs/gate.md, "The app's own cost").
#
#   bench/appcost.sh aa     A/A: RUNS runs each of the FastAPI test app and of
#                           the demo app at a fixed arrival rate; the
#                           coefficient of variation of app_cpu_per_req and
#                           of p95, side by side.
#   bench/appcost.sh ab     `loadgate ab` TRIES times with a head build whose
#                           handler does +10 % CPU per request (APP_WORK),
#                           then TRIES times with identical builds: how often
#                           app_cpu_per_req fails, and how p95 did.
#   bench/appcost.sh leak   a 20 s run of an app keeping 50 KiB per request
#                           against app_rss_growth < 1MiB, and without the leak.
#   bench/appcost.sh calib  CPU per request for a few APP_WORK values, to
#                           pick the head build's work.
#
# Knobs: RUNS=10 TRIES=10 RATE=150 DURATION=8s WARMUP=2s (AB_WARMUP=500ms)
#        ROUNDS=30 ROUND_DURATION=500ms BASE_WORK=300 HEAD_WORK=500 (+10 % of
#        the base's CPU per request on this machine; check with calib) TOL=3%
# PYTHONHASHSEED=0 (passed on to the app) pins Python's hash seed: each fresh
# process otherwise lays its dicts out differently, and its CPU per request
# moves by about ±10 % from process to process (docs/gate.md).
# Needs Debian's python3-fastapi and uvicorn. Load goes to 127.0.0.1 only.
set -euo pipefail

MODE=${1:-aa}
RUNS=${RUNS:-10}
TRIES=${TRIES:-10}
RATE=${RATE:-150}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-2s}
if [ "$MODE" = ab ]; then
  # 30 pairs of 0.5 s warm-up + 0.5 s: 60 s of load a try. Each round
  # starts the app afresh, and a fresh process's CPU per request is off
  # by about ±10 % for its whole life (docs/gate.md), so many short
  # rounds average that out better than a few long ones.
  WARMUP=${AB_WARMUP:-500ms}
fi
ROUNDS=${ROUNDS:-30}
ROUND_DURATION=${ROUND_DURATION:-500ms}
BASE_WORK=${BASE_WORK:-300}
TOL=${TOL:-3%}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/loadgate-appcost.XXXXXX")}
BIN="$OUT/loadgate"
(cd "$ROOT" && go build -o "$BIN" .)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
echo "# results in $OUT" >&2

# config FILE PORT START_COMMAND DIR: a fixed-rate workload of the app
config() {
  cat >"$1" <<EOF
version: 1
target:
  url: http://127.0.0.1:$2
  start:
    command: $3
    dir: $4
    ready: {url: "http://127.0.0.1:$2/hello", timeout: 30s}
    stop_timeout: 5s
load: {warmup: $WARMUP, duration: $DURATION, arrival_rate: $RATE, users: 50}
tasks:
  - {name: /hello, weight: 3, get: /hello}
  - {name: "/items/[item_id]", weight: 1, get: "/items/{{ randInt 0 49 }}1"}
thresholds:
  total: [failure_rate < 1%]
baseline:
  inconclusive: pass
  tolerance: {app_cpu_per_req: $TOL, p95: 10%}
EOF
}

# stats FILE...: CV of app_cpu_per_req and p95 over result files
stats() {
  python3 - "$@" <<'EOF'
import json, statistics as st, sys
cpu, p95 = [], []
for f in sys.argv[1:]:
    r = json.load(open(f))
    cpu.append(r["total"]["app"]["cpu_per_req_ms"]); p95.append(r["total"]["latency_ms"]["p95"])
cv = lambda xs: 100 * st.stdev(xs) / st.mean(xs)
print(f"runs {len(cpu)} | app_cpu_per_req mean {st.mean(cpu):.3f} ms CV {cv(cpu):.1f} % | p95 mean {st.mean(p95):.2f} ms CV {cv(p95):.1f} %")
print("  app_cpu_per_req:", " ".join(f"{v:.3f}" for v in cpu))
print("  p95:            ", " ".join(f"{v:.2f}" for v in p95))
EOF
}

case "$MODE" in
calib)
  P=$(port)
  for w in 0 ${WORKS:-100 300 330 600}; do
    config "$OUT/calib.yml" "$P" "uvicorn main:app --host 127.0.0.1 --port $P --log-level warning" "$ROOT/testdata/fastapi"
    fs=()
    for i in 1 2 3; do
      APP_WORK=$w "$BIN" -c "$OUT/calib.yml" -q --out "$OUT/calib-$w-$i.json" >/dev/null 2>&1 || true
      fs+=("$OUT/calib-$w-$i.json")
    done
    stats "${fs[@]}" >"$OUT/calib-$w.txt"
    echo "APP_WORK=$w: $(head -1 "$OUT/calib-$w.txt")"
  done
  ;;
aa)
  P=$(port)
  config "$OUT/fastapi.yml" "$P" "uvicorn main:app --host 127.0.0.1 --port $P --log-level warning" "$ROOT/testdata/fastapi"
  config "$OUT/demo.yml" "$P" "$BIN demo --serve 127.0.0.1:$P" "$OUT"
  for i in $(seq "$RUNS"); do
    for app in fastapi demo; do
      "$BIN" -c "$OUT/$app.yml" -q --out "$OUT/aa-$app-$i.json" >/dev/null 2>&1 || true
    done
  done
  for app in fastapi demo; do
    echo "A/A $app, $RUNS runs of $DURATION at $RATE/s:"
    stats "$OUT"/aa-$app-*.json
  done
  ;;
ab)
  P=$(port)
  HEAD_WORK=${HEAD_WORK:-500}
  for b in base:$BASE_WORK head:$HEAD_WORK same:$BASE_WORK; do
    d="$OUT/${b%%:*}"
    mkdir -p "$d"
    printf '#!/bin/sh\ncd %s\nAPP_WORK=%s exec uvicorn main:app --host 127.0.0.1 --port %s --log-level warning\n' "$ROOT/testdata/fastapi" "${b#*:}" "$P" >"$d/run.sh"
    chmod +x "$d/run.sh"
  done
  config "$OUT/ab.yml" "$P" "./run.sh" "."
  for kind in head same; do
    fails=0
    for i in $(seq "$TRIES"); do
      set +e
      "$BIN" ab -c "$OUT/ab.yml" --base-dir "$OUT/base" --head-dir "$OUT/$kind" --rounds "$ROUNDS" \
        --round-duration "$ROUND_DURATION" --out "$OUT/ab-$kind-$i.json" >"$OUT/ab-$kind-$i.log" 2>&1
      code=$?
      set -e
      line=$(python3 - "$OUT/ab-$kind-$i.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
out = []
for c in r["verdict"]["checks"]:
    if c.get("source") == "baseline" and c["scope"] == "total":
        out.append(f'{c["metric"]} {c["status"]} {c.get("delta_pct") if c.get("delta_pct") is not None else "?"}%')
print(" | ".join(out))
EOF
)
      [[ "$line" == *"app_cpu_per_req fail"* ]] && fails=$((fails + 1))
      echo "ab $kind try $i: exit $code | $line"
    done
    echo "ab $kind: app_cpu_per_req failed in $fails of $TRIES tries"
  done
  ;;
leak)
  P=$(port)
  for kb in 50 0; do
    set +e
    PORT=$P APP_LEAK_KB=$kb DURATION=20s "$BIN" -c "$ROOT/examples/fastapi/cost.yml" -q --out "$OUT/leak-$kb.json" >/dev/null 2>&1
    code=$?
    set -e
    python3 - "$OUT/leak-$kb.json" "$kb" "$code" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])); a = r["total"]["app"]
c = [c for c in r["verdict"]["checks"] if c["metric"] == "app_rss_growth"][0]
print(f"leak {sys.argv[2]} KiB/request: exit {sys.argv[3]}, app_rss_growth {a['rss_growth_bytes']/2**20:.1f} MiB per 10,000 requests ({c['status']}), peak {a['rss_max_bytes']/2**20:.1f} MiB, {r['total']['requests']} requests")
EOF
  done
  ;;
*)
  echo "usage: bench/appcost.sh aa|ab|leak|calib" >&2
  exit 2
  ;;
esac
