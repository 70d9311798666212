"""Story candidates from an inverted index of each document's heaviest terms.

MinHash LSH over the top-term sets misses pairs whose sets overlap only a little (two reports
of one story that share a name, a place and a number out of twenty salient terms: Jaccard
~0.1, caught by 2-row bands only ~80 % of the time). Counting exactly how many of its
``top_terms`` heaviest terms a pair shares is cheap when the posting lists are short, so such
pairs are added directly. Terms carried by more than ``max_posting`` documents (common words,
big running stories) are left to LSH: their pairs would cost quadratic work and tell little.
"""
from __future__ import annotations

import numpy as np

from storydedup.pipeline.jit import jit


@jit
def _heaviest_kernel(weights, offsets, top, out_pos):
    w = 0
    for i in range(len(offsets) - 1):
        lo, hi = offsets[i], offsets[i + 1]
        order = np.argsort(-weights[lo:hi], kind="mergesort")  # stable: ties keep stored order
        for k in range(min(top, hi - lo)):
            out_pos[w] = lo + order[k]
            w += 1
    return w


def heaviest_terms(terms: np.ndarray, weights: np.ndarray, offsets: np.ndarray,
                   top: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, term) of the ``top`` largest weights of every CSR row (ties: stored order)."""
    lengths = np.diff(offsets)
    pos = np.empty(int(np.minimum(lengths, max(top, 0)).sum()), dtype=np.int64)
    n = _heaviest_kernel(weights, offsets.astype(np.int64), top, pos)  # float32 orders as its float64 copy would
    row = np.repeat(np.arange(len(lengths)), np.minimum(lengths, max(top, 0)))
    return row, terms[pos[:n]]


@jit
def _posting_pair_codes(row, starts, max_posting, n):
    """Codes ``i * n + j`` of every pair inside each posting list (a run of ``row`` between
    consecutive ``starts``) of 2 to ``max_posting`` documents; sizes counted first so the codes
    are written into one array (no per-step pieces to concatenate)."""
    total = 0
    for r in range(len(starts) - 1):
        k = starts[r + 1] - starts[r]
        if 1 < k <= max_posting:
            total += k * (k - 1) // 2
    out = np.empty(total, dtype=np.int64)
    w = 0
    for r in range(len(starts) - 1):
        lo, hi = starts[r], starts[r + 1]
        if 1 < hi - lo <= max_posting:
            for a in range(lo, hi):
                for b in range(a + 1, hi):
                    out[w] = row[a] * n + row[b]
                    w += 1
    return out


@jit
def _codes_seen(codes_sorted, min_count):
    """The distinct values of a sorted array that occur at least ``min_count`` times."""
    out = np.empty(len(codes_sorted), dtype=np.int64)
    w = 0
    start = 0
    while start < len(codes_sorted):
        end = start + 1
        while end < len(codes_sorted) and codes_sorted[end] == codes_sorted[start]:
            end += 1
        if end - start >= min_count:
            out[w] = codes_sorted[start]
            w += 1
        start = end
    return out[:w]


def shared_term_pairs(terms: np.ndarray, weights: np.ndarray, offsets: np.ndarray, top: int,
                      min_shared: int, max_posting: int) -> np.ndarray:
    """Unique (i, j), i < j, sharing at least ``min_shared`` of their ``top`` heaviest terms,
    counted over posting lists of at most ``max_posting`` documents. Cost: one sort of
    n * top entries and one in-place sort of the (at most n * top * max_posting / 2) pair codes."""
    n = len(offsets) - 1
    empty = np.zeros((0, 2), dtype=np.int64)
    if n < 2 or top <= 0:
        return empty
    row, term = heaviest_terms(terms, weights, offsets, top)
    order = np.argsort(term, kind="stable")  # rows come ascending, so each posting list is too
    row, term = row[order], term[order]
    del order
    starts = np.flatnonzero(np.concatenate([[True], term[1:] != term[:-1], [True]]))
    codes = _posting_pair_codes(row, starts, max_posting, n)
    del row, term
    codes.sort()
    code = _codes_seen(codes, max(min_shared, 1))
    return np.stack([code // n, code % n], axis=1)


def merge_pairs(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Union of two (i, j), i < j, pair arrays over ``n`` rows, sorted and unique."""
    if len(a) == 0 and len(b) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    code = np.sort(np.concatenate([a[:, 0] * n + a[:, 1], b[:, 0] * n + b[:, 1]]).astype(np.int64))
    code = code[np.concatenate([[True], code[1:] != code[:-1]])]  # sort-based: faster than unique
    return np.stack([code // n, code % n], axis=1)
