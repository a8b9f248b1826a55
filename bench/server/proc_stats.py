"""What a server process (and its children: gunicorn's workers) uses, read
from /proc: resident memory (RSS, and PSS, which shares the pages forked
workers have in common among them instead of counting them once per
process), sampled, and CPU seconds (utime + stime)."""

import os
import threading
import time

TICKS = os.sysconf("SC_CLK_TCK")


def _children():
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(name))
    return kids


def tree(pid):
    """`pid` and all its descendants."""
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _field(pid, file, field):
    try:
        with open(f"/proc/{pid}/{file}") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def rss(pids):
    return sum(_field(p, "status", "VmRSS") for p in pids)


def pss(pids):
    return sum(_field(p, "smaps_rollup", "Pss") for p in pids)


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


class TreeSampler:
    """Samples the RSS and PSS of a process tree every `interval` s in a
    thread; `stop()` returns {peak_rss, peak_pss, cpu_s, processes} for the
    time between `start()` and `stop()`."""

    def __init__(self, pid, interval=0.02):
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = 0
        self.cpu_at_start = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def memory(self):
        """(RSS, PSS) of the whole tree now."""
        pids = tree(self.pid)
        return rss(pids), pss(pids)

    def _sample(self, pids):
        self.peak_rss = max(self.peak_rss, rss(pids))
        self.peak_pss = max(self.peak_pss, pss(pids))

    def start(self):
        self.pids = tree(self.pid)
        self.cpu_at_start = {p: cpu_seconds(p) for p in self.pids}
        self._sample(self.pids)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample(self.pids)

    def stop(self):
        self._stop.set()
        self._thread.join()
        now = tree(self.pid)
        new = [p for p in now if p not in self.cpu_at_start]
        cpu = sum(cpu_seconds(p) - self.cpu_at_start[p] for p in self.pids if p in now)
        cpu += sum(cpu_seconds(p) for p in new)
        self._sample(now)
        return {
            "peak_rss": self.peak_rss,
            "peak_pss": self.peak_pss,
            "cpu_s": round(cpu, 3),
            "processes": len(now),
        }
