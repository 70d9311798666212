"""90_publish: join clean texts with cluster assignments; write the three files users read."""
from __future__ import annotations

import os
import time
from pathlib import Path

from storydedup.pipeline.records import atomic_dir, read_jsonl, write_json, write_jsonl
from storydedup.tasks.base import BatchStage, DailyParams, EngineParams, ShardStage, all_upstream, log
from storydedup.tasks.read import ReadInputs
from storydedup.tasks.spark_stages import SparkClusters
from storydedup.tasks.stages import Clusters, StripBoilerplate

PUBLIC_FIELDS = ("id", "title", "url", "source", "published", "text")
CLUSTER_FIELDS = ("dup_cluster", "story_cluster", "dup_representative", "story_representative",
                  "dup_similarity", "story_similarity")
OUTPUT_FILES = ("documents.jsonl", "clusters.jsonl", "rejects.jsonl")


class Publish(EngineParams, DailyParams, BatchStage):
    """Final outputs. Writes its stage directory, then the top-level files beside it."""

    stage = "90_publish"

    def requires(self):
        return {"clusters": self.clone(SparkClusters if self.engine == "spark" else Clusters),
                "texts": self.shards_of(StripBoilerplate)}

    def reject_files(self) -> list[Path]:
        files = []
        for up in all_upstream(self):
            if isinstance(up, ShardStage):
                files.append(Path(up.output().path) / "rejects.jsonl.gz")
            elif isinstance(up, BatchStage) and up.rejects_file():
                files.append(up.rejects_file())
            elif isinstance(up, ReadInputs):
                files.extend(sorted(Path(up.output().path).glob("shard-*/rejects.jsonl.gz")))
        return sorted(set(files))

    def run(self):
        started = time.time()
        clusters_dir = Path(self.input()["clusters"].path)
        assignments = {a.pop("id"): a for a in cluster_table(clusters_dir, "assignments")}
        # Documents a batch stage rejected after the strip stage had kept them.
        dropped = {i for up in all_upstream(self) if isinstance(up, BatchStage) for i in up.rejected_ids()}

        def documents():
            for n, target in enumerate(self.input()["texts"]):
                self.progress(n, self.n_shards, "shards")
                for rec in read_jsonl(Path(target.path) / "docs.jsonl.gz"):
                    if rec["id"] in dropped:
                        continue
                    out = {k: rec[k] for k in PUBLIC_FIELDS if rec.get(k) not in (None, "")}
                    out.update({k: assignments[rec["id"]][k] for k in CLUSTER_FIELDS if k in assignments[rec["id"]]})
                    if rec.get("renamed_from"):
                        out["renamed_from"] = rec["renamed_from"]
                    yield out
            self.progress(self.n_shards, self.n_shards, "shards")

        # One reject per document, from the first stage that rejected it (a document a batch
        # stage rejects can be rejected again by a later shard stage that still saw it).
        first: dict[str, dict] = {}
        for r in sorted((r for f in self.reject_files() for r in read_jsonl(f)), key=lambda r: r["stage"]):
            first.setdefault(r["id"], r)
        rejects = sorted(first.values(), key=lambda r: r.get("seq", -1))
        total, _ = self.planned()
        with atomic_dir(self.output().path) as tmp:
            n_docs = write_jsonl(tmp / "documents.jsonl", documents())
            write_jsonl(tmp / "clusters.jsonl", cluster_table(clusters_dir, "clusters"))
            write_jsonl(tmp / "rejects.jsonl", rejects)
            if n_docs + len(rejects) != total or n_docs != len(assignments.keys() - dropped):
                raise RuntimeError(f"accounting error: {total} inputs but {n_docs} documents + "
                                   f"{len(rejects)} rejects ({len(assignments)} clustered)")
            reasons = {}
            for r in rejects:
                reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
            write_json(tmp / "_stats.json", {"in": total, "kept": n_docs, "rejected": len(rejects),
                                             "reject_reasons": reasons,
                                             "seconds": round(time.time() - started, 3)})
            write_json(tmp / "_params.json", self.params_record())
            # The top-level files are replaced one by one (each atomically) before the stage
            # directory appears, so "90_publish exists" implies all three are current.
            for name in OUTPUT_FILES:
                link_atomically(tmp / name, Path(self.output_dir) / name)
        log.info("%s: %d documents, %d rejects -> %s", self.stage, n_docs, len(rejects), self.output_dir)


def cluster_table(clusters_dir: Path, name: str):
    """Rows of the cluster stage's ``assignments`` or ``clusters`` table, whichever engine
    wrote it (JSONL from the local engine, Parquet from the Spark engine; same rows, same order)."""
    parquet = clusters_dir / f"{name}.parquet"
    if not parquet.is_dir():
        return read_jsonl(clusters_dir / f"{name}.jsonl.gz")
    from storydedup.pipeline.spark.files import read_rows

    rows = [{k: v for k, v in row.items() if v is not None} for row in read_rows(parquet)]
    return sorted(rows, key=(lambda r: r["id"]) if name == "assignments" else (lambda r: (r["level"], r["id"])))


def link_atomically(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".tmp-{dst.name}-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        import shutil

        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
