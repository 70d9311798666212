"""Graph grouping: connected components (single link) and average linkage over sparse edges.

:func:`average_linkage` runs compiled (numba); :func:`reference_average_linkage` is the same
algorithm in plain Python, step for step (same merge order, same float additions), so both
return identical labels.
"""
from __future__ import annotations

import heapq

import numpy as np

from storydedup.pipeline.jit import AVAILABLE as _COMPILED
from storydedup.pipeline.cluster.linkage_kernel import average_linkage_kernel


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Component label per node (union-find semantics) for undirected ``pairs``."""
    if len(pairs) == 0:
        return np.arange(n)
    from scipy.sparse import coo_matrix  # SciPy loads here: commands that group nothing start without it
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def average_linkage(sizes: np.ndarray, u: np.ndarray, v: np.ndarray, sim: np.ndarray,
                    threshold: float, missing_weight: float = 0.0) -> np.ndarray:
    """Greedy average linkage, see :func:`reference_average_linkage` (identical labels).
    Memory: a few arrays per edge plus one small hash map per node with edges."""
    if not _COMPILED:
        return reference_average_linkage(sizes, u, v, sim, threshold, missing_weight)
    n = len(sizes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    parent = average_linkage_kernel(np.asarray(sizes, dtype=np.int64), np.asarray(u, dtype=np.int64),
                                    np.asarray(v, dtype=np.int64), np.asarray(sim, dtype=np.float64),
                                    float(threshold), float(missing_weight))
    return _labels(parent)


def reference_average_linkage(sizes: np.ndarray, u: np.ndarray, v: np.ndarray, sim: np.ndarray,
                              threshold: float, missing_weight: float = 0.0) -> np.ndarray:
    """Greedy agglomeration of nodes (each a group of ``sizes`` documents).

    Edge ``k`` is one compared document pair between nodes ``u[k]`` and ``v[k]`` with
    similarity ``sim[k]``. Group similarity = sum of compared pairs / (compared pairs +
    ``missing_weight`` * pairs never compared): 1.0 is classic average linkage (uncompared
    pairs count as 0), 0.0 averages over the LSH candidates only. The two groups with the highest
    similarity merge while it is >= ``threshold``; unlike single link, one stray strong pair
    cannot chain two stories together. Returns a label per node (smallest node index of its group).
    Cost: about O(E log E) heap operations (stale entries are re-scored lazily when popped),
    neighbour maps merged small-into-large.
    """
    n = len(sizes)
    size = [int(s) for s in sizes]
    adj: list[dict[int, tuple[float, int]]] = [{} for _ in range(n)]
    for a, b, s in zip(u.tolist(), v.tolist(), sim.tolist()):
        if a != b:
            tot, cnt = adj[a].get(b, (0.0, 0))
            adj[a][b] = adj[b][a] = (tot + s, cnt + 1)

    def score(x: int, y: int, edge: tuple[float, int]) -> float:
        tot, cnt = edge
        return tot / (cnt + missing_weight * (size[x] * size[y] - cnt))

    heap = []
    for a in range(n):
        for b, e in adj[a].items():
            if a < b and score(a, b, e) >= threshold:
                heap.append((-score(a, b, e), a, b))
    heapq.heapify(heap)
    parent = list(range(n))
    while heap:
        neg, a, b = heapq.heappop(heap)
        e = adj[a].get(b)
        if e is None:
            continue  # a or b was merged away
        current = score(a, b, e)
        if -neg != current:  # stale (sizes or sums changed): re-queue at its current score
            if current >= threshold:
                heapq.heappush(heap, (-current, a, b))
            continue
        keep, drop = (a, b) if len(adj[a]) >= len(adj[b]) else (b, a)
        del adj[keep][drop], adj[drop][keep]
        size[keep] += size[drop]
        parent[drop] = keep
        for w, (tw, cw) in adj[drop].items():  # small-into-large: cost ~ degree of the smaller
            del adj[w][drop]
            tot, cnt = adj[keep].get(w, (0.0, 0))
            adj[keep][w] = adj[w][keep] = (tot + tw, cnt + cw)
            avg = score(keep, w, adj[keep][w])
            if avg >= threshold:
                heapq.heappush(heap, (-avg, min(keep, w), max(keep, w)))
        adj[drop] = {}
        # keep's other edges now hold stale heap entries; they are re-scored when popped
    return _labels(np.array(parent, dtype=np.int64))


def _labels(parent: np.ndarray) -> np.ndarray:
    """Smallest member index of each node's group, from a parent forest."""
    n = len(parent)
    roots = parent
    while True:  # pointer doubling: log(depth) vectorised passes
        nxt = roots[roots]
        if np.array_equal(nxt, roots):
            break
        roots = nxt
    label = np.full(n, n, dtype=np.int64)
    np.minimum.at(label, roots, np.arange(n))
    return label[roots]
