#!/usr/bin/env bash
# The memory bounds against hostile servers, measured as loadgate's maximum
# resident set size (GNU time) on loopback:
#   flood: a server that sends header lines forever, 50 users with expect
#   big:   200 users each receiving 4 MiB bodies with expect, with the
#          default target.max_body (1 MiB: the requests fail, naming it) and
#          with max_body 8MiB (the bodies are kept and checked)
# Usage: bench/bounds.sh      (about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo; $sudo_ apt-get install -y -qq time; }
out=$(mktemp -d "${TMPDIR:-/tmp}/loadgate-bounds.XXXXXX")
go build -o "$out/loadgate" .
go build -o "$out/target" ./bench/target
run() { # name mode port users max_body
  "$out/target" -mode "$2" -addr "127.0.0.1:$3" & local tp=$!
  sleep 0.5
  local mb=""; [ -n "$5" ] && mb=", max_body: $5"
  cat >"$out/$1.yml" <<YML
target: {url: http://127.0.0.1:$3, timeout: 5s$mb}
load: {duration: 10s, users: $4, spawn_rate: 0}
tasks: [{get: /, expect: {contains: xxx}}]
thresholds: {total: [failure_rate <= 100%]}
YML
  set +e
  /usr/bin/time -f "%M" -o "$out/$1.rss" "$out/loadgate" -q -c "$out/$1.yml" --out "$out/$1.json" >"$out/$1.txt" 2>&1
  set -e
  kill "$tp" 2>/dev/null; wait "$tp" 2>/dev/null || true
  python3 - "$1" "$out/$1.json" "$(tail -n 1 "$out/$1.rss")" <<'PY'
import json, sys
name, path, rss = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = json.load(open(path))["total"]
reasons = ", ".join(f"{k} ×{v}" for k, v in t["failure_reasons"].items()) or "none"
print(f"| {name} | {t['requests']} | {t['failures']} | {reasons} | {rss / 1024:.0f} MiB |")
PY
}
echo "| case | requests | failures | reasons | max RSS |"
echo "|---|---:|---:|---|---:|"
run flood flood 18181 50 ""
run big-default big 18182 200 ""
run big-8MiB big 18183 200 8MiB
