"""Reading a finished run's output folder back (for `stats`, `inspect`, `history` and the report).

A run folder holds ``_run.json`` (its stage directories), one numbered directory per stage and
the published ``documents.jsonl``, ``clusters.jsonl`` and ``rejects.jsonl``; a daily root holds
``history.jsonl`` (one entry per batch) and ``batches/<date>/`` run folders.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from storydedup.pipeline.records import read_json, read_jsonl

RUN_FILE = "_run.json"
HISTORY_DIR = "history"
HISTORY_FILE = "history.jsonl"
# Stages whose records carry the document's text (or HTML), in order, and the notes each writes.
TEXT_STAGES = ("10_read", "20_extract", "30_repair", "50_strip")
NOTES_OF = {"10_read": ("decode",), "20_extract": ("extract",), "30_repair": ("repair",), "50_strip": ("strip",)}


def read_run(out: Path) -> dict:
    """The run's ``_run.json`` (inputs, settings, ``stages``: stage -> directory name)."""
    return read_json(Path(out) / RUN_FILE)


def stage_number(name: str) -> int:
    return int(name.split("_", 1)[0])


def stage_stats(stage_dir: Path) -> dict:
    """A stage's ``_stats.json``; for a stage of shards, the shards' numbers added up."""
    top = stage_dir / "_stats.json"
    shards = sorted(stage_dir.glob("shard-*/_stats.json"))
    tables = sorted(stage_dir.glob("*.parquet/_stats.json"))  # a Spark job's table
    if not top.is_file() and not shards and tables:
        top = tables[0]
    if top.is_file() and (not shards or "in" in read_json(top)):
        return read_json(top)
    total: dict = {}
    for path in shards:
        for key, value in read_json(path).items():
            if isinstance(value, (int, float)):
                total[key] = round(total.get(key, 0) + value, 3)
            elif isinstance(value, dict):
                bucket = total.setdefault(key, {})
                for k, v in value.items():
                    bucket[k] = bucket.get(k, 0) + v
    return total


def funnel_counts(stats: dict) -> dict:
    """A stage's documents in, kept, rejected and seconds (those it records; the cluster
    stage counts its input as ``documents``)."""
    counts = {"in": stats.get("in", stats.get("documents"))}
    counts.update({k: stats[k] for k in ("kept", "rejected", "seconds") if k in stats})
    return {k: v for k, v in counts.items() if v is not None}


def shards(stage_dir: Path) -> list[Path]:
    return sorted(Path(stage_dir).glob("shard-*"))


def stage_records(stage_dir: Path, name: str = "docs.jsonl.gz") -> Iterator[tuple[Path, dict]]:
    """(shard directory, record) for every record of a stage of shards, in shard order."""
    for shard in shards(stage_dir):
        if (shard / name).is_file():
            for rec in read_jsonl(shard / name):
                yield shard, rec


def find_in_jsonl(path: Path, doc_id: str):
    if not path.is_file():
        return None
    for row in read_jsonl(path):
        if row.get("id") == doc_id:
            return row
    return None


def document_trail(out: Path, spec: dict, doc_id: str) -> list[dict]:
    """One document through the text stages, until the first stage that no longer has it:
    ``{"stage", "dirname", "record", "rule_files"}`` per stage."""
    trail = []
    for stage in TEXT_STAGES:
        dirname = spec["stages"].get(stage)
        if not dirname:
            continue
        found = None
        for shard in shards(Path(out) / dirname):
            rec = find_in_jsonl(shard / "docs.jsonl.gz", doc_id)
            if rec:
                found = (shard, rec)
                break
        if found is None:
            break
        shard, rec = found
        trail.append({"stage": stage, "dirname": dirname, "record": rec,
                      "rule_files": read_json(shard / "_params.json").get("rule_files", [])})
    return trail


def stage_notes(stage: str, notes: dict) -> dict:
    """The notes a stage wrote (a record carries the notes of every stage before it too)."""
    return {k: v for k, v in (notes or {}).items() if stage.endswith(k) or k in NOTES_OF.get(stage, ())}


def record_body(rec: dict) -> str:
    """A stage record's text, or its HTML before extraction."""
    return rec.get("text") if rec.get("text") is not None else rec.get("html", "")


def read_history(root: Path) -> list[dict] | None:
    """The daily root's history entries in date order, None when it has none."""
    path = Path(root) / HISTORY_FILE
    return list(read_jsonl(path)) if path.is_file() else None
