"""LSH banding over signature matrices with numpy sort-based bucket grouping.

Same banding as datasketch's ``MinHashLSH`` (``bands`` x ``rows`` slots of one signature) but
without per-key Python objects: one sort per band, so memory is a few arrays of n integers.
Pairs are emitted by a compiled loop over the equal-key runs and deduplicated by sorting int64
pair codes (``i * n + j``) a group of bands at a time, so at most one group's duplicates are held.
"""
from __future__ import annotations

import numpy as np

from storydedup.pipeline.jit import jit

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
def _block_keys(sig, band_lo, band_hi, rows):
    """``band_keys`` of bands ``band_lo..band_hi-1`` at once, reading the signature row by row."""
    keys = np.empty((band_hi - band_lo, len(sig)), dtype=np.uint64)
    for i in range(len(sig)):
        for band in range(band_lo, band_hi):
            key = np.uint64(0)
            for col in range(band * rows, (band + 1) * rows):
                key = key * _MULT + np.uint64(sig[i, col]) + np.uint64(1)
            keys[band - band_lo, i] = key
    return keys


@jit
def _run_pairs(order, keys_sorted, max_bucket, n_total, day, max_days):
    """Codes ``lo * n_total + hi`` of pairs inside equal-key runs (members taken in ascending
    index order): all pairs for runs up to ``max_bucket`` members, a chain of neighbours for
    larger runs (keeps them connected at linear cost). With ``max_days`` > 0, pairs whose
    ``day`` values are both known (>= 0) and further apart are left out."""
    n = len(order)
    out = np.empty(16, dtype=np.int64)
    w = 0
    start = 0
    while start < n:
        end = start + 1
        while end < n and keys_sorted[end] == keys_sorted[start]:
            end += 1
        if end - start > 1:
            members = order[start:end]  # a view: sorted in place (ascending index)
            if len(members) > 16:
                members.sort()
            else:
                for i in range(1, len(members)):
                    x, j = members[i], i
                    while j > 0 and members[j - 1] > x:
                        members[j] = members[j - 1]
                        j -= 1
                    members[j] = x
            reach = len(members) - 1 if len(members) <= max_bucket else 1
            for i in range(len(members)):
                for j in range(i + 1, min(i + 1 + reach, len(members))):
                    a, b = members[i], members[j]
                    if max_days > 0 and day[a] >= 0 and day[b] >= 0 and abs(day[a] - day[b]) > max_days:
                        continue
                    if w == len(out):
                        out = np.concatenate((out, np.empty(len(out), dtype=np.int64)))
                    out[w] = a * n_total + b
                    w += 1
        start = end
    return out[:w]


def _unique_sorted(codes: np.ndarray) -> np.ndarray:
    codes = np.sort(codes)
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = codes[1:] != codes[:-1]
    return codes[keep]


_BAND_GROUP = 16  # bands whose keys are computed together (16 x n uint64)


def candidate_pairs(sig: np.ndarray, bands: int, rows: int, valid: np.ndarray | None = None,
                    max_bucket: int = 50, day: np.ndarray | None = None, max_days: int = 0) -> np.ndarray:
    """Unique (i, j), i < j, in lexicographic order, of rows sharing a bucket in at least one
    band; rows where ``valid`` is False never pair. ``day``/``max_days`` (optional) drop pairs
    dated further apart while enumerating, the same pairs a later date filter would drop, without
    holding them. Cost per band: one key pass and one sort of n keys; memory: the unique pairs
    plus at most about as many raw pairs again."""
    n = len(sig)
    idx = np.arange(n) if valid is None else np.flatnonzero(valid)
    sub = np.ascontiguousarray(sig if len(idx) == n else sig[idx])  # no copy of a full signature matrix
    day = np.full(n, -1, dtype=np.int64) if day is None else np.asarray(day, dtype=np.int64)
    found = np.zeros(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    pending_size = 0
    for lo in range(0, bands, _BAND_GROUP):
        block = _block_keys(sub, lo, min(lo + _BAND_GROUP, bands), rows)
        for keys in block:
            order = np.argsort(keys)  # ties are re-sorted by index inside _run_pairs
            codes = _run_pairs(idx[order], keys[order], max_bucket, n, day, max_days)
            pending.append(codes)
            pending_size += len(codes)
            if pending_size > max(len(found), 1_000_000):
                found = _unique_sorted(np.concatenate([found] + pending))
                pending, pending_size = [], 0
    found = _unique_sorted(np.concatenate([found] + pending))
    return np.stack([found // n, found % n], axis=1) if n else np.zeros((0, 2), dtype=np.int64)

