"""Compiled loops behind ``pipeline.signatures.story.story_features`` (batch tokenising with token
interning, per-document weighting and top-term selection). Each mirrors one step of
``pipeline.signatures.story.reference_story_features``; see there for the meaning."""
from __future__ import annotations

import numpy as np

from storydedup.pipeline.jit import jit

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@jit
def _grow(table, bits):
    """The hash table rebuilt at twice the size. ``table[s] = (key, id + 1)``, 0 = free slot;
    key and id side by side so that a probe touches one cache line."""
    new = np.zeros((1 << bits, 2), dtype=np.uint64)
    mask = (1 << bits) - 1
    for j in range(len(table)):
        if table[j, 1] != 0:
            s = np.int64((table[j, 0] * _GOLDEN) >> np.uint64(64 - bits))
            while new[s, 1] != 0:
                s = (s + 1) & mask
            new[s, 0], new[s, 1] = table[j, 0], table[j, 1]
    return new


@jit
def tokenise(cps, bounds, is_word):
    """``\\w+`` runs of every document as dense token ids (numbered by first occurrence; equal
    FNV-1a 64 hashes of the code points mean equal tokens), CSR offsets of each document's
    tokens, and the code point span (start, end) of each id's first occurrence."""
    bits = 12
    table = np.zeros((1 << bits, 2), dtype=np.uint64)
    most = len(cps) // 2 + len(bounds)  # each document holds at most ceil(length / 2) tokens
    uid = np.empty(most, dtype=np.int64)
    first = np.empty((most, 2), dtype=np.int64)
    doc_tokens = np.zeros(len(bounds), dtype=np.int64)
    t = n = 0
    for d in range(len(bounds) - 1):
        start = -1
        h = _FNV_OFFSET
        for i in range(bounds[d], bounds[d + 1] + 1):
            if i < bounds[d + 1] and is_word[cps[i]] == 1:
                if start < 0:
                    start = i
                    h = _FNV_OFFSET
                h = (h ^ np.uint64(cps[i])) * _FNV_PRIME
                continue
            if start < 0:
                continue
            if 2 * (n + 1) > len(table):  # keep the table at most half full
                bits += 1
                table = _grow(table, bits)
            mask = len(table) - 1
            s = np.int64((h * _GOLDEN) >> np.uint64(64 - bits))
            while table[s, 1] != 0 and table[s, 0] != h:
                s = (s + 1) & mask
            if table[s, 1] == 0:
                n += 1
                table[s, 0], table[s, 1] = h, n
                first[n - 1, 0], first[n - 1, 1] = start, i
            uid[t] = np.int64(table[s, 1]) - 1
            t += 1
            start = -1
        doc_tokens[d + 1] = t
    return uid[:t].copy(), doc_tokens, first[:n].copy()


@jit
def _before(x, y, weight, rank):
    return weight[x] > weight[y] or (weight[x] == weight[y] and rank[x] < rank[y])


@jit
def _select_heaviest(items, k, weight, rank):
    """In place: the ``k`` first items in (-weight, rank) order move to ``items[:k]``
    (unordered among themselves); quickselect with a strict total order (ranks are unique)."""
    if k <= 0 or k >= len(items):
        return
    lo, hi = 0, len(items) - 1
    while lo < hi:
        pivot = items[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while _before(items[i], pivot, weight, rank):
                i += 1
            while _before(pivot, items[j], weight, rank):
                j -= 1
            if i <= j:
                items[i], items[j] = items[j], items[i]
                i += 1
                j -= 1
        if k - 1 <= j:
            hi = j
        elif k - 1 >= i:
            lo = i
        else:
            break


@jit
def _sort_by_hash_then_weight(items, term_hashes, weight):
    """In place insertion sort by (hash, weight), the order of Python's tuple sort."""
    for i in range(1, len(items)):
        x = items[i]
        j = i
        while j > 0 and (term_hashes[items[j - 1]] > term_hashes[x] or (
                term_hashes[items[j - 1]] == term_hashes[x] and weight[items[j - 1]] > weight[x])):
            items[j] = items[j - 1]
            j -= 1
        items[j] = x


@jit
def weigh_documents(uid, doc_tokens, skip, idf, term_index, rank, term_hashes, log_tf, vector_terms, lsh_terms):
    """Per document: term weights summed in first-occurrence order of the tokens (the order the
    readable definition adds them), top ``vector_terms`` by (-weight, term string rank), sorted
    by (term hash, weight), L2-normalised; and the hashes of the top ``lsh_terms`` (low 32 bits).
    Returns CSR (terms, weights, offsets) and CSR (lsh hashes, offsets)."""
    n_docs = len(doc_tokens) - 1
    count = np.zeros(len(idf), dtype=np.int64)
    stamp = np.full(len(rank), -1, dtype=np.int64)
    acc = np.zeros(len(rank), dtype=np.float64)
    longest = 0
    for d in range(n_docs):
        longest = max(longest, doc_tokens[d + 1] - doc_tokens[d])
    seen = np.empty(longest, dtype=np.int64)
    doc_terms = np.empty(longest, dtype=np.int64)
    out_terms = np.empty(n_docs * vector_terms, dtype=np.uint64)
    out_weights = np.empty(n_docs * vector_terms, dtype=np.float64)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    lsh = np.empty(n_docs * max(min(lsh_terms, vector_terms), 0), dtype=np.uint32)
    lsh_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    w, lw = 0, 0
    for d in range(n_docs):
        m = 0
        for t in range(doc_tokens[d], doc_tokens[d + 1]):
            u = uid[t]
            if count[u] == 0:
                seen[m] = u
                m += 1
            count[u] += 1
        k = 0
        for j in range(m):
            u = seen[j]
            c = count[u]
            count[u] = 0
            if skip[u]:
                continue
            term = term_index[u]
            if stamp[term] != d:
                stamp[term] = d
                acc[term] = 0.0
                doc_terms[k] = term
                k += 1
            acc[term] += log_tf[c] * idf[u]
        _select_heaviest(doc_terms[:k], vector_terms, acc, rank)
        n_top = min(k, vector_terms)
        n_lsh = min(n_top, lsh_terms)
        _select_heaviest(doc_terms[:n_top], n_lsh, acc, rank)
        for term in doc_terms[:n_lsh]:
            lsh[lw] = np.uint32(term_hashes[term] & np.uint64(0xFFFFFFFF))
            lw += 1
        lsh_offsets[d + 1] = lw
        hashed = doc_terms[:n_top]
        _sort_by_hash_then_weight(hashed, term_hashes, acc)
        total = 0.0
        for term in hashed:
            total += acc[term] * acc[term]
        norm = np.sqrt(total)
        if norm == 0.0:
            norm = 1.0
        for term in hashed:
            out_terms[w] = term_hashes[term]
            out_weights[w] = acc[term] / norm
            w += 1
        offsets[d + 1] = w
    return out_terms[:w].copy(), out_weights[:w].copy(), offsets, lsh[:lw].copy(), lsh_offsets
