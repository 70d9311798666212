"""kill -9 at random points of a run and of a daily batch (several seeds), then the same command
again: the outputs and the index are byte-identical to those of an uninterrupted run."""
from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_daily import write_days

from conftest import REPO, write_corpus

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
SEEDS = (1, 2, 3)
# Imports the CLI (and what a run loads on first use) once, then runs each requested command in a
# process forked from itself: a run starts in milliseconds instead of the seconds an import
# takes, so the tests are cheaper and the kill points fall in the work, not in the start-up.
# Protocol, one JSON request {"argv", "log"} a line: answers the child's pid, then its wait status.
FORK_SERVER = """
import json, os, sys, traceback
from storydedup.tasks.cli import main
import trafilatura, storydedup.tasks  # noqa: F401  (loaded on first use by a run)
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        code = 1
        try:
            code = main(request["argv"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(pid, flush=True)
    print(os.waitpid(pid, 0)[1], flush=True)
"""


class ForkedRuns:
    """``storydedup`` commands run one at a time in processes forked from a preloaded server."""

    def __init__(self, logs: Path):
        self.logs, self.n = logs, 0
        self.server = subprocess.Popen([sys.executable, "-c", FORK_SERVER], env=ENV, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True)

    def start(self, *args) -> tuple[int, Path]:
        self.n += 1
        log = self.logs / f"run-{self.n}.log"
        self.server.stdin.write(json.dumps({"argv": [*map(str, args), "--quiet"], "log": str(log)}) + "\n")
        self.server.stdin.flush()
        return int(self.server.stdout.readline()), log

    def wait(self) -> int:
        return os.waitstatus_to_exitcode(int(self.server.stdout.readline()))

    def run(self, *args) -> float:
        started = time.monotonic()
        _, log = self.start(*args)
        assert self.wait() == 0, log.read_text()
        return time.monotonic() - started

    def killed_then_rerun(self, seed: int, duration: float, fresh, *args) -> None:
        """Start the command on the output ``fresh()`` lays out, kill -9 it at a seeded point of
        ``duration``, then run it again to the end."""
        delay = random.Random(seed).uniform(0.1, 0.95) * duration
        while True:
            fresh()
            pid, _ = self.start(*args)
            time.sleep(delay)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if self.wait() == -signal.SIGKILL:
                break
            delay /= 2  # the run ended before the kill (lengths vary under load): kill it earlier
        self.run(*args)

    def close(self) -> None:
        self.server.stdin.close()
        self.server.wait(timeout=60)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    forked = ForkedRuns(tmp_path_factory.mktemp("logs"))
    yield forked
    forked.close()


def results(out: Path) -> dict[str, bytes]:
    """Every result file a reader sees, by path: outputs, stage files, history, index content
    (index generations are named by batch, their random token left out)."""
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).parts
        if not path.is_file() or path.name in ("_stats.json", "_run.json", ".storydedup.lock", "lock"):
            continue  # _stats/_run/history hold times
        if rel[0] == "history" or path.name == "history.jsonl":
            text = path.read_text()
            entries = [json.loads(line) for line in text.splitlines()] if path.suffix == ".jsonl" else [json.loads(text)]
            files["/".join(rel)] = json.dumps([{k: v for k, v in e.items() if k != "completed"} for e in entries]).encode()
            continue
        if rel[0] == "index" and len(rel) == 3:  # <batch>.<token>/<file>.npy
            rel = ("index", rel[1].split(".")[0], rel[2])
        if rel[0] == "index" and path.name == "manifest.json":
            manifest = json.loads(path.read_text())
            for entry in manifest["batches"].values():
                entry["gen"] = entry["gen"].split(".")[0]
            files["index/manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
            continue
        files["/".join(rel)] = path.read_bytes()
    assert not [p for p in out.rglob(".tmp-*")]
    return files


@pytest.mark.slow
def test_kill_9_anywhere_in_a_run(tmp_path, runs):
    corpus = write_corpus(tmp_path / "in")
    duration = runs.run("run", "--input", corpus, "--output", tmp_path / "reference", "--shard-size", 2)
    for seed in SEEDS:
        out = tmp_path / f"out-{seed}"
        runs.killed_then_rerun(seed, duration, lambda: shutil.rmtree(out, ignore_errors=True),
                               "run", "--input", corpus, "--output", out, "--shard-size", 2)
        assert results(out) == results(tmp_path / "reference"), seed


@pytest.mark.slow
def test_kill_9_anywhere_in_a_daily_batch(tmp_path, runs):
    pattern = write_days(tmp_path / "scrape")
    two_days = tmp_path / "two-days"  # the first two days done; the kill lands in the third
    runs.run("run", "--batch", "2026-11-20", "--input", pattern, "--output", two_days)
    reference = tmp_path / "reference"
    shutil.copytree(two_days, reference)
    duration = runs.run("run", "--batch", "2026-11-21", "--input", pattern, "--output", reference)
    for seed in SEEDS:
        root = tmp_path / f"root-{seed}"

        def fresh():
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(two_days, root)

        runs.killed_then_rerun(seed, duration, fresh, "run", "--batch", "2026-11-21", "--input", pattern,
                               "--output", root)
        assert results(root) == results(reference), seed


@pytest.mark.slow
def test_daily_batch_stopped_right_after_its_index_commit(tmp_path, runs):
    """The one kill point the random ones may miss: the index holds the batch, its grouping stage
    and everything after it are not written. The same command then gives the results of an
    uninterrupted run, the index's manifest (sequence numbers included) too."""
    pattern = write_days(tmp_path / "scrape")
    reference = tmp_path / "reference"
    runs.run("run", "--batch", "2026-11-20", "--input", pattern, "--output", reference)
    runs.run("run", "--batch", "2026-11-21", "--input", pattern, "--output", reference)
    root = tmp_path / "root"
    shutil.copytree(reference, root)
    day = root / "batches" / "2026-11-21"
    for path in [*day.glob("70_clusters-*"), *day.glob("90_publish-*")]:
        shutil.rmtree(path)
    for path in [*day.glob("*.jsonl"), day / "_run.json", root / "history" / "2026-11-21.json"]:
        path.unlink()
    runs.run("run", "--batch", "2026-11-21", "--input", pattern, "--output", root)
    assert results(root) == results(reference)
