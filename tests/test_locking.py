"""Two runs on one output folder or batch root (issue 20, case 6): the second exits with
[retcode] already_running and one line naming the first; a lock left by a killed run is taken
over."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from conftest import REPO, read_rows, write_corpus
from test_daily import write_days

HOLD = """
import sys, time
from pathlib import Path
from storydedup.tasks.lock import run_lock
with run_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""
# A run whose read stage waits a while, so a second run can start meanwhile.
SLOW_RUN = """
import sys, time
from storydedup.tasks import read
original = read.ReadInputs.run
def slow(self):
    time.sleep(4)
    original(self)
read.ReadInputs.run = slow
from storydedup.tasks.cli import main
sys.exit(main(sys.argv[1:]))
"""
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _hold(folder, seconds=60) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), str(seconds)], env=ENV,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_on_the_same_output_exits_10_naming_the_first(tmp_path, cli, corpus):
    holder = _hold(tmp_path / "out")
    try:
        code, out, err = cli("run", "--input", corpus, "--output", tmp_path / "out")
    finally:
        holder.kill()
        holder.wait()
    assert code == 10, err
    assert len(err.strip().splitlines()) == 1 and f"pid {holder.pid}" in err and "already running" in err
    assert not (tmp_path / "out" / "documents.jsonl").exists()


def test_a_batch_locks_its_whole_root(tmp_path, cli):
    pattern = write_days(tmp_path / "scrape")
    holder = _hold(tmp_path / "root")
    try:
        code, _, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", tmp_path / "root")
    finally:
        holder.kill()
        holder.wait()
    assert code == 10 and f"pid {holder.pid}" in err, err


def test_lock_of_a_killed_run_is_taken_over(tmp_path, cli, corpus):
    holder = _hold(tmp_path / "out")
    holder.kill()  # SIGKILL: the kernel drops the flock, the file still names the dead process
    holder.wait()
    assert json.loads((tmp_path / "out" / ".storydedup.lock").read_text())["pid"] == holder.pid
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out")
    assert code == 0, err
    assert "taking over the lock" in err and f"pid {holder.pid}" in err
    assert (tmp_path / "out" / ".storydedup.lock").read_text() == ""


def two_corpora(tmp_path):
    """(first input, a different second input, the output both runs point at)."""
    first_in = write_corpus(tmp_path / "a")
    second_in = tmp_path / "b"
    second_in.mkdir()
    (second_in / "one.txt").write_text("A different corpus entirely, with one short document.")
    return first_in, second_in, tmp_path / "out"


def wait_for_lock(out, holder, timeout: float = 60) -> None:
    """Until ``holder`` (still running) has written its pid into the output's lock file."""
    deadline = time.monotonic() + timeout
    while not (out / ".storydedup.lock").is_file() or not (out / ".storydedup.lock").read_text():
        assert time.monotonic() < deadline and holder.poll() is None
        time.sleep(0.05)


def test_two_real_runs_with_different_inputs(tmp_path):
    first_in, second_in, out = two_corpora(tmp_path)

    def start(inputs):
        return subprocess.Popen([sys.executable, "-c", SLOW_RUN, "run", "--input", str(inputs),
                                 "--output", str(out)], env=ENV, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    first = start(first_in)
    wait_for_lock(out, first)
    second = start(second_in)
    _, err2 = second.communicate(timeout=300)
    _, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 10, err2
    assert f"pid {first.pid}" in err2.strip().splitlines()[-1]
    ids = {d["id"] for d in read_rows(out / "documents.jsonl")}
    assert "one.txt" not in ids and "page.html" in ids  # the first run's outputs, untouched


def test_empty_output_is_a_usage_error(cli, corpus):
    code, _, err = cli("run", "--input", corpus, "--output", "")
    assert code == 2 and "--output is empty" in err


# A plain `luigi --module storydedup.tasks` run whose read stage waits a while.
SLOW_LUIGI = SLOW_RUN.replace("from storydedup.tasks.cli import main\nsys.exit(main(sys.argv[1:]))",
                              "from luigi.cmdline import luigi_run\nluigi_run(sys.argv[1:])")


def test_plain_luigi_runs_lock_each_other_out(tmp_path):
    first_in, second_in, out = two_corpora(tmp_path)
    env = {**ENV, "LUIGI_CONFIG_PATH": str(REPO / "config" / "storydedup.cfg")}

    def start(script, inputs, *extra):
        return subprocess.Popen([sys.executable, "-c", script, "--module", "storydedup.tasks", "Publish",
                                 "--inputs", json.dumps([str(inputs)]), "--output-dir", str(out),
                                 "--local-scheduler", *extra], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    first = start(SLOW_LUIGI, first_in, "--workers", "2")  # tasks in forked workers share the lock
    wait_for_lock(out, first)
    second = start(SLOW_LUIGI.replace("time.sleep(4)", "pass"), second_in)
    _, err2 = second.communicate(timeout=300)
    _, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1[-2000:]
    assert second.returncode == 30, err2[-2000:]  # [retcode] task_failed: luigi has no other code for it
    assert f"already running: pid {first.pid}" in err2
    ids = {d["id"] for d in read_rows(out / "documents.jsonl")}
    assert "one.txt" not in ids and "page.html" in ids  # the first run's outputs, untouched
    assert (out / ".storydedup.lock").read_text() == ""  # released when the first run ended
