"""Connected components of an edge DataFrame by alternating large-star and small-star steps
(Kiveris et al., "Connected Components in MapReduce and Beyond", 2014): every round is two
group-bys over the edges, so the graph never has to fit on one machine; it ends when every
component is a star around its smallest node, after O(log^2 n) rounds at worst.

Two cuts in the number of Spark stages: each partition's edges are first replaced by the star
forest of their own components (a union-find in NumPy, no shuffle; it keeps the components and
usually shrinks the graph to a few rounds), and neighbours are gathered as sets (``collect_set``),
so no step needs a ``distinct``; the star-forest test is a filter on the neighbour sets a round
gathers anyway (a job on checkpointed data, no extra shuffle).
"""
from __future__ import annotations

import numpy as np
from pyspark.sql import functions as F


def _local_stars(batches):
    """Edges of one partition -> (node, smallest node of its component within the partition)."""
    import pandas as pd

    from storydedup.pipeline.cluster.linkage import components

    frames = [b for b in batches if len(b)]
    if not frames:
        return
    edges = pd.concat(frames)
    nodes, local = np.unique(np.concatenate([edges["a"].to_numpy(np.int64), edges["b"].to_numpy(np.int64)]),
                             return_inverse=True)
    label = components(len(nodes), local.reshape(2, -1).T)
    smallest = np.full(label.max() + 1, len(nodes), dtype=np.int64)
    np.minimum.at(smallest, label, np.arange(len(nodes)))  # nodes are sorted: first = smallest
    root = nodes[smallest[label]]
    keep = root != nodes
    yield pd.DataFrame({"a": nodes[keep], "b": root[keep]})


def _neighbours(edges):
    """(u, vs): every node's neighbour set, both directions of each edge. Both come from one
    scan of ``edges``: a union of two scans would evaluate the per-partition contraction twice,
    and where a shuffle hands rows to partitions in a different grouping the two scans give
    different stars, so the lists would not be symmetric (and components would break)."""
    both = edges.select(F.explode(F.array(F.struct(F.col("a").alias("u"), F.col("b").alias("v")),
                                          F.struct(F.col("b").alias("u"), F.col("a").alias("v")))).alias("e"))
    return both.groupBy("e.u").agg(F.array_distinct(F.collect_list("e.v")).alias("vs"))


def _large_then_small_star(neighbours):
    """Large-star (each node links its larger neighbours to the smallest of it and its
    neighbours), then small-star (each node links itself and its smaller neighbours to the
    smallest of them), as (a, b) edges with b < a."""
    # Each minimum is taken in a projection of its own before the explode: next to the explode
    # it is evaluated once per output row, which makes a node of degree d cost d^2 (a hub of a
    # million-document run kept one task busy for over ten minutes).
    centred = neighbours.select("u", "vs", F.least(F.col("u"), F.array_min("vs")).alias("b"))
    large = centred.select(F.explode(F.filter("vs", lambda v: v > F.col("u"))).alias("a"), "b")
    down = large.groupBy("a").agg(F.array_distinct(F.collect_list("b")).alias("vs"))
    lowest = down.select("a", "vs", F.array_min("vs").alias("b"))
    return lowest.select(F.explode(F.array_union(F.array(F.col("a")), F.col("vs"))).alias("a"), "b") \
        .where("a != b")


def component_roots(edges, max_rounds: int = 100):
    """DataFrame (node, root): the smallest node of its component, for every node that has an
    edge (``edges``: columns a, b; long). Isolated nodes are their own root (not listed)."""
    current = edges.select(F.col("a").cast("long"), F.col("b").cast("long")).where("a != b")
    for _ in range(max_rounds):
        current = current.mapInPandas(_local_stars, "a long, b long")
        neighbours = _neighbours(current).localCheckpoint()
        # a star forest: no node has both a smaller neighbour (its centre) and another neighbour
        if neighbours.where((F.array_min("vs") < F.col("u")) & (F.size("vs") > 1)).limit(1).count() == 0:
            break
        current = _large_then_small_star(neighbours)
    else:  # pragma: no cover - the algorithm converges long before on any real graph
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    return neighbours.select(F.col("u").alias("node"), F.least(F.col("u"), F.array_min("vs")).alias("root"))
