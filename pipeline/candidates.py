"""LSH banding over signature matrices with numpy sort-based bucket grouping.

Same banding as datasketch's ``MinHashLSH`` (``bands`` x ``rows`` slots of one signature) but
without per-key Python objects: one sort per band, so memory is a few arrays of n integers.
Pairs are emitted by a compiled loop over the equal-key runs and deduplicated by sorting int64
pair codes (``i * n + j``) a group of bands at a time, so at most one group's duplicates are held.
"""
from __future__ import annotations

import numpy as np

from .jit import jit

_MULT = np.uint64(0x9E3779B97F4A7C15)


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimising the area of false positives below
    ``threshold`` plus false negatives above it (equal weights) of the S-curve 1-(1-s^r)^b."""
    s = np.linspace(0.0, 1.0, 2001)
    best, best_cost = (1, num_perm), np.inf
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        p = 1.0 - (1.0 - s ** rows) ** bands
        cost = np.trapezoid(np.where(s < threshold, p, 1.0 - p), s)
        if cost < best_cost - 1e-12:
            best, best_cost = (bands, rows), cost
    return best


def band_keys(sig: np.ndarray, band: int, rows: int) -> np.ndarray:
    """uint64 bucket key of each row's ``band``-th slice."""
    key = np.zeros(len(sig), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in range(band * rows, (band + 1) * rows):
            key = key * _MULT + sig[:, col].astype(np.uint64) + np.uint64(1)
    return key


@jit
def _run_pairs(order, keys_sorted, max_bucket, n_total):
    """Codes ``lo * n_total + hi`` of pairs inside equal-key runs: all pairs for runs up to
    ``max_bucket`` members, a chain of neighbours for larger runs (keeps them connected at
    linear cost)."""
    n = len(order)
    total = 0
    start = 0
    while start < n:
        end = start + 1
        while end < n and keys_sorted[end] == keys_sorted[start]:
            end += 1
        size = end - start
        total += size * (size - 1) // 2 if size <= max_bucket else size - 1
        start = end
    out = np.empty(total, dtype=np.int64)
    w = 0
    start = 0
    while start < n:
        end = start + 1
        while end < n and keys_sorted[end] == keys_sorted[start]:
            end += 1
        reach = end - start - 1 if end - start <= max_bucket else 1
        for i in range(start, end):
            for j in range(i + 1, min(i + 1 + reach, end)):
                a, b = order[i], order[j]
                out[w] = min(a, b) * n_total + max(a, b)
                w += 1
        start = end
    return out


def _unique_sorted(codes: np.ndarray) -> np.ndarray:
    codes = np.sort(codes)
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = codes[1:] != codes[:-1]
    return codes[keep]


def candidate_pairs(sig: np.ndarray, bands: int, rows: int, valid: np.ndarray | None = None,
                    max_bucket: int = 50) -> np.ndarray:
    """Unique (i, j), i < j, in lexicographic order, of rows sharing a bucket in at least one
    band; rows where ``valid`` is False never pair. Cost per band: one key pass and one sort of
    n keys; memory: the unique pairs plus one group of bands' raw pairs."""
    n = len(sig)
    idx = np.arange(n) if valid is None else np.flatnonzero(valid)
    sub = sig[idx]
    found = np.zeros(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    pending_size = 0
    for band in range(bands):
        keys = band_keys(sub, band, rows)
        order = np.argsort(keys, kind="stable")
        codes = _run_pairs(idx[order], keys[order], max_bucket, n)
        pending.append(codes)
        pending_size += len(codes)
        if pending_size > max(4 * len(found), 1_000_000) or band == bands - 1:
            found = _unique_sorted(np.concatenate([found] + pending))
            pending, pending_size = [], 0
    return np.stack([found // n, found % n], axis=1) if n else np.zeros((0, 2), dtype=np.int64)
