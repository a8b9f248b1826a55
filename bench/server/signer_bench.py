"""Issue 8, item 4: presigning requests/s and p50/p99 latency of
presign-server vs the seed's Flask + boto3 signer, at several connection
counts, with oha, every server on this machine in the same run.

    .venv/bin/python bench/server/signer_bench.py OUT_DIR [--runs 3] [--seconds 10]
                                                  [--connections 1,64,1000]

Endpoints: POST /api/get-upload-url (one presigned PUT, size and SHA-256
signed) and POST /api/multipart/{id}/part-urls (four presigned UploadPart
URLs; the upload's session read from SQLite), the same JSON to both servers.
The seed runs twice: with its boto3 clients made once per worker (the
baseline the goal is judged on, which favours the seed) and "as written",
get-upload-url making a boto3 client on each request as the seed's code does
(SEED_FLASK_CLIENT_PER_REQUEST=1; the seed shows no multipart code, so that
one measures get-upload-url only). Every run measures each (endpoint,
connections) on every server back to back, rotating which goes first;
ratios are taken within a run, and the medians over runs are reported.
Before measuring, every server's URLs are checked against the store: the
right body is stored, another body of the same size is refused (the
checksum is signed), so all do the same work.
On a machine of two cores or more the servers run on core 0 and oha on
core 1 (taskset; --pin SERVER:LOAD for others, --pin none for no pinning),
so that a server's CPU per request is not the load generator's.
Writes OUT_DIR/signer.json (every run) and OUT_DIR/signer.md.
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
from processes import api, http
from proc_stats import cpu_seconds, tree

ENDPOINTS = ("get-upload-url", "part-urls")
# The servers compared: ours, the seed with its clients made once per worker,
# the seed as written (get-upload-url only).
SIDES = ("ours", "flask", "as_written")
MIB = 1024 * 1024


def prepare(out):
    """Raises the open-file limit (1,000 connections on each side), makes
    the OUT folder, and returns the SHA-256 (base64) of the 1 MiB body the
    URLs sign and the get-upload-url request for it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.makedirs(out, exist_ok=True)
    sha = base64.b64encode(hashlib.sha256(b"\0" * MIB).digest()).decode()
    return sha, {"filename": "load.bin", "file_type": "demo", "size": MIB, "sha256": sha}


def check_urls(server, single):
    """The server's presigned PUT stores the signed body and refuses another."""
    signed = api(f"{server.url}/api/get-upload-url", single)
    headers = {k: v for k, v in signed["headers"].items() if k != "content-length"}
    status, raw = http("PUT", signed["upload_url"], b"\0" * MIB, headers)
    if status != 200:
        raise RuntimeError(f"{server.name}: PUT with its URL: {status} {raw[:300]!r}")
    status, _ = http("PUT", signed["upload_url"], b"\1" * MIB, headers)
    if status < 400:
        raise RuntimeError(f"{server.name}: a PUT of other bytes was accepted ({status})")
    return servers.signed_headers(signed["upload_url"])


def part_urls_body(server, sha):
    created = api(f"{server.url}/api/multipart",
                  {"filename": "load-mp.bin", "file_type": "demo", "size": 100 * MIB, "part_size": 8 * MIB})
    body = {"parts": [{"number": n, "size": 8 * MIB, "sha256": sha} for n in (1, 2, 3, 4)]}
    url = f"{server.url}/api/multipart/{created['upload_id']}/part-urls"
    urls = api(url, body)["urls"]
    if [u["number"] for u in urls] != [1, 2, 3, 4]:
        raise RuntimeError(f"{server.name}: part-urls answered {urls!r}")
    return url, body


# The cores oha runs on (a taskset list), or None.
LOAD_CPUS = None


def oha(url, body, connections, seconds, server_pid):
    pids = tree(server_pid)
    cpu_before = sum(cpu_seconds(p) for p in pids)
    oha_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        (["taskset", "-c", LOAD_CPUS] if LOAD_CPUS else []) + ["oha", "-z", f"{seconds}s", "-w", "-c", str(connections), "--no-tui", "--output-format", "json",
         "-m", "POST", "-H", "content-type: application/json", "-d", json.dumps(body), url],
        check=True, capture_output=True, text=True,
    ).stdout
    cpu = sum(cpu_seconds(p) for p in pids) - cpu_before
    oha_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    oha_cpu = oha_after.ru_utime + oha_after.ru_stime - oha_before.ru_utime - oha_before.ru_stime
    r = json.loads(out)
    codes = {int(k): v for k, v in (r.get("statusCodeDistribution") or {}).items()}
    errors = sum((r.get("errorDistribution") or {}).values())
    return {
        "rps": r["summary"]["requestsPerSec"],
        "p50_ms": (r["latencyPercentiles"]["p50"] or 0) * 1000,
        "p99_ms": (r["latencyPercentiles"]["p99"] or 0) * 1000,
        "requests": sum(codes.values()),
        "non_2xx": sum(v for k, v in codes.items() if not 200 <= k < 300),
        "errors": errors,
        "server_cpu_us": 1e6 * cpu / max(sum(codes.values()), 1),
        "oha_cpu_us": 1e6 * oha_cpu / max(sum(codes.values()), 1),
    }


def summarise(runs, connections):
    rows = []
    for endpoint in ENDPOINTS:
        for c in connections:
            cell = [r for r in runs if r["endpoint"] == endpoint and r["connections"] == c]
            row = {"endpoint": endpoint, "connections": c, "runs": len(cell)}
            for side in (s for s in SIDES if all(s in x for x in cell)):
                for m in ("rps", "p50_ms", "p99_ms", "server_cpu_us", "oha_cpu_us"):
                    row[f"{side}_{m}"] = statistics.median(x[side][m] for x in cell)
                row[f"{side}_failed"] = sum(x[side]["non_2xx"] + x[side]["errors"] for x in cell)
                row[f"{side}_requests"] = sum(x[side]["requests"] for x in cell)
                if side == "ours":
                    continue
                # Ours against this seed: `ratio` (and `ratio_min`, `cpu_ratio`)
                # for the baseline, `ratio_as_written` and so on for the other.
                suffix = "" if side == "flask" else f"_{side}"
                ratios = [x["ours"]["rps"] / x[side]["rps"] for x in cell if x[side]["rps"]]
                row[f"ratio{suffix}"] = statistics.median(ratios) if ratios else None
                row[f"ratio_min{suffix}"] = min(ratios) if ratios else None
                row[f"cpu_ratio{suffix}"] = statistics.median(
                    x[side]["server_cpu_us"] / x["ours"]["server_cpu_us"] for x in cell)
            rows.append(row)
    return rows


def markdown(meta, rows):
    lines = [
        f"oha {meta['oha']}, {meta['seconds']} s per measurement, medians of {meta['runs']} runs; "
        f"{meta['cpus']} cores; load average {meta['load_before']} before, {meta['load_after']} after. "
        f"Ours: release `presign-server --dev --rate-limit 0`. Seed: Flask + boto3 under {meta['gunicorn']}. "
        + (f"Servers on core(s) {meta['server_cpus']}, oha on core(s) {meta['load_cpus']} (taskset)."
           if meta.get("server_cpus") else "Servers and oha share every core."),
        "",
        "| endpoint | connections | ours req/s | seed req/s | ratio (min) | ours p50 / p99 ms | seed p50 / p99 ms | server CPU µs/request (ours / seed) | CPU ratio | failed (ours / seed) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.1f}x ({r['ratio_min']:.1f}x)" if r["ratio"] else "n/a"
        lines.append(
            f"| {r['endpoint']} | {r['connections']} | {r['ours_rps']:,.0f} | {r['flask_rps']:,.0f} | {ratio} | "
            f"{r['ours_p50_ms']:.2f} / {r['ours_p99_ms']:.2f} | {r['flask_p50_ms']:.2f} / {r['flask_p99_ms']:.2f} | "
            f"{r['ours_server_cpu_us']:.0f} / {r['flask_server_cpu_us']:.0f} | {r['cpu_ratio']:.1f}x | "
            f"{r['ours_failed']} / {r['flask_failed']} |"
        )
    written = [r for r in rows if r.get("ratio_as_written")]
    if written:
        lines += [
            "",
            "The seed as written (get-upload-url makes a boto3 client on each request, as the seed's "
            "`generate_upload_url` does), same run:",
            "",
            "| endpoint | connections | ours req/s | seed as written req/s | ratio (min) | seed as written p50 / p99 ms "
            "| server CPU µs/request (ours / seed as written) | CPU ratio | failed (ours / seed as written) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in written:
            lines.append(
                f"| {r['endpoint']} | {r['connections']} | {r['ours_rps']:,.0f} | {r['as_written_rps']:,.0f} | "
                f"{r['ratio_as_written']:.1f}x ({r['ratio_min_as_written']:.1f}x) | "
                f"{r['as_written_p50_ms']:.2f} / {r['as_written_p99_ms']:.2f} | "
                f"{r['ours_server_cpu_us']:.0f} / {r['as_written_server_cpu_us']:.0f} | "
                f"{r['cpu_ratio_as_written']:.1f}x | {r['ours_failed']} / {r['as_written_failed']} |"
            )
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", default="1,64,1000")
    ap.add_argument("--pin", default="0:1" if os.cpu_count() >= 2 else "none",
                    help="SERVER_CPUS:LOAD_CPUS (taskset lists), or none")
    args = ap.parse_args()
    global LOAD_CPUS
    if args.pin != "none":
        server_cpus, _, LOAD_CPUS = args.pin.partition(":")
        servers.pin(server_cpus)
    connections = [int(c) for c in args.connections.split(",")]
    sha, single = prepare(args.out)
    work = tempfile.mkdtemp(prefix="bench-signer-")
    started_servers = {}
    try:
        ours = started_servers["ours"] = servers.ours(work, "--dev")
        store_env = servers.embedded_store_env(ours, os.path.join(work, "ours-data"))
        started_servers["flask"] = servers.seed_flask(work, store_env)
        started_servers["as_written"] = servers.seed_flask(
            work, dict(store_env, SEED_FLASK_CLIENT_PER_REQUEST="1"), name="seed_as_written")
        signed = {side: check_urls(s, single) for side, s in started_servers.items()}
        print(f"signer-bench: every server's URLs store the signed body and refuse another; signed headers {signed}")
        targets = {side: {"get-upload-url": (f"{s.url}/api/get-upload-url", single)}
                   for side, s in started_servers.items()}
        for side in ("ours", "flask"):
            targets[side]["part-urls"] = part_urls_body(started_servers[side], sha)

        load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
        started = time.time()
        runs = []
        for run in range(args.runs):
            for c in connections:
                for endpoint in ENDPOINTS:
                    sides = [side for side in SIDES if endpoint in targets[side]]
                    turn = (run + len(runs)) % len(sides)
                    order = sides[turn:] + sides[:turn]
                    cell = {"run": run, "endpoint": endpoint, "connections": c, "first": order[0]}
                    for side in order:
                        url, body = targets[side][endpoint]
                        cell[side] = oha(url, body, c, args.seconds, started_servers[side].proc.pid)
                    cell["load"] = os.getloadavg()[0]
                    runs.append(cell)
                    rates = ", ".join(f"{side} {cell[side]['rps']:,.0f}/s" for side in sides)
                    print(
                        f"signer-bench: run {run + 1}/{args.runs} {endpoint} c={c}: {rates}; "
                        f"ours / seed {cell['ours']['rps'] / max(cell['flask']['rps'], 1e-9):.1f}x (load {cell['load']:.1f})",
                        flush=True,
                    )
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M", time.localtime(started)),
            "oha": subprocess.run(["oha", "--version"], capture_output=True, text=True).stdout.split()[-1],
            "seconds": args.seconds,
            "runs": args.runs,
            "cpus": os.cpu_count(),
            "gunicorn": servers.gunicorn_description(),
            "server_cpus": servers.SERVER_CPUS,
            "load_cpus": LOAD_CPUS,
            "signed_headers": signed,
            "load_before": load_before,
            "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        }
        rows = summarise(runs, connections)
        with open(os.path.join(args.out, "signer.json"), "w") as f:
            json.dump({"meta": meta, "summary": rows, "runs": runs}, f, indent=1)
        with open(os.path.join(args.out, "signer.md"), "w") as f:
            f.write(markdown(meta, rows))
        print(markdown(meta, rows))
        failed = sum(r["ours_failed"] for r in rows)
        return 1 if failed else 0
    finally:
        for s in reversed(started_servers.values()):
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
