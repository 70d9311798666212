"""Fast paths equal their readable or vectorised definitions on the same inputs."""
from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from storydedup.pipeline.cluster.candidates import candidate_pairs
from storydedup.pipeline.cluster.linkage import average_linkage, reference_average_linkage
from storydedup.pipeline.cluster.similarity import cosine_pairs, number_terms
from storydedup.pipeline.signatures.minhash import EMPTY, _numpy_minhash, batch_minhash, permutations
from storydedup.pipeline.signatures.story import reference_story_features, story_features


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
    distinct = [len(np.unique(hashes[s:e])) for s, e in itertools.pairwise(offsets)]
    assert sizes.tolist() == distinct


def story_records(n: int) -> list[dict]:
    rng = random.Random(11)
    words = ["Mayor", "Σοφία", "ΟΔΟΣ", "İstanbul’da", "2024", "١٢", "x", "a", "ﬁnance", "naïve", "Straße", "council", "council's", "vote", "bridge_7", "storm-hit", "über", "São", "Paulo", "déjà", "vu", "Ω", "3rd", "Jan", "UNESCO"]
    recs = []
    for i in range(n):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(0, 120)))
        recs.append({"id": str(i), "text": body.replace(" vote ", "\nvote\n"),
                     "title": " ".join(rng.sample(words, 4)) if i % 3 else None})
    recs.append({"id": "empty", "text": ""})
    return recs


def test_batch_story_features_of_many_one_letter_documents():
    # "x\nx\ny" holds more tokens than half its length: the token buffers must allow for that
    recs = [{"id": str(i), "title": "x", "text": "y" if i % 2 else "7"} for i in range(300)]
    args = (("en",), 6, 100, 20, 16, 1)
    fast, slow = story_features(recs, *args), reference_story_features(recs, *args)
    assert all(np.array_equal(fast[k], slow[k]) for k in slow)
    assert int(fast["story_offsets"][-1]) == 150  # the digit is a term, single letters are not


@pytest.mark.parametrize("stem_chars,vector_terms,lsh_terms", [(6, 100, 20), (0, 7, 3), (3, 5, 50), (6, 1, 1)])
def test_batch_story_features_equal_reference(stem_chars, vector_terms, lsh_terms):
    recs = story_records(60)
    args = (("en", "de", "tr"), stem_chars, vector_terms, lsh_terms, 64, 2)
    slow = reference_story_features(recs, *args)
    for fast in (story_features(recs, *args), story_features(recs[::-1], *args)):  # 2nd: known tokens
        assert fast.keys() == slow.keys()
        for key in slow:
            assert fast[key].dtype == slow[key].dtype and np.array_equal(fast[key], slow[key]), key
        slow = reference_story_features(recs[::-1], *args)
    assert int(fast["story_offsets"][-1]) > 0


def test_frequency_table_holds_each_words_largest_frequency_over_the_languages():
    import wordfreq

    from storydedup.pipeline.signatures.story import frequency_table

    languages = ("en", "de", "tr")
    want: dict[str, float] = {}
    for lang in languages:
        for word, f in wordfreq.get_frequency_dict(lang, wordlist="small").items():
            want[word] = max(want.get(word, 0.0), f)
    got = frequency_table(languages)
    assert got == want
    assert got["die"] == wordfreq.get_frequency_dict("de", wordlist="small")["die"] > \
        wordfreq.get_frequency_dict("en", wordlist="small")["die"]  # German's "die" is the more frequent


def test_frequency_look_ups_by_hash_are_exact_for_the_default_languages():
    from storydedup.pipeline.signatures.compute import SignatureSettings
    from storydedup.pipeline.signatures.story import _frequencies, frequency_index, frequency_table

    languages = tuple(SignatureSettings().story_languages)
    words, _ = frequency_index(languages)
    assert len(np.unique(words)) == len(words) == len(frequency_table(languages))  # no two words share a hash
    table = frequency_table(languages)
    tokens = list(table)[::997] + ["zzqxv", "Über", "", "2024"]
    assert _frequencies(tokens, languages).tolist() == [table.get(t, 0.0) for t in tokens]


def token_properties_definition(tokens, languages, stem_chars):
    """Token by token, in plain Python: what ``_token_properties`` returns."""
    from storydedup.pipeline.signatures.story import frequency_table, idf, term_hash, term_of

    table = frequency_table(languages)
    term_ids, skip, idfs, index = {}, [], [], []
    for tok in tokens:
        term = term_of(tok, stem_chars)
        skip.append(term is None)
        idfs.append(0.0 if term is None else idf(tok, table))
        index.append(-1 if term is None else term_ids.setdefault(term, len(term_ids)))
    terms = list(term_ids)
    by_string = sorted(terms)
    return (np.array(skip, dtype=np.uint8), np.array(idfs), np.array(index, dtype=np.int64),
            np.array([by_string.index(t) for t in terms], dtype=np.int64),
            np.array([term_hash(t) for t in terms], dtype=np.uint64))


@pytest.mark.parametrize("stem_chars", [0, 1, 5])
def test_token_properties_equal_the_token_by_token_definition(stem_chars):
    from storydedup.pipeline.signatures.story import _token_properties

    tokens = ["the", "x", "7", "xy", "x1", "²", "12345678", "123456789012", "haus", "häuser", "istanbul",
              "ıstanbul", "council", "counc", "zzzzqqq", "ü", "_", "2024", "die", "der", "über", "x_y"]
    got = _token_properties(tokens, ("en", "de"), stem_chars)
    want = token_properties_definition(tokens, ("en", "de"), stem_chars)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and np.array_equal(g, w)
    assert (got[2][tokens.index("xy")] == got[2][tokens.index("x1")]) == (stem_chars == 1)  # one stem


def bucket_definition(sig: np.ndarray, bands: int, rows: int, valid, max_bucket: int) -> list[tuple[int, int]]:
    """Plain-Python statement of LSH banding with chained oversized buckets."""
    pairs = set()
    for band in range(bands):
        buckets: dict[tuple, list[int]] = {}
        for i, row in enumerate(sig.tolist()):
            if valid is None or valid[i]:
                buckets.setdefault(tuple(row[band * rows:(band + 1) * rows]), []).append(i)
        for members in buckets.values():
            if len(members) <= max_bucket:
                pairs.update((a, b) for k, a in enumerate(members) for b in members[k + 1:])
            else:
                pairs.update(itertools.pairwise(members))
    return sorted(pairs)


@pytest.mark.parametrize("seed", range(6))
def test_candidate_pairs_equal_bucket_definition(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    sig = rng.integers(0, 3, size=(n, 8)).astype(np.uint32)
    valid = rng.random(n) > 0.2 if seed % 2 else None
    max_bucket = int(rng.integers(2, 40))
    got = candidate_pairs(sig, 4, 2, valid, max_bucket)
    assert [tuple(p) for p in got.tolist()] == bucket_definition(sig, 4, 2, valid, max_bucket)


@pytest.mark.parametrize("seed", range(8))
def test_compiled_average_linkage_equals_reference(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 200)), int(rng.integers(0, 1500))
    sizes = rng.integers(1, 4, size=n)
    u, v = rng.integers(0, n, size=m), rng.integers(0, n, size=m)
    # few distinct similarity values: many exact ties, so the tie order is exercised too
    sim = rng.choice([0.5, 0.9, 1.0, 1.5, 2.0], size=m) if seed % 2 else rng.random(m) * 2
    missing = (0.0, 0.1, 1.0)[seed % 3]
    fast = average_linkage(sizes, u, v, sim, 1.0, missing)
    assert np.array_equal(fast, reference_average_linkage(sizes, u, v, sim, 1.0, missing))
    assert len(np.unique(fast)) < n or m == 0 or sim.max() < 1.0



def test_compiled_average_linkage_equals_reference_when_a_merge_outgrows_the_pair_table():
    # two hubs joined by one strong pair, each with 1,000 weak neighbours of its own: the
    # merge gives the kept hub 1,000 new pairs, past half of the table the 2,001 edges sized
    m = 1000
    u = np.concatenate([[0], np.zeros(m, dtype=np.int64), np.ones(m, dtype=np.int64)])
    v = np.concatenate([[1], np.arange(2, m + 2), np.arange(m + 2, 2 * m + 2)])
    sim = np.concatenate([[5.0], np.full(2 * m, 0.1)])
    sizes = np.ones(2 * m + 2, dtype=np.int64)
    fast = average_linkage(sizes, u, v, sim, 1.0, 0.0)
    assert np.array_equal(fast, reference_average_linkage(sizes, u, v, sim, 1.0, 0.0))
    assert fast[0] == fast[1] == 0 and len(np.unique(fast)) == 2 * m + 1


@pytest.mark.parametrize("seed", range(4))
def test_cosine_pairs_equal_merging_sorted_rows(seed):
    # terms drawn from a wide hash range (the numbering table grows several times) or from a
    # few small ids (long probe runs); rows of 0..60 terms; pairs in any order, repeated
    rng = np.random.default_rng(seed)
    n = 300
    vocab = rng.integers(0, 2**64, size=5000, dtype=np.uint64) if seed % 2 else np.arange(1, 80, dtype=np.uint64)
    rows = [np.unique(rng.choice(vocab, size=int(rng.integers(0, 61)))) for _ in range(n)]
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    terms = np.concatenate(rows).astype(np.uint64)
    weights = rng.random(len(terms)).astype(np.float32)
    pairs = rng.integers(0, n, size=(2000, 2))
    if seed < 2:
        pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]

    def merged(i, j):
        wi = dict(zip(rows[i].tolist(), weights[offsets[i]:offsets[i + 1]].tolist()))
        acc = 0.0
        for t, w in zip(rows[j].tolist(), weights[offsets[j]:offsets[j + 1]].tolist()):
            acc += wi[t] * w if t in wi else 0.0
        return acc

    got = cosine_pairs(terms, weights, offsets, pairs)
    assert got.tolist() == [merged(i, j) for i, j in pairs.tolist()]
    assert np.array_equal(cosine_pairs(terms, weights, offsets, pairs, number_terms(terms)), got)
    ids, count = number_terms(terms)
    assert count == len(np.unique(terms)) and sorted(set(ids.tolist())) == list(range(count))
    assert len({(t, k) for t, k in zip(terms.tolist(), ids.tolist())}) == count  # one number per term


def test_distinct_values_per_key_equal_counting_sets():
    from storydedup.pipeline.signatures.recurring_lines import _distinct_count

    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2**64, size=40, dtype=np.uint64)[rng.integers(0, 40, size=3000)]
    values = rng.integers(0, 25, size=3000)
    seen: dict = {}
    for k, v in zip(keys.tolist(), values.tolist()):
        seen.setdefault(k, set()).add(v)
    assert _distinct_count(keys, values).tolist() == [len(seen[k]) for k in keys.tolist()]


def test_date_bound_while_enumerating_equals_filtering_afterwards():
    rng = np.random.default_rng(9)
    n = 400
    sig = rng.integers(0, 3, size=(n, 8)).astype(np.uint32)
    day = rng.integers(-1, 30, size=n)  # -1: unknown date, never filtered
    everything = candidate_pairs(sig, 4, 2, None, 20)
    d0, d1 = day[everything[:, 0]], day[everything[:, 1]]
    expected = everything[(d0 < 0) | (d1 < 0) | (np.abs(d0 - d1) <= 3)]
    got = candidate_pairs(sig, 4, 2, None, 20, day, 3)
    assert 0 < len(got) < len(everything) and np.array_equal(got, expected)
