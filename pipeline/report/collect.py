"""What the report shows, read from a finished run folder in a few streaming passes, so memory
stays bounded by ``ReportLimits`` and not by the run's size."""
from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from storydedup.pipeline.records import read_json, read_jsonl
from storydedup.pipeline.run_outputs import TEXT_STAGES, read_run, stage_records, stage_stats

META_FIELDS = ("id", "title", "url", "source", "published", "dup_cluster", "story_cluster",
               "dup_representative", "story_representative", "dup_similarity", "story_similarity")


@dataclass(frozen=True)
class ReportLimits:
    """Caps that keep a report of a million documents as light as one of a thousand."""

    largest_clusters: int = 50     # clusters listed (and given a page) per level
    members_listed: int = 300      # members listed on a cluster page
    members_with_text: int = 12    # members whose text is shown on a cluster page
    lost_most: int = 30            # documents that lost the most text
    rejects_listed: int = 100      # rejected documents listed
    all_documents: int = 2000      # runs up to this size get a page for every document
    rows_per_page: int = 200       # rows per page of the document list


@dataclass
class RunData:
    out: Path
    spec: dict
    stats: dict                                   # stage -> its _stats.json (shards added up)
    removal_shares: np.ndarray = None             # per kept document: share of its text removed
    removals_by: dict = field(default_factory=dict)   # "rule:x" -> {"spans", "lines", "chars"}
    lost_most: list = field(default_factory=list)     # (chars removed, share, id), most first
    cluster_sizes: dict = field(default_factory=dict)  # level -> Counter(size -> clusters)
    largest: dict = field(default_factory=dict)        # level -> cluster records, largest first
    rejects: list = field(default_factory=list)
    n_rejects: int = 0
    meta: dict = field(default_factory=dict)           # id -> published fields (no text)
    trails: dict = field(default_factory=dict)         # id -> [{"stage", "dirname", "record"}]
    all_pages: bool = False

    def stage_dir(self, stage: str) -> Path | None:
        name = self.spec["stages"].get(stage)
        return self.out / name if name else None

    def local_id(self, member: str) -> str | None:
        """A cluster member's id in this run (a daily batch writes members as ``<batch>/<id>``;
        members from earlier batches are not in this run)."""
        batch = self.spec.get("batch")
        if not batch:
            return member
        return member[len(batch) + 1:] if member.startswith(batch + "/") else None


def collect(out: Path, limits: ReportLimits) -> RunData:
    out = Path(out)
    spec = read_run(out)
    data = RunData(out=out, spec=spec, stats={s: stage_stats(out / d) for s, d in spec["stages"].items()})
    _removals(data, limits)
    _clusters(data, limits)
    for rec in read_jsonl(out / "rejects.jsonl"):
        data.n_rejects += 1
        if len(data.rejects) < limits.rejects_listed:
            data.rejects.append(rec)
    n_docs = data.stats.get("90_publish", {}).get("in", 0)
    data.all_pages = n_docs <= limits.all_documents
    wanted = _wanted(data, limits)
    for rec in read_jsonl(out / "documents.jsonl"):
        if data.all_pages or rec["id"] in wanted["listed"]:
            data.meta[rec["id"]] = {k: rec[k] for k in META_FIELDS if k in rec}
    _trails(data, None if data.all_pages else wanted["pages"])
    return data


def removed_spans(rec: dict) -> list[dict]:
    return ((rec.get("notes") or {}).get("strip") or {}).get("removed") or []


def _removals(data: RunData, limits: ReportLimits) -> None:
    """Share of text the strip stage removed per document, and removals per rule/detector."""
    stage_dir = data.stage_dir("50_strip")
    shares, heap = [], []
    if stage_dir is None:
        data.removal_shares = np.zeros(0)
        return
    for _, rec in stage_records(stage_dir):
        spans = removed_spans(rec)
        removed = sum(len(s["text"]) for s in spans)
        kept = len(rec.get("text") or "")
        share = removed / (removed + kept) if removed + kept else 0.0
        shares.append(share)
        for s in spans:
            by = data.removals_by.setdefault(s["by"], {"spans": 0, "lines": 0, "chars": 0})
            by["spans"] += 1
            by["lines"] += s["text"].count("\n") + 1
            by["chars"] += len(s["text"])
        if removed:
            item = (removed, round(share, 4), rec["id"])
            (heapq.heappush if len(heap) < limits.lost_most else heapq.heappushpop)(heap, item)
    data.removal_shares = np.asarray(shares, dtype=np.float32)
    data.lost_most = sorted(heap, key=lambda t: (-t[0], t[2]))


def _clusters(data: RunData, limits: ReportLimits) -> None:
    heaps: dict = {}
    for c in read_jsonl(data.out / "clusters.jsonl"):
        level = c["level"]
        data.cluster_sizes.setdefault(level, Counter())[c["size"]] += 1
        if c["size"] < 2:
            continue
        heap = heaps.setdefault(level, [])
        key = (c["size"], _reverse(c["id"]))
        (heapq.heappush if len(heap) < limits.largest_clusters else heapq.heappushpop)(heap, (key, c["id"], c))
    for level, heap in heaps.items():
        data.largest[level] = [c for _, _, c in sorted(heap, key=lambda t: (-t[0][0], t[1]))]


def _reverse(text: str) -> tuple:
    """Sort key that makes the heap keep the smallest ids among equal sizes."""
    return tuple(-ord(ch) for ch in text)


def _wanted(data: RunData, limits: ReportLimits) -> dict:
    """Ids that get a document page, and ids whose metadata is listed somewhere."""
    pages = {doc_id for _, _, doc_id in data.lost_most} | {r["id"] for r in data.rejects}
    listed = set(pages)
    for clusters in data.largest.values():
        for c in clusters:
            members = [m for m in (data.local_id(x) for x in c["members"]) if m is not None]
            rep = data.local_id(c["representative"])
            listed.update(members[:limits.members_listed])
            shown = ([rep] if rep else []) + [m for m in members if m != rep][:limits.members_with_text - 1]
            pages.update(shown)
    return {"pages": pages, "listed": listed | pages}


def _trails(data: RunData, ids: set | None) -> None:
    """Each wanted document's record at every text stage (None: every document)."""
    for stage in TEXT_STAGES:
        stage_dir = data.stage_dir(stage)
        if stage_dir is None:
            continue
        for _, rec in stage_records(stage_dir):
            if ids is None or rec["id"] in ids:
                data.trails.setdefault(rec["id"], []).append(
                    {"stage": stage, "dirname": stage_dir.name, "record": rec})


def rule_files(data: RunData) -> list[dict]:
    stage_dir = data.stage_dir("50_strip")
    params = sorted(stage_dir.glob("shard-*/_params.json")) if stage_dir else []
    return read_json(params[0]).get("rule_files", []) if params else []
