"""LSH look-ups in stored generations (both backends) against a brute-force scan of the same
signatures: every (query, band) match, at most ``cap`` per pair, the first in (generation, row)
order."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from redis_server import redis_port, redis_url  # noqa: F401  (fixtures)

from storydedup.pipeline.cluster.candidates import band_keys
from storydedup.pipeline.index import band_tables, open_index
from storydedup.pipeline.index.store import LEVELS, PAYLOAD_FIELDS, SIG_FIELD, new_generation, valid_rows

LSH = {"duplicate": [8, 2], "story": [16, 1]}


def generation(rng, n: int, shared: np.ndarray) -> dict[str, np.ndarray]:
    """A payload whose signatures often repeat rows of ``shared`` (so buckets hold several
    documents, some more than the cap), with a few documents left out of LSH."""
    dup = rng.integers(0, 50, (n, 16), dtype=np.uint32)
    pick = rng.random(n) < 0.6
    dup[pick] = shared[rng.integers(0, len(shared), int(pick.sum()))]
    story = dup[:, :16].copy()
    size = np.where(rng.random(n) < 0.1, 0, 10).astype(np.int32)
    terms = np.where(rng.random(n) < 0.1, 0, 3)
    offsets = np.concatenate([[0], np.cumsum(terms)]).astype(np.int64)
    out = {k: np.zeros(n, dtype=np.int32) for k in ("day", "eff_day")}
    out.update(ids=np.array([f"d{i}" for i in range(n)]), dup_sig=dup, dup_size=size, length=np.ones(n, dtype=np.int64),
               story_sig=story, story_terms=np.ones(offsets[-1], dtype=np.uint64),
               story_weights=np.ones(offsets[-1], dtype=np.float32), story_offsets=offsets,
               line_hashes=np.zeros(0, dtype=np.uint64), line_words=np.zeros(0, dtype=np.int32),
               line_offsets=np.zeros(n + 1, dtype=np.int64),
               dup_label=np.array([f"dup-{i}" for i in range(n)]), story_label=np.array([f"story-{i}" for i in range(n)]))
    assert set(out) == set(PAYLOAD_FIELDS)
    return out


def store_generation(index, k: int, payload: dict[str, np.ndarray]) -> str:
    """Commit ``payload`` as batch ``b<k>`` (day ``k``); returns its generation."""
    man = index.store.manifest()
    gen, seq = new_generation(f"b{k}"), man["seq"]
    man.update(lsh=LSH, seq=seq + 1)
    man["batches"][f"b{k}"] = {"gen": gen, "day": k, "size": len(payload["ids"]), "seq": seq + 1}
    index.store.commit(man, gen, payload, [], seq)
    return gen


def brute_force(stored: list[dict], level: str, sig, valid, cap: int) -> Counter:
    """Matches (query, generation position, row), once per band they share."""
    bands, rows = LSH[level]
    found = Counter()
    for band in range(bands):
        qkeys = band_keys(sig, band, rows)
        taken = np.zeros(len(sig), dtype=np.int64)
        for pos, payload in enumerate(stored):
            keys = band_keys(payload[SIG_FIELD[level]], band, rows)
            ok = valid_rows(payload, level)
            for q in np.flatnonzero(valid):
                for r in np.flatnonzero(ok & (keys == qkeys[q])):
                    if taken[q] < cap:
                        taken[q] += 1
                        found[int(q), pos, int(r)] += 1
    return found


@pytest.mark.parametrize("backend", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
@pytest.mark.parametrize("legacy", [(), (0, 2)], ids=["fingerprints", "some-generations-with-64-bit-keys"])
def test_lookup_finds_what_a_scan_finds(tmp_path, backend, legacy, request, monkeypatch):
    """``legacy``: generations written as before fingerprints, with the uint64 keys themselves."""
    rng = np.random.default_rng(3)
    shared = rng.integers(0, 50, (12, 16), dtype=np.uint32)
    stored = [generation(rng, n, shared) for n in (40, 1, 60)]
    location = request.getfixturevalue("redis_url") if backend == "redis" else str(tmp_path / "idx")
    index = open_index(location)
    gens = []
    for k, payload in enumerate(stored):
        with monkeypatch.context() as patch:
            if k in legacy:
                patch.setattr(band_tables, "fingerprints", lambda keys: keys)
            gens.append(store_generation(index, k, payload))
    new = generation(rng, 50, shared)
    for level in LEVELS:
        sig, valid = new[SIG_FIELD[level]], valid_rows(new, level)
        for cap in (2, 1000):
            q, g, r = index.store.lookup(level, gens, sig, valid, *LSH[level], cap)
            want = brute_force(stored, level, sig, valid, cap)
            assert Counter(zip(q.tolist(), g.tolist(), r.tolist())) == want
            assert sum(want.values()) > 500
    index.close()


def test_fingerprints_keep_both_halves_of_a_key():
    """A band key of two signature values adds the second to the low half only: a fingerprint
    of the high half alone would merge keys that differ in it, and buckets would fill with
    false candidates. Keys that differ in either value keep different fingerprints."""
    rng = np.random.default_rng(5)
    sig = rng.integers(0, 2**32, (20_000, 2), dtype=np.uint32)
    for varied in (0, 1):
        other = sig.copy()
        other[:, varied] = rng.integers(0, 2**32, len(sig), dtype=np.uint32)
        same = band_tables.fingerprints(band_keys(sig, 0, 2)) == band_tables.fingerprints(band_keys(other, 0, 2))
        assert same.sum() <= 1
    assert band_tables.fingerprints(np.array([0xFFFFFFFF00000001], np.uint64)).dtype == np.uint32
    assert band_tables.fingerprints(np.array([0xFFFFFFFF00000001], np.uint64))[0] == 0xFFFFFFFE


@pytest.mark.parametrize("backend", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def test_rows_read_back_as_stored(tmp_path, backend, request):
    """A generation's rows in any order, repeated or none: its columns, and its CSR groups
    rebased, as ``take_documents`` cuts them from the payload itself."""
    from storydedup.pipeline.signatures.compute import take_documents

    rng = np.random.default_rng(11)
    payload = generation(rng, 300, rng.integers(0, 50, (12, 16), dtype=np.uint32))
    payload["story_terms"] = rng.integers(1, 2**63, len(payload["story_terms"]), dtype=np.uint64)
    location = request.getfixturevalue("redis_url") if backend == "redis" else str(tmp_path / "idx")
    index = open_index(location)
    gen = store_generation(index, 0, payload)
    for rows in (np.array([5, 3, 3, 299, 0]), np.arange(0, 300, 7), rng.permutation(300), np.zeros(0, np.int64)):
        got = index.store.rows(gen, rows)
        want = take_documents({k: payload[k] for k in got}, rows)
        assert set(got) == set(want)
        for name in got:
            assert got[name].dtype == want[name].dtype and np.array_equal(got[name], want[name]), name
    index.close()
