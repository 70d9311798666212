"""Graph grouping: connected components (single link) and average linkage over sparse edges."""
from __future__ import annotations

import heapq

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Component label per node (union-find semantics) for undirected ``pairs``."""
    if len(pairs) == 0:
        return np.arange(n)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def average_linkage(sizes: np.ndarray, u: np.ndarray, v: np.ndarray, sim: np.ndarray,
                    threshold: float) -> np.ndarray:
    """Greedy agglomeration of nodes (each a group of ``sizes`` documents).

    ``sim[k]`` is the summed document-pair similarity between nodes ``u[k]`` and ``v[k]``
    (pairs never compared count 0). The two groups with the highest mean pair similarity merge
    while it is >= ``threshold``; unlike single link, one stray strong pair cannot chain two
    stories together. Returns a label per node (smallest node index of its group).
    Cost: O(E log E) heap operations, neighbour maps merged small-into-large.
    """
    n = len(sizes)
    size = [int(s) for s in sizes]
    adj: list[dict[int, float]] = [dict() for _ in range(n)]
    for a, b, s in zip(u.tolist(), v.tolist(), sim.tolist()):
        if a != b:
            adj[a][b] = adj[a].get(b, 0.0) + s
            adj[b][a] = adj[b].get(a, 0.0) + s
    heap = []
    for a in range(n):
        for b, s in adj[a].items():
            if a < b and s / (size[a] * size[b]) >= threshold:
                heap.append((-s / (size[a] * size[b]), a, b))
    heapq.heapify(heap)
    parent = list(range(n))
    while heap:
        neg, a, b = heapq.heappop(heap)
        s = adj[a].get(b)
        if s is None or -neg != s / (size[a] * size[b]):
            continue  # stale entry: a or b merged since it was pushed
        keep, drop = (a, b) if len(adj[a]) >= len(adj[b]) else (b, a)
        del adj[keep][drop], adj[drop][keep]
        size[keep] += size[drop]
        parent[drop] = keep
        for w, sw in adj[drop].items():
            del adj[w][drop]
            total = adj[keep].get(w, 0.0) + sw
            adj[keep][w] = adj[w][keep] = total
        adj[drop] = {}
        for w, total in adj[keep].items():
            avg = total / (size[keep] * size[w])
            if avg >= threshold:
                heapq.heappush(heap, (-avg, min(keep, w), max(keep, w)))
    roots = np.array([_root(parent, i) for i in range(n)], dtype=np.int64)
    label = np.full(n, n, dtype=np.int64)
    np.minimum.at(label, roots, np.arange(n))
    return label[roots]


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i
