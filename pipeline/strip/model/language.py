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
from itertools import repeat

import numpy as np

CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")  # kana and ideographs: no spaces to split at
# punctuation read as a space: words are what is left between spaces (a character class
# replaced in one regex pass: ``str.translate`` with a table looks up every character of a
# non-ASCII text one by one, about three times slower)
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

    def __call__(self, text: str) -> str | None:
        row, votes = self._table
        sample = text[:self.sample_chars]
        unlisted = len(votes) - 1
        tokens = PUNCTUATION.sub(" ", sample.lower()).split() + CJK_CHAR.findall(sample)
        if not tokens or not self.langs:
            return None
        rows = np.fromiter(map(row.get, tokens, repeat(unlisted, len(tokens))), np.intp, len(tokens))  # looked up in C
        score = votes.take(rows, axis=0).sum(axis=0)
        best = int(score.argmax())
        return self.langs[best] if score[best] >= self.min_hits else None
