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
def _term_slot(keys, slot_id, term, mask):
    """The slot of ``term`` in the numbering table, or the empty one where it would go
    (terms are hashes, so their low bits spread them)."""
    h = np.int64(np.uint64(term) & np.uint64(mask))
    while slot_id[h] >= 0 and keys[h] != term:
        h = (h + 1) & mask
    return h


@jit
def _number_terms(terms, out):
    """Number the distinct values of ``terms`` 0, 1, ... in order of first appearance, into
    ``out``; -> how many there are. An open-addressing table that doubles when half full."""
    size = 1 << 12
    keys = np.empty(size, dtype=terms.dtype)
    slot_id = np.full(size, -1, dtype=np.int64)
    n = 0
    for k in range(len(terms)):
        if 2 * n >= size:
            old_keys, old_ids = keys, slot_id
            size *= 2
            keys = np.empty(size, dtype=terms.dtype)
            slot_id = np.full(size, -1, dtype=np.int64)
            for s in range(len(old_ids)):
                if old_ids[s] >= 0:
                    h = _term_slot(keys, slot_id, old_keys[s], size - 1)
                    keys[h] = old_keys[s]
                    slot_id[h] = old_ids[s]
        h = _term_slot(keys, slot_id, terms[k], size - 1)
        if slot_id[h] < 0:
            keys[h] = terms[k]
            slot_id[h] = n
            n += 1
        out[k] = slot_id[h]
    return n


@jit
def _cosine_kernel(term_ids, n_terms, weights, offsets, a, b, out):
    # Row a[k] spread over a dense vector (kept while a[k] repeats: pairs come sorted), then
    # row b[k] gathered from it: no branch per term, unlike merging two sorted rows. Shared
    # terms are added in b's (ascending) term order, as a merge would; the others add 0.0.
    dense = np.zeros(n_terms, dtype=np.float64)
    current = -1
    for k in range(len(a)):
        if a[k] != current:
            if current >= 0:
                for i in range(offsets[current], offsets[current + 1]):
                    dense[term_ids[i]] = 0.0
            current = a[k]
            for i in range(offsets[current], offsets[current + 1]):
                dense[term_ids[i]] = np.float64(weights[i])
        acc = 0.0
        for j in range(offsets[b[k]], offsets[b[k] + 1]):
            acc += dense[term_ids[j]] * np.float64(weights[j])
        out[k] = acc


def number_terms(terms: np.ndarray) -> tuple[np.ndarray, int]:
    """Each term's number among the distinct terms (0, 1, ...) and how many there are: indexes
    of a dense vector over the vocabulary of ``terms`` (see ``cosine_pairs``)."""
    term_ids = np.empty(len(terms), dtype=np.int32)  # a million documents hold ~10^8 terms
    return term_ids, int(_number_terms(terms, term_ids))


def cosine_pairs(terms: np.ndarray, weights: np.ndarray, offsets: np.ndarray, pairs: np.ndarray,
                 numbered: tuple[np.ndarray, int] | None = None) -> np.ndarray:
    """Cosine of L2-normalised sparse vectors (CSR, term ids sorted and distinct per row) for
    each pair; fastest with pairs sorted by their first row. ``numbered``: ``number_terms(terms)``
    when the caller has it already."""
    out = np.zeros(len(pairs), dtype=np.float64)
    if len(pairs):
        term_ids, n_terms = numbered or number_terms(terms)
        # weights stay in their stored dtype (a float64 copy of a million documents' weights is ~0.8 GB)
        _cosine_kernel(term_ids, n_terms, weights, offsets, pairs[:, 0].copy(), pairs[:, 1].copy(), out)
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
