#!/usr/bin/env python3
"""Runs loadgate beside wrk, hey, bombardier, vegeta and fortio on the same
loopback targets, in interleaved rounds, and prints per tool: RPS, p50/p99,
the generator's user+sys CPU seconds and max RSS, and requests per generator
CPU-second as a ratio to wrk's (median of the per-round ratios).

Started by bench/run.sh, which installs everything; see docs/performance.md.
Modes: throughput, rate, stall, memory, users, startup, all. Environment: ROUNDS (8),
DURATION (10 s), CONNS (50), TARGETS (hello,nginx: the throughput targets),
STALL_CHUNKED=1 (the stall server answers in two TCP segments; see bench/target),
STALL_RATES (2000,5000), BUSY=1 (a lowest-priority busy loop shares the
generator's CPU during every run: the CI case, where the app under test keeps
the runner's cores busy, so a generator's CPU never idles between requests;
see "Idle CPUs and evenly spaced arrivals" in docs/performance.md),
PEERS=a,b (only these tools, e.g. PEERS=wrk,loadgate with BASE for a
before/after of loadgate alone), BASE=<a loadgate binary> (runs it too, as loadgate-base, in every round
beside the loadgate just built, and prints loadgate over it per round: how a
change is measured against the build before it)."""
import json, os, re, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bench", ".bin")
ROUNDS = int(os.environ.get("ROUNDS", "8"))
DUR = int(os.environ.get("DURATION", "10"))
CONNS = int(os.environ.get("CONNS", "50"))
GEN_CPU, TARGET_CPU = "1", "0"
TMP = tempfile.mkdtemp(prefix="loadgate-bench-")


def b(name):
    return os.path.join(BIN, name)


BUSY = os.environ.get("BUSY") == "1"


def timed(cmd, stdout_path):
    """Runs cmd pinned to the generator CPU; returns (cpu_s, rss_kb, wall_s).
    With BUSY=1 a nice-19 busy loop shares that CPU: the scheduler gives the
    tool the CPU whenever it is runnable (weight 1024 against 15), but the
    CPU never idles, so waking it costs no exit from an idle state. The
    loop's own CPU is not counted."""
    tfile = stdout_path + ".time"
    spin = None
    if BUSY:
        spin = subprocess.Popen(["taskset", "-c", GEN_CPU, "nice", "-n", "19", "sh", "-c", "while :; do :; done"])
    try:
        with open(stdout_path, "w") as out:
            subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", tfile, "taskset", "-c", GEN_CPU] + cmd,
                           stdout=out, stderr=subprocess.STDOUT, check=False)
    finally:
        if spin:
            spin.kill()
            spin.wait()
    e, u, s, m = open(tfile).read().split()[-4:]
    return float(u) + float(s), int(m), float(e)


def secs(v, unit):
    return float(v) * {"us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1000, "m": 60000}[unit]


# Each tool: build the command, parse (requests, p50_ms, p99_ms) from its output.
def wrk(url, conns, dur, rate=None):
    return ["wrk", "-t1", f"-c{conns}", f"-d{dur}s", "--latency", url]


def parse_wrk(path):
    t = open(path).read()
    n = int(re.search(r"(\d+) requests in", t).group(1))
    p = dict((k, secs(v, u)) for k, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", t, re.M))
    return n, p.get("50"), p.get("99")


def hey(url, conns, dur, rate=None):
    cmd = ["hey", "-c", str(conns), "-z", f"{dur}s"]
    if rate:
        cmd += ["-q", str(max(1, rate // conns))]
    return cmd + [url]


def parse_hey(path):
    t = open(path).read()
    n = sum(int(x) for x in re.findall(r"\[\d+\]\s+(\d+) responses", t))
    p = dict((k, float(v) * 1000) for k, v in re.findall(r"(50|99)%+ in ([\d.]+) secs", t))
    return n, p.get("50"), p.get("99")


def bombardier(url, conns, dur, rate=None):
    cmd = [b("bombardier"), "-c", str(conns), "-d", f"{dur}s", "-l", "-p", "r", "-o", "j"]
    if rate:
        cmd += ["-r", str(rate)]
    return cmd + [url]


def parse_bombardier(path):
    t = open(path).read()
    r = json.loads(t[t.index("{"):])["result"]
    n = sum(r.get(k, 0) for k in ("req1xx", "req2xx", "req3xx", "req4xx", "req5xx", "others"))
    pct = r["latency"]["percentiles"]
    return n, pct["50"] / 1000, pct["99"] / 1000


def vegeta(url, conns, dur, rate=None):
    target = os.path.join(TMP, "vegeta.targets")
    open(target, "w").write(f"GET {url}\n")
    out = os.path.join(TMP, "vegeta.bin")
    r = ["-rate", str(rate)] if rate else ["-rate", "0", "-max-workers", str(conns)]
    return [b("vegeta"), "attack", "-targets", target, "-workers", str(conns), "-duration", f"{dur}s", "-output", out] + r


def parse_vegeta(path):
    out = subprocess.run([b("vegeta"), "report", "-type", "json", os.path.join(TMP, "vegeta.bin")], capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["requests"], r["latencies"]["50th"] / 1e6, r["latencies"]["99th"] / 1e6


def fortio(url, conns, dur, rate=None, uniform=False):
    return [b("fortio"), "load", "-quiet", "-c", str(conns), "-qps", str(rate or -1), "-t", f"{dur}s"] + \
        (["-uniform"] if uniform else []) + ["-json", os.path.join(TMP, "fortio.json"), url]


def fortio_uniform(url, conns, dur, rate=None):
    """fortio with its connections' schedules spread evenly over each
    period (-uniform). By default fortio starts every connection's request
    at the same instant: at 2,000/s over 50 connections, a burst of 50 every
    25 ms, which costs far fewer wake-ups than the evenly spaced starts that
    loadgate (and vegeta) send. This is the same arrival process as theirs."""
    return fortio(url, conns, dur, rate, uniform=True)


def parse_fortio(path):
    r = json.load(open(os.path.join(TMP, "fortio.json")))
    h = r["DurationHistogram"]
    p = {str(x["Percentile"]): x["Value"] * 1000 for x in h["Percentiles"]}
    return h["Count"], p.get("50"), p.get("99")


def loadgate(url, conns, dur, rate=None, warmup=0):
    cfg = os.path.join(TMP, "loadgate.yml")
    load = f"{{duration: {dur}s, users: {conns}, warmup: {warmup}s}}"
    if rate:
        load = f"{{duration: {dur}s, arrival_rate: {rate}/s, users: {max(conns, 2 * rate)}}}"
    # Weighted tasks and per-endpoint recording on, as a real workload has.
    open(cfg, "w").write(f"""target: {{url: "{url.rstrip('/')}", timeout: 20s}}
load: {load}
tasks:
  - {{name: a, weight: 3, get: /}}
  - {{name: b, weight: 2, get: /b}}
  - {{name: c, weight: 1, get: "/c/{{{{ randInt 1 100 }}}}"}}
""")
    return [b("loadgate"), "-c", cfg, "-q", "--out", os.path.join(TMP, "loadgate.json")]


def loadgate_warm(url, conns, dur, rate=None):
    """loadgate as its docs recommend for many users: a 3 s warmup, so the
    storm of thousands of connections opening at once is not measured (the
    peers measure it, or leave connection set-up out of their latency)."""
    return loadgate(url, conns, dur, rate, warmup=3)


def parse_loadgate(path):
    t = json.load(open(os.path.join(TMP, "loadgate.json")))["total"]
    return t["requests"], t["latency_ms"]["p50"], t["latency_ms"]["p99"]


TOOLS = {"wrk": (wrk, parse_wrk), "fortio": (fortio, parse_fortio), "fortio-uniform": (fortio_uniform, parse_fortio),
         "bombardier": (bombardier, parse_bombardier),
         "hey": (hey, parse_hey), "vegeta": (vegeta, parse_vegeta), "loadgate": (loadgate, parse_loadgate),
         "loadgate-warmup": (loadgate_warm, parse_loadgate),
         "loadgate-base": (lambda *a, **k: [BASE] + loadgate(*a, **k)[1:], parse_loadgate)}
BASE = os.path.abspath(os.environ["BASE"]) if os.environ.get("BASE") else None


def with_base(tools):
    """tools, with loadgate-base right after loadgate when BASE is set (the
    pair runs seconds apart, whichever way the round's order goes)."""
    if not BASE or "loadgate" not in tools:
        return tools
    i = tools.index("loadgate") + 1
    return tools[:i] + ["loadgate-base"] + tools[i:]


class Target:
    """A loopback server pinned to the target CPU."""

    def __init__(self, kind, port):
        self.kind, self.port, self.url = kind, port, f"http://127.0.0.1:{port}/"
        if kind == "nginx":
            d = tempfile.mkdtemp(prefix="nginx-", dir=TMP)
            conf = os.path.join(d, "nginx.conf")
            open(conf, "w").write(f"""worker_processes 1; daemon off; pid {d}/nginx.pid; error_log {d}/error.log;
events {{ worker_connections 20000; }}
http {{ access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  server {{ listen 127.0.0.1:{port}; location / {{ return 200 "hello"; }} }} }}""")
            cmd = ["nginx", "-c", conf, "-p", d]
        else:
            cmd = [b("target"), "-addr", f"127.0.0.1:{port}", "-mode", kind]
            if kind == "stall" and os.environ.get("STALL_CHUNKED") == "1":
                cmd.append("-chunked")
        self.p = subprocess.Popen(["taskset", "-c", TARGET_CPU] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run(["curl", "-s", "-o", "/dev/null", self.url], check=False).returncode == 0:
                break
            time.sleep(0.05)

    def server_stats(self):
        """The stall server's own p99 since the last call (None for other
        targets): the truth the generators' p99 is compared with."""
        if self.kind != "stall":
            return None
        import urllib.request
        return json.load(urllib.request.urlopen(self.url + "__stats", timeout=5))

    def cpu(self):
        """The target's user+sys CPU seconds so far, its worker processes
        included: what a generator's traffic costs the app it measures
        (the kernel bills some of a connection's packets to the receiver,
        some to the sender, so the generator's own CPU is not the whole
        cost a run puts on the machine)."""
        tick = os.sysconf("SC_CLK_TCK")
        pids, total = [self.p.pid], 0
        while pids:
            pid = pids.pop()
            try:
                f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                total += int(f[11]) + int(f[12])
                kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
            except OSError:
                continue
            pids += [int(k) for k in kids]
        return total / tick

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=10)


def only(tools):
    """tools, less those PEERS leaves out."""
    peers = os.environ.get("PEERS")
    return [t for t in tools if not peers or t in peers.split(",")]


def run_round(tools, target, conns, dur, rate=None):
    res = {}
    for name in with_base(only(tools)):
        build, parse = TOOLS[name]
        path = os.path.join(TMP, f"{name}.out")
        target.server_stats()  # starts the server's own count over
        t0 = target.cpu()
        cpu, rss, wall = timed(build(target.url, conns, dur, rate), path)
        tcpu = target.cpu() - t0
        server = target.server_stats()
        try:
            n, p50, p99 = parse(path)
        except Exception as e:  # a tool that failed is reported, not fatal
            print(f"  {name}: could not parse its output ({e})", file=sys.stderr)
            continue
        res[name] = dict(n=n, p50=p50, p99=p99, cpu=cpu, tcpu=tcpu, rss=rss, rps=n / dur, eff=n / cpu if cpu else 0,
                         machine=n / (cpu + tcpu) if cpu + tcpu else 0,
                         server_p99=server["p99"] if server else None)
        time.sleep(0.5)
    return res


def table(title, rounds, ratio_to="wrk"):
    print(f"\n### {title}\n")
    truth = any(x.get("server_p99") for r in rounds for x in r.values())
    extra = " server's own p99 ms | p99 / server's |" if truth else ""
    print("| tool | RPS | p50 ms | p99 ms | CPU s | target CPU s | max RSS MiB | req per CPU-s | ratio to " + ratio_to + " |" + extra)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if truth else ""))
    tools = [t for t in TOOLS if any(t in r for r in rounds)]
    notes = []
    for t in tools:
        rs = [r[t] for r in rounds if t in r]
        med = lambda k: statistics.median([x[k] for x in rs if x.get(k) is not None] or [0])
        ratios = [r[t]["eff"] / r[ratio_to]["eff"] for r in rounds if t in r and ratio_to in r and r[ratio_to]["eff"]]
        ratio = f"{statistics.median(ratios):.2f}" if ratios else "–"
        line = (f"| {t} | {med('rps'):.0f} | {med('p50'):.2f} | {med('p99'):.2f} | {med('cpu'):.2f} | {med('tcpu'):.2f} "
                f"| {max(x['rss'] for x in rs)/1024:.1f} | {med('eff'):.0f} | {ratio} |")
        if truth:
            # Per round, the tool's p99 over the server's own p99 in that run.
            rel = [x["p99"] / x["server_p99"] for x in rs if x.get("server_p99") and x["p99"]]
            line += f" {med('server_p99'):.2f} | {statistics.median(rel):.3f} |" if rel else " – | – |"
            if rel and not 0.5 < statistics.median(rel) < 2:
                line = line[:-2] + " ¹ |"
                sp = [x["server_p99"] for x in rs if x.get("server_p99")]
                notes.append(f"¹ {t}: the server's own p99 ranged {min(sp):.2f}–{max(sp):.2f} ms over the rounds. "
                             "This tool's requests did not meet the freezes as evenly spaced arrivals do (it sends "
                             "in bursts and waits on its connections, or fell behind its rate), so its p99 and the "
                             "server's describe different requests, and their ratio says little about accuracy.")
        print(line)
    for n in notes:
        print("\n" + n)
    # The comparison the goals name, round by round: absolute figures drift
    # between rounds, the pair measured seconds apart does not.
    for ref in ("fortio", "fortio-uniform", "loadgate-base"):
        for key, what in (("eff", "requests per CPU-second"),
                          ("machine", "requests per machine CPU-second (generator + target)")):
            pairs = [r["loadgate"][key] / r[ref][key] for r in rounds if "loadgate" in r and ref in r and r[ref][key]]
            if pairs:
                print(f"\nloadgate's {what} over {ref}'s, per round: "
                      + ", ".join(f"{x:.2f}" for x in pairs)
                      + f" (median {statistics.median(pairs):.2f}; at least 1.00 in {sum(x >= 1 for x in pairs)} of {len(pairs)})")


def throughput():
    wanted = os.environ.get("TARGETS", "hello,nginx").split(",")
    for kind, port in (("hello", 18090), ("nginx", 18091)):
        if kind not in wanted:
            continue
        target = Target(kind, port)
        try:
            rounds = []
            for i in range(ROUNDS):
                tools = [t for t in TOOLS if t not in ("fortio-uniform", "loadgate-warmup", "loadgate-base")]
                order = tools if i % 2 == 0 else tools[::-1]
                rounds.append(run_round(order, target, CONNS, DUR))
                print(f"  {kind} round {i + 1}/{ROUNDS} done", file=sys.stderr)
            table(f"Throughput: closed model, {CONNS} connections, {DUR} s, against {'nginx' if kind == 'nginx' else 'a Go hello server'} ({ROUNDS} rounds)", rounds)
        finally:
            target.stop()


def rate_mode():
    target = Target("hello", 18092)
    try:
        for rate in (2000, 5000):
            tools = ["fortio", "fortio-uniform", "vegeta", "bombardier", "loadgate"]
            rounds = [run_round(tools, target, CONNS, DUR, rate) for _ in range(max(1, ROUNDS // 2))]
            table(f"Fixed rate {rate}/s, {DUR} s: CPU per request (ratio to fortio)", rounds, ratio_to="fortio")
    finally:
        target.stop()


def stall():
    target = Target("stall", 18093)
    try:
        for rate in (int(x) for x in os.environ.get("STALL_RATES", "2000,5000").split(",")):
            tools = ["fortio", "fortio-uniform", "vegeta", "loadgate"]
            rounds = [run_round(tools, target, 2 * rate, DUR, rate) for _ in range(max(1, ROUNDS // 4))]
            table(f"Open model {rate}/s against a server that freezes 1 s every 5 s (true p99 ≈ 950 ms)", rounds, ratio_to="fortio")
    finally:
        target.stop()


def memory():
    target = Target("delay", 18094)
    try:
        n = 5000
        tools = ["wrk", "bombardier", "fortio", "hey", "vegeta", "loadgate", "loadgate-warmup"]
        rounds = [run_round(tools, target, n, max(DUR, 15)) for _ in range(max(1, ROUNDS // 4))]
        table(f"{n} users against a server that answers after 1 s (RSS per user = max RSS / {n})", rounds)
    finally:
        target.stop()


def users():
    """Memory per virtual user as a real workload has it: 10,000 users with
    1 s think time against the built-in demo app (the Locust guide's
    WebsiteUser tasks), started over 2 s, a 3 s warmup, 20 s measured."""
    port = 18095
    app = subprocess.Popen(["taskset", "-c", TARGET_CPU, b("loadgate"), "demo", "--serve", f"127.0.0.1:{port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/hello"], check=False).returncode == 0:
                break
            time.sleep(0.05)
        n = 10000
        cfg = os.path.join(TMP, "users.yml")
        open(cfg, "w").write(f"""target: {{url: "http://127.0.0.1:{port}", timeout: 20s}}
load: {{users: {n}, spawn_rate: {n // 2}, warmup: 3s, duration: 20s}}
wait_time: constant 1s
tasks:
  - {{name: /hello_world, weight: 3, get: /hello}}
  - {{name: "/items/[item_id]", weight: 2, get: "/items/{{{{ randInt 1 100 }}}}"}}
  - {{name: /create_item, weight: 1, post: /create_item, json: {{name: "Item {{{{ randInt 1 1000 }}}}", price: "{{{{ randFloat 10 100 2 }}}}"}}}}
""")
        print(f"\n### {n} users, 1 s think time, against the demo app (goal: under 180 MiB RSS)\n")
        print("| round | requests | p50 ms | p99 ms | failures | CPU s | max RSS MiB | KiB per user |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for i in range(max(1, ROUNDS // 4)):
            out = os.path.join(TMP, "users.json")
            cpu, rss, _ = timed([b("loadgate"), "-c", cfg, "-q", "--out", out], os.path.join(TMP, "users.out"))
            t = json.load(open(out))["total"]
            print(f"| {i + 1} | {t['requests']} | {t['latency_ms']['p50']:.1f} | {t['latency_ms']['p99']:.1f} | {t['failures']} "
                  f"| {cpu:.2f} | {rss / 1024:.1f} | {rss / n:.1f} |")
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=10)


def startup():
    """From exec to the first request arriving at the target, with no
    target.start: the median of 20 launches."""
    import socket, threading
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    port = ls.getsockname()[1]
    first = {}
    ev = threading.Event()

    def serve():
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            c.recv(4096)
            first.setdefault("t", time.monotonic())
            ev.set()
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            c.close()

    threading.Thread(target=serve, daemon=True).start()
    times = []
    for _ in range(20):
        first.clear()
        ev.clear()
        t0 = time.monotonic()
        p = subprocess.Popen([b("loadgate"), "--url", f"http://127.0.0.1:{port}/", "-t", "1s", "-u", "1", "-q"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ev.wait(5)
        if "t" in first:
            times.append((first["t"] - t0) * 1000)
        p.wait()
    ls.close()
    print(f"\n### Start-up\n\nexec to first request: median {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms over {len(times)} launches (goal: under 50 ms)")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "all"
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    print(f"# loadgate beside its peers\n\n{os.cpu_count()} CPUs ({cpu}); generator on CPU {GEN_CPU}, target on CPU {TARGET_CPU}; "
          f"{ROUNDS} rounds, {DUR} s each; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
          + ("; BUSY=1: a nice-19 busy loop shares the generator's CPU" if BUSY else ""))
    {"throughput": throughput, "rate": rate_mode, "stall": stall, "memory": memory, "startup": startup,
     "users": users, "all": lambda: (throughput(), rate_mode(), stall(), memory(), users(), startup())}[mode]()
