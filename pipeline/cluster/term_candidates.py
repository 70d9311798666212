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
    n = _heaviest_kernel(weights.astype(np.float64), offsets.astype(np.int64), top, pos)
    row = np.repeat(np.arange(len(lengths)), np.minimum(lengths, max(top, 0)))
    return row, terms[pos[:n]]


def shared_term_pairs(terms: np.ndarray, weights: np.ndarray, offsets: np.ndarray, top: int,
                      min_shared: int, max_posting: int) -> np.ndarray:
    """Unique (i, j), i < j, sharing at least ``min_shared`` of their ``top`` heaviest terms,
    counted over posting lists of at most ``max_posting`` documents. Cost: one sort of
    n * top entries and at most n * top * max_posting / 2 pair codes."""
    n = len(offsets) - 1
    empty = np.zeros((0, 2), dtype=np.int64)
    if n < 2 or top <= 0:
        return empty
    row, term = heaviest_terms(terms, weights, offsets, top)
    order = np.lexsort((row, term))
    row, term = row[order], term[order]
    same = term[1:] == term[:-1]
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    run_len = np.diff(np.concatenate([starts, [len(term)]]))
    run_of = np.repeat(np.arange(len(starts)), run_len)
    short = np.repeat((run_len > 1) & (run_len <= max_posting), run_len)
    pos = np.flatnonzero(short)
    codes = []
    for step in range(1, max_posting):
        cand = pos[pos + step < len(row)]
        cand = cand[run_of[cand + step] == run_of[cand]]
        if len(cand) == 0:
            break
        codes.append(row[cand].astype(np.int64) * n + row[cand + step])
    if not codes:
        return empty
    code, count = np.unique(np.concatenate(codes), return_counts=True)
    code = code[count >= min_shared]
    return np.stack([code // n, code % n], axis=1)


def merge_pairs(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Union of two (i, j), i < j, pair arrays over ``n`` rows, sorted and unique."""
    if len(a) == 0 and len(b) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    code = np.sort(np.concatenate([a[:, 0] * n + a[:, 1], b[:, 0] * n + b[:, 1]]).astype(np.int64))
    code = code[np.concatenate([[True], code[1:] != code[:-1]])]  # sort-based: faster than unique
    return np.stack([code // n, code % n], axis=1)
