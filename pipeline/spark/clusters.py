"""Cluster stage as a Spark job; reads like ``cluster.levels.cluster`` and calls its functions.

1. canonical row numbers: ids sorted (Spark's string order is code-point order, as NumPy's);
2. duplicate candidates (``candidates.lsh_pairs``), verified on a join with the signatures
   (``similarity.jaccard_pairs`` and ``levels.verified``);
3. links that only a site template explains are dropped (``recurring_lines.template_only_links``
   written as joins: line document counts, components spread, own words, shared lines);
4. duplicate clusters: connected components by large-star / small-star;
5. story candidates (LSH + shared terms, date-bounded), scored with ``similarity.cosine_pairs``,
   ``levels.pair_threshold`` and the template factor (``recurring_lines.template_keys`` as joins);
6. the candidate graph over duplicate clusters is cut into its connected components and each
   component runs ``levels.group_levels`` and ``levels.cluster_records`` on its own rows (see
   ``group_levels``: average linkage merges only along candidate edges, so it never crosses a
   component, and the ranks inside one component keep their global order).
"""
from __future__ import annotations

import logging
import time

import numpy as np
from pyspark.sql import functions as F

from storydedup.pipeline.cluster.candidates import lsh_params
from storydedup.pipeline.cluster.levels import ClusterSettings, cluster_records, group_levels, pair_threshold, verified
from storydedup.pipeline.cluster.similarity import cosine_pairs, histogram, jaccard_pairs
from storydedup.pipeline.spark import columns
from storydedup.pipeline.spark.candidates import PAIR_SCHEMA, lsh_pairs, shared_term_pairs
from storydedup.pipeline.spark.components import component_roots

log = logging.getLogger("storydedup")
_SIGN = -(1 << 63)  # xor with this maps uint64 order onto Spark's signed long order
ROWS_PER_CALL = 50_000  # documents handed to one group_levels call, about (2 KB each) 100 MB
# At most this many documents per shuffle partition: a partition's LSH entries (~160 a document)
# are sorted in one Python worker, ~100 MB at this size.
DOCS_PER_PARTITION = 25_000

RECORD_SCHEMA = ("record string, id string, members array<string>, representative string, size long, "
                 "dup_cluster string, dup_representative boolean, dup_similarity double, "
                 "story_cluster string, story_representative boolean, story_similarity double")


def canonical(signatures):
    """Signature rows with ``idx``: the row's position among the ids in sorted order (a range
    sort, then each sorted partition's offset from the row counts of the ones before it)."""
    ordered = signatures.orderBy("id").withColumn("_mid", F.monotonically_increasing_id()).persist()
    ordered = ordered.withColumn("_part", F.shiftright("_mid", 33))
    counts = sorted(ordered.groupBy("_part").count().collect())
    starts = signatures.sparkSession.createDataFrame(
        [(int(part), int(sum(c for _, c in counts[:k]))) for k, (part, _) in enumerate(counts)],
        "_part long, _start long")
    idx = F.col("_start") + F.col("_mid").bitwiseAND(F.lit((1 << 33) - 1))
    return ordered.join(F.broadcast(starts), "_part").withColumn("idx", idx).drop("_part", "_mid", "_start")


def _both_sides(pairs, docs, cols):
    left = docs.select(F.col("idx").alias("i"), *[F.col(c).alias(f"{c}_i") for c in cols])
    right = docs.select(F.col("idx").alias("j"), *[F.col(c).alias(f"{c}_j") for c in cols])
    return pairs.join(left, "i").join(right, "j")


def verify_duplicates(pairs, docs, s: ClusterSettings):
    """Candidate pairs with ``ok``: the local verification on both signatures."""

    def check(batches):
        for batch in batches:
            sig = np.concatenate([columns.matrix(batch["dup_sig_i"].tolist(), "dup_sig"),
                                  columns.matrix(batch["dup_sig_j"].tolist(), "dup_sig")])
            m = len(batch)
            jac = jaccard_pairs(sig, np.stack([np.arange(m), np.arange(m, 2 * m)], axis=1))
            ok = verified(jac, batch["dup_size_i"].to_numpy(), batch["dup_size_j"].to_numpy(), s)
            yield batch[["i", "j"]].assign(ok=ok, jac=jac)

    joined = _both_sides(pairs, docs, ["dup_sig", "dup_size"]).select("i", "j", "dup_sig_i", "dup_sig_j",
                                                                         "dup_size_i", "dup_size_j")
    return joined.mapInPandas(check, PAIR_SCHEMA + ", ok boolean, jac double")


def line_entries(docs):
    """(idx, hash, words): every hashed line of every document (hash as a signed long)."""

    def explode(batches):
        import pandas as pd

        for batch in batches:
            hashes, offsets = columns.vector(batch["line_hashes"].tolist(), "line_hashes")
            words, _ = columns.vector(batch["line_words"].tolist(), "line_words")
            row = np.repeat(batch["idx"].to_numpy(np.int64), np.diff(offsets))
            yield pd.DataFrame({"idx": row, "hash": hashes.view(np.int64), "words": words})

    return docs.select("idx", "line_hashes", "line_words").mapInPandas(explode, "idx long, hash long, words int")


def roots_of(docs, edges):
    """(idx, root) for every document: the smallest row of its connected component."""
    roots = component_roots(edges.select(F.col("i").alias("a"), F.col("j").alias("b")))
    return (docs.select("idx").join(roots.withColumnRenamed("node", "idx"), "idx", "left")
            .select("idx", F.coalesce("root", "idx").alias("root")))


def template_only(links, label, lines, line_df, docs, s: ClusterSettings):
    """Verified ``links`` (i, j) that only a site template explains (see ``template_only_links``);
    ``label``: (idx, root) of the links' connected components."""
    own = (lines.join(line_df, "hash").groupBy("idx")
           .agg(F.sum(F.when(F.col("df") == 1, F.col("words")).otherwise(0)).alias("own")))
    own = docs.select("idx").join(own, "idx", "left").select("idx", F.coalesce("own", F.lit(0)).alias("own"))
    maybe = (links.join(own.select(F.col("idx").alias("i"), F.col("own").alias("own_i")), "i")
             .join(own.select(F.col("idx").alias("j"), F.col("own").alias("own_j")), "j")
             .where((F.col("own_i") >= s.dup_own_words) & (F.col("own_j") >= s.dup_own_words)).select("i", "j"))
    maybe = maybe.persist()
    if maybe.limit(1).count() == 0:  # no pair to test: skip the joins the test needs
        return maybe
    spread = (lines.join(label, "idx").groupBy("hash").agg(F.countDistinct("root").alias("spread")))
    flags = line_df.join(spread, "hash").select(
        "hash", "df", ((F.col("df") >= s.template_docs) & (F.col("spread") >= 2)).alias("recurring"))
    distinct_lines = lines.select("idx", "hash").distinct()
    shared = (maybe.join(distinct_lines.select(F.col("idx").alias("i"), "hash"), "i")
              .join(distinct_lines.select(F.col("idx").alias("j"), "hash"), ["j", "hash"])
              .join(flags, "hash"))
    return (shared.groupBy("i", "j").agg(F.min(F.col("recurring").cast("int")).alias("all_recurring"))
            .where("all_recurring = 1").select("i", "j"))


def template_keys(lines, line_df, docs, min_docs: int):
    """(idx, key): smallest hash (uint64 order) among a document's lines found in at least
    ``min_docs`` documents; 0 when none (``recurring_lines.template_keys``)."""
    if min_docs <= 1:
        return docs.select("idx", F.lit(0).cast("long").alias("key"))
    common = lines.join(line_df.where(F.col("df") >= min_docs), "hash")
    keys = common.groupBy("idx").agg((F.min(F.col("hash").bitwiseXOR(F.lit(_SIGN))).bitwiseXOR(F.lit(_SIGN))).alias("key"))
    return docs.select("idx").join(keys, "idx", "left").select("idx", F.coalesce("key", F.lit(0)).alias("key"))


def story_pairs(docs, lines, line_df, s: ClusterSettings, story_perm: int):
    """Date-bounded story candidates (i, j) with ``sim``: cosine / pair threshold (/ template factor)."""
    has_terms = docs.where(F.length("story_terms") > 0)
    bands, rows = lsh_params(s.story_lsh_threshold, story_perm)
    pairs = lsh_pairs(has_terms, "story_sig", bands, rows, s.max_bucket, s.story_max_days)
    if s.story_shared_terms > 0:
        shared = shared_term_pairs(docs, s.story_shared_top, s.story_shared_terms, s.max_bucket)
        if s.story_max_days > 0:
            dated = _both_sides(shared, docs, ["day"])
            shared = dated.where((F.col("day_i") < 0) | (F.col("day_j") < 0)
                                 | (F.abs(F.col("day_i") - F.col("day_j")) <= s.story_max_days)).select("i", "j")
        pairs = pairs.union(shared).distinct()
    cols = ["story_terms", "story_weights"]
    if s.story_template_factor != 1.0:
        docs = docs.join(template_keys(lines, line_df, docs, s.template_docs), "idx")
        cols.append("key")
    joined = _both_sides(pairs, docs, cols)

    def score(batches):
        for batch in batches:
            m = len(batch)
            terms, offsets = columns.vector(batch["story_terms_i"].tolist() + batch["story_terms_j"].tolist(), "story_terms")
            weights, _ = columns.vector(batch["story_weights_i"].tolist() + batch["story_weights_j"].tolist(), "story_weights")
            local = np.stack([np.arange(m), np.arange(m, 2 * m)], axis=1)
            sim = cosine_pairs(terms, weights, offsets, local) / pair_threshold(np.diff(offsets), local, s)
            if "key_i" in batch:
                same_site = (batch["key_i"].to_numpy() == batch["key_j"].to_numpy()) & (batch["key_i"].to_numpy() != 0)
                sim = np.where(same_site, sim / s.story_template_factor, sim)
            yield batch[["i", "j"]].assign(sim=sim)

    wanted = ["i", "j"] + [f"{c}_{side}" for c in cols for side in "ij"]
    return joined.select(*wanted).mapInPandas(score, PAIR_SCHEMA + ", sim double")


def group_components(docs, pairs, s: ClusterSettings):
    """Whole components of the story candidate graph (any number): ``levels.group_levels`` and
    ``levels.cluster_records`` on their rows (pandas frames ``docs`` and ``pairs``)."""
    import pandas as pd

    if len(pairs) == 0:
        pairs = pd.DataFrame({"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64), "sim": np.zeros(0)})

    docs = docs.sort_values("idx", kind="stable")
    idx = docs["idx"].to_numpy(np.int64)
    a = columns.to_arrays(docs, ["id", "dup_sig", "dup_size", "length", "day", "story_terms", "story_weights"])
    dup_label = np.searchsorted(idx, docs["root"].to_numpy(np.int64))  # the cluster's first row
    pairs = pairs.sort_values(["i", "j"], kind="stable")
    local = np.stack([np.searchsorted(idx, pairs["i"].to_numpy(np.int64)),
                      np.searchsorted(idx, pairs["j"].to_numpy(np.int64))], axis=1).reshape(-1, 2)
    grouped = group_levels(a, dup_label, local, pairs["sim"].to_numpy(np.float64), s)
    assignments, clusters = cluster_records([str(x) for x in a["ids"]], *grouped)
    rows = [{"record": c["level"], **c} for c in clusters]
    rows += [{"record": "assignment", "id": doc_id, **fields} for doc_id, fields in assignments.items()]
    names = [field.split()[0] for field in RECORD_SCHEMA.split(", ")]
    frame = pd.DataFrame(rows).reindex(columns=names).astype(object)
    return frame.where(frame.notna(), None)  # missing fields are nulls, not NaN


def pair_histogram(pairs, value: str, accepted, top: float, bins: int = 20) -> dict:
    """``similarity.histogram`` of a pair DataFrame's ``value`` column (``accepted``: a boolean
    column expression), added up from per-batch histograms (counts add; the bins are fixed)."""
    empty = histogram(np.zeros(0), np.zeros(0, dtype=bool), top, bins)

    def per_batch(batches):
        import pandas as pd

        for batch in batches:
            h = histogram(batch["v"].to_numpy(np.float64), batch["a"].to_numpy(bool), top, bins)
            yield pd.DataFrame({"accepted": [True] * bins + [False] * bins, "bin": list(range(bins)) * 2,
                                "n": h["accepted"] + h["rejected"]})

    counts = (pairs.select(F.col(value).alias("v"), accepted.alias("a"))
              .mapInPandas(per_batch, "accepted boolean, bin int, n long")
              .groupBy("accepted", "bin").agg(F.sum("n").alias("n")).collect())
    for row in counts:
        empty["accepted" if row["accepted"] else "rejected"][row["bin"]] += int(row["n"])
    return empty


def _phase(stats: dict, name: str, started: float) -> None:
    """Seconds since the job started, at the end of phase ``name`` (in the stage's stats)."""
    stats[f"seconds_to_{name}"] = round(time.perf_counter() - started, 3)
    log.info("spark clusters: %s done after %.1fs", name, stats[f"seconds_to_{name}"])


def cluster_frames(spark, signatures, s: ClusterSettings):
    """-> (assignments, clusters, stats): DataFrames of the stage's two outputs (columns as in
    the local stage's JSONL) and the stage's counts. ``signatures``: rows of ``columns``."""
    stats: dict = {}
    started = time.perf_counter()
    stats["documents"] = signatures.count()
    partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))
    if stats["documents"] > partitions * DOCS_PER_PARTITION:  # every shuffle from the sort on: at 1M
        # documents, 4 partitions of 250k signatures overflow a 1 GB executor heap when cached
        spark.conf.set("spark.sql.shuffle.partitions", str(-(-stats["documents"] // DOCS_PER_PARTITION)))
    docs = canonical(signatures).persist()
    _phase(stats, "canonical", started)
    first = docs.select("dup_sig", "story_sig").limit(1).collect()
    dup_perm, story_perm = (len(first[0][0]) // 4, len(first[0][1]) // 4) if first else (0, 0)

    bands, rows = lsh_params(s.dup_lsh_threshold, dup_perm) if dup_perm else (0, 0)
    candidates = lsh_pairs(docs.where("dup_size > 0"), "dup_sig", bands, rows, s.max_bucket) if first \
        else spark.createDataFrame([], PAIR_SCHEMA)
    checked = verify_duplicates(candidates, docs, s).persist()
    links = checked.where("ok").select("i", "j").persist()
    lines = line_entries(docs).persist()
    line_df = lines.groupBy("hash").agg(F.countDistinct("idx").alias("df")).persist()
    link_root = roots_of(docs, links).persist()
    rejected = template_only(links, link_root, lines, line_df, docs, s) if s.template_docs > 2 \
        else spark.createDataFrame([], PAIR_SCHEMA)
    rejected = rejected.persist()
    n_rejected = rejected.count()
    final = checked.join(rejected.withColumn("template", F.lit(True)), ["i", "j"], "left")
    histogram_ = pair_histogram(final, "jac", F.col("ok") & F.col("template").isNull(), 1.0)
    accepted = sum(histogram_["accepted"])  # every pair falls in a bin: the counts are in it
    stats.update({"dup_candidates": accepted + sum(histogram_["rejected"]), "dup_links": accepted,
                  "dup_template_rejected": n_rejected, "dup_bands": bands, "dup_rows": rows,
                  "dup_similarity_histogram": histogram_})
    _phase(stats, "dup_links", started)
    # without rejected links the duplicate clusters are the links' components, found already
    dup_root = roots_of(docs, links.join(rejected, ["i", "j"], "left_anti")).persist() if n_rejected else link_root
    dup_root.count()
    _phase(stats, "dup_components", started)

    spairs = story_pairs(docs, lines, line_df, s, story_perm).persist()
    s_bands, s_rows = lsh_params(s.story_lsh_threshold, story_perm) if story_perm else (0, 0)
    stats["story_score_histogram"] = pair_histogram(spairs, "sim", F.col("sim") >= 1.0, 3.0, 30)
    stats.update({"story_candidates": sum(sum(stats["story_score_histogram"][k]) for k in ("accepted", "rejected")),
                  "story_bands": s_bands, "story_rows": s_rows})
    _phase(stats, "story_links", started)
    node_i = dup_root.select(F.col("idx").alias("i"), F.col("root").alias("a"))
    node_j = dup_root.select(F.col("idx").alias("j"), F.col("root").alias("b"))
    node_edges = spairs.join(node_i, "i").join(node_j, "j").where("a != b").select(F.col("a").alias("i"), F.col("b").alias("j"))
    part = roots_of(dup_root.select(F.col("root").alias("idx")).distinct(), node_edges)
    # Whole components go to one of ``groups`` calls (a union of components is as good as one).
    groups = max(int(spark.conf.get("spark.sql.shuffle.partitions")), -(-stats["documents"] // ROWS_PER_CALL))
    part = dup_root.join(part.select(F.col("idx").alias("root"), F.col("root").alias("part")), "root")
    part = part.select("idx", "root", (F.xxhash64("part") % groups).alias("group")).localCheckpoint()
    rows_by_group = docs.join(part, "idx").select("group", "idx", "root", "id", "dup_sig", "dup_size", "length",
                                                  "day", "story_terms", "story_weights")
    pairs_by_group = spairs.join(part.select(F.col("idx").alias("i"), "group"), "i")

    def one_group(group_docs, group_pairs):
        return group_components(group_docs, group_pairs, s)

    records = (rows_by_group.groupBy("group").cogroup(pairs_by_group.groupBy("group"))
               .applyInPandas(one_group, RECORD_SCHEMA)).persist()
    assignments = records.where("record = 'assignment'").select(
        "id", "dup_cluster", "dup_representative", "dup_similarity",
        "story_cluster", "story_representative", "story_similarity")
    clusters = records.where("record != 'assignment'").select(
        F.col("record").alias("level"), "id", "members", "representative", "size")
    per_level = dict(clusters.groupBy("level").count().collect())
    stats["dup_clusters"], stats["story_clusters"] = per_level.get("duplicate", 0), per_level.get("story", 0)
    _phase(stats, "linkage", started)
    return assignments, clusters, stats
