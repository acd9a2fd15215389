#!/usr/bin/env bash
# A real history: 16 runs of the demo workload against the demo app, the
# first 10 at normal speed and the last 6 with every deliberate wait 1.2
# times longer, added to a history file one by one (each with its own
# commit id), with `loadgate history --fail-on-change` after each. The
# change point should be run 11.
#   bench/history-demo.sh      (DURATION=5s; about 2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5s}
out=$(mktemp -d "${TMPDIR:-/tmp}/loadgate-history.XXXXXX")
go build -o "$out/loadgate" .
for i in $(seq 1 16); do
  slow=1.0; [ "$i" -ge 11 ] && slow=1.2
  sha=$(printf 'c%02d%038d' "$i" 0)
  GITHUB_SHA=$sha "$out/loadgate" demo -q --duration "$DURATION" --slowdown "$slow" --out "$out/run-$i.json" >/dev/null 2>&1 || true
  "$out/loadgate" history add --file "$out/history.json" "$out/run-$i.json" 2>/dev/null
  set +e
  "$out/loadgate" history --file "$out/history.json" --fail-on-change >"$out/report-$i.md" 2>&1
  code=$?
  set -e
  echo "run $i (slowdown $slow): history --fail-on-change exit $code"
done
"$out/loadgate" history --file "$out/history.json" --html "$out/history.html" | grep -E '^\| total|^\| /items' || true
echo "files in $out"
