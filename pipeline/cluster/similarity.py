"""Pairwise similarities for candidate pairs: MinHash Jaccard/containment and sparse cosine."""
from __future__ import annotations

import numpy as np

from storydedup.pipeline.jit import jit

_CHUNK = 200_000


def jaccard_pairs(sig: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Estimated Jaccard (share of equal MinHash slots) of each pair."""
    out = np.empty(len(pairs), dtype=np.float64)
    for lo in range(0, len(pairs), _CHUNK):
        p = pairs[lo:lo + _CHUNK]
        out[lo:lo + _CHUNK] = np.mean(sig[p[:, 0]] == sig[p[:, 1]], axis=1)
    return out


def containment(jaccard: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Estimated share of the smaller set inside the larger: |A n B| = J (|A|+|B|) / (1+J)."""
    small = np.maximum(np.minimum(size_a, size_b), 1)
    inter = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return np.minimum(inter / small, 1.0)


@jit
def _cosine_kernel(terms, weights, offsets, a, b, out):
    for k in range(len(a)):
        i, iend = offsets[a[k]], offsets[a[k] + 1]
        j, jend = offsets[b[k]], offsets[b[k] + 1]
        acc = 0.0
        while i < iend and j < jend:
            if terms[i] == terms[j]:
                acc += np.float64(weights[i]) * np.float64(weights[j])
                i += 1
                j += 1
            elif terms[i] < terms[j]:
                i += 1
            else:
                j += 1
        out[k] = acc


def cosine_pairs(terms: np.ndarray, weights: np.ndarray, offsets: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Cosine of L2-normalised sparse vectors (CSR, term ids sorted per row) for each pair."""
    out = np.zeros(len(pairs), dtype=np.float64)
    if len(pairs):
        # weights stay in their stored dtype (a float64 copy of a million documents' weights is ~0.8 GB)
        _cosine_kernel(terms, weights, offsets, pairs[:, 0].copy(), pairs[:, 1].copy(), out)
    return out


def histogram(values: np.ndarray, accepted: np.ndarray, top: float, bins: int = 20) -> dict:
    """Counts of accepted and rejected candidate pairs per similarity bin, for the run report;
    values above ``top`` fall in the last bin. Recorded in the stage's _stats.json only."""
    edges = np.linspace(0.0, top, bins + 1)
    clipped = np.clip(values, 0.0, top)

    def counts(mask):
        return np.histogram(clipped[mask], bins=edges)[0].astype(int).tolist()

    return {"edges": [round(float(e), 4) for e in edges], "accepted": counts(accepted),
            "rejected": counts(~accepted)}
