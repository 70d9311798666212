"""The on-disk cache of derived tables (pipeline.tables) and the two tables kept in it."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from storydedup.pipeline import tables


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYDEDUP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def counting_build(calls: list):
    def build():
        calls.append(1)
        return {"hashes": np.array([3, 1, 2**63 + 5], dtype=np.uint64), "freqs": np.array([0.5, 1e-7, 0.25])}
    return build


def test_a_table_is_built_once_and_then_read_with_the_same_values_and_types(cache):
    calls = []
    first = tables.cached("t", {"lib": "1.0", "n": 3}, counting_build(calls))
    again = tables.cached("t", {"n": 3, "lib": "1.0"}, counting_build(calls))
    assert len(calls) == 1 and len(list(cache.glob("t-*.npz"))) == 1
    for k in first:
        assert again[k].dtype == first[k].dtype and np.array_equal(again[k], first[k])
    tables.cached("t", {"lib": "2.0", "n": 3}, counting_build(calls))  # another version: another file
    assert len(calls) == 2 and len(list(cache.glob("t-*.npz"))) == 2
    assert not list(cache.glob(".*"))  # no temporary file left behind


def test_an_unreadable_table_is_built_again_and_replaced(cache):
    calls = []
    tables.cached("t", {"k": 1}, counting_build(calls))
    path = tables.table_path("t", {"k": 1})
    path.write_bytes(b"not a table")
    assert tables.cached("t", {"k": 1}, counting_build(calls))["hashes"].tolist() == [3, 1, 2**63 + 5]
    assert len(calls) == 2
    tables.cached("t", {"k": 1}, counting_build(calls))
    assert len(calls) == 2  # the rebuilt file is read


def test_a_folder_that_cannot_be_written_is_reported_and_the_table_still_built(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("STORYDEDUP_CACHE_DIR", str(blocker / "cache"))  # below a file: mkdir fails
    calls = []
    with caplog.at_level(logging.WARNING, logger="storydedup.pipeline.tables"):
        found = tables.cached("t", {"k": 1}, counting_build(calls))
    assert found["freqs"].tolist() == [0.5, 1e-7, 0.25] and calls == [1]
    assert "cannot keep the table" in caplog.text


def test_cached_permutations_and_frequencies_equal_the_libraries_own(cache):
    from datasketch import MinHash

    from storydedup.pipeline.signatures import minhash, story

    a, b = MinHash(num_perm=64, seed=7, scheme=minhash.SCHEME).permutations
    for _ in range(2):  # built, then read from the file
        minhash.permutations.cache_clear()
        got_a, got_b = minhash.permutations(64, 7)
        assert got_a.dtype == np.uint32 and np.array_equal(got_a, a) and np.array_equal(got_b, b)
    languages = ("en", "de")
    table = story.frequency_table(languages)
    for _ in range(2):
        story.frequency_index.cache_clear()
        words, freqs = story.frequency_index(languages)
        assert len(words) == len(table) and np.all(np.diff(words.astype(np.float64)) >= 0)
        assert freqs[np.searchsorted(words, story.term_hash("the"))] == table["the"]
    assert len(list(cache.glob("minhash-permutations-*.npz"))) == len(list(cache.glob("word-frequencies-*.npz"))) == 1
