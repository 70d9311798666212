"""Per-line features that do not depend on exact wordings: length, punctuation, stop words,
bullets, name-like and timestamp-like shapes."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

import numpy as np

from storydedup.pipeline.jit import jit

WORD = re.compile(r"\w+(?:['’]\w+)?", re.U)
BULLET = re.compile(r"^\s*(?:[•·▪◦●○■□‣⁃*–—-]|(\d{1,3})[.)])\s+")
SENTENCE_END = re.compile(r"[.!?…:;\"”»)]\s*$")
_SENTENCE_ENDS = frozenset(".!?…:;\"”»)")  # SENTENCE_END's characters: ``ends_sentence`` asks without a scan
_DIGIT = re.compile(r"\d")  # every DATE and CLOCK shape holds one
# Dates and clock times in the shapes comment widgets print them (several languages).
CLOCK = re.compile(r"\b\d{1,2}[:.h]\d{2}\s*(?:[ap]\.?m\.?|uhr|h)?\b", re.I)
DATE = re.compile(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"(?:jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz]|"
    r"janv|févr|mars|avr|mai|juin|juil|août|sept|déc|"
    r"ene|abr|ago|dic|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
    r"septiembre|octubre|noviembre|diciembre)[a-zéû]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|"
    r"\d{1,2}(?:st|nd|rd|th|\.)?\s+(?:de\s+)?[a-zéûä]{3,10}\.?,?\s+(?:de\s+)?\d{4})\b",
    re.I,
)
RELATIVE_TIME = re.compile(
    r"^(?:about\s+|vor\s+|il y a\s+|hace\s+)?(?:\d+|an?|one|un[ea]?|ein(?:e[mr]?)?)\s+"
    r"(?:sec|second|min|minute|hour|hr|day|week|month|year|yr|sekunde|minute|stunde|tag|woche|"
    r"monat|jahr|seconde|heure|jour|semaine|mois|an|année|segundo|minuto|hora|día|dia|semana|"
    r"mes|año)[a-zñé]*\.?(?:\s+(?:ago|her|plus tôt))?$",
    re.I,
)

# "5 minutes ago from Twitter for iPhone", "2 hours ago via web": the client after the age.
SOURCE_TAIL = re.compile(r"\s+(?:from|via|von|depuis|desde)\s+\S.{0,40}$", re.I)


STOPWORD_LANGS = ("en", "de", "fr", "es", "it", "pt", "nl")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Most frequent words of the languages we read; their density tells prose from labels.
    Read from wordfreq's "small" lists: their top words are those of the default ("best")
    lists (a test checks it), and they load in a tenth of the time (~0.03 s, not ~0.35 s,
    paid by every run)."""
    from wordfreq import top_n_list

    words = set()
    for lang in STOPWORD_LANGS:
        words.update(top_n_list(lang, 80, wordlist="small"))
    return frozenset(words)


@dataclass(slots=True)  # not frozen: a frozen dataclass is built ~4x slower, and ~25 are built per document
class TextLine:
    """What stripping reads of a line the heuristics do not judge: its text and word count."""
    index: int
    raw: str
    text: str  # stripped, bullet removed
    words: int
    empty: bool  # no text: a field, not a property, as the detectors ask it of every line many times


@dataclass(slots=True)  # only the caps share is set later
class Line(TextLine):
    """A line with the features the heuristics read (built at ~2.5x the cost of a TextLine)."""
    stop_share: float
    bullet: bool
    indent: int
    ends_sentence: bool
    timestamp: bool
    namelike: bool
    number: int | None  # the item number of a "12." / "12)" list line
    signature: bool  # "Name, City" / "Name, City, Country": how readers sign a letter or comment
    tokens: tuple[str, ...] = ()  # lower-cased words (``WORD`` in ``text.lower()``), for the detectors
    _caps: float = field(default=-1.0, repr=False, compare=False)

    @property
    def caps_share(self) -> float:
        """Share of longer words (4+ letters) that are Capitalised: high in headlines and link
        lists. Counted when first asked: most prose lines are decided without it."""
        if self._caps < 0:
            capitalised = [w[0].isupper() for w in WORD.findall(self.text) if len(w) >= 4 and w.isalpha()]
            self._caps = sum(capitalised) / len(capitalised) if capitalised else 0.0
        return self._caps


def _text_and_words(raw: str) -> tuple[str, list[str], re.Match | None, bool]:
    """The line stripped and without its bullet, its lower-cased words, the bullet's match and
    whether it counts as a bullet."""
    stripped = raw.strip()
    mark = BULLET.match(stripped)
    bullet = bool(mark) and len(stripped) > 2
    text = BULLET.sub("", stripped, count=1).strip() if bullet else stripped
    # the words of the lower-cased text: lower-casing ASCII never moves a word boundary, other
    # scripts may ("İ" -> "i̇"), so these are the words as written only for ASCII text
    return text, WORD.findall(text.lower()), mark, bullet


def text_line(index: int, raw: str) -> TextLine:
    text, tokens, _, _ = _text_and_words(raw)
    return TextLine(index=index, raw=raw, text=text, words=len(tokens), empty=not text)


def line_features(index: int, raw: str) -> Line:
    text, tokens, mark, bullet = _text_and_words(raw)
    n = len(tokens)
    frequent = stopwords()
    stops = sum(map(frequent.__contains__, tokens))
    return Line(
        index=index,
        raw=raw,
        text=text,
        words=n,
        stop_share=stops / n if n else 0.0,
        bullet=bullet,
        indent=len(raw) - len(raw.lstrip(" \t")),
        ends_sentence=ends_sentence(text),
        timestamp=is_timestamp(text),
        namelike=is_namelike(text, tokens),
        number=int(mark.group(1)) if bullet and mark.group(1) else None,
        signature=is_signature(text, tokens),
        empty=not text,
        tokens=tuple(tokens),
    )


def ends_sentence(text: str) -> bool:
    """``SENTENCE_END.search(text)``: the last character before trailing white space ends a sentence."""
    return text.rstrip()[-1:] in _SENTENCE_ENDS


def is_timestamp(text: str) -> bool:
    """A short line that is (mostly) a date/time or a relative age such as "3 years ago"."""
    if len(text) > 80:
        return False
    if RELATIVE_TIME.match(SOURCE_TAIL.sub("", text).strip(" ()|·•-")):
        return True
    if not _DIGIT.search(text):
        return False
    return bool(DATE.search(text) and CLOCK.search(text)) or bool(
        CLOCK.search(text) and re.search(r"\bago\b|\bvor\b|\bil y a\b|\bhace\b", text, re.I))


def is_namelike(text: str, tokens: list[str]) -> bool:
    """One to four words, no sentence punctuation, no stop word: a user name or handle."""
    if not 1 <= len(tokens) <= 4 or len(text) > 40 or ends_sentence(text):
        return False
    return not any(t in stopwords() for t in tokens if len(t) > 2)


# "By X", "Posted ...", and credit labels such as "Contributed by: X" or "Photos by: X".
BYLINE = re.compile(r"^(?:by|posted|written|published|updated|von|par|por|publié|publicado|veröffentlicht)\b"
                    r"|^(?:\w+\s+){0,3}(?:by|von|par|por):", re.I)


BY_AUTHOR = re.compile(r"^(?:by|von|par|por)\s+", re.I)  # a byline proper: the author's name follows


def is_meta(text: str) -> bool:
    """A post's metadata line (byline, date, "Tags: ... | 3 comments") rather than a title:
    it names an author, carries a date or time, or strings fields together with separators."""
    return is_dated(text) or bool(re.search(r"\s[|•·»›>]\s?", text))


def is_dateline(ln: Line, max_words: int = 15) -> bool:
    """A short dated line: a byline or dateline, not a caption or sentence that names a date."""
    return ln.words <= max_words and is_dated(ln.text)


def is_dated(text: str) -> bool:
    """A byline or dateline: names an author ("By X", "Posted by X") or carries a date or time."""
    return bool(BYLINE.match(text) or DATE.search(text) or CLOCK.search(text))


SIGNATURE_CHARS = re.compile(r"[^\W\d_](?:[^\W\d]|[ .,'’-])*", re.U)  # letters and name punctuation


def is_signature(text: str, tokens: list[str]) -> bool:
    """Two to eight words in comma-separated parts, none of them a frequent word, no sentence
    end: "Blake B, Los Angeles", "Frances M., Mallorca, Spain"."""
    if not 2 <= len(tokens) <= 8 or len(text) > 60 or text.endswith((".", "!", "?", ":")):
        return False
    parts = [p for p in text.rstrip(",").split(",") if p.strip()]
    if not 2 <= len(parts) <= 3:
        return False
    if any(len(WORD.findall(p)) > 4 for p in parts) or not SIGNATURE_CHARS.fullmatch(text):
        return False
    return not any(t in stopwords() for t in tokens if len(t) > 2)


def split_lines(text: str) -> list[Line]:
    """Every line of ``text`` with its features. The heuristics, the model's guard and the strip
    itself each read a document's lines in turn: the last documents' lines are kept (a shard's
    worth), so each document is split once. Texts past ``_KEEP_CHARS`` are not kept (1,024 of
    them could hold gigabytes)."""
    return split_lines_uncached(text) if len(text) > _KEEP_CHARS else list(_split(text))


def split_lines_uncached(text: str) -> list[Line]:
    return [line_features(i, raw) for i, raw in enumerate(text.split("\n"))]


def text_lines(text: str) -> list[TextLine]:
    """Every line of ``text`` as a ``TextLine``: for what the model decides alone, the lines'
    text without the heuristics' features. Kept as ``split_lines`` keeps its lines."""
    return _plain_lines(text) if len(text) > _KEEP_CHARS else list(_text_lines(text))


@lru_cache(maxsize=1024)
def _text_lines(text: str) -> tuple[TextLine, ...]:
    return tuple(_plain_lines(text))


def _plain_lines(text: str) -> list[TextLine]:
    """``text_line`` of every line, with the words of all lines counted in one pass."""
    out = []
    for i, (raw, words) in enumerate(zip(text.split("\n"), line_words(text))):
        stripped = raw.strip()
        if len(stripped) > 2 and BULLET.match(stripped):  # its text and words are without the bullet
            out.append(text_line(i, raw))
        else:
            out.append(TextLine(i, raw, stripped, words, not stripped))
    return out


def line_words(text: str) -> list[int]:
    """``len(WORD.findall(line.lower()))`` of every line of ``text`` (cut at "\\n"). Lower-casing
    the whole text lower-cases each line as on its own, and white space at a line's ends is
    no part of a word, so the lines need not be stripped first."""
    cps = np.frombuffer(text.lower().encode("utf-32-le", "surrogatepass"), np.uint32)
    if len(cps) and cps.max() > 0xFFFF:  # emoji, historic scripts: each stands for a letter or a space
        cps = cps.copy()
        astral = cps > 0xFFFF
        cps[astral] = [ord("a") if chr(cp).isalnum() else ord(" ") for cp in cps[astral].tolist()]
    return _count_words(cps, _word_chars(), text.count("\n") + 1).tolist()


@lru_cache(maxsize=1)
def _word_chars() -> np.ndarray:
    """Does ``\\w`` match each BMP code point (as ``re`` tells it: alphanumeric or "_")."""
    return np.frombuffer(bytes(ch.isalnum() or ch == "_" for ch in map(chr, range(0x10000))), np.bool_)


@jit
def _count_words(cps, word, n_lines):
    """``WORD`` matches per line: a run of word characters, joined to the next run when one
    apostrophe stands between them (a joined run starts no match of its own). ``word``: does
    ``\\w`` match each BMP code point (``cps`` holds no other)."""
    counts = np.zeros(n_lines, np.int64)
    line, i, n = 0, 0, cps.shape[0]
    while i < n:
        if cps[i] == 10:
            line += 1
            i += 1
        elif word[cps[i]]:
            counts[line] += 1
            while i < n and word[cps[i]]:
                i += 1
            if i + 1 < n and (cps[i] == 39 or cps[i] == 0x2019) and word[cps[i + 1]]:
                i += 1
                while i < n and word[cps[i]]:
                    i += 1
        else:
            i += 1
    return counts


_KEEP_CHARS = 50_000  # ~10 news articles; what is kept stays under a few hundred MB


@lru_cache(maxsize=1024)
def _split(text: str) -> tuple[Line, ...]:
    return tuple(split_lines_uncached(text))


def nonempty_below(lines: list[Line], i: int, n: int, stop: int | None = None) -> list[int]:
    """Indices of the first ``n`` non-empty lines below line ``i`` (and above ``stop``)."""
    return list(islice((ln.index for ln in lines[i + 1:stop] if not ln.empty), n))


def nonempty_above(lines: list[Line], i: int, n: int) -> list[int]:
    """Indices of the nearest ``n`` non-empty lines above line ``i``, nearest first."""
    return list(islice((lines[j].index for j in range(i - 1, -1, -1) if not lines[j].empty), n))
