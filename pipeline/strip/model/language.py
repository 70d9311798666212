"""Which language a page is written in, told from its most frequent words.

Rule files are written per language (``language = "en"`` in the file). On a page in a
language no rule file covers, the rules' silence is no evidence that a line is article text,
so the model trained without the rules' decisions judges it (see decide.py). The word lists
are frozen in the model file at training time: the same page gets the same guess whatever
word lists are installed.
"""
from __future__ import annotations

import re
from functools import cached_property

import numpy as np

from storydedup.pipeline.jit import jit

CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")  # kana and ideographs: no spaces to split at
# punctuation read as a space: words are what is left between spaces and these
PUNCTUATION = re.compile("[" + re.escape(".,;:!?\"'`()[]{}<>«»“”„‘’‚…-–—/\\|·•*#@&%+=_~^、，。！？：；「」『』（）،؛؟") + "]")
NO_SPACES = ("zh", "ja")  # written without spaces: their word lists hold single characters


def frequent_words(lang: str, top_n: int) -> tuple[set[str], list[str]]:
    """(the ``stop-words`` package's list for ``lang``, wordfreq's ``top_n`` words); each empty
    where the source does not know the language."""
    from stop_words import AVAILABLE_LANGUAGES, LANGUAGE_MAPPING, get_stop_words
    from wordfreq import top_n_list

    listed = LANGUAGE_MAPPING.get(lang) in AVAILABLE_LANGUAGES
    stop = {w.lower() for w in get_stop_words(lang) if " " not in w} if listed else set()
    try:
        return stop, top_n_list(lang, top_n)
    except (LookupError, ValueError):
        return stop, []


def language_words(langs: tuple[str, ...], top_n: int = 150) -> dict[str, frozenset]:
    """Per language: its stop words and frequent words (single characters for Chinese and
    Japanese, written without spaces)."""
    out = {}
    for lang in langs:
        stop, top = frequent_words(lang, top_n)
        words = {w for w in top if len(w) == 1 and CJK_CHAR.match(w)} if lang in NO_SPACES else stop | set(top)
        if words:
            out[lang] = frozenset(words)
    return out


class LanguageGuess:
    """``guess(text)``: the language whose frequent words the text uses most (a word in k lists
    counts 1/k for each), or None below ``min_hits`` such words. The first ``sample_chars``
    characters are read: a few hundred words tell a language."""

    def __init__(self, words: dict[str, frozenset], min_hits: float = 2.0, sample_chars: int = 2500):
        self.langs = sorted(words)
        self.words = words
        self.min_hits = min_hits
        self.sample_chars = sample_chars

    @cached_property
    def _table(self) -> tuple[dict[str, int], np.ndarray]:
        """Row of every listed word, and per row its vote (1/k) for each of the k languages listing it."""
        owners: dict[str, list[int]] = {}
        for k, lang in enumerate(self.langs):
            for w in self.words[lang]:
                owners.setdefault(w, []).append(k)
        votes = np.zeros((len(owners) + 1, len(self.langs)), np.float32)  # last row: unlisted words
        row = {}
        for i, (w, ks) in enumerate(sorted(owners.items())):
            row[w] = i
            votes[i, ks] = 1.0 / len(ks)
        return row, votes

    @cached_property
    def _chars(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What ``_rows_of`` reads: the listed words' code points in row order, where each word
        starts among them, a hash table of the words (``_word_table``), and per BMP code point
        whether it parts words (white space or ``PUNCTUATION``)."""
        row, _ = self._table
        words = sorted(row, key=row.get)
        cps = np.frombuffer("".join(words).encode("utf-32-le", "surrogatepass"), np.uint32)
        ptr = np.concatenate([[0], np.cumsum([len(w) for w in words])]).astype(np.int64)
        apart = np.array([ch.isspace() or PUNCTUATION.match(ch) is not None for ch in map(chr, range(0x10000))])
        return cps, ptr, _word_table(cps, ptr), apart

    def __call__(self, text: str) -> str | None:
        return self.guess_all([text])[0]

    def guess_all(self, texts: list[str]) -> list[str | None]:
        """``guess`` of each text. What it reads of a text is the same as if it were split in
        Python (``PUNCTUATION`` to spaces in its lower-cased sample, then ``str.split``, then
        every kana or ideograph of it on its own), but the words of all texts are looked up in
        one compiled pass."""
        votes = self._table[1]
        if not self.langs:
            return [None] * len(texts)
        samples = [text[:self.sample_chars].lower() for text in texts]  # kana and ideographs have no case
        cps = np.frombuffer("".join(samples).encode("utf-32-le", "surrogatepass"), np.uint32)
        starts = np.concatenate([[0], np.cumsum([len(s) for s in samples])]).astype(np.int64)
        words, ptr, table, apart = self._chars
        rows, row_ptr = _rows_of(cps, starts, words, ptr, table, apart, len(votes) - 1)
        out = []
        for a, b in zip(row_ptr[:-1].tolist(), row_ptr[1:].tolist()):
            if a == b:
                out.append(None)
                continue
            score = votes.take(rows[a:b], axis=0).sum(axis=0)
            best = int(score.argmax())
            out.append(self.langs[best] if score[best] >= self.min_hits else None)
        return out


@jit
def _hash(cps, a, b):
    """FNV-1a of code points ``a``..``b``."""
    h = np.uint64(0xCBF29CE484222325)
    for i in range(a, b):
        h = (h ^ np.uint64(cps[i])) * np.uint64(0x100000001B3)
    return h


@jit
def _word_table(cps, ptr):
    """Open-addressing table of the words ``ptr[k]..ptr[k + 1]`` of ``cps``: per slot the
    word's hash and its index (-1: free)."""
    size = 2
    while size < 2 * (ptr.shape[0] - 1):
        size *= 2
    keys = np.zeros(size, np.uint64)
    index = np.full(size, -1, np.int64)
    for k in range(ptr.shape[0] - 1):
        h = _hash(cps, ptr[k], ptr[k + 1])
        i = h & np.uint64(size - 1)
        while index[i] >= 0:
            i = (i + np.uint64(1)) & np.uint64(size - 1)
        keys[i], index[i] = h, k
    return keys, index


@jit
def _rows_of(cps, starts, words, ptr, table, apart, missing):
    """Per text ``starts[t]..starts[t + 1]`` of ``cps``: the rows of its tokens (runs between
    characters ``apart`` marks), then of each of its kana and ideographs (``missing``: not a
    listed word); and where each text's rows start."""
    begins = np.empty(2 * cps.shape[0], np.int64)  # the code points of every token: begins..ends
    ends = np.empty(2 * cps.shape[0], np.int64)
    row_ptr = np.zeros(starts.shape[0], np.int64)
    n = 0
    for t in range(starts.shape[0] - 1):
        a, b = starts[t], starts[t + 1]
        begin = -1
        for i in range(a, b + 1):
            inside = i < b and (cps[i] > 0xFFFF or not apart[cps[i]])
            if inside and begin < 0:
                begin = i
            elif not inside and begin >= 0:
                begins[n], ends[n] = begin, i
                n += 1
                begin = -1
        for i in range(a, b):
            if 0x3040 <= cps[i] <= 0x30FF or 0x3400 <= cps[i] <= 0x9FFF:  # CJK_CHAR
                begins[n], ends[n] = i, i + 1
                n += 1
        row_ptr[t + 1] = n
    keys, index = table
    mask = np.uint64(keys.shape[0] - 1)
    rows = np.full(n, missing, np.int64)
    for r in range(n):  # looked up here, not in a function of its own: a call per token costs twice the rest
        a, length = begins[r], ends[r] - begins[r]
        h = _hash(cps, a, a + length)
        i = h & mask
        while index[i] >= 0:
            k = index[i]
            if keys[i] == h and ptr[k + 1] - ptr[k] == length:
                same = 0
                while same < length and words[ptr[k] + same] == cps[a + same]:
                    same += 1
                if same == length:
                    rows[r] = k
                    break
            i = (i + np.uint64(1)) & mask
    return rows, row_ptr
