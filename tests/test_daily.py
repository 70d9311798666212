"""Daily batches through the CLI: catch-up, stable story ids, history, --force, a killed run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ARTICLE, OTHER, REPO
from redis_server import redis_port, redis_url  # noqa: F401  (fixtures)

EDITED = (ARTICLE.replace("on Tuesday", "on Tuesday morning").replace("about 1,200", "some 1,200")
          + "\n\nA spokesman for the operators declined to comment further on the talks.")
REWRITTEN = (
    "Porto Velho dockers keep container terminal shut\n\n"
    "The container terminal at Porto Velho remained closed on Wednesday, the second day of a "
    "48-hour walkout by about 1,200 dock workers demanding higher night-shift pay.\n\n"
    "Union leaders blamed the port operators for the collapse of nine weeks of talks; the "
    "operators answered that diverted cargo ships and spoiling perishable goods were costing "
    "the strikers public sympathy.\n\n"
    "The port authority said crane operations would restart once the strike ends on Thursday."
)
DAYS = {
    "2026-11-19": {"wire.txt": "Port strike halts cranes\n\n" + ARTICLE},
    "2026-11-20": {"edited.txt": "Dockers strike in Porto Velho\n\n" + EDITED,
                   "bridge.txt": "Bridge opens\n\n" + OTHER},
    "2026-11-21": {"report.txt": REWRITTEN},
}


def write_days(root: Path) -> str:
    for day, files in DAYS.items():
        (root / day).mkdir(parents=True)
        for name, text in files.items():
            (root / day / name).write_text(text, encoding="utf-8")
    return str(root / "{date}")


def documents(root: Path, day: str) -> dict[str, dict]:
    lines = (root / "batches" / day / "documents.jsonl").read_text().splitlines()
    return {d["id"]: d for d in map(json.loads, lines)}


def index_documents(root: Path) -> int:
    manifest = json.loads((root / "index" / "manifest.json").read_text())
    return sum(b["size"] for b in manifest["batches"].values())


def history(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "history.jsonl").read_text().splitlines()]


@pytest.fixture
def three_days(tmp_path, cli):
    pattern = write_days(tmp_path / "scrape")
    root = tmp_path / "root"
    # Only the last day is asked for: the two days before it are caught up first, in order.
    code, out, err = cli("run", "--batch", "2026-11-21", "--input", pattern, "--output", root)
    assert code == 0, err
    return pattern, root


def test_a_story_keeps_its_id_across_three_days(three_days):
    _, root = three_days
    wire = documents(root, "2026-11-19")["wire.txt"]
    day2, day3 = documents(root, "2026-11-20"), documents(root, "2026-11-21")
    assert day2["edited.txt"]["dup_cluster"] == wire["dup_cluster"]
    assert day2["edited.txt"]["story_cluster"] == wire["story_cluster"]
    assert day3["report.txt"]["story_cluster"] == wire["story_cluster"]
    assert day3["report.txt"]["dup_cluster"] != wire["dup_cluster"]
    assert day2["bridge.txt"]["story_cluster"] != wire["story_cluster"]
    assert [h["batch"] for h in history(root)] == list(DAYS)
    assert [h["new_stories"] for h in history(root)] == [1, 1, 0]
    assert [h["extended_stories"] for h in history(root)] == [0, 1, 1]


def test_completed_batch_does_nothing_and_force_replaces_it(three_days, cli):
    pattern, root = three_days
    before, day2 = history(root), documents(root, "2026-11-20")
    code, out, _ = cli("run", "--batch", "2026-11-21", "--input", pattern, "--output", root)
    assert code == 0 and "Nothing to do" in out
    code, out, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root, "--force")
    assert code == 0, err
    after = history(root)
    assert [h["batch"] for h in after] == list(DAYS)
    # Replaced, not added twice, and grouped against the days before it only: day 2 gets the
    # same clusters and the same history counts as the first time (issue 20, case 7).
    without_time = [{k: v for k, v in h.items() if k != "completed"} for h in (before, after) for h in h]
    assert without_time[3:] == without_time[:3]
    assert documents(root, "2026-11-20") == day2
    assert index_documents(root) == before[2]["index_documents"] == 4


def test_history_command_prints_one_row_per_batch(three_days, cli):
    _, root = three_days
    code, out, _ = cli("history", "--output", root)
    assert code == 0
    rows = out.strip().splitlines()
    assert rows[0].split()[:3] == ["batch", "in", "kept"]
    assert [r.split()[0] for r in rows[1:]] == list(DAYS)


def test_rerun_from_a_stage_of_a_caught_up_batch(three_days, cli):
    _, root = three_days
    before = documents(root, "2026-11-20")
    code, _, err = cli("rerun", "--output", root / "batches" / "2026-11-20", "--from", "clusters")
    assert code == 0, err
    assert documents(root, "2026-11-20") == before
    assert history(root)[1]["index_documents"] > 0


CRASH_AFTER_INDEX = """
import os, sys
from storydedup.tasks import stages
original = stages.Clusters.group
def dying(self, arrays):
    result = original(self, arrays)
    os._exit(9)  # the index has the batch, the stage directory was never written
stages.Clusters.group = dying
from storydedup.tasks.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_run_killed_after_the_index_update_is_recovered(tmp_path, cli):
    pattern = write_days(tmp_path / "scrape")
    root, reference = tmp_path / "root", tmp_path / "reference"
    assert cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root)[0] == 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", CRASH_AFTER_INDEX, "run", "--batch", "2026-11-21",
                           "--input", pattern, "--output", str(root)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 9, proc.stderr
    assert not (root / "batches" / "2026-11-21" / "documents.jsonl").exists()
    code, _, err = cli("run", "--batch", "2026-11-21", "--input", pattern, "--output", root)
    assert code == 0, err
    assert cli("run", "--batch", "2026-11-21", "--input", pattern, "--output", reference)[0] == 0
    assert documents(root, "2026-11-21") == documents(reference, "2026-11-21")
    assert history(root)[-1]["index_documents"] == history(reference)[-1]["index_documents"]


def test_backfill_with_luigi_range_tool(tmp_path):
    import datetime as dt

    import luigi

    from storydedup.tasks import DailyBatch, RangeDailyBase
    from storydedup.tasks.cli import load_config

    load_config(None)
    pattern = write_days(tmp_path / "scrape")
    root = tmp_path / "root"
    task = RangeDailyBase(of=DailyBatch, start=dt.date(2026, 11, 19), stop=dt.date(2026, 11, 22),
                          of_params={"inputs": [pattern], "root": str(root)})
    assert luigi.build([task], local_scheduler=True, workers=2)
    assert [h["batch"] for h in history(root)] == list(DAYS)
    assert documents(root, "2026-11-21")["report.txt"]["story_cluster"] == \
        documents(root, "2026-11-19")["wire.txt"]["story_cluster"]


@pytest.mark.redis
def test_redis_index_gives_the_same_batches_as_the_embedded_one(tmp_path, cli, redis_url):  # noqa: F811
    pattern = write_days(tmp_path / "scrape")
    embedded, shared = tmp_path / "embedded", tmp_path / "redis"
    for root, extra in ((embedded, ()), (shared, ("--index", redis_url))):
        code, _, err = cli("run", "--batch", "2026-11-21", "--input", pattern, "--output", root, *extra)
        assert code == 0, err
    for day in DAYS:
        assert documents(shared, day) == documents(embedded, day)
    assert [h["index_documents"] for h in history(shared)] == [h["index_documents"] for h in history(embedded)]
    assert not (shared / "index").exists()
