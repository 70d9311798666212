"""Reading a finished run back: summaries, per-stage tables, one document across stages."""
from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

from storydedup.pipeline.records import read_jsonl
from storydedup.pipeline.run_outputs import (RUN_FILE, document_trail, find_in_jsonl, funnel_counts,
                                             record_body,
                                             stage_notes, stage_number, stage_stats)
from storydedup.tasks.base import all_upstream
from storydedup.tasks.errors import UsageError

__all__ = ["RUN_FILE", "stage_stats", "write_run_file", "resolve_stage", "remove_from_stage",
           "stage_table", "run_summary", "inspect_document"]


def write_run_file(out: Path, spec: dict, task) -> None:
    """What `rerun`, `inspect` and `stats` need to find a finished run again."""
    import time

    from storydedup.pipeline.records import write_json

    stages = {t.stage: t.stage_dir().name for t in [task] + all_upstream(task)}
    write_json(out / RUN_FILE, {**spec, "stages": dict(sorted(stages.items())),
                                "completed": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def resolve_stage(task, wanted: str) -> int:
    """'strip', '50' or '50_strip' -> 50."""
    names = sorted({t.stage for t in [task] + all_upstream(task)}, key=stage_number)
    for name in names:
        if wanted in (name, name.split("_", 1)[1], name.split("_", 1)[0]):
            return stage_number(name)
    raise ValueError(wanted)


def remove_from_stage(task, wanted: str) -> int:
    """Delete the outputs of stage ``wanted`` and of every later stage of this run."""
    try:
        first = resolve_stage(task, wanted)
    except ValueError:
        names = sorted({t.stage for t in [task] + all_upstream(task)}, key=stage_number)
        raise UsageError(f"unknown stage {wanted!r}: use one of {', '.join(names)}") from None
    removed = 0
    for t in [task] + all_upstream(task):
        if stage_number(t.stage) >= first and Path(t.output().path).exists():
            shutil.rmtree(t.output().path)
            removed += 1
            stage_dir = t.stage_dir()
            if stage_dir.is_dir() and not any(stage_dir.iterdir()):
                stage_dir.rmdir()  # a shard stage's directory, now empty
    return removed


def stage_table(out: Path, spec: dict) -> str:
    rows = [f"{'stage':<32} {'in':>8} {'kept':>8} {'rejected':>8} {'seconds':>8}"]
    details = []
    for stage, dirname in spec["stages"].items():
        stats = stage_stats(out / dirname)
        counts = funnel_counts(stats)
        rows.append(f"{dirname:<32} {counts.get('in', ''):>8} "
                    f"{counts.get('kept', ''):>8} {counts.get('rejected', ''):>8} {counts.get('seconds', ''):>8}")
        for key in ("reject_reasons", "counters"):
            if stats.get(key):
                top = sorted(stats[key].items(), key=lambda kv: -kv[1])[:12]
                details.append(f"  {stage} {key}: " + ", ".join(f"{k}={v}" for k, v in top))
        extra = {k: v for k, v in stats.items() if k not in ("in", "kept", "rejected", "seconds", "reject_reasons", "counters") and not isinstance(v, (dict, list))}
        if extra:
            details.append(f"  {stage}: " + ", ".join(f"{k}={v}" for k, v in extra.items()))
    return "\n".join(rows + ([""] + details if details else []))


def run_summary(out: Path, seconds: float) -> str:
    counts = {name: sum(1 for _ in read_jsonl(out / name)) for name in ("documents.jsonl", "rejects.jsonl")}
    clusters = {"duplicate": 0, "story": 0}
    for c in read_jsonl(out / "clusters.jsonl"):
        if c.get("size", len(c.get("members", []))) > 1:
            clusters[c["level"]] = clusters.get(c["level"], 0) + 1
    return (f"Done in {seconds:.1f}s: {counts['documents.jsonl']} documents, {counts['rejects.jsonl']} rejected, "
            f"{clusters['duplicate']} duplicate groups and {clusters['story']} story groups with more than one member.\n"
            f"  {out / 'documents.jsonl'}\n  {out / 'clusters.jsonl'}\n  {out / 'rejects.jsonl'}\n"
            f"Per-stage counts: storydedup stats --output {out}\n"
            f"One document:     storydedup inspect --output {out} DOC_ID")


def inspect_document(out: Path, spec: dict, doc_id: str, full: bool = False) -> str:

    final = find_in_jsonl(out / "documents.jsonl", doc_id)
    reject = None if final else find_in_jsonl(out / "rejects.jsonl", doc_id)
    if final is None and reject is None:
        raise UsageError(f"no document with id {doc_id!r} in {out} (ids are in documents.jsonl and rejects.jsonl)")
    lines = [f"# {doc_id}"]
    previous = None
    for step in document_trail(out, spec, doc_id):
        rec, stage = step["record"], step["stage"]
        body = record_body(rec)
        lines.append(f"\n== {step['dirname']} ({len(body)} characters)")
        for used in step["rule_files"]:
            lines.append(f"-- rule file: {used['file']} (sha256 {used['sha256'][:12]})")
        for key, value in stage_notes(stage, rec.get("notes")).items():
            lines.append(f"-- why ({key}): " + json.dumps(value, ensure_ascii=False, indent=None)[:4000])
        if previous is None:
            body_lines = body.splitlines()
            cut = not full and len(body_lines) > 15
            lines.append("\n".join(body_lines[:15] if cut else body_lines) + ("\n[...] (--full shows everything)" if cut else ""))
        elif body != previous:
            diff = difflib.unified_diff(previous.splitlines(), body.splitlines(), "before", "after", lineterm="", n=1)
            diff = list(diff) or ["(only whitespace at the ends changed)"]
            lines.append("\n".join(diff if full else diff[:80]) + ("" if full or len(diff) <= 80 else "\n[...]"))
        else:
            lines.append("(text unchanged)")
        previous = body
    if reject:
        lines.append(f"\n== rejected at {reject.get('stage')}: {reject['reason']}" + (f" ({reject['detail']})" if reject.get("detail") else ""))
        return "\n".join(lines)
    lines.append("\n== clusters")
    for key in ("dup_cluster", "dup_representative", "dup_similarity", "story_cluster", "story_representative", "story_similarity"):
        if key in final:
            lines.append(f"{key}: {final[key]}")
    for c in read_jsonl(out / "clusters.jsonl"):
        if doc_id in c["members"] and len(c["members"]) > 1:
            others = [m for m in c["members"] if m != doc_id]
            lines.append(f"{c['level']} cluster {c['id']} ({len(c['members'])} members, representative {c['representative']}): "
                         + ", ".join(others[:20]) + (" ..." if len(others) > 20 else ""))
    return "\n".join(lines)

