"""Fast paths equal their readable or vectorised definitions on the same inputs."""
from __future__ import annotations

import numpy as np

from pipeline.minhash import EMPTY, _numpy_minhash, batch_minhash, permutations


def test_compiled_minhash_equals_matrix_definition_with_repeats_and_empty_documents():
    rng = np.random.default_rng(3)
    lengths = [0, 1, 5, 300, 0, 2000, 17]
    hashes = np.concatenate([rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32) for n in lengths])
    hashes[5:40] = hashes[6]  # many repeats of one element inside one document
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    sig, sizes = batch_minhash(hashes, offsets, 128, 5)
    a, b = permutations(128, 5)
    expected = _numpy_minhash(hashes, offsets, a, b, np.full((len(lengths), 128), EMPTY, dtype=np.uint32))
    assert np.array_equal(sig, expected)
    distinct = [len(np.unique(hashes[s:e])) for s, e in zip(offsets[:-1], offsets[1:])]
    assert sizes.tolist() == distinct
