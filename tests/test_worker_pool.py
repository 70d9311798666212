"""--workers N: the run's Luigi worker runs its tasks in N long-lived processes
(tasks.executors.ExecutorWorker) instead of a process forked per task. Same results, every task
in one of the N processes, failures reported as before, and no worker outlives its run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO

from storydedup.tasks import stages

TASK_FAILED = 30
FILES = ("documents.jsonl", "clusters.jsonl", "rejects.jsonl")


def _wrap_run(monkeypatch, cls, before):
    """``cls.run`` calls ``before(task)`` first."""
    real = cls.run

    def run(self):
        before(self)
        return real(self)

    monkeypatch.setattr(cls, "run", run)


def _same_results(out, reference) -> bool:
    return all((out / f).read_bytes() == (reference / f).read_bytes() for f in FILES)


def test_tasks_run_in_the_pool_workers_only(tmp_path, cli, corpus, monkeypatch):
    reference, out, seen = tmp_path / "reference", tmp_path / "out", tmp_path / "pids"
    assert cli("run", "--input", corpus, "--output", reference, "--shard-size", "2")[0] == 0

    def note_pid(task):
        with open(seen, "a") as fh:
            fh.write(f"{os.getpid()}\n")

    for cls in (stages.StripBoilerplate, stages.Signatures, stages.Clusters):
        _wrap_run(monkeypatch, cls, note_pid)
    code, _, err = cli("run", "--input", corpus, "--output", out, "--workers", "2", "--shard-size", "2")
    assert code == 0, err
    pids = seen.read_text().split()
    assert len(pids) == 11  # 5 shards of the 9 documents, twice, and the grouping stage
    assert len(set(pids)) <= 2 and str(os.getpid()) not in pids  # two workers, none of them this process
    assert _same_results(out, reference)


def test_a_daily_batch_shares_its_pipeline_among_the_workers(tmp_path, cli, corpus, monkeypatch):
    # A batch's pipeline is a dynamic dependency of its DailyBatch task, yielded by the worker
    # that runs it: each strip task waits until strip tasks run in two processes at once.
    started = tmp_path / "started"
    started.mkdir()

    def meet(task):
        (started / str(task.shard)).write_text(str(os.getpid()))
        deadline = time.monotonic() + 30
        while len({p.read_text() for p in started.iterdir()}) < 2:
            if time.monotonic() > deadline:
                raise RuntimeError("no strip task started in another worker")
            time.sleep(0.01)

    _wrap_run(monkeypatch, stages.StripBoilerplate, meet)
    code, _, err = cli("run", "--batch", "2026-11-21", "--input", corpus, "--output", tmp_path / "root",
                       "--workers", "2", "--shard-size", "2")
    assert code == 0, err
    assert len({p.read_text() for p in started.iterdir()}) == 2 and len(list(started.iterdir())) == 5


def test_a_failed_task_fails_the_run_and_the_rerun_completes(tmp_path, cli, corpus, monkeypatch):
    reference, out = tmp_path / "reference", tmp_path / "out"
    assert cli("run", "--input", corpus, "--output", reference)[0] == 0

    def fail_one_shard(task):
        if task.shard == 1:
            raise RuntimeError("signature shard broke")

    _wrap_run(monkeypatch, stages.Signatures, fail_one_shard)
    code, _, err = cli("run", "--input", corpus, "--output", out, "--workers", "2", "--shard-size", "2")
    assert code == TASK_FAILED, err
    assert "failed: Signatures(" in err and "RuntimeError: signature shard broke" in err and "did not complete" in err
    assert not (out / "documents.jsonl").exists() and not list(out.glob("70_clusters-*"))
    monkeypatch.undo()
    assert cli("run", "--input", corpus, "--output", out, "--workers", "2", "--shard-size", "2")[0] == 0
    assert _same_results(out, reference)


def test_a_worker_killed_ends_the_run_and_the_rerun_completes(tmp_path, cli, corpus, monkeypatch):
    reference, out = tmp_path / "reference", tmp_path / "out"
    assert cli("run", "--input", corpus, "--output", reference)[0] == 0

    def die_on_one_shard(task):
        if task.shard == 2:
            os.kill(os.getpid(), signal.SIGKILL)

    _wrap_run(monkeypatch, stages.StripBoilerplate, die_on_one_shard)
    code, _, err = cli("run", "--input", corpus, "--output", out, "--workers", "2", "--shard-size", "2")
    assert code == TASK_FAILED, err
    assert "died (SIGKILL)" in err
    monkeypatch.undo()
    assert cli("run", "--input", corpus, "--output", out, "--workers", "2", "--shard-size", "2")[0] == 0
    assert _same_results(out, reference)
    assert not list(out.rglob(".tmp-*"))


# A run whose signature tasks write their pid, then wait: the test kills the run meanwhile.
SLOW_SIGNATURES = """
import os, sys, time
from pathlib import Path
from storydedup.tasks import stages
original = stages.Signatures.run
def slow(self):
    (Path(sys.argv[1]) / f"{os.getpid()}").touch()
    time.sleep(60)
    original(self)
stages.Signatures.run = slow
from storydedup.tasks.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_workers_die_with_a_killed_run(tmp_path, corpus):
    pids = tmp_path / "pids"
    pids.mkdir()
    run = subprocess.Popen([sys.executable, "-c", SLOW_SIGNATURES, str(pids), "run", "--input", str(corpus),
                            "--output", str(tmp_path / "out"), "--workers", "2", "--shard-size", "2", "--quiet"],
                           env={**os.environ, "PYTHONPATH": str(REPO)}, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_ends_the_run_with_one_line_and_the_rerun_completes(tmp_path, corpus, workers):
    pids, out = tmp_path / "pids", tmp_path / "out"
    pids.mkdir()
    command = [sys.executable, "-c", SLOW_SIGNATURES, str(pids), "run", "--input", str(corpus), "--output", str(out),
               "--workers", str(workers), "--shard-size", "2", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(pids.iterdir())) < workers and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)  # as Ctrl-C does: the run's whole process group
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not (out / "documents.jsonl").exists() and not list(out.glob("60_signatures-*"))
    reference = tmp_path / "reference"
    for folder in (out, reference):
        done = subprocess.run([sys.executable, "-m", "storydedup.tasks.cli", "run", "--input", str(corpus), "--output",
                               str(folder), "--workers", str(workers), "--shard-size", "2", "--quiet"], env=env)
        assert done.returncode == 0
    assert _same_results(out, reference)
