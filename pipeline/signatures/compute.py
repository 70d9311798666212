"""Signature stage: per-document arrays that clustering needs, computed one shard at a time.

Output (all plain numpy arrays, safe for ``np.savez`` / ``allow_pickle=False``):
  ids            str       document ids
  dup_sig        uint32    (n, num_perm) MinHash of word shingles; datasketch "affine32" scheme:
                           ``LeanMinHash(seed=seed, hashvalues=row, scheme="affine32")``
  dup_size       int32     distinct shingles (for containment estimates of truncated copies)
  length         int64     characters of the stored text (representative choice)
  day            int32     publication day number, -1 unknown
  story_sig      uint32    (n, story_num_perm) MinHash of the top salient terms
  story_terms/story_weights/story_offsets   CSR sparse salience vector (see ``pipeline.signatures.story``)
  line_hashes/line_words/line_offsets       CSR hash and word count of each hashed line (see
                           ``pipeline.signatures.recurring_lines``)
Everything is per document and self-contained, so new documents can later be matched against an
index of earlier ones without recomputing them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from storydedup.pipeline.dates import day_number
from storydedup.pipeline.signatures.minhash import batch_minhash
from storydedup.pipeline.signatures.shingles import batch_shingle_hashes
from storydedup.pipeline.signatures.story import story_features
from storydedup.pipeline.signatures.recurring_lines import line_features
from storydedup.pipeline.signatures.story_input import long_lines, story_record

# CSR groups: offsets key -> payload keys it indexes.
CSR_GROUPS = {"story_offsets": ("story_terms", "story_weights"),
              "line_offsets": ("line_hashes", "line_words")}


@dataclass(frozen=True)
class SignatureSettings:
    """num_perm: MinHash slots for duplicates (128 -> +-0.045 Jaccard error at 0.5).
    shingle_words: words per shingle; shorter tolerates more edits, longer is more specific.
    min_line_words / min_kept_words: lines shorter than this are page chrome for hashing and for
    the story vector, unless fewer than min_kept_words tokens would remain.
    story_*: see ``pipeline.signatures.story``; story_num_perm 256 because story similarities are low;
    story_headline_words: a record without ``title`` uses its first line as title (weighted up
    like one) when that line has at most this many words (0 disables);
    story_stem_chars 5 rather than 6 joins more inflected forms (German, Polish, Turkish cases)
    and measurably separates same-story from different-story pairs better."""

    num_perm: int = 128
    shingle_words: int = 4
    seed: int = 1
    min_line_words: int = 7
    min_kept_words: int = 40
    story_num_perm: int = 256
    story_lsh_terms: int = 20
    story_vector_terms: int = 100
    story_stem_chars: int = 5
    story_languages: tuple = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "tr", "ar", "ru")
    story_headline_words: int = 20


def compute_signatures(records: list[dict], settings: SignatureSettings) -> dict[str, np.ndarray]:
    """All clustering inputs for one shard of records (fields used: id, text, title, published)."""
    texts = [rec.get("text") or "" for rec in records]
    hashes, offsets = batch_shingle_hashes(texts, settings.shingle_words, settings.min_line_words,
                                           settings.min_kept_words)
    dup_sig, dup_size = batch_minhash(hashes, offsets, settings.num_perm, settings.seed)
    out = {
        "ids": np.array([str(rec["id"]) for rec in records], dtype=str),
        "dup_sig": dup_sig,
        "dup_size": dup_size,
        "length": np.array([len(t) for t in texts], dtype=np.int64),
        "day": np.array([day_number(rec.get("published")) for rec in records], dtype=np.int32),
    }
    lines = [long_lines(t, settings.min_line_words) for t in texts]  # one scan, two uses
    out.update(line_features(lines))
    story_records = [story_record(rec, settings.story_headline_words, settings.min_line_words,
                                  settings.min_kept_words, found) for rec, found in zip(records, lines)]
    out.update(story_features(story_records, tuple(settings.story_languages), settings.story_stem_chars,
                              settings.story_vector_terms, settings.story_lsh_terms,
                              settings.story_num_perm, settings.seed))
    return out


def read_each(fields):
    """``read_many`` for arrays or memory-mapped columns: each ``(name, index array)`` in turn."""
    return lambda asks: [np.asarray(fields[name][idx]) for name, idx in asks]


def take_csr_rows(fields, rows: np.ndarray, read_many=None) -> dict[str, np.ndarray]:
    """The CSR groups present in ``fields`` (arrays or memory-mapped columns), restricted to
    ``rows`` in that order: rebased offsets plus the gathered payloads. ``read_many([(name,
    index array), ...])`` reads several columns at once (default: one after the other); the
    groups' offsets are read in one call, then their payloads in another."""
    read_many = read_many or read_each(fields)
    groups = [offsets for offsets in CSR_GROUPS if offsets in fields]
    ends = read_many([(offsets, np.concatenate([rows, rows + 1])) for offsets in groups])
    out: dict[str, np.ndarray] = {}
    asks = []
    for offsets, both in zip(groups, ends):
        lo = np.asarray(both[:len(rows)], dtype=np.int64)
        lengths = np.asarray(both[len(rows):], dtype=np.int64) - lo
        new = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=new[1:])
        gather = np.arange(new[-1]) - np.repeat(new[:-1] - lo, lengths)
        out[offsets] = new
        asks += [(payload, gather) for payload in CSR_GROUPS[offsets]]
    out.update(zip((name for name, _ in asks), read_many(asks)))
    return out


def take_documents(arrays: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """Every array of ``arrays`` restricted to the documents ``rows``, in that order."""
    csr = set(CSR_GROUPS) | {k for keys in CSR_GROUPS.values() for k in keys}
    # by key, so a lazy mapping (ShardColumns) never reads the CSR columns it skips here
    return {**{k: arrays[k][rows] for k in arrays if k not in csr}, **take_csr_rows(arrays, rows)}


class ShardColumns(Mapping):
    """The signature files of many shards (``np.savez`` of ``compute_signatures``) read as one
    set, a column at a time: ``take_documents(ShardColumns(files), rows)`` holds the result plus
    one column of every shard, never every shard's arrays and a copy of them."""

    def __init__(self, files: list):
        if not files:
            raise ValueError("no shards to concatenate")
        self.files = list(files)
        with np.load(self.files[0], allow_pickle=False) as data:
            self._keys = list(data.files)

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._keys:
            raise KeyError(key)
        pieces = []
        for path in self.files:
            with np.load(path, allow_pickle=False) as data:
                pieces.append(data[key])
        return concat_shards([{key: piece} for piece in pieces])[key]

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def concat_shards(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One set of arrays from many shards (CSR offsets are rebased)."""
    if not parts:
        raise ValueError("no shards to concatenate")
    payload = {key for keys in CSR_GROUPS.values() for key in keys}
    out: dict[str, np.ndarray] = {}
    for key in parts[0]:
        if key in CSR_GROUPS:
            pieces, base = [np.zeros(1, dtype=np.int64)], 0
            for part in parts:
                pieces.append(part[key][1:] + base)
                base += int(part[key][-1])
            out[key] = np.concatenate(pieces)
        elif key in payload or parts[0][key].ndim >= 1:
            out[key] = np.concatenate([part[key] for part in parts])
    return out
