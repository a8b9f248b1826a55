"""Issue 8, item 5: the seed's table, measured. USERS users upload a file of
SIZE bytes each (100 x 1.5 MB), all at once, to a store in another process
(Garage, single node, tests/support/garage), in three flows:

  seed traditional  the seed's Flask app receives each file (`file.read()`)
                    and PUTs it to the store with boto3 (its /upload)
  seed presigned    the seed's Flask + boto3 signer: get-upload-url, the
                    client PUTs to the store, file-uploaded (HEAD)
  ours presigned    presign-server --dev --store s3 (the same three calls)

    .venv/bin/python bench/server/seed_table.py OUT_DIR [--runs 3] [--users 100] [--size 1500000]

The server is measured from /proc (its processes: gunicorn's master and
workers): peak resident memory during the run, sampled every 20 ms, as RSS
summed over the processes and as PSS (which counts the pages forked workers
share once, not once per worker), the same at rest before the run, and CPU
seconds (utime + stime) during the run. Bytes
through the server are counted on the wire by two counting TCP proxies,
one in front of the server (clients' requests and answers) and one between
the server and the store (its own calls); clients' PUTs go straight to the
store. Total time is the client's, from the first request to the last
answer. Every stored object is read back with boto3 and its SHA-256
compared with the file's (tests/soak/verify_s3.py). Each flow gets a fresh
Garage; the order of flows rotates between runs. Writes OUT_DIR/seed_table.json
and OUT_DIR/seed_table.md.
"""

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import servers
from processes import ROOT, VENV_BIN, start, stop, wait_for
from proc_stats import TreeSampler

FLOWS = ("seed traditional", "seed presigned", "ours presigned")
# What the seed's table claims for 100 users x 1.5 MB (without, with presigned URLs).
SEED_CLAIMS = {
    "RAM": ("150MB", "10MB"),
    "CPU": ("90%", "15%"),
    "bandwidth": ("300MB", "2MB"),
    "total time": ("5-10 minutes", "1-2 minutes"),
}


def garage(work):
    out = subprocess.run([os.path.join(ROOT, "tests", "support", "garage"), work, "seed"],
                         check=True, capture_output=True, text=True)
    env = {}
    with open(os.path.join(work, "env")) as f:
        for line in f:
            name, _, value = line.strip().partition("=")
            env[name] = value
    return env, out.stdout.strip()


class Counter:
    """A counting TCP proxy (count_proxy.mjs) in front of a port."""

    def __init__(self, work, name, port):
        self.log = os.path.join(work, f"count-{name}.log")
        self.proc = start(["node", os.path.join(ROOT, "bench", "server", "count_proxy.mjs"), str(port)], self.log)
        self.port = json.loads(wait_for(r"\{.*\}", self.log, self.proc).group(0))["port"]

    def reset(self):
        self.proc.send_signal(signal.SIGUSR1)

    def totals(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)
        with open(self.log) as f:
            last = [line for line in f if line.startswith("{")][-1]
        return json.loads(last)


def one_flow(flow, work, users, size):
    store_env, _ = garage(os.path.join(work, "garage"))
    garage_pid = int(store_env.pop("GARAGE_PID"))
    direct = store_env["AWS_ENDPOINT_URL"]
    store_port = int(direct.rsplit(":", 1)[1])
    to_store = Counter(work, "store", store_port)
    via_counter = dict(store_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{to_store.port}")
    server = front = None
    try:
        if flow == "ours presigned":
            server = servers.ours(work, "--dev", "--store", "s3", "--store-public-url", direct, env=via_counter)
        else:
            server = servers.seed_flask(work, dict(via_counter, SEED_FLASK_PUBLIC_ENDPOINT=direct))
        front = Counter(work, "front", int(server.url.rsplit(":", 1)[1]))
        time.sleep(1)  # at rest: what the server holds before any upload
        sampler = TreeSampler(server.proc.pid)
        idle_rss, idle_pss = sampler.memory()
        to_store.reset()
        front.reset()
        time.sleep(0.2)
        sampler.start()
        manifest = os.path.join(work, "manifest.json")
        client = subprocess.run(
            ["node", os.path.join(ROOT, "bench", "server", "upload_clients.mjs"),
             "proxy" if flow == "seed traditional" else "presigned",
             f"http://127.0.0.1:{front.port}", manifest, str(users), str(size)],
            capture_output=True, text=True,
        )
        used = sampler.stop()
        if client.returncode != 0:
            raise RuntimeError(f"{flow}: the clients failed:\n{client.stderr[-3000:]}")
        timing = json.loads(client.stdout.strip().splitlines()[-1])
        f, s = front.totals(), to_store.totals()
        front = None
        verify = subprocess.run([os.path.join(VENV_BIN, "python"),
                                 os.path.join(ROOT, "tests", "soak", "verify_s3.py"), manifest],
                                env=dict(os.environ, **store_env), capture_output=True, text=True)
        checked = json.loads(verify.stdout.strip().splitlines()[-1]) if verify.stdout.strip() else {}
        if verify.returncode != 0:
            raise RuntimeError(f"{flow}: stored objects differ: {verify.stdout[-2000:]} {verify.stderr[-2000:]}")
        through = f["up"] + f["down"] + s["up"] + s["down"]
        return {
            "flow": flow,
            "total_s": timing["total_ms"] / 1000,
            "p50_upload_s": timing["p50_ms"] / 1000,
            "idle_rss": idle_rss,
            "idle_pss": idle_pss,
            "peak_rss": used["peak_rss"],
            "peak_pss": used["peak_pss"],
            "processes": used["processes"],
            "cpu_s": used["cpu_s"],
            "cpu_pct": 100 * used["cpu_s"] / (timing["total_ms"] / 1000),
            "bytes_through": through,
            "bytes_clients": f["up"] + f["down"],
            "bytes_store": s["up"] + s["down"],
            "verified": checked.get("verified"),
        }
    finally:
        for c in (front, to_store):
            if c and c.proc.poll() is None:
                stop(c.proc)
        if server:
            server.stop()
        stop_pid(garage_pid)


def stop_pid(pid, timeout=10):
    """Stops a process this benchmark started in the background (Garage)."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def mb(n):
    return f"{n / 1e6:,.1f} MB" if n >= 1e5 else f"{n / 1e3:,.1f} kB"


def summarise(results):
    rows = []
    for flow in FLOWS:
        rs = [r for r in results if r["flow"] == flow]
        row = {"flow": flow, "runs": len(rs)}
        for k in ("total_s", "p50_upload_s", "idle_rss", "peak_rss", "idle_pss", "peak_pss", "cpu_s", "cpu_pct",
                  "bytes_through", "bytes_clients", "bytes_store"):
            row[k] = statistics.median(r[k] for r in rs)
        row["processes"] = rs[0]["processes"]
        row["verified"] = min(r["verified"] for r in rs)
        rows.append(row)
    return rows


def markdown(meta, rows):
    by = {r["flow"]: r for r in rows}
    t, sp, op = by["seed traditional"], by["seed presigned"], by["ours presigned"]
    head = (
        f"{meta['users']} users x {meta['size']:,} bytes at once, medians of {meta['runs']} runs, "
        f"{meta['cpus']} cores, load average {meta['load_before']} before, {meta['load_after']} after; "
        f"store: {meta['store']} (another process); seed's app under {meta['gunicorn']}; "
        f"ours: release presign-server. Every object read back and its SHA-256 checked.\n\n"
    )
    lines = [
        "| measure | seed claims: traditional | seed claims: presigned | seed traditional (measured) | seed presigned (measured) | ours presigned (measured) |",
        "|---|---|---|---:|---:|---:|",
        f"| server peak RSS, sum over its processes (at rest) | {SEED_CLAIMS['RAM'][0]} | {SEED_CLAIMS['RAM'][1]} | "
        + " | ".join(f"{mb(r['peak_rss'])} ({mb(r['idle_rss'])})" for r in (t, sp, op)) + " |",
        "| server peak PSS (at rest) | | | "
        + " | ".join(f"{mb(r['peak_pss'])} ({mb(r['idle_pss'])})" for r in (t, sp, op)) + " |",
        "| server PSS above rest | | | " + " | ".join(mb(r["peak_pss"] - r["idle_pss"]) for r in (t, sp, op)) + " |",
        f"| server CPU (seconds, % of one core over the run) | {SEED_CLAIMS['CPU'][0]} | {SEED_CLAIMS['CPU'][1]} | "
        + " | ".join(f"{r['cpu_s']:.2f} s ({r['cpu_pct']:.0f}%)" for r in (t, sp, op)) + " |",
        f"| bytes through the server (clients + store) | {SEED_CLAIMS['bandwidth'][0]} | {SEED_CLAIMS['bandwidth'][1]} | "
        + " | ".join(f"{mb(r['bytes_through'])} ({mb(r['bytes_clients'])} + {mb(r['bytes_store'])})" for r in (t, sp, op)) + " |",
        f"| total time | {SEED_CLAIMS['total time'][0]} | {SEED_CLAIMS['total time'][1]} | "
        + " | ".join(f"{r['total_s']:.2f} s" for r in (t, sp, op)) + " |",
        "| one upload, median | | | " + " | ".join(f"{r['p50_upload_s']:.2f} s" for r in (t, sp, op)) + " |",
        "| server processes | | | " + " | ".join(str(r["processes"]) for r in (t, sp, op)) + " |",
    ]
    return head + "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--size", type=int, default=1_500_000)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.makedirs(args.out, exist_ok=True)
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    started = time.time()
    results = []
    for run in range(args.runs):
        for i in range(len(FLOWS)):
            flow = FLOWS[(i + run) % len(FLOWS)]
            with tempfile.TemporaryDirectory(prefix="bench-seed-") as work:
                r = one_flow(flow, work, args.users, args.size)
            r["run"] = run
            r["load"] = os.getloadavg()[0]
            results.append(r)
            print(f"seed-table: run {run + 1}/{args.runs} {flow}: {r['total_s']:.2f} s, "
                  f"peak RSS {mb(r['peak_rss'])}, CPU {r['cpu_s']:.2f} s, through {mb(r['bytes_through'])}, "
                  f"{r['verified']} verified (load {r['load']:.1f})", flush=True)
    garage_version = subprocess.run(["garage", "--version"], capture_output=True, text=True).stdout.split()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M", time.localtime(started)),
        "users": args.users,
        "size": args.size,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "store": " ".join(garage_version[:2]) if garage_version else "garage",
        "gunicorn": servers.gunicorn_description(),
        "load_before": load_before,
        "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "seed_claims": SEED_CLAIMS,
    }
    rows = summarise(results)
    with open(os.path.join(args.out, "seed_table.json"), "w") as f:
        json.dump({"meta": meta, "summary": rows, "runs": results}, f, indent=1)
    with open(os.path.join(args.out, "seed_table.md"), "w") as f:
        f.write(markdown(meta, rows))
    print(markdown(meta, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
