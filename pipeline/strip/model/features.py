"""Language-independent line features for a whole batch of documents at once.

Every document is cut at "\n"; each non-empty line becomes one row of a float32 matrix. The
features avoid wordings: character classes (Unicode categories, vectorised over code points),
shapes (digits, dates, clock times, URLs, handles, counters), stop-word density from a frozen
multilingual list, repetition inside the document and across the batch, vocabulary shared with
the document's own prose, position and region. Rule files contribute one flag per action, from
one compiled alternation per action scanned once over the batch. Neighbouring rows' features
are appended so a single tree model sees a window.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from storydedup.pipeline.jit import jit
from storydedup.pipeline.strip.model.language import frequent_words, language_words
from storydedup.pipeline.strip.model.rulescan import ACTIONS, RuleScan

# ---- character classes -------------------------------------------------------------------
SPACE, LOWER, UPPER, LETTER, CJK, DIGIT, TERM, PUNCT, SYMBOL = range(9)
N_CLASSES = 9
_TERMINALS = set(".!?…。！？؟।")


@lru_cache(maxsize=1)
def char_classes() -> np.ndarray:
    """Class of every BMP code point (astral ones are symbols: emoji, rare scripts)."""
    table = np.full(0x10000, SYMBOL, dtype=np.uint8)
    for cp in range(0x10000):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if ch in _TERMINALS:
            table[cp] = TERM
        elif cat[0] == "Z" or ch in "\t\r\n\x0b\x0c":
            table[cp] = SPACE
        elif cat == "Ll":
            table[cp] = LOWER
        elif cat in ("Lu", "Lt"):
            table[cp] = UPPER
        elif cat[0] == "L" or cat[0] == "M":
            wide = unicodedata.east_asian_width(ch) in ("W", "F")
            table[cp] = CJK if wide else LETTER
        elif cat[0] == "N":
            table[cp] = DIGIT
        elif cat[0] == "P":
            table[cp] = PUNCT
    return table


# ---- shapes: regexes run only over short lines that contain a digit ------------------------
DIGIT_SHAPES = {
    "date": re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|(?<!\d)(?:1[89]|20)\d\d(?!\d)"),
    "clock": re.compile(r"(?<!\d)\d{1,2}[:h]\d\d(?!\d)"),
    # a number then one or two words, alone on the line: "3 hours ago", "12 comments", "vor 2 Tagen"
    "count_line": re.compile(r"^[^\w\n]*(?:\w+[^\w\n]+)?\d+[^\w\n]*(?:\w+[^\w\n]*){1,2}$", re.M),
    "counter": re.compile(r"[(\[]\s*\d+\s*[)\]]"),
    "number_only": re.compile(r"^[^\w\n]*[+-]?\d[\d.,:/ ]*[^\w\n]*$", re.M),
}
# literal marks found with a fast substring scan of the whole batch
MARKS = {"url": ("://", "www."), "at": ("@",), "hashtag": ("#",)}
SEPARATORS = "|·•»›/"
QUOTES = "\"“”«»„"
BULLETS = "•·▪◦●○■□‣⁃*–—-"
SHAPES = [*DIGIT_SHAPES, "url", "handle", "email", "hashtag", "separators", "quotes", "bullet"]


@dataclass(frozen=True)
class Vocab:
    """Frozen word lists, stored in the model file so training and serving read the same."""
    stop: frozenset        # frequent words of many languages (stop-words package + wordfreq)
    stop_chars: frozenset  # frequent single characters of CJK languages
    languages: tuple = ()  # (language, its frequent words) pairs: which language a page is in

    @property
    def stop_hashes(self) -> np.ndarray:
        if not hasattr(self, "_hashes"):
            text = "\n".join(sorted(self.stop))
            object.__setattr__(self, "_hashes", np.unique(_words(_codepoints(text))[0]))
        return self._hashes

    @property
    def stop_table(self) -> np.ndarray:
        """``stop_hashes`` as an open-addressing table (``_hash_table``): a word is looked up
        in constant time, without sorting the batch's words first."""
        if not hasattr(self, "_table"):
            object.__setattr__(self, "_table", _hash_table(self.stop_hashes))
        return self._table

    @property
    def stop_codes(self) -> np.ndarray:
        return np.array(sorted(ord(c) for c in self.stop_chars), dtype=np.uint32)


STOP_LANGS = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "ru", "uk", "tr", "ar", "fa", "hi", "id",
              "ja", "zh", "ko", "sv", "da", "nb", "fi", "hu", "ro", "el", "bg", "he", "vi", "ca")


def build_vocab(top_n: int = 150) -> Vocab:
    """Stop words of ``STOP_LANGS``: the ``stop-words`` lists where they exist, plus wordfreq's
    ``top_n`` words (single frequent characters for CJK, whose text has no spaces)."""
    stop, chars = set(), set()
    for lang in STOP_LANGS:
        listed, top = frequent_words(lang, top_n)
        stop.update(listed)
        if lang in ("zh", "ja", "ko"):
            chars.update(w for w in top if len(w) == 1 and unicodedata.east_asian_width(w) in ("W", "F"))
        else:
            stop.update(top)
    return Vocab(frozenset(stop), frozenset(chars), tuple(sorted(language_words(STOP_LANGS, top_n).items())))


# Words are compared across lines by their first STEM characters: a crude stemmer that holds
# across languages (in retrieval, cutting words to their first 4-5 characters does about as
# well as a language's own stemmer: McNamee, Nicholas & Mayfield, SIGIR 2009), so "mieszkańcy"
# and "mieszkańców", or "abonnement" and "abonnés", count as one word.
STEM = 5

# ---- rules as features: see rulescan.py ---------------------------------------------------
SHORT_WORDS = 25  # shapes and rules are looked for on lines up to this long (chrome is short)


def _match_lines(pattern: re.Pattern, text: str, line_starts: np.ndarray, n_lines: int) -> np.ndarray:
    """Per line: does ``pattern`` match somewhere starting on it (one scan of ``text``)."""
    hit = np.zeros(n_lines, dtype=bool)
    starts = [m.start() for m in pattern.finditer(text)]
    if starts:
        hit[np.searchsorted(line_starts, starts, side="right") - 1] = True
    return hit


def _find_all(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


# ---- words as 64-bit hashes, computed from code points without Python string objects --------
_MULT = np.uint64(0x9E3779B97F4A7C15)
_POW = np.cumprod(np.full(64, _MULT, dtype=np.uint64), dtype=np.uint64)  # wraps modulo 2**64


@lru_cache(maxsize=1)
def lower_table() -> np.ndarray:
    """Lower-case code point of every BMP code point; digits fold to "0" (dates, counters)."""
    table = np.arange(0x10000, dtype=np.uint64)
    for cp in range(0x10000):
        ch = chr(cp)
        if ch.isdigit():
            table[cp] = ord("0")
        else:
            low = ch.lower()
            if len(low) == 1:
                table[cp] = ord(low)
    return table


def _codepoints(text: str):
    cps, _, cls = _decoded(text)
    return cps, cls


def _decoded(text: str):
    """The text's code points, the same as indexes of the character tables (``_bmp``), and
    each one's character class (code points past the BMP are symbols)."""
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    bmp = _bmp(cps)
    cls = char_classes()[bmp]
    if bmp is not cps:
        cls[cps > 0xFFFF] = SYMBOL
    return cps, bmp, cls


def _bmp(cps: np.ndarray) -> np.ndarray:
    """``cps`` with the code points past the BMP as U+FFFF (what the character tables are
    indexed by); ``cps`` itself when it has none, as most texts (no copy a text long)."""
    return np.minimum(cps, 0xFFFF) if len(cps) and cps.max() > 0xFFFF else cps


def _words(cp_cls, prefix: int = 64):
    """(hash, first char index, length, hash of the first ``prefix`` characters, line) of every
    word: a run of letters/digits (CJK runs count as one word here; CJK density has its own
    features); lines end at newlines."""
    cps, cls = cp_cls
    return _word_runs(cps, cls, lower_table(), _POW, prefix)


@jit
def _in_word(c):
    """Characters of these classes make words (letters, digits, CJK)."""
    return c == LOWER or c == UPPER or c == LETTER or c == DIGIT or c == CJK


@jit
def _word_runs(cps, cls, lower, powers, prefix):
    """One pass over the characters: a word's hash is the sum of (folded code point + 1) times
    the multiplier to the power of its position (positions past 63 share the last power), all
    modulo 2**64."""
    n_words = 0
    inside = False
    for i in range(cps.shape[0]):
        wordish = _in_word(cls[i])
        if wordish and not inside:
            n_words += 1
        inside = wordish
    h = np.zeros(n_words, np.uint64)
    head = np.zeros(n_words, np.uint64)
    start = np.zeros(n_words, np.int64)
    length = np.zeros(n_words, np.int64)
    word_line = np.zeros(n_words, np.int64)
    k = -1
    line = 0
    inside = False
    for i in range(cps.shape[0]):
        line += cps[i] == 10
        wordish = _in_word(cls[i])
        if wordish:
            if not inside:
                k += 1
                start[k] = i
                word_line[k] = line
            pos = min(length[k], 63)
            part = (lower[min(cps[i], 0xFFFF)] + np.uint64(1)) * powers[pos]
            h[k] += part
            if pos < prefix:
                head[k] += part
            length[k] += 1
        inside = wordish
    return h, start, length, head, word_line


@jit
def _line_stats(cps, cls, n_lines, n_classes, space):
    """Per line (lines end at newlines, which are not counted): its characters of each class,
    and the positions of its first and last character that is not a space (-1: none). One
    pass, instead of a line number per character and the arrays computed from it."""
    counts = np.zeros((n_lines, n_classes), np.int64)
    first = np.full(n_lines, -1, np.int64)
    last = np.full(n_lines, -1, np.int64)
    line = 0
    for i in range(cps.shape[0]):
        if cps[i] == 10:
            line += 1
            continue
        c = cls[i]
        counts[line, c] += 1
        if c != space:
            if first[line] < 0:
                first[line] = i
            last[line] = i
    return counts, first, last


BASE = ["log_chars", "log_words", "cjk_share", "lower_share", "upper_share", "digit_share", "punct_share",
        "symbol_share", "term_per_word", "ends_term", "ends_colon", "ends_other", "starts_upper",
        "starts_digit", "starts_symbol", "stop_share", "stop_count", "stopchar_share", "prose_vocab",
        "top_vocab", "mean_word_len", "rep_doc", "rep_batch", "rep_first", "rep_last", "blank_before",
        "blank_after", "indent", *SHAPES, *(f"rule_{a}" for a in ACTIONS), "prose"]
NEIGHBOUR = ["log_words", "ends_term", "stop_share", "prose_vocab", "rep_batch", "digit_share", "clock", "date",
             "count_line", "handle", "url", "rule_cut", "rule_thread", "rule_end", "rule_drop", "prose",
             "upper_share", "starts_upper"]
OFFSETS = (-3, -2, -1, 1, 2, 3)
WINDOWS = (2, 5, 12)
WINDOWED = ["log_words", "stop_share", "prose", "prose_vocab", "ends_term", "clock", "date", "count_line",
            "rule_thread", "rep_batch", "handle", "upper_share"]
REGION = ["rel_pos", "rel_char_pos", "log_idx", "log_idx_from_end", "log_doc_lines", "log_doc_words",
          "prose_words_above", "prose_words_below", "in_core", "core_dist", "core_dist_rel", "cut_above",
          "cut_above_dist", "end_above", "thread_above", "clock_above", "prose_after_cut"]


def feature_names() -> list[str]:
    names = list(BASE) + REGION
    names += [f"{f}@{k:+d}" for k in OFFSETS for f in NEIGHBOUR]
    names += [f"{f}~{w}" for w in WINDOWS for f in WINDOWED]
    return names


@dataclass
class Batch:
    X: np.ndarray          # (rows, features) float32, one row per non-empty line
    doc_ptr: np.ndarray    # rows of document d are doc_ptr[d]:doc_ptr[d+1]
    line_idx: np.ndarray   # index of the row's line in ``text.split("\n")``
    words: np.ndarray      # words per row (safety rules need them)
    echo: np.ndarray | None = None  # per row: the short row below that repeats its words, or -1 (``echo_rows``)


def select_docs(batch: Batch, docs: np.ndarray, width: int) -> tuple[Batch, np.ndarray]:
    """The rows of documents ``docs`` (ascending) as a batch of their own, with the first
    ``width`` features, and where those rows sit in ``batch``."""
    sizes = np.diff(batch.doc_ptr)[docs]
    rows = np.repeat(batch.doc_ptr[docs] - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes) + np.arange(sizes.sum())
    ptr = np.concatenate([[0], np.cumsum(sizes)])
    return Batch(batch.X[rows, :width], ptr, batch.line_idx[rows], batch.words[rows]), rows


@dataclass
class _Rows:
    """A batch's characters, non-empty lines (rows) and words: what every feature starts from."""
    big: str
    cps: np.ndarray
    cls: np.ndarray
    bmp: np.ndarray
    line_starts: np.ndarray
    doc_of_line: np.ndarray
    counts: np.ndarray
    first_vis: np.ndarray
    last_vis: np.ndarray
    nonspace: np.ndarray
    rows: np.ndarray
    row_of_line: np.ndarray
    row_doc: np.ndarray
    doc_ptr: np.ndarray
    wh: np.ndarray
    wstart: np.ndarray
    wlen: np.ndarray
    wstem: np.ndarray
    wrow: np.ndarray
    is_cjk_word: np.ndarray
    n_words: np.ndarray
    w: np.ndarray

    def line_at(self, pos):  # line of each character position (a newline ends its line)
        return np.searchsorted(self.line_starts, pos, side="right") - 1


def _rows(texts: list[str]) -> _Rows:
    n_docs = len(texts)
    big = "\n".join(texts).replace("\r", " ")
    cps, bmp, cls = _decoded(big)
    line_starts = np.concatenate([[0], np.flatnonzero(cps == 10) + 1])
    n_all = len(line_starts)

    doc_lines = np.fromiter((t.count("\n") + 1 for t in texts), dtype=np.int64, count=n_docs)
    doc_of_line = np.repeat(np.arange(n_docs), doc_lines)

    counts, first_vis, last_vis = _line_stats(cps, cls, n_all, N_CLASSES, SPACE)
    counts = counts.astype(np.float32)
    nonspace = counts.sum(1) - counts[:, SPACE]
    rows = np.flatnonzero(nonspace > 0)
    n = len(rows)
    row_of_line = np.full(n_all, -1)
    row_of_line[rows] = np.arange(n)
    row_doc = doc_of_line[rows]
    doc_ptr = np.searchsorted(row_doc, np.arange(n_docs + 1))

    # words: hashes, lines, stop words
    wh, wstart, wlen, wstem, wline = _words((cps, cls), STEM)
    wrow = row_of_line[wline]
    is_cjk_word = cls[wstart] == CJK
    n_words = np.bincount(wrow, weights=~is_cjk_word, minlength=n).astype(np.float32)
    c = counts[rows]
    w = n_words + c[:, CJK] / 2.0  # about two characters a word in CJK text
    return _Rows(big, cps, cls, bmp, line_starts, doc_of_line, counts, first_vis, last_vis, nonspace, rows,
                 row_of_line, row_doc, doc_ptr, wh, wstart, wlen, wstem, wrow, is_cjk_word, n_words, w)


def _line_hashes(r: _Rows) -> tuple[np.ndarray, np.ndarray]:
    """A hash of each row's words in order (1 for a row without words), and the index of each
    row's first word among the batch's words."""
    n = len(r.rows)
    wfirst = np.flatnonzero(np.diff(np.concatenate([[-1], r.wrow])))  # first word of each row with words
    wpos = np.arange(len(r.wh)) - np.repeat(wfirst, np.diff(np.append(wfirst, len(r.wh))))
    lh = np.bincount(r.wrow, minlength=n).astype(bool)
    line_hash = np.zeros(n, np.uint64)
    if len(r.wh):
        line_hash[r.wrow[wfirst]] = np.add.reduceat(r.wh * _POW[np.minimum(wpos, 63)] * np.uint64(3), wfirst)
    return np.where(lh, line_hash, np.uint64(1)), wfirst


_DOC_SALT = np.uint64(0xD6E8FEB86659FD93)  # row hash ^ document * salt: a line once per document
SHORT_LINE = 40  # words: longer lines are paragraphs, whose recurrence says nothing of chrome


def _held(r: _Rows, line_hash: np.ndarray) -> np.ndarray:
    """The hashes of each document's distinct short lines, one per document holding a line."""
    short = np.flatnonzero(r.w < SHORT_LINE)
    salted = line_hash[short] ^ (r.row_doc[short].astype(np.uint64) * _DOC_SALT)
    return line_hash[short][np.unique(salted, return_index=True)[1]]


@dataclass(frozen=True)
class Recurrence:
    """How many documents of a batch hold each of its short lines (``rep_batch``), by the
    hash of the line's words. Counted over the whole batch, a line's share does not depend
    on which shard its document is in; only lines held by two documents or more are kept."""
    hashes: np.ndarray  # sorted
    counts: np.ndarray
    n_docs: int

    @classmethod
    def count(cls, shards) -> Recurrence:
        """Over ``shards``, each a list of texts (the documents the model judges)."""
        hashes, counts, pending, n_docs = np.zeros(0, np.uint64), np.zeros(0, np.int64), [], 0
        for texts in shards:
            if not texts:
                continue
            r = _rows(texts)
            pending.append(_held(r, _line_hashes(r)[0]))
            n_docs += len(texts)
            if sum(map(len, pending)) > 4_000_000:  # memory stays near the batch's distinct lines
                hashes, counts, pending = *cls._merge(hashes, counts, pending), []
        return cls._held_twice(*cls._merge(hashes, counts, pending), n_docs)

    @classmethod
    def _held_twice(cls, hashes: np.ndarray, counts: np.ndarray, n_docs: int) -> Recurrence:
        return cls(hashes[counts > 1], counts[counts > 1], n_docs)

    @staticmethod
    def _merge(hashes: np.ndarray, counts: np.ndarray, pending: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        new = np.concatenate([hashes, *pending])
        weights = np.concatenate([counts, np.ones(len(new) - len(hashes), np.int64)])
        found, inverse = np.unique(new, return_inverse=True)
        return found, np.bincount(inverse.ravel(), weights=weights, minlength=len(found)).astype(np.int64)

    @classmethod
    def of_rows(cls, r: _Rows, line_hash: np.ndarray, n_docs: int) -> Recurrence:
        return cls._held_twice(*cls._merge(np.zeros(0, np.uint64), np.zeros(0, np.int64), [_held(r, line_hash)]), n_docs)

    def doc_freq(self, line_hash: np.ndarray) -> np.ndarray:
        """Documents holding each line (1 for a line no other document holds)."""
        return np.maximum(_lookup(self.hashes, self.counts, line_hash), 1)

    def save(self, path) -> None:
        np.savez(path, hashes=self.hashes, counts=self.counts, n_docs=np.int64(self.n_docs))

    @classmethod
    def load(cls, path) -> Recurrence:
        with np.load(path, allow_pickle=False) as f:
            return cls(f["hashes"], f["counts"], int(f["n_docs"]))


def featurize(texts: list[str], vocab: Vocab, rules: RuleScan | None = None,
              recurrence: Recurrence | None = None) -> Batch:
    """Feature matrix of every non-empty line of ``texts`` (one call per shard). ``recurrence``:
    how many documents of the whole batch hold each line, when ``texts`` are one shard of it
    (default: ``texts`` are the batch)."""
    n_docs = len(texts)
    r = _rows(texts)
    (big, cps, cls, bmp, line_starts, doc_of_line, counts, first_vis, last_vis, nonspace, rows, row_of_line,
     row_doc, doc_ptr, wh, wlen, wstem, wrow, is_cjk_word, n_words, w) = (
        r.big, r.cps, r.cls, r.bmp, r.line_starts, r.doc_of_line, r.counts, r.first_vis, r.last_vis, r.nonspace,
        r.rows, r.row_of_line, r.row_doc, r.doc_ptr, r.wh, r.wlen, r.wstem, r.wrow, r.is_cjk_word, r.n_words, r.w)
    line_at, n, n_all, c = r.line_at, len(rows), len(line_starts), counts[rows]
    stop = _in_table(vocab.stop_table, wh) & ~is_cjk_word
    stops = np.bincount(wrow, weights=stop, minlength=n)

    # first and last visible character of each row
    first_pos, last_pos = first_vis[rows], last_vis[rows]
    f_cls, l_cls = cls[first_pos], cls[last_pos]
    first_cp, last_cp = bmp[first_pos], bmp[last_pos]

    cols: dict[str, np.ndarray] = {}
    n_chars = np.maximum(nonspace[rows], 1)
    letters = np.maximum(c[:, LOWER] + c[:, UPPER] + c[:, LETTER] + c[:, CJK], 1)
    cols["log_chars"] = np.log1p(n_chars)
    cols["log_words"] = np.log1p(w)
    cols["cjk_share"] = c[:, CJK] / n_chars
    cols["lower_share"] = c[:, LOWER] / letters
    cols["upper_share"] = c[:, UPPER] / letters
    cols["digit_share"] = c[:, DIGIT] / n_chars
    cols["punct_share"] = c[:, PUNCT] / n_chars
    cols["symbol_share"] = c[:, SYMBOL] / n_chars
    cols["term_per_word"] = c[:, TERM] / np.maximum(w, 1)
    cols["ends_term"] = (l_cls == TERM) | _member("\"”»)'’")[last_cp]
    cols["ends_colon"] = _member(":：")[last_cp]
    cols["ends_other"] = ((l_cls == PUNCT) | (l_cls == SYMBOL)) & ~cols["ends_term"]
    cols["starts_upper"] = f_cls == UPPER
    cols["starts_digit"] = f_cls == DIGIT
    cols["starts_symbol"] = (f_cls == SYMBOL) | (f_cls == PUNCT)
    cols["stop_share"] = stops / np.maximum(n_words, 1)
    cols["stop_count"] = np.log1p(stops)
    cols["mean_word_len"] = np.bincount(wrow, weights=wlen * ~is_cjk_word, minlength=n) / np.maximum(n_words, 1)
    if vocab.stop_chars and c[:, CJK].any():
        sc = np.isin(cps, vocab.stop_codes) & (cls == CJK)
        cols["stopchar_share"] = np.bincount(line_at(np.flatnonzero(sc)), minlength=n_all)[rows] / np.maximum(c[:, CJK], 1)
    else:
        cols["stopchar_share"] = np.zeros(n, np.float32)
    prose = (w >= 8) & (cols["ends_term"] | (w >= 20))
    cols["prose"] = prose

    # vocabulary shared with the document's prose and its most frequent words
    wdoc = row_doc[wrow]
    content = ~stop & (wlen >= 3) & ~is_cjk_word
    in_prose = content & prose[wrow]
    pinv, pstem = _doc_keys(wstem, wdoc)  # one id per (document, stem)
    n_pairs = len(pstem)
    found = np.bincount(pinv, weights=in_prose, minlength=n_pairs)[pinv] - in_prose  # in *other* prose lines
    nc = np.maximum(np.bincount(wrow, weights=content, minlength=n), 1)
    cols["prose_vocab"] = np.bincount(wrow, weights=content & (found > 0), minlength=n) / nc
    ccount = np.bincount(pinv, weights=content, minlength=n_pairs)
    pdoc = np.zeros(n_pairs, np.int64)
    pdoc[pinv] = wdoc
    # A document's 20 most frequent stems held more than once: only those are ranked (a third
    # of them or less), as they rank ahead of the rest in the document's full order.
    held = np.flatnonzero(ccount > 1)
    order = held[np.lexsort((pstem[held], -ccount[held], pdoc[held]))]  # equal counts: the smaller stem hash first
    is_top = np.zeros(n_pairs, bool)
    is_top[order[np.arange(len(order)) - np.searchsorted(pdoc[order], pdoc[order]) < 20]] = True
    top = is_top[pinv] & content
    cols["top_vocab"] = np.bincount(wrow, weights=top, minlength=n) / nc
    call = (w <= ECHO_WORDS) & ~prose
    echo = echo_rows(pinv, wrow, content & (found == 0) & ~call[wrow], call, n)

    # repetition: same line in the document and in other documents of the batch; shared first/last word
    line_hash, seg = _line_hashes(r)
    doc_salt = row_doc.astype(np.uint64) * _DOC_SALT
    cols["rep_doc"] = np.log1p(_count_of(line_hash ^ doc_salt) - 1)
    first_w = np.full(n, np.uint64(2))
    last_w = np.full(n, np.uint64(2))
    if len(wh):
        first_w[wrow[seg]] = wh[seg]
        ends = np.append(seg[1:], len(wh)) - 1
        last_w[wrow[ends]] = wh[ends]
    cols["rep_first"] = np.log1p(_count_of(first_w ^ doc_salt) - 1)
    cols["rep_last"] = np.log1p(_count_of(last_w ^ doc_salt) - 1)
    if recurrence is None:  # the texts are the batch
        recurrence = Recurrence.of_rows(r, line_hash, n_docs)
    cols["rep_batch"] = (recurrence.doc_freq(line_hash) - 1) / max(recurrence.n_docs - 1, 1) * (w < SHORT_LINE)

    # blank lines around, indentation
    prev_row_line = np.concatenate([[-1], rows[:-1]])
    line0 = np.searchsorted(doc_of_line, np.arange(n_docs))
    first_in_doc = np.arange(n) == doc_ptr[row_doc]
    cols["blank_before"] = np.minimum(np.where(first_in_doc, rows - line0[row_doc], rows - prev_row_line - 1), 3)
    last_in_doc = np.arange(n) == doc_ptr[row_doc + 1] - 1  # its blank lines end with its document's
    next_row_line = np.where(last_in_doc, np.append(line0[1:], n_all)[row_doc], np.append(rows[1:], n_all))
    cols["blank_after"] = np.minimum(next_row_line - rows - 1, 3)
    cols["indent"] = first_pos > line_starts[rows]

    # shapes
    short = np.flatnonzero(w <= SHORT_WORDS)
    dshort = np.flatnonzero((w <= 15) & (c[:, DIGIT] > 0))
    lines_all = big.split("\n")
    dtext = "\n".join(lines_all[rows[i]] for i in dshort)
    dstarts = np.concatenate([[0], np.cumsum([len(lines_all[rows[i]]) + 1 for i in dshort])[:-1]]).astype(np.int64)
    for name, pat in DIGIT_SHAPES.items():
        hit = np.zeros(n, bool)
        if len(dshort):
            hit[dshort] = _match_lines(pat, dtext, dstarts, len(dshort))
        cols[name] = hit
    for name in ("url", "email", "handle", "hashtag"):
        cols[name] = np.zeros(n, bool)
    for name, needles in MARKS.items():
        pos = [p for needle in needles for p in _find_all(big, needle)]
        if pos:
            pos = np.array(pos)
            if name == "at":  # a@b.c is an e-mail, @name a handle
                before = cls[np.maximum(pos - 1, 0)]
                after = cls[np.minimum(pos + 1, len(cls) - 1)]
                wordy = np.isin(after, (LOWER, UPPER, LETTER, DIGIT, CJK))
                email = wordy & np.isin(before, (LOWER, UPPER, LETTER, DIGIT))
                for nm, sel in (("email", email), ("handle", wordy & ~email)):
                    r = row_of_line[line_at(pos[sel])]
                    cols[nm][r[r >= 0]] = True
                continue
            if name == "hashtag":
                pos = pos[np.isin(cls[np.minimum(pos + 1, len(cls) - 1)], (LOWER, UPPER, LETTER, DIGIT, CJK))]
            r = row_of_line[line_at(pos)]
            cols[name][r[r >= 0]] = True
    marks = _marks_per_line(cps, _mark_table(SEPARATORS, QUOTES), 2, n_all)[rows]
    cols["separators"] = np.log1p(marks[:, 0])
    cols["quotes"] = marks[:, 1] > 0
    cols["bullet"] = _member(BULLETS)[first_cp]

    action = np.zeros(n, np.int64)
    if rules is not None and len(short):
        action[short] = [rules.action(lines_all[rows[i]].strip()) for i in short]
    for k, a in enumerate(ACTIONS, 1):
        cols[f"rule_{a}"] = action == k

    base = np.column_stack([np.asarray(cols[f], dtype=np.float32) for f in BASE])
    region = region_features(cols, w, n_chars, doc_ptr, n_docs)
    X = np.hstack([base, region, neighbour_features(base, doc_ptr, row_doc), window_features(base, doc_ptr, row_doc)])
    return Batch(X.astype(np.float32), doc_ptr, rows - line0[row_doc], w, echo)


@lru_cache(maxsize=2)
def _mark_table(*sets: str) -> np.ndarray:
    """Bit ``k`` of a BMP code point's entry: the character is in ``sets[k]``."""
    table = np.zeros(0x10000, np.uint8)
    for k, chars in enumerate(sets):
        for ch in chars:
            table[ord(ch)] |= 1 << k
    return table


@jit
def _marks_per_line(cps, table, n_sets, n_lines):
    """Per line (ended by newlines), its characters in each of the ``n_sets`` sets of
    ``table`` (``_mark_table``): one pass, no array as long as the text."""
    counts = np.zeros((n_lines, n_sets), np.int64)
    line = 0
    for i in range(cps.shape[0]):
        cp = cps[i]
        if cp == 10:
            line += 1
        elif cp <= 0xFFFF and table[cp]:
            for k in range(n_sets):
                counts[line, k] += (table[cp] >> k) & 1
    return counts


@lru_cache(maxsize=8)
def _member(chars: str) -> np.ndarray:
    """Is each BMP code point one of ``chars`` (all in the BMP): one look-up per character of a
    batch instead of one comparison per character and member."""
    table = np.zeros(0x10000, bool)
    table[[ord(ch) for ch in chars]] = True
    return table


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``values`` of ``query`` in the sorted ``keys`` (0 where absent)."""
    if not len(keys):
        return np.zeros(len(query), np.int64)
    i = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[i] == query, values[i], 0).astype(np.int64)


@jit
def _hash_table(keys):
    """``keys`` (distinct 64-bit hashes) in an open-addressing table twice their number or
    more: row 0 the slots, row 1 whether a slot is taken."""
    size = 2
    while size < 2 * keys.shape[0]:
        size *= 2
    table = np.zeros((2, size), np.uint64)
    for key in keys:
        i = key & np.uint64(size - 1)
        while table[1, i] and table[0, i] != key:
            i = (i + np.uint64(1)) & np.uint64(size - 1)
        table[0, i], table[1, i] = key, 1
    return table


@jit
def _in_table(table, query):
    """Is each of ``query`` in ``table`` (``_hash_table``)."""
    mask = np.uint64(table.shape[1] - 1)
    out = np.zeros(query.shape[0], np.bool_)
    for q in range(query.shape[0]):
        i = query[q] & mask
        while table[1, i]:
            if table[0, i] == query[q]:
                out[q] = True
                break
            i = (i + np.uint64(1)) & mask
    return out


@jit
def _doc_keys(keys, doc):
    """One id per distinct (document, key), ``doc`` ascending: each element's id (a document's
    ids follow its predecessor's, in order of first occurrence) and the key of every id. One
    hash table per document, instead of sorting the batch's keys."""
    n = keys.shape[0]
    ids = np.empty(n, np.int64)
    key_of = np.empty(n, np.uint64)
    n_ids, a = 0, 0
    while a < n:
        b = a
        while b < n and doc[b] == doc[a]:
            b += 1
        size = 2
        while size < 2 * (b - a):
            size *= 2
        mask = np.uint64(size - 1)
        slot_id = np.full(size, -1, np.int64)
        for k in range(a, b):
            i = keys[k] & mask
            while slot_id[i] >= 0 and key_of[slot_id[i]] != keys[k]:
                i = (i + np.uint64(1)) & mask
            if slot_id[i] < 0:
                slot_id[i] = n_ids
                key_of[n_ids] = keys[k]
                n_ids += 1
            ids[k] = slot_id[i]
        a = b
    return ids, key_of[:n_ids].copy()


ECHO_WORDS, ECHO_ROWS = 3, 3  # a button or a form field: up to 3 words, up to 3 rows below its text


def echo_rows(word_id: np.ndarray, wrow: np.ndarray, asked: np.ndarray, short: np.ndarray, n: int) -> np.ndarray:
    """Per row, the nearest ``short`` row up to ``ECHO_ROWS`` rows below it that repeats one of
    its ``asked`` words (words the article's other prose does not use), or -1. A box between
    paragraphs names its call in its text and again on its button or field ("... subscribe to
    our newsletter" / "Subscribe"). ``word_id``: one id per (document, word), so a repeat
    never crosses documents."""
    out = np.full(n, -1, np.int64)
    near = np.zeros(n, bool)  # rows with a short row up to ECHO_ROWS below
    for k in range(1, min(ECHO_ROWS, n - 1) + 1):
        near[:n - k] |= short[k:]
    asked = asked & near[wrow]
    in_short = short[wrow]
    if not asked.any() or not in_short.any():  # a short row may hold no word ("👍", "—")
        return out
    span = np.int64(n + ECHO_ROWS + 1)
    below = np.unique(word_id[in_short] * span + wrow[in_short])  # sorted (word, short row) keys
    ids, rows = word_id[asked] * span, wrow[asked]
    for k in range(ECHO_ROWS, 0, -1):  # the nearest repeat is written last
        query = ids + rows + k
        hit = below[np.minimum(np.searchsorted(below, query), len(below) - 1)] == query
        out[rows[hit]] = rows[hit] + k
    return out


def _count_of(values: np.ndarray) -> np.ndarray:
    """How often each element's value occurs in ``values``."""
    u, inv, cnt = np.unique(values, return_inverse=True, return_counts=True)
    return cnt[inv.ravel()]


def cls_of(chars: np.ndarray) -> np.ndarray:
    if not len(chars):
        return np.zeros(0, np.uint8)
    cps = np.frombuffer("".join(chars).encode("utf-32-le"), dtype=np.uint32)
    out = char_classes()[np.minimum(cps, 0xFFFF)]
    out[cps > 0xFFFF] = SYMBOL
    return out


def _doc_arrays(doc_ptr: np.ndarray, row_doc: np.ndarray):
    n = len(row_doc)
    start = doc_ptr[row_doc]
    end = doc_ptr[row_doc + 1]
    pos = np.arange(n) - start
    return start, end, pos


def region_features(cols, w, n_chars, doc_ptr, n_docs) -> np.ndarray:
    """Where the line sits: position, the document's densest prose run (the likely article
    core), prose above/below, and comment-section or end-matter markers above."""
    n = len(w)
    row_doc = np.repeat(np.arange(n_docs), np.diff(doc_ptr))
    start, end, pos = _doc_arrays(doc_ptr, row_doc)
    size = np.maximum(end - start, 1)
    out = {}
    out["rel_pos"] = pos / np.maximum(size - 1, 1)
    cum_chars = np.cumsum(n_chars) - n_chars
    doc_chars = np.add.reduceat(n_chars, doc_ptr[:-1].clip(max=max(n - 1, 0))) if n else n_chars
    doc_chars = np.where(np.diff(doc_ptr) > 0, doc_chars, 1)
    out["rel_char_pos"] = (cum_chars - cum_chars[start]) / np.maximum(doc_chars[row_doc], 1)
    out["log_idx"] = np.log1p(pos)
    out["log_idx_from_end"] = np.log1p(size - 1 - pos)
    out["log_doc_lines"] = np.log1p(size)
    doc_words = np.bincount(row_doc, weights=w, minlength=n_docs)
    out["log_doc_words"] = np.log1p(doc_words[row_doc])
    prose = cols["prose"].astype(bool)
    pw = np.where(prose, w, 0.0)
    cpw = np.cumsum(pw)
    above = cpw - pw - (cpw[start] - pw[start])
    total = np.maximum(np.bincount(row_doc, weights=pw, minlength=n_docs)[row_doc], 1)
    out["prose_words_above"] = above / total
    out["prose_words_below"] = (total - above - pw) / total * (total > 1)
    # densest prose run: maximum-sum segment of (words if prose else -2), per document
    score = np.where(prose, w, -2.0 - 2.0 * cols["rule_end"] - 2.0 * cols["rule_cut"])
    in_core = np.zeros(n, bool)
    dist = np.zeros(n, np.float32)
    _core_runs(np.ascontiguousarray(score, np.float64), np.asarray(doc_ptr, np.int64), in_core, dist)
    out["in_core"] = in_core
    out["core_dist"] = np.sign(dist) * np.log1p(np.abs(dist))
    out["core_dist_rel"] = dist / size
    for name, flag in (("cut_above", cols["rule_cut"]), ("end_above", cols["rule_end"]),
                       ("thread_above", cols["rule_thread"]), ("clock_above", cols["clock"] | cols["date"])):
        f = flag.astype(np.float32)
        cf = np.cumsum(f)
        out[name] = np.log1p(cf - f - (cf[start] - f[start]))
    # distance to the first comment-section marker above, and prose below that marker
    f = cols["rule_cut"].astype(bool)
    idx = np.where(f, np.arange(n), -1)
    last_cut = np.maximum.accumulate(idx) if n else idx
    has = last_cut >= start
    out["cut_above_dist"] = np.where(has, np.log1p(np.arange(n) - last_cut), -1)
    out["prose_after_cut"] = np.where(has, (above - (cpw[np.maximum(last_cut, 0)] - cpw[start] + pw[start])) / total, -1)
    return np.column_stack([np.asarray(out[k], np.float32) for k in REGION])


@jit
def _core_runs(score, doc_ptr, in_core, dist):
    """Per document: its maximum-sum run of rows (Kadane over prefix sums: the run ends at the
    first row where the sum less the smallest earlier prefix is largest, and starts after the
    first smallest prefix) marked in ``in_core``, and every row's signed distance to it in ``dist``."""
    for d in range(doc_ptr.shape[0] - 1):
        a, b = doc_ptr[d], doc_ptr[d + 1]
        if a == b:
            continue
        cum, low, best, hi = 0.0, np.inf, -np.inf, 0
        for i in range(b - a):
            low = min(low, cum)  # smallest prefix sum up to row i
            cum += score[a + i]
            if cum - low > best:  # the first largest, as argmax
                best, hi = cum - low, i
        cum, least, lo = 0.0, 0.0, 0
        for i in range(hi):  # the first smallest prefix sum up to hi, as argmin
            cum += score[a + i]
            if cum < least:
                least, lo = cum, i + 1
        for i in range(b - a):
            in_core[a + i] = lo <= i <= hi
            dist[a + i] = i - lo if i < lo else (i - hi if i > hi else 0)


_BASE_IDX = {f: i for i, f in enumerate(BASE)}


def neighbour_features(base, doc_ptr, row_doc) -> np.ndarray:
    """``NEIGHBOUR`` columns of the rows ``OFFSETS`` away in the same document (-1 past an edge)."""
    n = len(row_doc)
    start, end, _ = _doc_arrays(doc_ptr, row_doc)
    sub = base[:, [_BASE_IDX[f] for f in NEIGHBOUR]]
    out = []
    for k in OFFSETS:
        j = np.arange(n) + k
        ok = (j >= start) & (j < end)
        v = np.full_like(sub, -1.0)
        v[ok] = sub[j[ok]]
        out.append(v)
    return np.hstack(out) if out else np.zeros((n, 0), np.float32)


def window_features(base, doc_ptr, row_doc) -> np.ndarray:
    """Means of ``WINDOWED`` columns over +-w rows, clipped at the document's edges."""
    n = len(row_doc)
    start, end, _ = _doc_arrays(doc_ptr, row_doc)
    sub = base[:, [_BASE_IDX[f] for f in WINDOWED]].astype(np.float64)
    cum = np.vstack([np.zeros((1, sub.shape[1])), np.cumsum(sub, axis=0)])
    out = []
    for w in WINDOWS:
        lo = np.maximum(np.arange(n) - w, start)
        hi = np.minimum(np.arange(n) + w + 1, end)
        out.append((cum[hi] - cum[lo]) / np.maximum(hi - lo, 1)[:, None])
    return np.hstack(out).astype(np.float32)
