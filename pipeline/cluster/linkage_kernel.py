"""Compiled average linkage: the loop of ``pipeline.cluster.linkage.reference_average_linkage`` with
numba dictionaries per node and a heap of (-score, a, b) tuples, so merges happen in exactly the
same order with the same float additions."""
from __future__ import annotations

import heapq

import numpy as np

from storydedup.pipeline.jit import AVAILABLE

if AVAILABLE:
    from numba import njit, types
    from numba.typed import Dict, List

    _EDGE = types.UniTuple(types.float64, 2)  # (sum of similarities, compared pairs)

    @njit(cache=True, nogil=True)
    def _score(tot, cnt, size_x, size_y, missing_weight):
        return tot / (cnt + missing_weight * (size_x * size_y - cnt))

    @njit(cache=True, nogil=True)
    def average_linkage_kernel(sizes, u, v, sim, threshold, missing_weight):
        """Parent forest after greedy merging (see the reference for the rule)."""
        n = len(sizes)
        size = sizes.astype(np.float64)
        adj = List()
        for _ in range(n):
            adj.append(Dict.empty(key_type=types.int64, value_type=_EDGE))
        for k in range(len(u)):
            a, b = u[k], v[k]
            if a != b:
                tot, cnt = adj[a].get(b, (0.0, 0.0))
                adj[a][b] = (tot + sim[k], cnt + 1.0)
                adj[b][a] = (tot + sim[k], cnt + 1.0)
        heap = [(0.0, np.int64(0), np.int64(0))]
        heap.pop()
        for a in range(n):
            for b, e in adj[a].items():
                if a < b:
                    sc = _score(e[0], e[1], size[a], size[b], missing_weight)
                    if sc >= threshold:
                        heap.append((-sc, np.int64(a), b))
        heapq.heapify(heap)
        parent = np.arange(n)
        while len(heap):
            neg, a, b = heapq.heappop(heap)
            if b not in adj[a]:
                continue  # a or b was merged away
            e = adj[a][b]
            current = _score(e[0], e[1], size[a], size[b], missing_weight)
            if -neg != current:  # stale: re-queue at its current score
                if current >= threshold:
                    heapq.heappush(heap, (-current, a, b))
                continue
            if len(adj[a]) >= len(adj[b]):
                keep, drop = a, b
            else:
                keep, drop = b, a
            adj[keep].pop(drop)
            adj[drop].pop(keep)
            size[keep] += size[drop]
            parent[drop] = keep
            for w, ew in adj[drop].items():  # small-into-large
                adj[w].pop(drop)
                tot, cnt = adj[keep].get(w, (0.0, 0.0))
                merged = (tot + ew[0], cnt + ew[1])
                adj[keep][w] = merged
                adj[w][keep] = merged
                avg = _score(merged[0], merged[1], size[keep], size[w], missing_weight)
                if avg >= threshold:
                    heapq.heappush(heap, (-avg, min(keep, w), max(keep, w)))
            adj[drop] = Dict.empty(key_type=types.int64, value_type=_EDGE)
        return parent
else:  # pragma: no cover - callers use the reference when numba is missing
    average_linkage_kernel = None
