"""Run a command as a subprocess and measure it: wall seconds, CPU seconds of its whole process
tree (rusage of the child and its reaped descendants, or the sampled ticks of every process in
the tree when those are more), the largest single process (ru_maxrss)
and the peak of the tree's summed proportional set size (PSS, sampled: forked workers share
pages, which plain RSS would count once per process)."""
from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass


@dataclass
class Measured:
    wall: float
    cpu: float
    max_process_mb: float
    peak_tree_mb: float
    returncode: int


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(name))
    return tree


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_sample(root: int, cpu: dict[int, int]) -> float:
    """The tree's summed PSS in MB; records each process's CPU ticks so far into ``cpu``."""
    tree, todo, total = _children(), [root], 0
    while todo:
        pid = todo.pop()
        total += _pss_kb(pid)
        cpu[pid] = max(cpu.get(pid, 0), _cpu_ticks(pid))
        todo.extend(tree.get(pid, ()))
    return total / 1024


def run(cmd: list[str], log_path: str, env: dict | None = None, interval: float = 0.25) -> Measured:
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        peak, done, ticks = [0.0], threading.Event(), {}

        def sample():
            while not done.wait(interval):
                peak[0] = max(peak[0], tree_sample(proc.pid, ticks))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    # rusage misses processes nobody waited for (pool workers that are terminated); the samples
    # miss each process's last interval: take the larger of the two.
    sampled_cpu = sum(ticks.values()) / os.sysconf("SC_CLK_TCK")
    return Measured(wall, max(usage.ru_utime + usage.ru_stime, sampled_cpu), usage.ru_maxrss / 1024, peak[0],
                    proc.returncode)
