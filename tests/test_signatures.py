"""Signatures: datasketch compatibility, normalisation for hashing only, shard concatenation."""
from __future__ import annotations

import random
import sys
import textwrap

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from storydedup.pipeline.signatures.minhash import SCHEME, batch_minhash
from storydedup.pipeline.signatures.shingles import batch_shingle_hashes, char_tables, reference_shingle_hashes
from storydedup.pipeline.signatures.compute import (SignatureSettings, ShardColumns, compute_signatures, concat_shards,
                                                    take_documents)

WORDS = ("river council budget vote mayor school bridge storm harbour police court market "
         "energy price report health minister farmer train station museum").split()


def article(seed: int, n_words: int = 300) -> str:
    rng = random.Random(seed)
    paras = []
    while sum(len(p.split()) for p in paras) < n_words:
        paras.append(" ".join(rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(20)) + ".")
    return "\n\n".join(paras)


def test_shingles_match_reference_definition():
    texts = [article(1, 80), "Short one", "", "İstanbul’da “quoted” words,\nsecond line here now ok"]
    hashes, offsets = batch_shingle_hashes(texts, 4, 3, 10)
    for d, text in enumerate(texts):
        assert hashes[offsets[d]:offsets[d + 1]].tolist() == reference_shingle_hashes(text, 4, 3, 10)


def test_char_tables_equal_the_per_character_definition():
    is_word, lower = char_tables()
    chars = [chr(c) for c in range(sys.maxunicode + 1)]
    want_word = np.array([ch.isalnum() or ch == "_" for ch in chars], dtype=np.uint8)
    want_word[[0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]] = 2
    assert np.array_equal(is_word, want_word)
    want_lower = [ord(ch.lower()) if len(ch.lower()) == 1 else ord(ch) for ch in chars]
    assert np.array_equal(lower, np.array(want_lower, dtype=np.uint32))
    assert lower[ord("Σ")] == ord("σ") and lower[ord("İ")] == ord("İ")  # no context rule, no expansion


def test_signatures_equal_datasketch_hashvalues():
    texts = [article(2, 200), article(3, 50), "a b c"]
    hashes, offsets = batch_shingle_hashes(texts, 5)
    sig, sizes = batch_minhash(hashes, offsets, 128, 7)
    for d in range(len(texts)):
        m = MinHash(num_perm=128, seed=7, hashfunc=int)
        m.update_batch(hashes[offsets[d]:offsets[d + 1]].tolist())
        assert np.array_equal(m.hashvalues, sig[d])
        assert sizes[d] == len(set(hashes[offsets[d]:offsets[d + 1]].tolist()))


def test_signatures_work_in_datasketch_lsh():
    base = article(4)
    edited = base.replace("vote", "ballot", 3)
    other = article(5)
    s = SignatureSettings()
    arr = compute_signatures([{"id": "a", "text": base}, {"id": "b", "text": edited},
                              {"id": "c", "text": other}], s)
    lsh = MinHashLSH(threshold=0.5, num_perm=s.num_perm)
    lean = [LeanMinHash(seed=s.seed, hashvalues=row, scheme=SCHEME) for row in arr["dup_sig"]]
    for key, m in zip("abc", lean):
        lsh.insert(key, m)
    assert sorted(lsh.query(lean[0])) == ["a", "b"]
    assert lean[0].jaccard(lean[1]) > 0.7 and lean[0].jaccard(lean[2]) < 0.1


def test_jaccard_estimate_tracks_exact_jaccard():
    rng = np.random.default_rng(0)
    universe = rng.choice(2**32 - 1, size=3000, replace=False).astype(np.uint32)
    a, b = universe[:2000], universe[1000:]
    sig, _ = batch_minhash(np.concatenate([a, b]), np.array([0, len(a), len(a) + len(b)]), 256, 1)
    exact = 1000 / 3000
    assert abs(np.mean(sig[0] == sig[1]) - exact) < 0.1


def test_hashing_ignores_case_punctuation_quotes_and_wrapping_but_keeps_text():
    text = article(6, 120)
    wrapped = textwrap.fill(text.replace("\n\n", " "), 60).upper().replace(".", " ;")
    s = SignatureSettings(min_line_words=0)
    rec = {"id": "x", "text": wrapped}
    arr = compute_signatures([{"id": "o", "text": text}, rec], s)
    assert np.array_equal(arr["dup_sig"][0], arr["dup_sig"][1])
    assert rec["text"] == wrapped


def test_short_chrome_lines_are_skipped_for_hashing():
    body = article(7, 200)
    chrome = "\n".join(["Home", "News | Sport", "Share on Facebook", "Log in"] * 10)
    s = SignatureSettings()
    arr = compute_signatures([{"id": "a", "text": body}, {"id": "b", "text": chrome + "\n" + body + "\n" + chrome}], s)
    assert np.array_equal(arr["dup_sig"][0], arr["dup_sig"][1])


def test_concat_shards_equals_single_shard():
    recs = [{"id": f"d{i}", "text": article(i, 60 + 10 * i), "published": "2024-03-0%d" % (1 + i % 9)}
            for i in range(9)]
    s = SignatureSettings()
    whole = compute_signatures(recs, s)
    parts = concat_shards([compute_signatures(recs[:2], s), compute_signatures(recs[2:3], s),
                           compute_signatures(recs[3:], s)])
    assert whole.keys() == parts.keys()
    for key in whole:
        assert np.array_equal(whole[key], parts[key]), key
    assert all(v.dtype != object for v in whole.values())


def test_shard_columns_read_saved_shards_as_one_set(tmp_path):
    recs = [{"id": f"d{i}", "text": article(i, 60 + 10 * i), "published": "2024-03-0%d" % (1 + i % 9)}
            for i in range(7)]
    s = SignatureSettings()
    parts = [compute_signatures(recs[:3], s), compute_signatures(recs[3:4], s), compute_signatures(recs[4:], s)]
    files = []
    for k, part in enumerate(parts):
        files.append(tmp_path / f"shard-{k}.npz")
        np.savez(files[-1], **part)
    rows = np.array([6, 0, 3, 5], dtype=np.int64)
    expected = take_documents(concat_shards(parts), rows)
    got = take_documents(ShardColumns(files), rows)
    assert got.keys() == expected.keys()
    for key in expected:
        assert np.array_equal(got[key], expected[key]), key
    with pytest.raises(KeyError):
        ShardColumns(files)["no_such_column"]
    with pytest.raises(ValueError):
        ShardColumns([])


def test_published_dates_become_day_numbers():
    recs = [{"id": "a", "text": "x", "published": "2024-01-02T10:00:00Z"},
            {"id": "b", "text": "x", "published": "Tue, 02 Jan 2024 08:00:00 +0000"},
            {"id": "c", "text": "x"}, {"id": "d", "text": "x", "published": "not a date"}]
    day = compute_signatures(recs, SignatureSettings())["day"]
    assert day[0] == day[1] > 0 and day[2] == -1 and day[3] == -1


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_text_gives_empty_signature(text):
    arr = compute_signatures([{"id": "e", "text": text}], SignatureSettings())
    assert arr["dup_size"][0] == 0 and (arr["dup_sig"][0] == np.iinfo(np.uint32).max).all()
