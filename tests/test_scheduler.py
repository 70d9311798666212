"""Daily batches under a real central scheduler (luigid on loopback)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter

from conftest import REPO, write_corpus
from luigid_server import luigid, task_list  # noqa: F401  (fixture)

STAGE_LINE = re.compile(r"^(\d\d_\w+)(?: shard (\d+)/\d+)?: ", re.M)


def storydedup(*args, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "storydedup.tasks.cli", *map(str, args)], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_two_invocations_of_one_batch_never_run_a_task_twice_and_the_second_is_locked_out(luigid, tmp_path):  # noqa: F811
    corpus = write_corpus(tmp_path / "in")
    args = ("run", "--batch", "2026-11-21", "--input", corpus, "--output", tmp_path / "root",
            "--shard-size", 1, "--scheduler-url", luigid)
    procs = [storydedup(*args) for _ in range(2)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    logs = "".join(err for _, _, err in results)
    runs = Counter(STAGE_LINE.findall(logs))
    assert runs, logs
    assert {key: n for key, n in runs.items() if n != 1} == {}, logs
    # The batch root is locked: the invocation that comes second is told the first is running
    # (exit 10), whether or not a central scheduler is used.
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 10] or (codes == [0, 0] and any("Nothing to do" in out for _, out, _ in results)), results
    assert ("90_publish", "") in runs and ("70_clusters", "") in runs

    again = storydedup(*args)
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0 and "Nothing to do" in out


def test_progress_messages_reach_the_scheduler(luigid, tmp_path):  # noqa: F811
    corpus = write_corpus(tmp_path / "in")
    proc = storydedup("run", "--batch", "2026-11-22", "--input", corpus, "--output", tmp_path / "root",
                      "--shard-size", 2, "--scheduler-url", luigid)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    done = task_list(luigid, "DONE")
    messages = {t["name"]: t.get("status_message") for t in done.values()
                if str(tmp_path) in str(t.get("params", {}))}
    assert messages.get("Publish", "").startswith("90_publish: "), messages
    assert re.match(r"50_strip: \d+/\d+ documents", messages.get("StripBoilerplate", "") or ""), messages
    assert all(t.get("progress_percentage") is not None for t in done.values()
               if t["name"] in ("Publish", "StripBoilerplate") and str(tmp_path) in str(t.get("params", {})))


def test_failed_task_gives_the_retcode_under_the_scheduler(luigid, tmp_path):  # noqa: F811
    corpus = write_corpus(tmp_path / "in")
    config = tmp_path / "bad.cfg"
    config.write_text("[Clusters]\nrepresentative = no-such-policy\n")
    proc = storydedup("run", "--input", corpus, "--output", tmp_path / "out", "--config", config,
                      "--scheduler-url", luigid)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 30, err
    assert "no-such-policy" in err
    failed = task_list(luigid, "FAILED")
    assert any(t["name"] == "Clusters" for t in failed.values()), failed


# A run whose strip and signature tasks note the process they run in.
NOTE_PIDS = """
import os, sys
from pathlib import Path
from storydedup.tasks import stages
for cls in (stages.StripBoilerplate, stages.Signatures):
    def noted(self, original=cls.run):
        (Path(sys.argv[1]) / f"{self.stage}-{self.shard}").write_text(str(os.getpid()))
        return original(self)
    cls.run = noted
from storydedup.tasks.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_several_workers_under_the_scheduler_run_a_batch_in_long_lived_processes(luigid, tmp_path):  # noqa: F811
    """A daily batch yields its pipeline as a dynamic dependency: its tasks still go to both of
    the run's processes, each running many of them, and the results are a single worker's."""
    corpus, pids = write_corpus(tmp_path / "in"), tmp_path / "pids"
    pids.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    pooled = subprocess.run([sys.executable, "-c", NOTE_PIDS, str(pids), "run", "--batch", "2026-11-23", "--input",
                             str(corpus), "--output", str(tmp_path / "pooled"), "--shard-size", "2", "--workers", "2",
                             "--scheduler-url", luigid], env=env, capture_output=True, text=True, timeout=600)
    assert pooled.returncode == 0, pooled.stderr
    ran = [p.read_text() for p in pids.iterdir()]
    assert len(ran) == 10 and len(set(ran)) == 2  # 5 shards, two stages, in two processes
    single = storydedup("run", "--batch", "2026-11-23", "--input", corpus, "--output", tmp_path / "single",
                        "--shard-size", 2)
    assert single.wait(timeout=600) == 0
    for name in ("documents.jsonl", "clusters.jsonl"):
        assert (tmp_path / "pooled" / "batches" / "2026-11-23" / name).read_bytes() == \
            (tmp_path / "single" / "batches" / "2026-11-23" / name).read_bytes()
