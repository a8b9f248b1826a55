"""Starting and stopping the benchmarks' servers (bench-only helpers).

Each process is started in a session of its own and stopped by its process
group, so a server's workers (gunicorn's) stop with it; nothing else is
touched.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, log_path, env=None, cwd=ROOT):
    """Starts `cmd` with stdout and stderr to `log_path`."""
    log = open(log_path, "wb")
    full_env = dict(os.environ, **(env or {}))
    return subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env=full_env, cwd=cwd, start_new_session=True
    )


def stop(proc, timeout=10):
    """SIGTERM to the process's group, SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
    except ProcessLookupError:
        pass


def wait_for(pattern, log_path, proc, timeout=60):
    """The first match of `pattern` in the log, once it appears."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with open(log_path, errors="replace") as f:
        tail = f.read()[-2000:]
    raise RuntimeError(f"{proc.args[0]} did not print {pattern!r}:\n{tail}")


def wait_ready(ready_file, log_path, proc, timeout=60):
    """The addresses presign-server wrote to its --ready-file, once there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(ready_file):
            with open(ready_file) as f:
                return json.load(f)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with open(log_path, errors="replace") as f:
        tail = f.read()[-2000:]
    raise RuntimeError(f"{proc.args[0]} wrote no {ready_file}:\n{tail}")


def http(method, url, body=None, headers=None, timeout=30):
    """(status, bytes) of one request; JSON bodies for dicts."""
    data = body
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        headers.setdefault("content-type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def api(url, body):
    """POSTs JSON and returns the answer's JSON, or raises with the answer."""
    status, raw = http("POST", url, body)
    if status != 200:
        raise RuntimeError(f"POST {url}: {status} {raw[:300]!r}")
    return json.loads(raw)


def wait_http(url, proc, timeout=60):
    """Waits until `url` answers at all (any status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            http("GET", url, timeout=2)
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")
