"""Compiled average linkage: the loop of ``pipeline.cluster.linkage.reference_average_linkage``
with a heap of (-score, a, b) tuples, so merges happen in exactly the same order with the same
float additions.

The reference keeps a map of neighbours per node; here the group pairs' sums live in one
open-addressing table keyed by the pair, and each node keeps a list of its neighbours in a
shared pool. A node merged away is never a neighbour again, so nothing is ever deleted: a
pair with a dead node is just never looked up, and lists skip dead entries as they are read.
Per operation that costs a few array reads instead of a typed dictionary's hashing and
resizing, which took most of the stage's story time at 100,000 documents.
"""
from __future__ import annotations

import heapq

import numpy as np

from storydedup.pipeline.jit import AVAILABLE

if AVAILABLE:
    from numba import njit

    _GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: pair keys are far from random

    @njit(cache=True, nogil=True)
    def _score(tot, cnt, size_x, size_y, missing_weight):
        return tot / (cnt + missing_weight * (size_x * size_y - cnt))

    @njit(cache=True, nogil=True, inline="always")
    def _slot(keys, key, bits):
        """The slot holding ``key``, or the empty one (-1) where it would go."""
        mask = (1 << bits) - 1
        h = np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(64 - bits))
        while keys[h] != -1 and keys[h] != key:
            h = (h + 1) & mask
        return h

    @njit(cache=True, nogil=True)
    def _grown(keys, tot, cnt, bits, n, alive):
        """The table at twice the size, without the pairs of dead nodes; -> it, its bits and
        how many pairs it holds."""
        bits += 1
        new_keys = np.full(1 << bits, -1, dtype=np.int64)
        new_tot = np.zeros(1 << bits)
        new_cnt = np.zeros(1 << bits)
        filled = 0
        for s in range(len(keys)):
            key = keys[s]
            if key != -1 and alive[key // n] and alive[key % n]:
                h = _slot(new_keys, key, bits)
                new_keys[h] = key
                new_tot[h] = tot[s]
                new_cnt[h] = cnt[s]
                filled += 1
        return new_keys, new_tot, new_cnt, bits, filled

    @njit(cache=True, nogil=True)
    def _append(pool, used, start, length, room, node, value):
        """Append ``value`` to ``node``'s list (moved to the pool's end at twice its room when
        full, the pool doubled when that is full); -> the pool and its used length."""
        if length[node] == room[node]:
            need = max(4, 2 * room[node])
            if used + need > len(pool):
                bigger = np.empty(max(2 * len(pool), used + need), dtype=np.int64)
                bigger[:used] = pool[:used]
                pool = bigger
            pool[used:used + length[node]] = pool[start[node]:start[node] + length[node]]
            start[node], room[node] = used, need
            used += need
        pool[start[node] + length[node]] = value
        length[node] += 1
        return pool, used

    @njit(cache=True, nogil=True, inline="always")  # a call per edge: no call overhead
    def _add(keys, tot, cnt, bits, n, a, b, add_tot, add_cnt, degree, pool, used, start, length, room):
        """Add (add_tot, add_cnt) to the pair of ``a`` and ``b``, claiming its slot if the pair
        is new (each node then becomes the other's neighbour). -> (its slot, whether it is new,
        the pool and its used length: see ``_append``)."""
        key = min(a, b) * n + max(a, b)
        h = _slot(keys, key, bits)
        new = keys[h] == -1
        if new:
            keys[h] = key
            degree[a] += 1
            degree[b] += 1
            pool, used = _append(pool, used, start, length, room, a, b)
            pool, used = _append(pool, used, start, length, room, b, a)
        tot[h] += add_tot
        cnt[h] += add_cnt
        return h, new, pool, used

    @njit(cache=True, nogil=True)
    def average_linkage_kernel(sizes, u, v, sim, threshold, missing_weight):
        """Parent forest after greedy merging (see the reference for the rule)."""
        n = len(sizes)
        size = sizes.astype(np.float64)
        alive = np.ones(n, dtype=np.bool_)
        degree = np.zeros(n, dtype=np.int64)  # live neighbours: the reference's len(adj[x])
        bits = 4
        while (1 << bits) < len(u) + 16:
            bits += 1
        keys = np.full(1 << bits, -1, dtype=np.int64)  # pair key min * n + max
        tot = np.zeros(1 << bits)
        cnt = np.zeros(1 << bits)
        filled = 0
        pool = np.empty(2 * len(u) + 16, dtype=np.int64)
        used = 0
        start = np.zeros(n, dtype=np.int64)
        length = np.zeros(n, dtype=np.int64)
        room = np.zeros(n, dtype=np.int64)
        for k in range(len(u)):  # sums in edge order, as the reference adds them
            a, b = u[k], v[k]
            if a == b:
                continue
            if 2 * (filled + 1) > len(keys):
                keys, tot, cnt, bits, filled = _grown(keys, tot, cnt, bits, n, alive)
            h, new, pool, used = _add(keys, tot, cnt, bits, n, a, b, sim[k], 1.0, degree,
                                      pool, used, start, length, room)
            filled += new
        heap = [(0.0, np.int64(0), np.int64(0))]
        heap.pop()
        for s in range(len(keys)):
            if keys[s] != -1:
                a, b = keys[s] // n, keys[s] % n
                sc = _score(tot[s], cnt[s], size[a], size[b], missing_weight)
                if sc >= threshold:
                    heap.append((-sc, a, b))
        heapq.heapify(heap)
        parent = np.arange(n)
        while len(heap):
            neg, a, b = heapq.heappop(heap)
            if not (alive[a] and alive[b]):
                continue  # a or b was merged away (pairs of live nodes are never removed)
            h = _slot(keys, a * n + b, bits)
            current = _score(tot[h], cnt[h], size[a], size[b], missing_weight)
            if -neg != current:  # stale: re-queue at its current score
                if current >= threshold:
                    heapq.heappush(heap, (-current, a, b))
                continue
            if degree[a] >= degree[b]:
                keep, drop = a, b
            else:
                keep, drop = b, a
            degree[keep] -= 1
            size[keep] += size[drop]
            parent[drop] = keep
            while 2 * (filled + length[drop]) > len(keys):  # room for every pair the merge may add
                keys, tot, cnt, bits, filled = _grown(keys, tot, cnt, bits, n, alive)
            for i in range(start[drop], start[drop] + length[drop]):  # small-into-large
                w = pool[i]
                if w == keep or not alive[w]:
                    continue
                hw = _slot(keys, min(drop, w) * n + max(drop, w), bits)
                degree[w] -= 1
                hk, new, pool, used = _add(keys, tot, cnt, bits, n, keep, w, tot[hw], cnt[hw], degree,
                                           pool, used, start, length, room)
                filled += new
                avg = _score(tot[hk], cnt[hk], size[keep], size[w], missing_weight)
                if avg >= threshold:
                    heapq.heappush(heap, (-avg, min(keep, w), max(keep, w)))
            alive[drop] = False
            length[drop] = 0
        return parent
else:  # pragma: no cover - callers use the reference when numba is missing
    average_linkage_kernel = None
