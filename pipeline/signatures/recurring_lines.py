"""Template check for duplicate links: lines that recur across the batch.

When stripping leaves a site's chrome around short reports (a cookie notice, a newsletter pitch,
an "About us" blurb), two different reports from that site can share most of their shingles.
Their signature: every line they share also appears on other pages of the batch, while each of
them has a paragraph of its own that no other page carries. True copies rarely look like that:
either they share lines only among themselves, or one of them adds nothing of its own (a wire
copy with a new headline, a truncated copy). Per document the signature stage stores a hash
and word count of each hashed line (lines of at least ``min_line_words`` words). The same
recurring lines mark two pages of one template for the story level (``template_keys``).
Two pages alone cannot reveal a template: the evidence needs ``min_docs`` pages.
"""
from __future__ import annotations

import numpy as np
import xxhash


def line_features(lines_per_doc: list[list[str]]) -> dict[str, np.ndarray]:
    """CSR ``line_offsets`` over ``line_hashes`` (uint64) and ``line_words`` (int32) of the given
    lines of every document (``story_input.long_lines``). Template lines repeat verbatim, so a
    line is hashed as its lower-cased whitespace-separated pieces (no finer normalisation)."""
    hashes, words, offsets = [], [], [0]
    for lines in lines_per_doc:
        for line in lines:
            pieces = line.lower().split()
            hashes.append(xxhash.xxh64_intdigest(" ".join(pieces).encode("utf-8")))
            words.append(len(pieces))
        offsets.append(len(hashes))
    return {"line_hashes": np.array(hashes, dtype=np.uint64), "line_words": np.array(words, dtype=np.int32),
            "line_offsets": np.array(offsets, dtype=np.int64)}


def template_only_links(a: dict[str, np.ndarray], pairs: np.ndarray, label: np.ndarray,
                        min_docs: int, own_words: int) -> np.ndarray:
    """Mask over the verified ``pairs`` (``label``: their connected components): True where both
    documents have at least ``own_words`` words in lines no other document of the batch
    carries, and every line the two share (at least one) appears in at least ``min_docs``
    documents, one of them outside the pair's component. A body copied many times stays inside
    its own cluster; a template runs through unrelated pages. Cost: sorts of all line hashes,
    then a set intersection only for pairs passing the vectorised own-words test."""
    out = np.zeros(len(pairs), dtype=bool)
    if len(pairs) == 0 or min_docs <= 2 or len(a.get("line_hashes", ())) == 0:
        return out
    offsets, hashes, words = a["line_offsets"], a["line_hashes"], a["line_words"]
    row = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    line_df = _distinct_count(hashes, row)
    spread = _distinct_count(hashes, label[row])  # components carrying the line
    own = np.bincount(row, weights=np.where(line_df == 1, words, 0), minlength=len(offsets) - 1)
    maybe = np.flatnonzero((own[pairs[:, 0]] >= own_words) & (own[pairs[:, 1]] >= own_words))
    for k in maybe:
        i, j = pairs[k]
        lo, hi = offsets[i], offsets[i + 1]
        recurring = dict(zip(hashes[lo:hi].tolist(), ((line_df[lo:hi] >= min_docs) & (spread[lo:hi] >= 2)).tolist()))
        shared = set(recurring) & set(hashes[offsets[j]:offsets[j + 1]].tolist())
        out[k] = bool(shared) and all(recurring[h] for h in shared)
    return out


def _distinct_count(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each element of ``keys``, how many distinct ``values`` go with its key. Counted
    over one sort and handed back through it: a binary search of every line's hash among
    the distinct ones cost ~10 s a call at a million documents."""
    order = np.lexsort((values, keys))
    k, v = keys[order], values[order]
    new_key = np.concatenate([[True], k[1:] != k[:-1]])
    new_pair = new_key | np.concatenate([[True], v[1:] != v[:-1]])
    group = np.cumsum(new_key) - 1  # the key index of each sorted element
    out = np.empty(len(keys), dtype=np.int64)
    out[order] = np.bincount(group[new_pair], minlength=int(group[-1]) + 1)[group]
    return out


def template_keys(a: dict[str, np.ndarray], min_docs: int) -> np.ndarray:
    """Per document, the smallest hash among its lines found in at least ``min_docs`` documents
    of the batch (pages of one site template share it), or 0 when it has none."""
    offsets = a.get("line_offsets")
    n = len(a["ids"])
    out = np.zeros(n, dtype=np.uint64)
    if offsets is None or len(a["line_hashes"]) == 0 or min_docs <= 1:
        return out
    hashes = a["line_hashes"]
    row = np.repeat(np.arange(n), np.diff(offsets))
    common = _distinct_count(hashes, row) >= min_docs
    key = np.full(n, np.iinfo(np.uint64).max, dtype=np.uint64)
    np.minimum.at(key, row[common], hashes[common])
    has = np.zeros(n, dtype=bool)
    has[row[common]] = True
    out[has] = key[has]
    return out
