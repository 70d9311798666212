"""Batch MinHash signatures identical to datasketch's default ("affine32") scheme.

datasketch >= 2.0 hashes each element to 32 bits, pre-mixes it with the murmur3 32-bit finalizer
and applies ``a_k * h + b_k mod 2^32`` per permutation ``k``. We draw the very same ``(a, b)``
from ``MinHash(num_perm, seed)`` and evaluate all permutations of a whole batch as one uint32
matrix operation followed by a segment minimum, so ``LeanMinHash(seed=seed, hashvalues=row,
scheme=SCHEME)`` of any row equals datasketch's own sketch of the same element hashes.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from storydedup.pipeline.jit import AVAILABLE as _COMPILED
from storydedup.pipeline.jit import jit

SCHEME = "affine32"
EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for "no element seen"
_CHUNK_CELLS = 8_000_000  # elements x permutations per matrix step (~32 MB of uint32)


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutation parameters ``(a, b)`` as uint32 arrays. datasketch, which loads
    SciPy (~0.5 s), is imported only to build them: later processes read them from the cache
    (see pipeline.tables), and commands that compute no signature start without it."""
    from storydedup.pipeline.tables import cached, version

    def build() -> dict[str, np.ndarray]:
        from datasketch import MinHash

        a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
        return {"a": np.asarray(a, dtype=np.uint32), "b": np.asarray(b, dtype=np.uint32)}

    found = cached("minhash-permutations", {"datasketch": version("datasketch"), "num_perm": num_perm,
                                            "seed": seed, "scheme": SCHEME}, build)
    return found["a"], found["b"]


def fmix32(h: np.ndarray) -> np.ndarray:
    """murmur3 32-bit finalizer (datasketch's pre-mix)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


@jit
def _mix32(x):
    """murmur3 fmix32 in 64-bit lanes masked to 32 bits (numba widens uint32 products)."""
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    return np.uint32(x)


@jit
def _minhash_kernel(hashes, offsets, a, b, sig, sizes):
    # Distinct elements via an open-addressing table stamped with the document number (no
    # clearing, no sort); the minimum over permutations is a branch-free loop over ``a``/``b``
    # that the compiler turns into SIMD lanes.
    n_docs = len(offsets) - 1
    longest = 1
    for d in range(n_docs):
        longest = max(longest, offsets[d + 1] - offsets[d])
    cap = 16
    while cap < 2 * longest:
        cap *= 2
    mask = cap - 1
    slot_val = np.zeros(cap, dtype=np.uint32)
    slot_doc = np.full(cap, -1, dtype=np.int64)
    mixed = np.empty(longest, dtype=np.uint32)
    row = np.empty(len(a), dtype=np.uint32)
    for d in range(n_docs):
        n = 0
        for i in range(offsets[d], offsets[d + 1]):
            x = _mix32(np.uint64(hashes[i]))
            s = np.int64(x) & mask
            while slot_doc[s] == d and slot_val[s] != x:
                s = (s + 1) & mask
            if slot_doc[s] != d:
                slot_doc[s] = d
                slot_val[s] = x
                mixed[n] = x
                n += 1
        sizes[d] = n
        row[:] = EMPTY
        for i in range(n):
            x = mixed[i]
            for p in range(len(a)):
                row[p] = min(row[p], np.uint32(a[p] * x + b[p]))  # uint32 wrap = mod 2^32
        sig[d, :] = row


def batch_minhash(hashes: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Signatures (n_docs x num_perm, uint32) of CSR element hashes, and each document's number
    of distinct elements (int32); empty documents get EMPTY everywhere and size 0."""
    a, b = permutations(num_perm, seed)
    n = len(offsets) - 1
    sig = np.full((n, num_perm), EMPTY, dtype=np.uint32)
    sizes = np.zeros(n, dtype=np.int32)
    if _COMPILED:
        _minhash_kernel(np.asarray(hashes, dtype=np.uint32), offsets, a, b, sig, sizes)
        return sig, sizes
    return _numpy_minhash(hashes, offsets, a, b, sig), _numpy_sizes(hashes, offsets)


def _numpy_sizes(hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return np.array([len(np.unique(hashes[s:e])) for s, e in itertools.pairwise(offsets)], dtype=np.int32)


def _numpy_minhash(hashes, offsets, a, b, sig):
    """Same result as the compiled kernel with whole-batch matrix operations (numba missing)."""
    num_perm = len(a)
    counts = np.diff(offsets)
    nonempty = np.nonzero(counts > 0)[0]
    if len(nonempty) == 0:
        return sig
    mixed = fmix32(np.asarray(hashes, dtype=np.uint32))
    rows_per_chunk = max(1, _CHUNK_CELLS // num_perm)
    lo = 0
    while lo < len(nonempty):
        # grow the chunk of documents until it holds about rows_per_chunk elements
        first = offsets[nonempty[lo]]
        hi = int(np.searchsorted(offsets[nonempty + 1], first + rows_per_chunk, side="right"))
        hi = max(hi, lo + 1)
        docs = nonempty[lo:hi]
        start, stop = offsets[docs[0]], offsets[docs[-1] + 1]
        block = mixed[start:stop, None] * a[None, :] + b[None, :]
        sig[docs] = np.minimum.reduceat(block, offsets[docs] - start, axis=0)
        lo = hi
    return sig


def jaccard_estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Share of equal signature slots (row-wise for 2-D inputs), datasketch's estimator."""
    return np.mean(sig_a == sig_b, axis=-1)
