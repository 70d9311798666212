"""Signature stage as a Spark job: ``compute_signatures`` on each shard of the strip stage."""
from __future__ import annotations

from storydedup.pipeline.records import read_jsonl
from storydedup.pipeline.signatures.compute import SignatureSettings, compute_signatures
from storydedup.pipeline.spark import columns


def signature_frame(spark, shard_files: list[str], settings: SignatureSettings):
    """DataFrame of signature rows (``columns.spark_schema``) for the documents of
    ``shard_files`` (``docs.jsonl.gz`` files): the local engine's function runs
    once per shard, so every row equals the local stage's."""
    # Contiguous, even slices of the shard list: about two tasks per core, none empty (a hash
    # repartition by path left some tasks with several shards and others with none).
    sc = spark.sparkContext
    slices = max(1, min(len(shard_files), 2 * sc.defaultParallelism))
    paths = spark.createDataFrame(sc.parallelize([(p,) for p in shard_files], slices), "path string")

    def compute(batches):
        for batch in batches:
            for path in batch["path"]:
                docs = list(read_jsonl(path))
                if docs:
                    yield columns.to_rows(compute_signatures(docs, settings))

    return paths.mapInPandas(compute, columns.spark_schema())
