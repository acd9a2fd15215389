#!/usr/bin/env bash
# A/B experiment for `loadgate ab` (issue #4, acceptance 2).
#
# Two builds of the demo app, each a directory with a run.sh that starts
# the loadgate binary's demo app on one loopback port:
#   base: `demo --serve`                    the unchanged app
#   head: `demo --serve --slowdown 1.15`    every deliberate wait 15% longer
# `loadgate ab` runs ROUNDS pairs of rounds against them, TRIES times: it
# should catch the slowdown (exit 1) in at least 9 of 10 tries. Then TRIES
# times with identical builds: it should never fail (0 exit-1 tries).
#
# Usage: bench/ab.sh            (about 20 minutes with the defaults)
#        TRIES=10 ROUNDS=6 ROUND_DURATION=4s SLOWDOWN=1.15 bench/ab.sh
#        ONLY=slow|same bench/ab.sh   runs one half
set -euo pipefail

TRIES=${TRIES:-10}
ROUNDS=${ROUNDS:-6}
ROUND_DURATION=${ROUND_DURATION:-4s}
SLOWDOWN=${SLOWDOWN:-1.15}
ONLY=${ONLY:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/loadgate-ab.XXXXXX")}
BIN="$OUT/loadgate"

(cd "$ROOT" && go build -o "$BIN" .)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18432)

# build DIR [DEMO FLAGS...]: a "build" of the app, as ab expects one: a
# directory whose run.sh starts it.
build() {
  local dir=$1
  shift
  mkdir -p "$dir"
  printf '#!/bin/sh\nexec %s demo --serve 127.0.0.1:%s %s\n' "$BIN" "$PORT" "$*" >"$dir/run.sh"
  chmod +x "$dir/run.sh"
}
build "$OUT/base"
build "$OUT/slow" --slowdown "$SLOWDOWN"
build "$OUT/same"

cat >"$OUT/loadgate.yml" <<EOF
target:
  url: http://127.0.0.1:$PORT
  timeout: 5s
  start:
    command: ./run.sh
    ready: {url: http://127.0.0.1:$PORT/hello, timeout: 10s}
    stop_timeout: 2s
load: {warmup: 1s, users: 20, spawn_rate: 20}
wait_time: between 50ms 150ms
tasks:
  - {name: /hello_world, weight: 3, get: /hello}
  - {name: "/items/[item_id]", weight: 2, get: "/items/{{ randInt 1 100 }}"}
  - name: /create_item
    post: /create_item
    json: {name: "Item {{ randInt 1 1000 }}", price: "{{ randFloat 10 100 2 }}"}
baseline:
  inconclusive: pass
  tolerance: {p95: 10%, p99: 20%, rps: 10%, failure_rate: 0.5%}
EOF

# series NAME HEAD_DIR: TRIES runs of ab; prints one line per try and the
# count of exit-1 tries.
series() {
  local name=$1 head=$2 failed=0 t0 code
  t0=$(date +%s)
  for i in $(seq 1 "$TRIES"); do
    set +e
    "$BIN" ab -q -c "$OUT/loadgate.yml" --base-dir "$OUT/base" --head-dir "$head" \
      --rounds "$ROUNDS" --round-duration "$ROUND_DURATION" \
      --out "$OUT/$name-$i.json" --summary "$OUT/$name-$i.md" >"$OUT/$name-$i.txt" 2>&1
    code=$?
    set -e
    local failing
    failing=$(grep '^FAIL ' "$OUT/$name-$i.txt" | sed 's/ (.*//; s/^FAIL  //' | paste -sd ',' - || true)
    echo "$name try $i: exit $code ${failing:+· failed: $failing}"
    case $code in
    0) ;;
    1) failed=$((failed + 1)) ;;
    *) echo "unexpected exit $code:"; tail -20 "$OUT/$name-$i.txt"; exit 1 ;;
    esac
  done
  echo "$name: $failed of $TRIES tries exited 1; $(( $(date +%s) - t0 ))s"
}

echo "A/B: $TRIES tries × $ROUNDS pairs of $ROUND_DURATION rounds; files in $OUT"
if [ "$ONLY" != same ]; then series slow "$OUT/slow"; fi
if [ "$ONLY" != slow ]; then series same "$OUT/same"; fi
