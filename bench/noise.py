#!/usr/bin/env python3
"""Run-to-run spread of loadgate results of one unchanged workload.

Usage: bench/noise.py RESULT.json...   (e.g. the run-*.json of bench/aa.sh)

For the total and every endpoint, and each of p50, p95, p99 and rps: the
standard deviation of ln(value) across the runs (as a percentage, the
typical run-to-run change), next to the coefficient of variation. This is
how the gate's prior for run-to-run noise (gate.PriorRunNoise) was
measured; see docs/gate.md, "One kept run".
"""
import json, math, statistics, sys


def load(path):
    with open(path) as f:
        return json.load(f)


def main(paths):
    runs = [load(p) for p in paths]
    scopes = {}
    for r in runs:
        for st in [r["total"]] + r.get("endpoints", []):
            scopes.setdefault(st["name"], []).append(st)
    print(f"{len(runs)} runs\n")
    print("| scope | metric | runs | median | sd of ln (%) | CV (%) |")
    print("|---|---|---:|---:|---:|---:|")
    for name, sts in scopes.items():
        for metric in ("p50", "p95", "p99", "rps"):
            vals = [s["rps"] if metric == "rps" else s["latency_ms"][metric] for s in sts]
            vals = [v for v in vals if v > 0]
            if len(vals) < 2:
                continue
            logs = [math.log(v) for v in vals]
            sd = statistics.stdev(logs)
            cv = statistics.stdev(vals) / statistics.mean(vals)
            print(f"| {name} | {metric} | {len(vals)} | {statistics.median(vals):.3f} | {100 * math.expm1(sd):.1f} | {100 * cv:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
