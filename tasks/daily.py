"""Daily batches: one scrape a day, grouped against the index of earlier days.

``DailyBatch(date)`` runs the whole pipeline on that day's inputs into ROOT/batches/<date>/,
with the clustering stage matching the documents against the persistent index, then records the
batch in the history. When the inputs are a pattern with ``{date}`` (e.g.
``/data/scrape/{date}`` or ``/data/{date:%Y/%m/%d}``), earlier days whose inputs exist and that
were never run (inside the window) are required first, oldest first, so the index always sees
the days in order; ``RangeDailyBase --of DailyBatch`` backfills a range the same way.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from functools import cached_property
from pathlib import Path

import luigi

from storydedup.pipeline.records import atomic_write_text, dumps, read_json, read_jsonl
from storydedup.pipeline.run_outputs import HISTORY_DIR, HISTORY_FILE, read_history, stage_stats

from storydedup.tasks.base import AUTO_SHARD_SIZE, EngineParams, resolve_shard_size
from storydedup.tasks.errors import ReportsFaults
from storydedup.tasks.lock import LockedTask
from storydedup.tasks.publish import Publish



def batch_dir(root: str, date: dt.date) -> Path:
    return Path(root) / "batches" / date.isoformat()


def default_index(root: str) -> str:
    return str(Path(root) / "index")


class DailyBatch(LockedTask, ReportsFaults, EngineParams, luigi.Task):
    """One day's batch, from inputs to history entry."""

    date = luigi.DateParameter(description="the batch date (publication day of undated documents)")
    inputs = luigi.ListParameter(description="input files or directories; '{date}' is replaced by the date")
    root = luigi.Parameter(description="root directory of all batches, the history and the default index")
    index = luigi.Parameter(default="", significant=False,
                            description="index location: a directory (default ROOT/index) or redis://host:port/db")
    window_days = luigi.IntParameter(default=30, description="days of earlier documents each batch is matched against")
    shard_size = luigi.IntParameter(default=AUTO_SHARD_SIZE,
                                    description="documents per shard (0: as the day's inputs call for, see resolve_shard_size)")
    # How many earlier days may still be chained in before this one (bounded by the window).
    catch_up = luigi.IntParameter(default=-1, significant=False, visibility=luigi.parameter.ParameterVisibility.HIDDEN)

    def inputs_for(self, date: dt.date) -> list[str]:
        return [str(p).format(date=date) for p in self.inputs]

    @cached_property
    def day_shard_size(self) -> int:
        """``shard_size``, resolved once from the day's inputs: ``publish_task`` is asked for at
        every completeness check, and resolving "auto" reads the inputs."""
        return resolve_shard_size(self.shard_size, self.inputs_for(self.date))

    def publish_task(self) -> Publish:
        return Publish(inputs=self.inputs_for(self.date), output_dir=str(batch_dir(self.root, self.date)),
                       shard_size=self.day_shard_size, batch=self.date.isoformat(),
                       index=self.index or default_index(self.root), window_days=self.window_days,
                       engine=self.engine, spark_master=self.spark_master)

    def previous_day(self) -> "DailyBatch | None":
        """The day before, when the inputs are a date pattern and that day's inputs exist."""
        if not any("{date" in str(p) for p in self.inputs):
            return None
        depth = self.window_days if self.catch_up < 0 else self.catch_up
        day = self.date - dt.timedelta(days=1)
        if depth <= 0 or not all(Path(p).exists() for p in self.inputs_for(day)):
            return None
        return self.clone(date=day, catch_up=depth - 1)

    def lock_folder(self) -> Path:
        return Path(self.root)

    def requires(self):
        # The day's own pipeline is a dynamic dependency of run() (below), so its grouping
        # starts only once the day before is complete: the index sees the days in order.
        previous = self.previous_day()
        return {"previous": previous} if previous else {}

    def output(self):
        return luigi.LocalTarget(str(Path(self.root) / HISTORY_DIR / f"{self.date.isoformat()}.json"))

    def complete(self) -> bool:
        # A batch whose stages were removed (rerun --from, --force) is not done, even though
        # its old history entry is still there.
        return super().complete() and self.publish_task().complete()

    def run_spec(self) -> dict:
        """The batch's _run.json content, so `rerun`, `inspect` and `stats` work on it."""
        publish = self.publish_task()
        return {"inputs": list(self.inputs), "output_dir": publish.output_dir, "shard_size": publish.shard_size,
                "config": None, "batch": self.date.isoformat(), "root": self.root, "index": publish.index,
                "engine": self.engine, "spark_master": self.spark_master}

    def run(self):
        from storydedup.tasks.outputs import write_run_file

        publish = self.publish_task()
        if not publish.complete():
            yield publish
        write_run_file(Path(publish.output_dir), self.run_spec(), publish)
        entry = history_entry(self.date.isoformat(), publish)
        Path(self.output().path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.output().path, json.dumps(entry, indent=2, sort_keys=True) + "\n")
        rebuild_history(Path(self.root))


def history_entry(batch: str, publish: Publish, largest: int = 3) -> dict:
    """Counts of one finished batch, read from the stage directories of its run."""
    run = stage_stats(publish.stage_dir())
    groups = stage_stats(publish.requires()["clusters"].stage_dir())
    stories = [c for c in read_jsonl(Path(publish.output_dir) / "clusters.jsonl") if c["level"] == "story"]
    stories.sort(key=lambda c: (-c["size"], c["id"]))
    keys = ("new_dup_clusters", "extended_dup_clusters", "new_stories", "extended_stories",
            "merged_stories", "evicted", "index_documents")
    return {
        "batch": batch,
        "documents_in": run.get("in", 0),
        "documents": run.get("kept", 0),
        "rejected": run.get("rejected", 0),
        "reject_reasons": run.get("reject_reasons", {}),
        **{k: groups.get(k, 0) for k in keys},
        "largest_stories": [{"id": c["id"], "size": c["size"], "representative": c["representative"]}
                            for c in stories[:largest]],
        "completed": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def rebuild_history(root: Path) -> None:
    """history.jsonl = every recorded batch in date order (a re-run batch replaces its line)."""
    entries = [read_json(p) for p in sorted((root / HISTORY_DIR).glob("*.json"))]
    atomic_write_text(root / HISTORY_FILE, "".join(dumps(e) + "\n" for e in entries))


def history_table(root: Path) -> str:
    """The run-over-run table printed by ``storydedup history``."""
    entries = read_history(root)
    if entries is None:
        return f"no batches recorded in {root} yet ({HISTORY_FILE} missing)"
    cols = (("batch", "batch"), ("in", "documents_in"), ("kept", "documents"), ("rejected", "rejected"),
            ("new stories", "new_stories"), ("extended", "extended_stories"), ("merged", "merged_stories"),
            ("new dups", "new_dup_clusters"), ("evicted", "evicted"), ("index", "index_documents"))
    rows = [[h for h, _ in cols] + ["largest story", "top reject reason"]]
    for e in entries:
        top = e["largest_stories"][0] if e.get("largest_stories") else None
        reasons = sorted(e.get("reject_reasons", {}).items(), key=lambda kv: -kv[1])
        rows.append([str(e.get(k, "")) for _, k in cols]
                    + [f"{top['id']} ({top['size']})" if top else "-",
                       f"{reasons[0][0]} ({reasons[0][1]})" if reasons else "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
