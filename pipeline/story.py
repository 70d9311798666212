"""Story representation: a salience-weighted term vector plus a MinHash of its top terms.

Two independent reports of one story share few word sequences but many *salient* words: names,
places, numbers, rare nouns. Each document becomes a sparse vector of ``(1 + ln tf) * idf``
weights, where idf = ``-ln(frequency)`` comes from the wordfreq tables of the configured
languages (the largest frequency over them, so no language detection and no corpus statistics:
it works one document at a time, on a stream). Words are cut to ``stem_chars`` characters, a
cheap stand-in for stemming across inflecting languages. The ``lsh_terms`` heaviest terms form a
set whose MinHash feeds LSH for candidates; the cosine of the stored vectors decides.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache

import numpy as np
import wordfreq
import xxhash

from .minhash import batch_minhash

_WORD = re.compile(r"\w+")
_RARE = 1e-7  # frequency assumed for words missing from every table


@lru_cache(maxsize=4)
def frequency_table(languages: tuple[str, ...]) -> dict[str, float]:
    """word -> largest frequency over ``languages`` (wordfreq 'small' lists: ~50k words each)."""
    table: dict[str, float] = {}
    for lang in languages:
        for word, f in wordfreq.get_frequency_dict(lang, wordlist="small").items():
            if f > table.get(word, 0.0):
                table[word] = f
    return table


def term_weights(text: str, title: str, languages: tuple[str, ...], stem_chars: int) -> dict[str, float]:
    """Unnormalised salience weight per term of one document; title words count twice."""
    table = frequency_table(languages)
    counts = Counter(_WORD.findall(unicodedata.normalize("NFKC", f"{title}\n{title}\n{text}").lower()))
    weights: dict[str, float] = {}
    for tok, n in counts.items():
        digit = tok.isdigit()
        if len(tok) < 2 and not digit:
            continue
        idf = -math.log(max(table.get(tok, 0.0), _RARE))
        term = tok if digit or stem_chars <= 0 else tok[:stem_chars]
        weights[term] = weights.get(term, 0.0) + (1.0 + math.log(n)) * idf
    return weights


def term_hash(term: str) -> int:
    return xxhash.xxh64_intdigest(term.encode("utf-8"))


def story_features(records: list[dict], languages: tuple[str, ...], stem_chars: int, vector_terms: int,
                   lsh_terms: int, num_perm: int, seed: int) -> dict[str, np.ndarray]:
    """Per document: the top ``vector_terms`` terms (hash-sorted, L2-normalised weights) in CSR
    arrays ``story_terms``/``story_weights``/``story_offsets``, their count, and
    ``story_sig`` = MinHash (``num_perm`` slots) of the ``lsh_terms`` heaviest terms."""
    terms, weights, lsh_hashes = [], [], []
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    lsh_offsets = np.zeros(len(records) + 1, dtype=np.int64)
    for i, rec in enumerate(records):
        w = term_weights(rec.get("text") or "", rec.get("title") or "", languages, stem_chars)
        top = sorted(w.items(), key=lambda kv: (-kv[1], kv[0]))[:vector_terms]
        hashed = sorted((term_hash(t), v) for t, v in top)
        norm = math.sqrt(sum(v * v for _, v in hashed)) or 1.0
        terms.extend(h for h, _ in hashed)
        weights.extend(v / norm for _, v in hashed)
        offsets[i + 1] = offsets[i] + len(hashed)
        lsh_hashes.extend(term_hash(t) & 0xFFFFFFFF for t, _ in top[:lsh_terms])
        lsh_offsets[i + 1] = len(lsh_hashes)
    sig, _ = batch_minhash(np.array(lsh_hashes, dtype=np.uint32), lsh_offsets, num_perm, seed)
    return {
        "story_terms": np.array(terms, dtype=np.uint64),
        "story_weights": np.array(weights, dtype=np.float32),
        "story_offsets": offsets,
        "story_sig": sig,
    }
