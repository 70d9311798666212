"""Fast paths equal their readable or vectorised definitions on the same inputs."""
from __future__ import annotations

import random

import numpy as np
import pytest

from pipeline.minhash import EMPTY, _numpy_minhash, batch_minhash, permutations
from pipeline.story import reference_story_features, story_features


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


def story_records(n: int) -> list[dict]:
    rng = random.Random(11)
    words = ("Mayor Σοφία ΟΔΟΣ İstanbul’da 2024 ١٢ x a ﬁnance naïve Straße council council's vote "
             "bridge_7 storm-hit über São Paulo déjà vu Ω 3rd Jan UNESCO").split()
    recs = []
    for i in range(n):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(0, 120)))
        recs.append({"id": str(i), "text": body.replace(" vote ", "\nvote\n"),
                     "title": " ".join(rng.sample(words, 4)) if i % 3 else None})
    recs.append({"id": "empty", "text": ""})
    return recs


@pytest.mark.parametrize("stem_chars,vector_terms,lsh_terms", [(6, 100, 20), (0, 7, 3), (3, 5, 50), (6, 1, 1)])
def test_batch_story_features_equal_reference(stem_chars, vector_terms, lsh_terms):
    recs = story_records(60)
    args = (("en", "de", "tr"), stem_chars, vector_terms, lsh_terms, 64, 2)
    fast, slow = story_features(recs, *args), reference_story_features(recs, *args)
    assert fast.keys() == slow.keys()
    for key in slow:
        assert fast[key].dtype == slow[key].dtype and np.array_equal(fast[key], slow[key]), key
    assert int(fast["story_offsets"][-1]) > 0
