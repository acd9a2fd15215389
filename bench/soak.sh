#!/usr/bin/env bash
# Memory stays flat in long runs: loadgate drives the demo app at a fixed
# 1,000 requests/s for MINUTES minutes (default 10) and samples its RSS
# every minute. Prints the samples and the spread after the first minute.
#   bench/soak.sh [MINUTES=10] [RATE=1000/s]
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-10}; RATE=${RATE:-1000/s}; PORT=${PORT:-8767}
out=$(mktemp -d)
go build -o "$out/loadgate" .
"$out/loadgate" demo --serve "127.0.0.1:$PORT" 2>/dev/null &
app=$!
trap 'kill $app $lg 2>/dev/null; wait 2>/dev/null' EXIT
sleep 0.5
cat > "$out/soak.yml" <<YML
target: {url: "http://127.0.0.1:$PORT"}
load: {duration: ${MINUTES}m, arrival_rate: $RATE, users: 200}
tasks:
  - {name: /hello, weight: 3, get: /hello}
  - {name: "/items/[id]", weight: 2, get: "/items/{{ randInt 1 99 }}"}
  - {name: /create_item, weight: 1, post: /create_item, json: {name: "x{{ seq }}", price: "{{ randFloat 1 9 2 }}"}}
YML
"$out/loadgate" -c "$out/soak.yml" -q --out "$out/result.json" >/dev/null &
lg=$!
samples=()
for m in $(seq "$MINUTES"); do
  # The last sample is taken just before the run ends, not after.
  if [ "$m" = "$MINUTES" ]; then sleep 55; else sleep 60; fi
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$lg/status" 2>/dev/null || true)
  [ -n "$rss" ] || break
  samples+=("$rss")
  echo "minute $m: RSS $((rss / 1024)) MiB ($rss KiB)"
done
wait $lg || true
python3 - "$out/result.json" "${samples[@]}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); s = [int(x) for x in sys.argv[2:]]
after = s[1:] or s
print(f"requests {r['total']['requests']} ({r['total']['rps']}/s), failures {r['total']['failures']}, dropped {r['dropped']}")
print(f"RSS after the first minute: min {min(after)/1024:.1f} MiB, max {max(after)/1024:.1f} MiB, spread {100*(max(after)-min(after))/min(after):.1f}%")
PY
