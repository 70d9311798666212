"""LSH banding over signature matrices with numpy sort-based bucket grouping.

Same banding as datasketch's ``MinHashLSH`` (``bands`` x ``rows`` slots of one signature) but
without per-key Python objects: one sort per band, so memory is a few arrays of n integers.
"""
from __future__ import annotations

import numpy as np

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


def _bucket_pairs(order: np.ndarray, keys_sorted: np.ndarray, max_bucket: int) -> np.ndarray:
    """Pairs inside equal-key runs: all pairs for runs up to ``max_bucket`` members, a chain of
    neighbours for larger runs (keeps them connected at linear cost)."""
    same = keys_sorted[1:] == keys_sorted[:-1]
    if not same.any():
        return np.zeros((0, 2), dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    run_len = np.diff(np.concatenate([starts, [len(keys_sorted)]]))
    run_of = np.repeat(np.arange(len(starts)), run_len)
    pos = np.flatnonzero(np.repeat(run_len > 1, run_len))  # positions inside multi-member runs
    out = []
    for step in range(1, max_bucket):
        cand = pos[pos + step < len(order)]
        cand = cand[run_of[cand + step] == run_of[cand]]
        if step > 1:
            cand = cand[run_len[run_of[cand]] <= max_bucket]
        if len(cand) == 0:
            break
        out.append(np.stack([order[cand], order[cand + step]], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.int64)


def candidate_pairs(sig: np.ndarray, bands: int, rows: int, valid: np.ndarray | None = None,
                    max_bucket: int = 50) -> np.ndarray:
    """Unique (i, j), i < j, of rows sharing a bucket in at least one band; rows where
    ``valid`` is False never pair. Cost per band: one key pass and one sort of n keys."""
    idx = np.arange(len(sig)) if valid is None else np.flatnonzero(valid)
    sub = sig[idx]
    codes = []
    for band in range(bands):
        keys = band_keys(sub, band, rows)
        order = np.argsort(keys, kind="stable")
        pairs = _bucket_pairs(idx[order], keys[order], max_bucket)
        if len(pairs):
            lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
            codes.append(np.unique(lo * len(sig) + hi))
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    code = np.unique(np.concatenate(codes))
    return np.stack([code // len(sig), code % len(sig)], axis=1)
