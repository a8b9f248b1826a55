"""Before and after a change to the signer: several presign-server builds
side by side, in the same run, under the same oha load as signer_bench.py
(get-upload-url and part-urls). Used to decide which product changes to keep
(BENCHMARKS.md, "What changed the signer's figures").

    .venv/bin/python bench/server/ab.py OUT_DIR NAME=BINARY [NAME=BINARY ...]
                                        [--runs 3] [--seconds 10] [--connections 64,1000]

Build each variant with the release profile as scripts/bench does, copy the
binary aside (`cp target/release/presign-server /tmp/presign-NAME`), and
give them here. Every run measures each (endpoint, connections) on every
build back to back, rotating which goes first; each build's requests/s is
also taken as a ratio to the first build's within the run, and the medians
over runs are reported. Writes OUT_DIR/ab.json and OUT_DIR/ab.md.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import servers
from signer_bench import ENDPOINTS, check_urls, oha, part_urls_body, prepare


def summarise(runs, names, connections):
    """Per (endpoint, connections): each build's median requests/s, p99 and
    server CPU per request, and their medians as ratios to the first build."""
    rows = []
    for endpoint in ENDPOINTS:
        for c in connections:
            cell = [r for r in runs if r["endpoint"] == endpoint and r["connections"] == c]
            row = {"endpoint": endpoint, "connections": c}
            for n in names:
                row[n] = {
                    "rps": statistics.median(x[n]["rps"] for x in cell),
                    "p99_ms": statistics.median(x[n]["p99_ms"] for x in cell),
                    "cpu_us": statistics.median(x[n]["server_cpu_us"] for x in cell),
                    "ratio": statistics.median(x[n]["rps"] / x[names[0]]["rps"] for x in cell),
                    "cpu_ratio": statistics.median(x[n]["server_cpu_us"] / x[names[0]]["server_cpu_us"] for x in cell),
                    "failed": sum(x[n]["non_2xx"] + x[n]["errors"] for x in cell),
                }
            rows.append(row)
    return rows


def markdown(meta, names, rows):
    base = names[0]
    lines = [
        f"oha, {meta['seconds']} s per measurement, medians of {meta['runs']} runs, {meta['cpus']} cores, "
        f"load average {meta['load_before']} before, {meta['load_after']} after. Ratios to `{base}` within each run.",
        "",
        "Each cell: requests/s, p99 ms, server CPU µs per request; then each build's requests/s and CPU per "
        f"request as ratios to `{base}` (req/s ratio, CPU ratio: below 1 is cheaper).",
        "",
        "| endpoint | connections | " + " | ".join(names) + " | "
        + " | ".join(f"{n} / {base}" for n in names[1:]) + " |",
        "|---|---:|" + "---:|" * (2 * len(names) - 1),
    ]
    for r in rows:
        cells = [f"{r[n]['rps']:,.0f}, {r[n]['p99_ms']:.1f} ms, {r[n]['cpu_us']:.0f} µs" for n in names]
        ratios = [f"{r[n]['ratio']:.2f}x, CPU {r[n]['cpu_ratio']:.2f}" for n in names[1:]]
        lines.append(f"| {r['endpoint']} | {r['connections']} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("builds", nargs="*", help="NAME=BINARY")
    ap.add_argument("--render", action="store_true", help="only write OUT_DIR/ab.md again from OUT_DIR/ab.json")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", default="64,1000")
    args = ap.parse_args()
    if args.render:
        with open(os.path.join(args.out, "ab.json")) as f:
            data = json.load(f)
        names = list(data["meta"]["builds"])
        connections = list(dict.fromkeys(r["connections"] for r in data["runs"]))
        with open(os.path.join(args.out, "ab.md"), "w") as f:
            f.write(markdown(data["meta"], names, summarise(data["runs"], names, connections)))
        return 0
    builds = [b.split("=", 1) for b in args.builds]
    names = [n for n, _ in builds]
    connections = [int(c) for c in args.connections.split(",")]
    sha, single = prepare(args.out)
    work = tempfile.mkdtemp(prefix="bench-ab-")
    started = {}
    try:
        for name, binary in builds:
            started[name] = servers.ours(work, "--dev", binary=binary, name=name)
        targets = {}
        for name, server in started.items():
            check_urls(server, single)
            targets[name] = {
                "get-upload-url": (f"{server.url}/api/get-upload-url", single),
                "part-urls": part_urls_body(server, sha),
            }
        load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
        runs = []
        turn = 0
        for run in range(args.runs):
            for c in connections:
                for endpoint in ENDPOINTS:
                    order = names[turn % len(names):] + names[:turn % len(names)]
                    turn += 1
                    cell = {"run": run, "endpoint": endpoint, "connections": c, "first": order[0]}
                    for name in order:
                        url, body = targets[name][endpoint]
                        cell[name] = oha(url, body, c, args.seconds, started[name].proc.pid)
                    cell["load"] = os.getloadavg()[0]
                    runs.append(cell)
                    print(f"ab: run {run + 1}/{args.runs} {endpoint} c={c}: "
                          + ", ".join(f"{n} {cell[n]['rps']:,.0f}/s" for n in names)
                          + f" (load {cell['load']:.1f})", flush=True)
        rows = summarise(runs, names, connections)
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "builds": dict(builds),
            "seconds": args.seconds,
            "runs": args.runs,
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        }
        with open(os.path.join(args.out, "ab.json"), "w") as f:
            json.dump({"meta": meta, "summary": rows, "runs": runs}, f, indent=1)
        text = markdown(meta, names, rows)
        with open(os.path.join(args.out, "ab.md"), "w") as f:
            f.write(text)
        print(text)
        return 1 if any(r[n]["failed"] for r in rows for n in names) else 0
    finally:
        for server in started.values():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
