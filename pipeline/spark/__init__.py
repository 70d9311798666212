"""The Spark engine: signatures and both clustering levels as PySpark jobs (no Luigi here).

    session      a SparkSession with the engine's settings
    columns      signature arrays <-> Parquet rows (one row per document)
    signatures   per-shard ``compute_signatures`` over the strip stage's shards
    components   connected components by large-star / small-star
    candidates   LSH bucket pairs and shared-term pairs as DataFrames
    clusters     verification, duplicate clusters, story links, per-component linkage

Every per-document and per-pair computation calls the local engine's functions
(``pipeline.signatures``, ``pipeline.cluster``); Spark only moves rows between them, so the
clusters equal the local engine's.
"""
