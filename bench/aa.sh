#!/usr/bin/env bash
# A/A experiment for the stored-baseline gate.
#
# Runs an unchanged app (APP=demo, the built-in demo app; APP=fastapi, the
# FastAPI test app under uvicorn) RUNS+KEEP times. The first KEEP runs only
# build the baseline (--save-baseline, keep: KEEP); each of the next RUNS
# runs is compared with the KEEP runs before it and then added to the
# baseline. An honest gate never fails an unchanged build: the count of
# exit-1 runs should be 0. Inconclusive checks pass (baseline.inconclusive:
# pass), as they do by default.
#
# Then, as a check that the gate still sees a real change, SLOWRUNS runs
# (default 1) of the app with every deliberate wait SLOW times longer
# (default 1.3) against the same baseline: each should fail (exit 1).
#
# Usage: bench/aa.sh            (about 3–4 minutes)
#        APP=fastapi RUNS=20 KEEP=1 SLOWRUNS=10 DURATION=10s SLOW=1.3 bench/aa.sh
# bench/noise.py $OUT/*.json prints the run-to-run spread of every metric.
# Output: one line per run, then a summary; the files stay in $OUT.
set -euo pipefail

APP=${APP:-demo}
SLOWRUNS=${SLOWRUNS:-1}
RUNS=${RUNS:-10}
KEEP=${KEEP:-5}
SLOW=${SLOW:-1.3}
DURATION=${DURATION:-10s}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/loadgate-aa.XXXXXX")}
BIN="$OUT/loadgate"

(cd "$ROOT" && go build -o "$BIN" .)

# A free loopback port for the app loadgate starts and stops each run.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18431)

case "$APP" in
  demo) START="command: $BIN demo --serve 127.0.0.1:$PORT"
        SLOWSTART="command: $BIN demo --serve 127.0.0.1:$PORT --slowdown $SLOW" ;;
  fastapi) START="command: uvicorn main:app --host 127.0.0.1 --port $PORT --log-level warning
    dir: $ROOT/testdata/fastapi"
        SLOWSTART="$START
    env: {ITEMS_DELAY_MS: \"$(python3 -c "print(50*$SLOW)")\"}" ;;
  *) echo "APP must be demo or fastapi"; exit 2 ;;
esac

write_config() { cat >"$1" <<EOF
# The Locust guide's WebsiteUser workload against the $APP app, which
# loadgate starts on a loopback port.
target:
  url: http://127.0.0.1:$PORT
  timeout: 5s
  start:
    $2
    ready: {url: http://127.0.0.1:$PORT/hello, timeout: 20s}
    stop_timeout: 2s
load: {warmup: 1s, duration: $DURATION, users: 20, spawn_rate: 20}
wait_time: between 50ms 150ms
tasks:
  - {name: /hello_world, weight: 3, get: /hello}
  - {name: "/items/[item_id]", weight: 2, get: "/items/{{ randInt 1 100 }}"}
  - name: /create_item
    post: /create_item
    json: {name: "Item {{ randInt 1 1000 }}", price: "{{ randFloat 10 100 2 }}"}
baseline:
  keep: $KEEP
  missing: pass
  inconclusive: pass
  tolerance: {p95: 10%, p99: 20%, rps: 10%, failure_rate: 0.5%}
EOF
}
write_config "$OUT/loadgate.yml" "$START"
write_config "$OUT/slow.yml" "$SLOWSTART"

BASE="$OUT/baseline.json"
rm -f "$BASE"
start=$(date +%s)
echo "A/A: $KEEP baseline runs, then $RUNS compared runs of $DURATION each; files in $OUT"
for i in $(seq 1 "$KEEP"); do
  "$BIN" -q -c "$OUT/loadgate.yml" --save-baseline "$BASE" --out "$OUT/seed-$i.json" >"$OUT/seed-$i.txt" 2>&1 ||
    { echo "baseline run $i failed (exit $?):"; tail -20 "$OUT/seed-$i.txt"; exit 1; }
  echo "baseline run $i saved"
done

fails=0 inconclusive_runs=0
for i in $(seq 1 "$RUNS"); do
  set +e
  "$BIN" -q -c "$OUT/loadgate.yml" --baseline "$BASE" --save-baseline "$BASE" \
    --out "$OUT/run-$i.json" --summary "$OUT/run-$i.md" >"$OUT/run-$i.txt" 2>&1
  code=$?
  set -e
  verdict=$(grep -m1 '^Verdict:' "$OUT/run-$i.txt" || echo "Verdict: ?")
  fails_here=$(grep -c '^FAIL ' "$OUT/run-$i.txt" || true)
  inc_here=$(grep -c '^INCONCLUSIVE ' "$OUT/run-$i.txt" || true)
  echo "run $i: exit $code · $verdict · $fails_here failed, $inc_here inconclusive checks"
  if [ "$code" = 1 ]; then
    fails=$((fails + 1))
    grep -A1 '^FAIL ' "$OUT/run-$i.txt" | sed 's/^/    /'
  elif [ "$code" != 0 ]; then
    echo "unexpected exit $code:"; tail -20 "$OUT/run-$i.txt"; exit 1
  fi
  [ "$inc_here" -gt 0 ] && inconclusive_runs=$((inconclusive_runs + 1))
done
echo "A/A result: $fails of $RUNS runs failed (want 0); $inconclusive_runs had inconclusive checks; $(( $(date +%s) - start ))s"

# The same workload against a slower app: the baseline gate must catch it.
caught=0
for i in $(seq 1 "$SLOWRUNS"); do
  set +e
  "$BIN" -q -c "$OUT/slow.yml" --baseline "$BASE" --summary "$OUT/slow-$i.md" --out "$OUT/slow-$i.json" >"$OUT/slow-$i.txt" 2>&1
  code=$?
  set -e
  echo "slowdown $SLOW run $i against the baseline: exit $code (want 1)"
  grep -A1 '^FAIL ' "$OUT/slow-$i.txt" | sed 's/^/    /' || true
  [ "$code" = 1 ] && caught=$((caught + 1))
done
echo "slowdown $SLOW: caught in $caught of $SLOWRUNS runs"
