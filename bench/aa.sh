#!/usr/bin/env bash
# A/A experiment for the stored-baseline gate (issue #4, acceptance 1).
#
# Runs the unchanged demo app RUNS+KEEP times. The first KEEP runs only
# build the baseline (--save-baseline, keep: KEEP); each of the next RUNS
# runs is compared with the KEEP runs before it and then added to the
# baseline. An honest gate never fails an unchanged build: the count of
# exit-1 runs should be 0. Inconclusive checks pass (baseline.inconclusive:
# pass), as they do by default.
#
# Then, as a check that the gate still sees a real change, one run of the
# app with every deliberate wait SLOW times longer (default 1.3) against
# the same baseline: it should fail (exit 1).
#
# Usage: bench/aa.sh            (about 3–4 minutes)
#        RUNS=10 KEEP=5 DURATION=10s SLOW=1.3 bench/aa.sh
# Output: one line per run, then a summary; the files stay in $OUT.
set -euo pipefail

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

cat >"$OUT/loadgate.yml" <<EOF
# The demo workload (the Locust guide's WebsiteUser) against the demo app,
# which loadgate starts on a loopback port.
target:
  url: http://127.0.0.1:$PORT
  timeout: 5s
  start:
    command: $BIN demo --serve 127.0.0.1:$PORT
    ready: {url: http://127.0.0.1:$PORT/hello, timeout: 10s}
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
sed "s|demo --serve 127.0.0.1:$PORT|demo --serve 127.0.0.1:$PORT --slowdown $SLOW|" "$OUT/loadgate.yml" >"$OUT/slow.yml"
set +e
"$BIN" -q -c "$OUT/slow.yml" --baseline "$BASE" --summary "$OUT/slow.md" >"$OUT/slow.txt" 2>&1
code=$?
set -e
echo "slowdown $SLOW against the baseline: exit $code (want 1)"
grep -A1 '^FAIL ' "$OUT/slow.txt" | sed 's/^/    /' || true
