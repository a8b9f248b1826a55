"""Issue 18: presigning requests/s and server CPU per request with the
signer's database in SQLite (one process) or PostgreSQL (one process, and
three replicas behind HAProxy round-robin), in the same run.

    .venv/bin/python bench/server/database_bench.py OUT_DIR [--runs 3] [--seconds 10]
                                                    [--connections 64]

Endpoints: POST /api/get-upload-url (one presigned PUT; the user's quota
read from the database) and POST /api/multipart/{id}/part-urls (four part
URLs; the upload's session read from the database). oha runs on core 1
(`taskset`); the signers, PostgreSQL and HAProxy share core 0, so the
measured requests/s is what one core serves, and "CPU per request" adds
every process on the serving side (the signers, PostgreSQL's backends,
HAProxy). Three replicas on one core cannot serve more than one: that
setup measures what the extra hop and the shared database cost, not
scaling (BENCHMARKS.md says so). Every setup measures each (endpoint,
connections) back to back, rotating which goes first; medians over runs.
BENCH_PRESIGN_SERVER names another binary than target/release's.
Writes OUT_DIR/database.json and OUT_DIR/database.md.
"""

import argparse
import base64
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import servers
from processes import ROOT, api, free_port, http, start, stop, wait_http
from proc_stats import cpu_seconds, tree

ENDPOINTS = ("get-upload-url", "part-urls")
SETUPS = ("sqlite", "postgres", "postgres-3")
LABELS = {
    "sqlite": "SQLite, 1 signer",
    "postgres": "PostgreSQL, 1 signer",
    "postgres-3": "PostgreSQL, 3 signers behind HAProxy",
}
MIB = 1024 * 1024
SERVE_CORE, LOAD_CORE = "0", "1"


def postgres(work):
    """A PostgreSQL 15 cluster (tests/support/postgres) with durability on,
    as production runs it; its URL and postmaster pid."""
    d = os.path.join(work, "postgres")
    url = subprocess.run([os.path.join(ROOT, "tests", "support", "postgres"), d],
                         check=True, capture_output=True, text=True).stdout.strip()
    for setting in ("fsync = on", "synchronous_commit = on", "full_page_writes = on"):
        subprocess.run(["psql", "-q", url, "-c", f"ALTER SYSTEM SET {setting}"], check=True)
    subprocess.run(["psql", "-q", url, "-c", "SELECT pg_reload_conf()"], check=True, capture_output=True)
    with open(os.path.join(d, "env")) as f:
        env = dict(line.strip().split("=", 1) for line in f if "=" in line)
    return d, url, int(env["POSTGRES_PID"])


def database(cluster_url, name):
    subprocess.run(["psql", "-q", cluster_url, "-c", f"CREATE DATABASE {name}"], check=True)
    return cluster_url.rsplit("/", 1)[0] + f"/{name}"


def haproxy(work, backends):
    """HAProxy round-robin over `backends` (URLs); its URL and process."""
    port = free_port()
    cfg = os.path.join(work, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("global\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n"
                "  timeout client 60s\n  timeout server 60s\n  option http-keep-alive\n"
                f"frontend signers\n  bind 127.0.0.1:{port}\n  default_backend replicas\n"
                "backend replicas\n  balance roundrobin\n")
        for n, url in enumerate(backends):
            f.write(f"  server s{n} {url.split('://', 1)[1]}\n")
    proc = start(["taskset", "-c", SERVE_CORE, "haproxy", "-db", "-f", cfg], os.path.join(work, "haproxy.log"))
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/healthz", proc)
    return url, proc


def serve(cmd_prefix):
    """`taskset` on the serving core, for servers.ours(binary=...)."""
    wrapper = os.path.join(tempfile.mkdtemp(prefix="bench-db-wrap-"), "presign-server")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec taskset -c {SERVE_CORE} {cmd_prefix} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    return wrapper


def part_urls_body(url, sha):
    created = api(f"{url}/api/multipart",
                  {"filename": "load-mp.bin", "file_type": "demo", "size": 100 * MIB, "part_size": 8 * MIB})
    body = {"parts": [{"number": n, "size": 8 * MIB, "sha256": sha} for n in (1, 2, 3, 4)]}
    target = f"{url}/api/multipart/{created['upload_id']}/part-urls"
    if [u["number"] for u in api(target, body)["urls"]] != [1, 2, 3, 4]:
        raise RuntimeError(f"{url}: part-urls answered wrongly")
    return target, body


def oha(url, body, connections, seconds, pids):
    """One oha measurement on the load core; CPU of `pids`' trees."""
    procs = sorted({p for pid in pids for p in tree(pid)})
    before = sum(cpu_seconds(p) for p in procs)
    out = subprocess.run(
        ["taskset", "-c", LOAD_CORE, "oha", "-z", f"{seconds}s", "-w", "-c", str(connections), "--no-tui",
         "--output-format", "json", "-m", "POST", "-H", "content-type: application/json",
         "-d", json.dumps(body), url],
        check=True, capture_output=True, text=True,
    ).stdout
    procs = sorted({p for pid in pids for p in tree(pid)} | set(procs))
    cpu = sum(cpu_seconds(p) for p in procs) - before
    r = json.loads(out)
    codes = {int(k): v for k, v in (r.get("statusCodeDistribution") or {}).items()}
    requests = sum(codes.values())
    return {
        "rps": r["summary"]["requestsPerSec"],
        "p50_ms": (r["latencyPercentiles"]["p50"] or 0) * 1000,
        "p99_ms": (r["latencyPercentiles"]["p99"] or 0) * 1000,
        "requests": requests,
        "failed": sum(v for k, v in codes.items() if not 200 <= k < 300) + sum((r.get("errorDistribution") or {}).values()),
        "serving_cpu_us": 1e6 * cpu / max(requests, 1),
    }


def summarise(runs, connections):
    rows = []
    for endpoint in ENDPOINTS:
        for c in connections:
            cell = [r for r in runs if r["endpoint"] == endpoint and r["connections"] == c]
            row = {"endpoint": endpoint, "connections": c, "runs": len(cell)}
            for setup in SETUPS:
                for m in ("rps", "p50_ms", "p99_ms", "serving_cpu_us"):
                    row[f"{setup}_{m}"] = statistics.median(x[setup][m] for x in cell)
                row[f"{setup}_failed"] = sum(x[setup]["failed"] for x in cell)
                row[f"{setup}_ratio"] = statistics.median(x[setup]["rps"] / x["sqlite"]["rps"] for x in cell)
            rows.append(row)
    return rows


def markdown(meta, rows):
    lines = [
        f"oha {meta['oha']} on core {LOAD_CORE}, {meta['seconds']} s per measurement, medians of {meta['runs']} runs; "
        f"the serving side (signers, PostgreSQL with fsync on, HAProxy) on core {SERVE_CORE}; load average "
        f"{meta['load_before']} before, {meta['load_after']} after. Release `presign-server --dev --rate-limit 0`.",
        "",
        "| endpoint | connections | setup | req/s | vs SQLite | p50 / p99 ms | serving CPU µs/request | failed |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        for setup in SETUPS:
            lines.append(
                f"| {r['endpoint']} | {r['connections']} | {LABELS[setup]} | {r[f'{setup}_rps']:,.0f} | "
                f"{r[f'{setup}_ratio']:.2f}x | {r[f'{setup}_p50_ms']:.2f} / {r[f'{setup}_p99_ms']:.2f} | "
                f"{r[f'{setup}_serving_cpu_us']:.0f} | {r[f'{setup}_failed']} |"
            )
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", default="64")
    args = ap.parse_args()
    if (os.cpu_count() or 1) < 2:
        sys.exit("database-bench: needs two cores (one serving, one loading)")
    connections = [int(c) for c in args.connections.split(",")]
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.makedirs(args.out, exist_ok=True)
    sha = base64.b64encode(hashlib.sha256(b"\0" * MIB).digest()).decode()
    single = {"filename": "load.bin", "file_type": "demo", "size": MIB, "sha256": sha}
    work = tempfile.mkdtemp(prefix="bench-database-")
    binary = serve(os.environ.get("BENCH_PRESIGN_SERVER", servers.PRESIGN_SERVER))
    started, procs, pg_dir = [], [], None
    try:
        # SQLite: one signer with its embedded store, which every setup signs for.
        sqlite = servers.ours(work, "--dev", binary=binary, name="sqlite")
        started.append(sqlite)
        store_env = servers.embedded_store_env(sqlite, os.path.join(work, "sqlite-data"))
        pg_dir, cluster, pg_pid = postgres(work)
        pg_one = servers.ours(work, "--dev", "--store", "s3", "--database-url", database(cluster, "one"),
                              binary=binary, env=store_env, name="pg-one")
        started.append(pg_one)
        shared = database(cluster, "shared")
        replicas = [servers.ours(work, "--dev", "--store", "s3", "--database-url", shared,
                                 binary=binary, env=store_env, name=f"pg-replica-{n}") for n in range(3)]
        started += replicas
        lb_url, lb = haproxy(work, [r.url for r in replicas])
        procs.append(lb)
        sides = {
            "sqlite": (sqlite.url, [sqlite.proc.pid]),
            "postgres": (pg_one.url, [pg_one.proc.pid, pg_pid]),
            "postgres-3": (lb_url, [r.proc.pid for r in replicas] + [pg_pid, lb.pid]),
        }
        targets = {}
        for setup, (url, _) in sides.items():
            status, raw = http("POST", f"{url}/api/get-upload-url", single)
            if status != 200:
                raise RuntimeError(f"{setup}: get-upload-url answered {status} {raw[:200]!r}")
            targets[setup] = {"get-upload-url": (f"{url}/api/get-upload-url", single),
                              "part-urls": part_urls_body(url, sha)}
        load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
        began = time.time()
        runs = []
        for run in range(args.runs):
            for c in connections:
                for endpoint in ENDPOINTS:
                    turn = (run + len(runs)) % len(SETUPS)
                    order = SETUPS[turn:] + SETUPS[:turn]
                    cell = {"run": run, "endpoint": endpoint, "connections": c, "first": order[0]}
                    for setup in order:
                        url, body = targets[setup][endpoint]
                        cell[setup] = oha(url, body, c, args.seconds, sides[setup][1])
                    runs.append(cell)
                    print(f"database-bench: run {run + 1}/{args.runs} {endpoint} c={c}: "
                          + ", ".join(f"{s} {cell[s]['rps']:,.0f}/s {cell[s]['serving_cpu_us']:.0f} µs" for s in SETUPS),
                          flush=True)
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M", time.localtime(began)),
            "oha": subprocess.run(["oha", "--version"], capture_output=True, text=True).stdout.split()[-1],
            "seconds": args.seconds, "runs": args.runs, "cpus": os.cpu_count(),
            "load_before": load_before, "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        }
        rows = summarise(runs, connections)
        with open(os.path.join(args.out, "database.json"), "w") as f:
            json.dump({"meta": meta, "summary": rows, "runs": runs}, f, indent=1)
        text = markdown(meta, rows)
        with open(os.path.join(args.out, "database.md"), "w") as f:
            f.write(text)
        print(text)
        return 1 if any(r[f"{s}_failed"] for r in rows for s in SETUPS) else 0
    finally:
        for p in procs:
            stop(p)
        for s in reversed(started):
            s.stop()
        if pg_dir:
            subprocess.run([os.path.join(ROOT, "tests", "support", "postgres"), "stop", pg_dir], check=False)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(os.path.dirname(binary), ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
