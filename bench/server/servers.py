"""The two signers the benchmarks compare, started the same way for every
benchmark: presign-server (release build) and the seed's Flask + boto3 app
under gunicorn."""

import json
import os
import re
import time
from urllib.parse import urlsplit

from processes import ROOT, VENV_BIN, api, free_port, start, stop, wait_http, wait_ready
from proc_stats import tree

PRESIGN_SERVER = os.path.join(ROOT, "target", "release", "presign-server")
# gunicorn's own advice for a server of N cores: 2 N + 1 workers. Sync
# workers (gunicorn's default class, one request at a time each) measured
# faster here than gthread at every concurrency we run (BENCHMARKS.md).
FLASK_WORKERS = int(os.environ.get("BENCH_FLASK_WORKERS", 2 * os.cpu_count() + 1))
# The cores the servers run on (a taskset list, set by pin()); None: any.
SERVER_CPUS = None
FLASK_WORKER_CLASS = os.environ.get("BENCH_FLASK_WORKER_CLASS", "sync")
FLASK_THREADS = int(os.environ.get("BENCH_FLASK_THREADS", 1))


def pin(cpus):
    """Runs the servers started from now on `cpus` only (taskset's list
    syntax: "0", "0,2", "0-1"), with gunicorn's 2 N + 1 workers for those
    N cores unless BENCH_FLASK_WORKERS says otherwise."""
    global SERVER_CPUS, FLASK_WORKERS
    SERVER_CPUS = cpus
    if "BENCH_FLASK_WORKERS" not in os.environ:
        FLASK_WORKERS = 2 * len(cpu_list(cpus)) + 1


def cpu_list(cpus):
    """The cores of a taskset list: "0,2-3" -> [0, 2, 3]."""
    out = []
    for item in cpus.split(","):
        first, _, last = item.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


def pinned(cmd):
    """`cmd` under taskset when the servers are pinned."""
    return ["taskset", "-c", SERVER_CPUS, *cmd] if SERVER_CPUS else cmd


class Server:
    def __init__(self, name, proc, url, log):
        self.name, self.proc, self.url, self.log = name, proc, url, log

    def stop(self):
        stop(self.proc)


def ours(work, *args, env=None, binary=PRESIGN_SERVER, name="ours"):
    """presign-server with the rate limit off (every request is one user)."""
    data = os.path.join(work, f"{name}-data")
    log = os.path.join(work, f"{name}.log")
    ready = os.path.join(work, f"{name}-ready.json")
    cmd = [binary, "--listen", "127.0.0.1:0", "--data-dir", data, "--rate-limit", "0",
           "--www-dir", os.path.join(ROOT, "www"), "--pkg-dir", os.path.join(ROOT, "pkg"),
           "--ready-file", ready, *args]
    proc = start(pinned(cmd), log, env=env)
    url = wait_ready(ready, log, proc)["url"].rstrip("/")
    wait_http(f"{url}/healthz", proc)
    return Server("presign-server", proc, url, log)


def embedded_store_env(server, data_dir):
    """The AWS_* environment of an ours() --dev server's embedded store, read
    from one of its presigned URLs and its data folder's key file."""
    answer = api(f"{server.url}/api/get-upload-url",
                 {"filename": "probe.bin", "file_type": "bench", "size": 1})
    parts = urlsplit(answer["upload_url"])
    with open(os.path.join(data_dir, "dev-store-credentials.json")) as f:
        key = json.load(f)
    return {
        "AWS_ENDPOINT_URL": f"{parts.scheme}://{parts.netloc}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": key["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": key["secret_access_key"],
        "PRESIGN_BUCKET": parts.path.strip("/").split("/")[0],
    }


def seed_flask(work, env, name="seed_flask"):
    """The seed's Flask app under gunicorn, with `env` naming the store (and
    SEED_FLASK_CLIENT_PER_REQUEST=1 for the seed as written); `name` names
    its log and SQLite files in `work`."""
    port = free_port()
    log = os.path.join(work, f"{name}.log")
    env = dict(env, SEED_FLASK_DB=os.path.join(work, f"{name}.sqlite3"))
    cmd = [os.path.join(VENV_BIN, "gunicorn"), "--chdir", os.path.join(ROOT, "bench", "seed_flask"),
           "--workers", str(FLASK_WORKERS), "--worker-class", FLASK_WORKER_CLASS,
           "--threads", str(FLASK_THREADS), "--bind", f"127.0.0.1:{port}",
           "--backlog", "2048", "--log-level", "warning", "app:app"]
    proc = start(pinned(cmd), log, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/healthz", proc)
    # Every worker booted (each imports the app after the fork).
    for _ in range(600):
        if len(tree(proc.pid)) >= FLASK_WORKERS + 1:
            break
        time.sleep(0.05)
    label = "seed Flask + boto3, as written" if env.get("SEED_FLASK_CLIENT_PER_REQUEST") == "1" else "seed Flask + boto3"
    return Server(label, proc, url, log)


def gunicorn_description():
    threads = f", {FLASK_THREADS} threads each" if FLASK_WORKER_CLASS == "gthread" else ""
    return f"gunicorn, {FLASK_WORKERS} {FLASK_WORKER_CLASS} workers{threads}"


def signed_headers(url):
    m = re.search(r"X-Amz-SignedHeaders=([^&]+)", url)
    return m.group(1).replace("%3B", ";") if m else ""
