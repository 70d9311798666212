"""The history page of a daily root: plots over the batches, from ``history.jsonl`` and, for
seconds and strip removals, the ``_stats.json`` of each batch's stages."""
from __future__ import annotations

import os
from pathlib import Path

from storydedup.pipeline.report import charts
from storydedup.pipeline.report.markup import esc, figure, link, num, table
from storydedup.pipeline.run_outputs import RUN_FILE, read_run, stage_stats


def batch_stats(root: Path, batch: str) -> dict:
    """Seconds of all stages and strip lines removed per kept document of one batch ({} if gone)."""
    out = root / "batches" / batch
    if not (out / RUN_FILE).is_file():
        return {}
    stats = {s: stage_stats(out / d) for s, d in read_run(out)["stages"].items()}
    strip = stats.get("50_strip", {})
    removed = sum(v for k, v in strip.get("counters", {}).items() if k.startswith(("rule:", "detector:")))
    return {"seconds": round(sum(s.get("seconds", 0) for s in stats.values()), 3),
            "lines_removed_per_doc": round(removed / strip["kept"], 3) if strip.get("kept") else 0.0}


def history_body(root: Path, entries: list[dict], assets: dict, report_dir: Path) -> str:
    days = [e["batch"] for e in entries]
    extra = {e["batch"]: batch_stats(root, e["batch"]) for e in entries}
    reasons = sorted({r for e in entries for r in e.get("reject_reasons", {})})
    plots = {
        "history_documents.svg": (charts.lines(days, {k: [e.get(f, 0) for e in entries] for k, f in (
            ("in", "documents_in"), ("kept", "documents"), ("rejected", "rejected"))}, "Documents per batch", "documents",
            counts=True)),
        "history_stories.svg": (charts.lines(days, {k: [e.get(f, 0) for e in entries] for k, f in (
            ("new stories", "new_stories"), ("continuing stories", "extended_stories"),
            ("merged", "merged_stories"))}, "New and continuing stories", "stories", counts=True)),
        "history_rejects.svg": (charts.lines(days, {r: [e.get("reject_reasons", {}).get(r, 0) / max(e.get("documents_in", 0), 1)
                                                        for e in entries] for r in reasons[:6]} or {"rejected": [0] * len(days)},
                                             "Share of documents rejected, by reason", "share of documents in")),
        "history_removed.svg": (charts.lines(days, {"lines removed per kept document": [
            extra[d].get("lines_removed_per_doc", 0) for d in days]}, "Boilerplate removed by the strip stage", "lines")),
        "history_seconds.svg": (charts.lines(days, {"seconds": [extra[d].get("seconds", 0) for d in days]},
                                             "Seconds per batch (all stages)", "seconds")),
    }
    assets.update(plots)
    rows = []
    for e in entries:
        batch_report = root / "batches" / e["batch"] / "report" / "index.html"
        href = os.path.relpath(batch_report, report_dir) if batch_report.is_file() else None
        rows.append([link(href, e["batch"]), num(e.get("documents_in", 0)), num(e.get("documents", 0)),
                     num(e.get("rejected", 0)), num(e.get("new_stories", 0)), num(e.get("extended_stories", 0)),
                     num(e.get("merged_stories", 0)), num(e.get("evicted", 0)), num(extra[e["batch"]].get("seconds", "")),
                     ", ".join(f"{esc(s['id'])} ({num(s['size'])})" for s in e.get("largest_stories", []))])
    figs = "".join(figure(f"assets/{name}", name[8:-4]) for name in plots)
    return (f'<div class="grid">{figs}</div>'
            + table(["batch", "in", "kept", "rejected", "new stories", "continuing", "merged", "evicted", "seconds",
                     "largest stories"], rows, "history"))
