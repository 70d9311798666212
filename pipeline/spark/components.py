"""Connected components of an edge DataFrame by alternating large-star and small-star steps
(Kiveris et al., "Connected Components in MapReduce and Beyond", 2014): every round is a few
joins and group-bys over the edges, so the graph never has to fit on one machine; it ends
when every component is a star around its smallest node, after O(log^2 n) rounds at worst.
"""
from __future__ import annotations

from pyspark.sql import functions as F


def _large_star(edges):
    """Each node u links its larger neighbours to the smallest of u and its neighbours."""
    both = edges.select(F.col("a").alias("u"), F.col("b").alias("v")).union(
        edges.select(F.col("b").alias("u"), F.col("a").alias("v")))
    low = both.groupBy("u").agg(F.least(F.min("v"), F.first("u")).alias("m"))
    out = both.join(low, "u").where(F.col("v") > F.col("u"))
    return out.select(F.col("v").alias("a"), F.col("m").alias("b")).distinct()


def _small_star(edges):
    """Each node u links itself and its smaller neighbours to the smallest of them."""
    down = edges.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v"))
    low = down.groupBy("u").agg(F.min("v").alias("m"))
    linked = down.join(low, "u")
    out = linked.select(F.col("v").alias("a"), F.col("m").alias("b")).where(F.col("a") != F.col("b"))
    out = out.union(low.select(F.col("u").alias("a"), F.col("m").alias("b")))
    return out.distinct()


def _is_star_forest(edges) -> bool:
    """Every node points at one node, and no pointed-at node points anywhere (a centre)."""
    down = edges.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v"))
    out = down.groupBy("u").agg(F.count("v").alias("out"))
    pointed = down.select(F.col("v").alias("u")).distinct().withColumn("pointed", F.lit(1))
    bad = out.join(pointed, "u", "full_outer").where("out > 1 or (out >= 1 and pointed = 1)")
    return bad.limit(1).count() == 0


def component_roots(edges, max_rounds: int = 100):
    """DataFrame (node, root): the smallest node of its component, for every node that has an
    edge (``edges``: columns a, b; long). Isolated nodes are their own root (not listed)."""
    current = edges.select(F.col("a").cast("long"), F.col("b").cast("long")).where("a != b").distinct()
    current = current.localCheckpoint()
    for _ in range(max_rounds):
        step = _small_star(_large_star(current)).localCheckpoint()
        current = step
        if _is_star_forest(current):
            break
    else:  # pragma: no cover - the algorithm converges long before on any real graph
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    down = current.select(F.greatest("a", "b").alias("node"), F.least("a", "b").alias("root"))
    centres = down.select(F.col("root").alias("node"), F.col("root")).distinct()
    return down.union(centres).distinct()
