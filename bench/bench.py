#!/usr/bin/env python3
"""Side-by-side benchmark of Wicket against a direct connection and tinyproxy.

Starts its own nginx origin (1 KiB, 64 KiB, 1 MiB and 64 MiB files), Wicket (release build) and
tinyproxy, all on loopback with private configs, and runs every case against `direct`, `wicket`
and `tinyproxy` in one run, interleaved over several rounds. Each figure is the median over the
rounds, reported with its ratio to direct. Every proxied run is checked against nginx's request
counter (stub_status): a proxy that answered without forwarding would make the numbers meaningless.

Run it through bench/run.sh, which installs what is missing and builds Wicket first.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["direct", "wicket", "tinyproxy"]
MiB = 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on port {port}")


def rss_kib(pid):
    """Resident memory of a process (threads included), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Lab:
    """The origin and the two proxies, started in a private directory and always stopped."""

    def __init__(self, wicket_bin, work):
        self.work = Path(work)
        self.wicket_bin = wicket_bin
        self.procs = []
        self.origin_port = free_port()
        self.status_port = free_port()
        self.ports = {"wicket": free_port(), "tinyproxy": free_port()}
        self.wicket = None

    def start(self):
        self._start_nginx()
        self.wicket = self.start_wicket(self.ports["wicket"])
        self._start_tinyproxy()

    def _spawn(self, args, **kw):
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
        self.procs.append(proc)
        return proc

    def _start_nginx(self):
        www = self.work / "www"
        www.mkdir()
        for name, size in [("1k", 1024), ("64k", 64 * 1024), ("1m", MiB), ("64m", 64 * MiB)]:
            with open(www / name, "wb") as f:
                f.write(os.urandom(size))
            os.chmod(www / name, 0o644)
        conf = self.work / "nginx.conf"
        temp = self.work / "nginx-temp"
        temp.mkdir()
        conf.write_text(f"""
worker_processes 1;
daemon off;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
  server {{ listen 127.0.0.1:{self.origin_port}; root {www}; }}
  server {{ listen 127.0.0.1:{self.status_port}; location / {{ stub_status; }} }}
}}
""")
        proc = self._spawn(["nginx", "-c", str(conf), "-p", str(self.work)])
        wait_port(self.origin_port, proc)

    def start_wicket(self, port, config=None):
        args = [self.wicket_bin, "--listen", f"127.0.0.1:{port}", "--quiet",
                "--connect-ports", f"443,{self.origin_port}", "--max-connections", "4096"]
        if config:
            args += ["--config", str(config)]
        env = dict(os.environ, XDG_CONFIG_HOME=str(self.work))
        proc = self._spawn(args, env=env)
        wait_port(port, proc)
        return proc

    def _start_tinyproxy(self):
        self.tinyproxy = self.start_tinyproxy(self.ports["tinyproxy"])

    def start_tinyproxy(self, port):
        conf = self.work / f"tinyproxy-{port}.conf"
        conf.write_text(f"""
Port {port}
Listen 127.0.0.1
Timeout 600
MaxClients 4096
Allow 127.0.0.1
ConnectPort 443
ConnectPort {self.origin_port}
LogLevel Critical
LogFile "{self.work}/tinyproxy-{port}.log"
PidFile "{self.work}/tinyproxy-{port}.pid"
DisableViaHeader Yes
""")
        proc = self._spawn(["tinyproxy", "-d", "-c", str(conf)])
        wait_port(port, proc)
        return proc

    def origin_requests(self):
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.status_port}/", timeout=5).read().decode()
        # "Active connections: 1\nserver accepts handled requests\n 3 3 5\n..."
        return int(text.splitlines()[2].split()[2])

    def url(self, path):
        return f"http://127.0.0.1:{self.origin_port}/{path}"

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_wrk(lab, target, path, conns, threads, seconds, close=False):
    """Runs wrk against the origin directly or through a proxy; returns req/s, p50, p99 (ms)."""
    script = lab.work / "proxy.lua"
    if not script.exists():
        script.write_text('local line = os.getenv("WICKET_BENCH_REQUEST")\nrequest = function() return line end\n')
    conn_header = "Connection: close\r\n" if close else ""
    env = dict(os.environ)
    if target == "direct":
        args = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", lab.url(path)]
        if close:
            args[1:1] = ["-H", "Connection: close"]
    else:
        request = f"GET {lab.url(path)} HTTP/1.1\r\nHost: 127.0.0.1:{lab.origin_port}\r\n{conn_header}\r\n"
        env["WICKET_BENCH_REQUEST"] = request
        args = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", str(script),
                f"http://127.0.0.1:{lab.ports[target]}/"]
    before = lab.origin_requests()
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=seconds + 60).stdout
    forwarded = lab.origin_requests() - before - 1  # minus the status request itself
    result = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": 0, "errors": 0}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(words[1])
        elif words[:1] == ["50%"]:
            result["p50_ms"] = to_ms(words[1])
        elif words[:1] == ["99%"]:
            result["p99_ms"] = to_ms(words[1])
        elif "requests in" in line:
            result["requests"] = int(words[0])
        elif line.strip().startswith("Non-2xx"):
            result["errors"] += int(words[-1])
        elif line.strip().startswith("Socket errors"):
            result["socket_errors"] = line.strip()
    if result["rps"] is None:
        raise RuntimeError(f"wrk printed no result for {target}:\n{out}")
    if result["errors"]:
        raise RuntimeError(f"{target}: {result['errors']} responses were not 2xx:\n{out}")
    # Every request wrk counted must have reached the origin (a few in flight at the end may not).
    if forwarded < result["requests"] * 0.98:
        raise RuntimeError(f"{target}: wrk counted {result['requests']} requests but the origin saw {forwarded}")
    return result


def to_ms(text):
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for unit in ("us", "ms", "s"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    return float(text)


def download(lab, target, path, tunnel=False, repeat=5):
    """Downloads a file with curl `repeat` times; returns the median MB/s (10^6 bytes). A 64 MiB
    download takes tens of milliseconds here, so single runs are noisy."""
    return statistics.median(download_once(lab, target, path, tunnel) for _ in range(repeat))


def download_once(lab, target, path, tunnel=False):
    args = ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download} %{size_download} %{http_code}"]
    if target != "direct":
        args += ["-x", f"http://127.0.0.1:{lab.ports[target]}"]
        if tunnel:
            args.append("--proxytunnel")
    args.append(lab.url(path))
    before = lab.origin_requests()
    speed, size, code = subprocess.run(args, capture_output=True, text=True, timeout=120).stdout.split()
    if code != "200" or int(size) != 64 * MiB:
        raise RuntimeError(f"{target}: download got status {code}, {size} bytes")
    if lab.origin_requests() - before < 1:
        raise RuntimeError(f"{target}: the origin did not see the download")
    return float(speed) / 1e6


def idle_connections_rss(lab, target, count, kind):
    """Starts a fresh instance of the proxy, opens `count` idle CONNECT tunnels or half-sent
    requests, and returns its RSS in MiB before and with them (fresh, so the figure does not
    depend on what earlier cases left in the allocator)."""
    port = free_port()
    if target == "wicket":
        # All 1000 connections come from 127.0.0.1: one client, for which Wicket's default
        # per-client limit (256) would answer the rest with 503.
        config = lab.work / "one-client-many-connections.json"
        config.write_text(json.dumps({"max_connections_per_client": 4096}))
        proc = lab.start_wicket(port, config)
    else:
        proc = lab.start_tinyproxy(port)
    time.sleep(0.3)
    base = rss_kib(proc.pid)
    socks = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            if kind == "tunnel":
                s.sendall(f"CONNECT 127.0.0.1:{lab.origin_port} HTTP/1.1\r\nHost: 127.0.0.1:{lab.origin_port}\r\n\r\n".encode())
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = s.recv(4096)
                    if not chunk:
                        raise RuntimeError(f"{target} closed a CONNECT")
                    head += chunk
                if b" 200 " not in head.split(b"\r\n")[0]:
                    raise RuntimeError(f"{target} refused CONNECT: {head[:80]!r}")
            else:
                s.sendall(f"GET {lab.url('1k')} HTTP/1.1\r\nHost: 127.0.0.1:{lab.origin_port}\r\nUser-Agent: half".encode())
            socks.append(s)
        time.sleep(1.0)
        return base / 1024, rss_kib(proc.pid) / 1024
    finally:
        for s in socks:
            s.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def blocklist_load(lab, rules):
    """Starts a second Wicket with `rules` generated rules; returns (seconds to listening, RSS MiB)
    and the same for an empty config, measured the same way."""
    config = lab.work / f"rules-{rules}.json"
    config.write_text(json.dumps({"block": [f"site{i}.example-{i % 97}.test" for i in range(rules)]}))
    empty = lab.work / "rules-0.json"
    empty.write_text("{}")
    figures = {}
    for name, path in [("empty", empty), ("rules", config)]:
        port = free_port()
        started = time.monotonic()
        proc = lab.start_wicket(port, path)
        figures[name] = (time.monotonic() - started, rss_kib(proc.pid) / 1024, proc, port)
    return figures


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wicket", required=True, help="path to the release wicket binary")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    ap.add_argument("--out", required=True, help="JSON file for the numbers")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="wicket-bench-")
    os.chmod(work, 0o755)  # nginx workers run as nobody
    lab = Lab(args.wicket, work)
    runs = {}  # (case, target) -> list of result dicts
    started = time.monotonic()
    try:
        lab.start()
        cases = [
            ("1 KiB keep-alive c64", lambda t: run_wrk(lab, t, "1k", 64, 2, args.seconds)),
            ("1 KiB new connection per request c16", lambda t: run_wrk(lab, t, "1k", 16, 2, args.seconds, close=True)),
            ("latency c1 keep-alive", lambda t: run_wrk(lab, t, "1k", 1, 1, args.seconds)),
            ("64 KiB keep-alive c16", lambda t: run_wrk(lab, t, "64k", 16, 2, args.seconds)),
            ("64 MiB download, 1 stream", lambda t: {"mbps": download(lab, t, "64m")}),
            ("64 MiB through a CONNECT tunnel", lambda t: {"mbps": download(lab, t, "64m", tunnel=t != "direct")}),
        ]
        for target in TARGETS:  # warm the page cache and every path once
            download_once(lab, target, "64m")
        for round_no in range(args.rounds):
            for name, fn in cases:
                order = TARGETS if round_no % 2 == 0 else list(reversed(TARGETS))
                for target in order:
                    print(f"round {round_no + 1}: {name}: {target}", file=sys.stderr, flush=True)
                    runs.setdefault((name, target), []).append(fn(target))
        memory = {}
        for target in ["wicket", "tinyproxy"]:
            for kind, label in [("tunnel", "RSS with 1000 idle CONNECT tunnels"), ("half", "RSS with 1000 idle half-sent requests")]:
                print(f"memory: {label}: {target}", file=sys.stderr, flush=True)
                memory[(label, target)] = idle_connections_rss(lab, target, 1000, kind)
        print("blocklist: 100 000 rules", file=sys.stderr, flush=True)
        loads = blocklist_load(lab, 100_000)
        lookup = {}
        for name in ["empty", "rules"]:
            port = loads[name][3]
            lab.ports[f"wicket-{name}"] = port
            lookup[name] = median([run_wrk(lab, f"wicket-{name}", "1k", 64, 2, args.seconds)["rps"] for _ in range(args.rounds)])
    finally:
        lab.stop()
        shutil.rmtree(work, ignore_errors=True)

    rows = []

    def row(case, unit, values, better, target_text=""):
        direct = values.get("direct")
        cells = []
        for t in TARGETS:
            v = values.get(t)
            if v is None:
                cells.append("—")
            elif direct and t != "direct":
                cells.append(f"{v:,.2f} ({v / direct:.2f}×)" if unit in ("ms", "MB/s") else f"{v:,.0f} ({v / direct:.2f}×)")
            else:
                cells.append(f"{v:,.2f}" if unit in ("ms", "MB/s") else f"{v:,.0f}")
        rows.append({"case": case, "unit": unit, "values": values, "better": better, "cells": cells, "target": target_text})

    # Both 64 MiB cases measure the same direct download: their samples are pooled, which
    # steadies the figure both ratios are taken against.
    same_direct = {"64 MiB download, 1 stream", "64 MiB through a CONNECT tunnel"}

    def med(case, key, target):
        cases = same_direct if (target == "direct" and case in same_direct) else {case}
        return median([r[key] for c in cases for r in runs.get((c, target), [])])

    targets_text = {
        ("1 KiB keep-alive c64", "rps"): "≥ 0.60×",
        ("1 KiB new connection per request c16", "rps"): "≥ 0.50×",
        ("latency c1 keep-alive", "p50_ms"): "≤ direct + 0.05 ms",
        ("64 MiB download, 1 stream", "mbps"): "≥ 0.80×",
        ("64 MiB through a CONNECT tunnel", "mbps"): "≥ 0.90×",
    }
    for case, metrics in [
        ("1 KiB keep-alive c64", [("rps", "req/s", "higher"), ("p50_ms", "ms", "lower"), ("p99_ms", "ms", "lower")]),
        ("1 KiB new connection per request c16", [("rps", "req/s", "higher")]),
        ("latency c1 keep-alive", [("p50_ms", "ms", "lower"), ("p99_ms", "ms", "lower")]),
        ("64 KiB keep-alive c16", [("rps", "req/s", "higher")]),
        ("64 MiB download, 1 stream", [("mbps", "MB/s", "higher")]),
        ("64 MiB through a CONNECT tunnel", [("mbps", "MB/s", "higher")]),
    ]:
        for key, unit, better in metrics:
            label = {"rps": "req/s", "p50_ms": "p50 ms", "p99_ms": "p99 ms", "mbps": "MB/s"}[key]
            row(f"{case}, {label}", unit, {t: med(case, key, t) for t in TARGETS}, better, targets_text.get((case, key), ""))
    for label in ["RSS with 1000 idle CONNECT tunnels", "RSS with 1000 idle half-sent requests"]:
        values = {t: memory[(label, t)][1] for t in ["wicket", "tinyproxy"]}
        rows.append({"case": f"{label}, MiB", "unit": "MiB", "values": values, "better": "lower",
                     "cells": ["—"] + [f"{values[t]:.1f} (at start {memory[(label, t)][0]:.1f})" for t in ["wicket", "tinyproxy"]],
                     "target": "≤ 10 MiB" if "tunnels" in label else ""})
    load_s = loads["rules"][0]
    rows.append({"case": "start with 100 000 block rules, s (empty config)", "unit": "s",
                 "values": {"wicket": load_s}, "better": "lower",
                 "cells": ["—", f"{load_s:.3f} ({loads['empty'][0]:.3f})", "—"], "target": "< 1 s"})
    rows.append({"case": "RSS with 100 000 block rules, MiB (empty config)", "unit": "MiB",
                 "values": {"wicket": loads["rules"][1]}, "better": "lower",
                 "cells": ["—", f"{loads['rules'][1]:.1f} ({loads['empty'][1]:.1f})", "—"], "target": ""})
    rows.append({"case": "1 KiB keep-alive c64 with 100 000 rules, req/s (vs no rules)", "unit": "req/s",
                 "values": {"wicket": lookup["rules"]}, "better": "higher",
                 "cells": ["—", f"{lookup['rules']:,.0f} ({lookup['rules'] / lookup['empty']:.2f}× of {lookup['empty']:,.0f})", "—"], "target": ""})

    elapsed = time.monotonic() - started
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.release()}",
        "commit": git_commit(),
        "rounds": args.rounds,
        "seconds_per_wrk_run": args.seconds,
        "elapsed_s": round(elapsed),
        "versions": versions(),
    }
    table = markdown(rows, meta)
    print(table)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"meta": meta, "rows": [{k: v for k, v in r.items() if k != "cells"} for r in rows]}, indent=2) + "\n")
    Path(args.out).with_suffix(".md").write_text(table)


def markdown(rows, meta):
    lines = [
        f"Run {meta['date']} on {meta['machine']}; commit {meta['commit']}; "
        f"{meta['rounds']} interleaved rounds, {meta['seconds_per_wrk_run']} s per wrk run, medians; "
        f"{meta['elapsed_s']} s in all. {meta['versions']}.",
        "",
        "| case | direct | wicket | tinyproxy | target (wicket) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['case']} | {' | '.join(r['cells'])} | {r['target']} |")
    return "\n".join(lines) + "\n"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def git_commit():
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def versions():
    def first(args):
        try:
            p = subprocess.run(args, capture_output=True, text=True)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    return ", ".join([first(["nginx", "-v"]).replace("nginx version: ", ""), first(["tinyproxy", "-v"]), first(["wrk", "-v"]).split(" [")[0]])


if __name__ == "__main__":
    main()
