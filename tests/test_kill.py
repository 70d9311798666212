"""kill -9 at random points of a run and of a daily batch (several seeds), then the same command
again: the outputs and the index are byte-identical to those of an uninterrupted run."""
from __future__ import annotations

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


def storydedup(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "storydedup.tasks.cli", *map(str, args), "--quiet"], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def timed(*args) -> float:
    started = time.monotonic()
    proc = storydedup(*args)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return time.monotonic() - started


def killed_then_rerun(seed: int, duration: float, *args) -> None:
    proc = storydedup(*args)
    time.sleep(random.Random(seed).uniform(0.1, 0.95) * duration)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    again = storydedup(*args)
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err


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
def test_kill_9_anywhere_in_a_run(tmp_path):
    corpus = write_corpus(tmp_path / "in")
    duration = timed("run", "--input", corpus, "--output", tmp_path / "reference", "--shard-size", 2)
    for seed in SEEDS:
        out = tmp_path / f"out-{seed}"
        killed_then_rerun(seed, duration, "run", "--input", corpus, "--output", out, "--shard-size", 2)
        assert results(out) == results(tmp_path / "reference"), seed


@pytest.mark.slow
def test_kill_9_anywhere_in_a_daily_batch(tmp_path):
    pattern = write_days(tmp_path / "scrape")
    reference = tmp_path / "reference"
    duration = timed("run", "--batch", "2026-11-21", "--input", pattern, "--output", reference)
    two_days = tmp_path / "two-days"  # the first two days done; the kill lands in the third
    timed("run", "--batch", "2026-11-20", "--input", pattern, "--output", two_days)
    for seed in SEEDS:
        root = tmp_path / f"root-{seed}"
        shutil.copytree(two_days, root)
        killed_then_rerun(seed, duration / 2, "run", "--batch", "2026-11-21", "--input", pattern, "--output", root)
        assert results(root) == results(reference), seed
