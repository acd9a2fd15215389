#!/usr/bin/env bash
# One command: install the peers, build loadgate and the loopback targets,
# and compare loadgate with wrk, hey, bombardier, vegeta and fortio.
#   bench/run.sh [throughput|rate|stall|memory|users|startup|all]   (ROUNDS=8 DURATION=10)
# The generator is pinned to CPU 1 and the target to CPU 0 with taskset.
# Every figure that matters is a ratio measured in the same interleaved
# round: absolute RPS on shared machines drifts by up to 2x between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="$root/bench/.bin"
mkdir -p "$bin"
export DEBIAN_FRONTEND=noninteractive
pkgs=()
command -v wrk >/dev/null || pkgs+=(wrk)
command -v hey >/dev/null || pkgs+=(hey)
command -v nginx >/dev/null || pkgs+=(nginx-light)
command -v taskset >/dev/null || pkgs+=(util-linux)
[ -x /usr/bin/time ] || pkgs+=(time)
if [ ${#pkgs[@]} -gt 0 ]; then
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi
# Pinned peers from the Go module proxy (fortio after 1.63 needs a module
# the proxy does not serve).
[ -x "$bin/bombardier" ] || GOBIN="$bin" go install github.com/codesenberg/bombardier@v1.2.6
[ -x "$bin/vegeta" ] || GOBIN="$bin" go install github.com/tsenart/vegeta/v12@v12.13.0
[ -x "$bin/fortio" ] || GOBIN="$bin" go install fortio.org/fortio@v1.63.9
go build -o "$bin/loadgate" .
go build -o "$bin/target" ./bench/target
exec python3 bench/peers.py "${1:-all}"
