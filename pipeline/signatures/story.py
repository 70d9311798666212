"""Story representation: a salience-weighted term vector plus a MinHash of its top terms.

Two independent reports of one story share few word sequences but many *salient* words: names,
places, numbers, rare nouns. Each document becomes a sparse vector of ``(1 + ln tf) * idf``
weights, where idf = ``-ln(frequency)`` comes from the wordfreq tables of the configured
languages (the largest frequency over them, so no language detection and no corpus statistics:
it works one document at a time, on a stream). Words are cut to ``stem_chars`` characters, a
cheap stand-in for stemming across inflecting languages. The ``lsh_terms`` heaviest terms form a
set whose MinHash feeds LSH for candidates; the cosine of the stored vectors decides.

:func:`reference_story_features` is the readable definition; :func:`story_features` computes the
same arrays for a whole batch: one compiled tokenising pass, C-level loops over the distinct
tokens of the batch, then compiled per-document weighting and top-term selection.
"""
from __future__ import annotations

import itertools
import math
import operator
import re
import unicodedata
from collections import Counter
from functools import lru_cache

import numpy as np
import xxhash

from storydedup.pipeline.signatures.minhash import batch_minhash
from storydedup.pipeline.signatures.shingles import char_tables
from storydedup.pipeline.signatures.story_kernels import tokenise, weigh_documents

_WORD = re.compile(r"\w+")
_RARE = 1e-7  # frequency assumed for words missing from every table


@lru_cache(maxsize=4)
def frequency_table(languages: tuple[str, ...]) -> dict[str, float]:
    """word -> largest frequency over ``languages`` (wordfreq 'small' lists: ~50k words each).
    Built from wordfreq's frequency buckets, rarest first, so that a more frequent bucket
    overwrites (one C-level dict update per bucket instead of a Python step per word)."""
    import wordfreq  # here, not at module level: commands that weigh no story start without it

    buckets = [(index, bucket) for lang in languages
               for index, bucket in enumerate(wordfreq.get_frequency_list(lang, wordlist="small"))]
    buckets.sort(key=lambda item: -item[0])  # stable: ties keep the language order
    table: dict[str, float] = {}
    for index, bucket in buckets:
        table.update(dict.fromkeys(bucket, wordfreq.cB_to_freq(-index)))
    return table


@lru_cache(maxsize=4)
def frequency_index(languages: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`frequency_table` as (sorted xxh64 hashes of its words, their frequencies): a batch's
    look-ups become one ``np.searchsorted`` (in the 390k-word dict each look-up costs ~1.5 us of
    cache misses). Exact unless a token's 64-bit hash equals another word's (as for token ids)."""
    from storydedup.pipeline.tables import cached, version

    def build() -> dict[str, np.ndarray]:
        table = frequency_table(languages)
        hashes = _hashes(table)
        order = np.argsort(hashes, kind="stable")
        return {"words": hashes[order], "freqs": np.fromiter(table.values(), dtype=np.float64, count=len(table))[order]}

    # built from wordfreq's lists once, then read from the cache (see pipeline.tables)
    found = cached("word-frequencies", {"wordfreq": version("wordfreq"), "languages": list(languages),
                                        "wordlist": "small", "format": 1}, build)
    return found["words"], found["freqs"]


def _hashes(strings) -> np.ndarray:
    """xxh64 of each string's UTF-8 bytes (``term_hash``), with the loops in C."""
    return np.fromiter(map(xxhash.xxh64_intdigest, map(str.encode, strings)), dtype=np.uint64, count=len(strings))


def _frequencies(tokens: list[str], languages: tuple[str, ...]) -> np.ndarray:
    """``frequency_table(languages).get(token, 0.0)`` for every token."""
    words, freqs = frequency_index(languages)
    if len(words) == 0:
        return np.zeros(len(tokens), dtype=np.float64)
    hashed = _hashes(tokens)
    pos = np.minimum(np.searchsorted(words, hashed), len(words) - 1)
    return np.where(words[pos] == hashed, freqs[pos], 0.0)


def story_text(rec: dict) -> str:
    """What the story vector reads: title twice (it counts double), then the body; NFKC, lower."""
    return unicodedata.normalize("NFKC", f"{rec.get('title') or ''}\n{rec.get('title') or ''}\n"
                                 f"{rec.get('text') or ''}").lower()


def idf(tok: str, table: dict[str, float]) -> float:
    return -math.log(max(table.get(tok, 0.0), _RARE))


def term_of(tok: str, stem_chars: int) -> str | None:
    """The term a token counts for (its stem), None for single letters."""
    digit = tok.isdigit()
    if len(tok) < 2 and not digit:
        return None
    return tok if digit or stem_chars <= 0 else tok[:stem_chars]


def term_weights(text: str, title: str, languages: tuple[str, ...], stem_chars: int) -> dict[str, float]:
    """Unnormalised salience weight per term of one document; title words count twice."""
    table = frequency_table(languages)
    weights: dict[str, float] = {}
    for tok, n in Counter(_WORD.findall(story_text({"text": text, "title": title}))).items():
        term = term_of(tok, stem_chars)
        if term is not None:
            weights[term] = weights.get(term, 0.0) + (1.0 + math.log(n)) * idf(tok, table)
    return weights


def term_hash(term: str) -> int:
    return xxhash.xxh64_intdigest(term.encode("utf-8"))


def reference_story_features(records: list[dict], languages: tuple[str, ...], stem_chars: int,
                             vector_terms: int, lsh_terms: int, num_perm: int, seed: int) -> dict[str, np.ndarray]:
    """Slow, readable definition of what :func:`story_features` computes."""
    terms, weights, lsh_hashes = [], [], []
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    lsh_offsets = np.zeros(len(records) + 1, dtype=np.int64)
    for i, rec in enumerate(records):
        w = term_weights(rec.get("text") or "", rec.get("title") or "", languages, stem_chars)
        top = sorted(w.items(), key=lambda kv: (-kv[1], kv[0]))[:vector_terms]
        hashed = sorted((term_hash(t), v) for t, v in top)
        total = 0.0
        for _, v in hashed:  # left to right, as the compiled path adds
            total += v * v
        norm = math.sqrt(total) or 1.0
        terms.extend(h for h, _ in hashed)
        weights.extend(v / norm for _, v in hashed)
        offsets[i + 1] = offsets[i] + len(hashed)
        lsh_hashes.extend(term_hash(t) & 0xFFFFFFFF for t, _ in top[:lsh_terms])
        lsh_offsets[i + 1] = len(lsh_hashes)
    sig, _ = batch_minhash(np.array(lsh_hashes, dtype=np.uint32), lsh_offsets, num_perm, seed)
    return {"story_terms": np.array(terms, dtype=np.uint64), "story_weights": np.array(weights, dtype=np.float32),
            "story_offsets": offsets, "story_sig": sig}


def _token_properties(tokens: list[str], languages: tuple[str, ...], stem_chars: int):
    """Per distinct token: skip flag, idf, term id (numbered by first occurrence); per term: hash
    and rank in string order. The same values as ``term_of``/``idf``/``term_hash`` token by token,
    computed with loops that run in C (map, compress, dict.fromkeys, sort), frequencies looked up
    by hash (:func:`frequency_index`), and ``math.log`` once per distinct frequency."""
    n = len(tokens)
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=n)
    digit = np.fromiter(map(str.isdigit, tokens), dtype=bool, count=n)
    skip = (lengths < 2) & ~digit
    terms = tokens
    if stem_chars > 0:
        terms = list(map(operator.itemgetter(slice(None, stem_chars)), tokens))
        for i in np.flatnonzero(digit & (lengths > stem_chars)).tolist():  # numbers are not cut
            terms[i] = tokens[i]
    kept = list(itertools.compress(terms, (~skip).tolist()))
    term_ids = dict(zip(dict.fromkeys(kept), itertools.count()))
    term_index = np.full(n, -1, dtype=np.int64)
    term_index[~skip] = np.fromiter(map(term_ids.__getitem__, kept), dtype=np.int64, count=len(kept))
    distinct = list(term_ids)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[sorted(range(len(distinct)), key=distinct.__getitem__)] = np.arange(len(distinct))
    hashes = _hashes(distinct)
    freq = np.maximum(_frequencies(tokens, languages), _RARE)
    values, which = np.unique(freq, return_inverse=True)
    idfs = np.array([-math.log(f) for f in values.tolist()], dtype=np.float64)[which]
    idfs[skip] = 0.0
    return skip.astype(np.uint8), idfs, term_index, rank, hashes


def story_features(records: list[dict], languages: tuple[str, ...], stem_chars: int, vector_terms: int,
                   lsh_terms: int, num_perm: int, seed: int) -> dict[str, np.ndarray]:
    """Per document: the top ``vector_terms`` terms (hash-sorted, L2-normalised weights) in CSR
    arrays ``story_terms``/``story_weights``/``story_offsets``, their count, and
    ``story_sig`` = MinHash (``num_perm`` slots) of the ``lsh_terms`` heaviest terms.
    Cost: linear in the text plus a few C-level passes over the distinct tokens of the batch
    (no Python bytecode per token) (token ids are exact up to 64-bit hash collisions of distinct tokens)."""
    texts = [story_text(rec) for rec in records]
    joined = "".join(texts)
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=bounds[1:])
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    uid, doc_tokens, first = tokenise(cps, bounds, char_tables()[0])
    tokens = list(map(joined.__getitem__, map(slice, first[:, 0].tolist(), first[:, 1].tolist())))
    skip, idfs, term_index, rank, hashes = _token_properties(tokens, tuple(languages), stem_chars)
    longest = int(np.diff(doc_tokens).max()) if len(texts) else 0
    log_tf = np.array([0.0] + [1.0 + math.log(n) for n in range(1, longest + 1)])
    terms, weights, offsets, lsh_hashes, lsh_offsets = weigh_documents(
        uid, doc_tokens, skip, idfs, term_index, rank, hashes, log_tf, vector_terms, lsh_terms)
    sig, _ = batch_minhash(lsh_hashes, lsh_offsets, num_perm, seed)
    return {"story_terms": terms, "story_weights": weights.astype(np.float32), "story_offsets": offsets,
            "story_sig": sig}
