"""Candidate pairs as DataFrames (columns i, j: canonical row numbers, i < j).

LSH: each document's band keys come from the local engine's ``_block_keys``; documents are
grouped by (band, key) in a shuffle, and the pairs of each bucket come from the local
engine's ``_run_pairs`` (all pairs up to ``max_bucket`` members, a chain beyond, the date
bound), so the pair set equals ``candidates.candidate_pairs``. Shared terms: each document's
heaviest terms come from ``term_candidates.heaviest_terms``; posting lists are a group-by term.
"""
from __future__ import annotations

import numpy as np
from pyspark.sql import functions as F

from storydedup.pipeline.cluster.candidates import _block_keys, _run_pairs
from storydedup.pipeline.cluster.term_candidates import heaviest_terms
from storydedup.pipeline.spark import columns

PAIR_SCHEMA = "i long, j long"


def _concat(batches):
    """All Arrow batches of one partition as one pandas frame (None when it has no rows)."""
    import pandas as pd

    frames = [b for b in batches if len(b)]
    return pd.concat(frames, ignore_index=True) if frames else None


def _pairs_frame(i, j):
    import pandas as pd

    return pd.DataFrame({"i": np.asarray(i, dtype=np.int64), "j": np.asarray(j, dtype=np.int64)})


def lsh_pairs(docs, sig_column: str, bands: int, rows: int, max_bucket: int, max_days: int = 0):
    """Pairs sharing a bucket in at least one band; ``docs`` has idx, day and ``sig_column``
    (rows that may pair only: the caller filters). ``max_days`` > 0 drops pairs dated further
    apart (both dates known), as ``candidate_pairs`` does."""

    def keys(batches):
        import pandas as pd

        for batch in batches:
            sig = columns.matrix(batch[sig_column].tolist(), sig_column)
            block = _block_keys(np.ascontiguousarray(sig), 0, bands, rows)  # (bands, n) uint64
            yield pd.DataFrame({"band": np.repeat(np.arange(bands, dtype=np.int32), len(sig)),
                                "key": block.reshape(-1).view(np.int64),
                                "idx": np.tile(batch["idx"].to_numpy(np.int64), bands),
                                "day": np.tile(batch["day"].to_numpy(np.int32), bands)})

    entries = docs.select("idx", "day", sig_column).mapInPandas(keys, "band int, key long, idx long, day int")
    # Every bucket lands whole in one partition; each partition is sorted and cut into buckets
    # in NumPy (no per-bucket arrays in the JVM, no Python object per member).
    buckets = entries.repartition("band", "key")

    def bucket_pairs(batches):
        part = _concat(batches)
        if part is None:
            return
        order = np.lexsort((part["idx"].to_numpy(), part["key"].to_numpy(), part["band"].to_numpy()))
        band, key = part["band"].to_numpy()[order], part["key"].to_numpy()[order]
        idx, day = part["idx"].to_numpy(np.int64)[order], part["day"].to_numpy(np.int64)[order]
        new_run = np.concatenate([[True], (band[1:] != band[:-1]) | (key[1:] != key[:-1])])
        run = np.cumsum(new_run).astype(np.uint64)  # equal within a bucket; positions ascend like idx
        codes = _run_pairs(np.arange(len(idx), dtype=np.int64), run, max_bucket, len(idx), day, max_days)
        codes = np.unique(codes)
        yield _pairs_frame(idx[codes // len(idx)], idx[codes % len(idx)])

    return buckets.mapInPandas(bucket_pairs, PAIR_SCHEMA).distinct()


def shared_term_pairs(docs, top: int, min_shared: int, max_posting: int):
    """Pairs sharing at least ``min_shared`` of their ``top`` heaviest story terms, counted over
    posting lists of 2..``max_posting`` documents (``term_candidates.shared_term_pairs``)."""

    def heaviest(batches):
        import pandas as pd

        for batch in batches:
            terms, offsets = columns.vector(batch["story_terms"].tolist(), "story_terms")
            weights, _ = columns.vector(batch["story_weights"].tolist(), "story_weights")
            row, term = heaviest_terms(terms, weights, offsets, top)
            yield pd.DataFrame({"term": term.view(np.int64), "idx": batch["idx"].to_numpy(np.int64)[row]})

    postings = (docs.select("idx", "story_terms", "story_weights")
                .mapInPandas(heaviest, "term long, idx long")
                .groupBy("term").agg(F.sort_array(F.collect_list("idx")).alias("docs"))
                .where((F.size("docs") > 1) & (F.size("docs") <= max_posting)))
    pairs = postings.select(F.explode(F.expr(
        "flatten(transform(sequence(0, size(docs) - 2), k -> "
        "transform(slice(docs, k + 2, size(docs)), x -> named_struct('i', docs[k], 'j', x))))")).alias("p"))
    counted = pairs.groupBy("p.i", "p.j").count()
    return counted.where(F.col("count") >= min_shared).select("i", "j")
