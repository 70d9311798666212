"""datatrove's MinHash deduplication (its four stages: signatures, buckets, clusters, filter) on
a JSONL reader, with cluster ids kept so that the grouping can be scored.
Usage: python datatrove_minhash.py CORPUS_DIR WORK_DIR CLUSTERS_OUT TASKS"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import xxhash
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                              MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter


def _str_accepting_xxhash() -> None:
    """datatrove hashes str shingles with xxhash, which rejects str from xxhash 4 on (what
    storydedup installs): hand it UTF-8 bytes, as older xxhash did itself."""
    from datatrove.utils.hashes import xxhash as hashes

    hashes.xxhash32 = lambda data: xxhash.xxh32_intdigest(data.encode() if isinstance(data, str) else data)
    hashes.xxhash64 = lambda data: xxhash.xxh64_intdigest(data.encode() if isinstance(data, str) else data)


def main(corpus: str, work: str, out: str, tasks: str) -> None:
    n, work = int(tasks), Path(work)
    _str_accepting_xxhash()
    config = MinhashConfig()  # datatrove's defaults: 5-grams, 14 buckets x 8 hashes
    reader = lambda: JsonlReader(corpus, glob_pattern="*.jsonl")  # noqa: E731
    stages = [
        ([reader(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=config, language="en")], n),
        ([MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=config)],
         config.num_buckets),
        ([MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove"), config=config,
                              save_cluster_id=True)], 1),
        ([reader(), MinhashDedupFilter(input_folder=str(work / "remove"), load_cluster_ids=True,
                                       exclusion_writer=JsonlWriter(str(work / "removed"), compression=None)),
          JsonlWriter(str(work / "kept"), compression=None)], n),
    ]
    for i, (pipeline, tasks_) in enumerate(stages):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks_, workers=n, logging_dir=str(work / f"logs{i}"),
                              skip_completed=False).run()
    with open(out, "w", encoding="utf-8") as fh:
        for path in sorted((work / "kept").glob("*.jsonl")) + sorted((work / "removed").glob("*.jsonl")):
            for line in open(path, encoding="utf-8"):
                doc = json.loads(line)
                cluster = doc.get("metadata", {}).get("minhash_cluster_id", -1)
                fh.write(json.dumps({"id": doc["id"], "cluster": None if cluster == -1 else cluster}) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:5])
