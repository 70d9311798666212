"""Synthetic training pages: real article bodies from a training set, framed by widgets in many
languages whose *structure* varies and whose *wording* comes from data, never from a widget.

The labelled training sets hold few comment threads (25 documents) and almost only English and
German. A model trained on them alone learns those sites' words. These pages teach structure
instead: a thread is author / time / text / controls repeated; a box is a short heading, a line
or two and a button, placed between paragraphs or after them; a list is short title-like lines
under a heading. Words of the controls are frequent words of a random language (wordfreq), so
no wording is reliable evidence; times and dates come from the Unicode CLDR through babel
(``vor 3 Stunden``, ``3 godziny temu``, ``قبل 3 ساعات``). Comment and promo text are real lines
of *other* training documents (their labelled comments and body sentences), so they read as
prose and only their frame tells them apart. On part of the pages (``relex_share``) all of that
text is carried into the page's language word for word (``relexify``): the same sentence
shapes in another script, so that prose written without spaces or in another alphabet is also
seen as prose.
"""
from __future__ import annotations

import datetime
import random
import re
from dataclasses import dataclass
from functools import lru_cache

from storydedup.pipeline.strip.model.language import NO_SPACES

LANGS = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "ru", "uk", "tr", "ar", "fa", "hi", "id",
         "ja", "zh", "ko", "sv", "da", "nb", "fi", "hu", "ro", "el", "bg", "he", "vi", "ca", "sk", "hr")
_SENT = re.compile(r"(?<=[.!?])\s+")
SEPARATORS = (" | ", " · ", " • ", "  ", " / ", " - ")
FULL_WIDTH = str.maketrans({".": "。", ",": "，", "!": "！", "?": "？", ":": "：", ";": "；"})
_TOKEN = re.compile(r"[^\W\d_]+|\d+(?:[.,:]\d+)*|\S")


@lru_cache(maxsize=None)
def zipf_words(lang: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Frequent words of ``lang`` (function words included) and cumulative weights 1/rank, so
    that drawn text has about the share of frequent words real prose has."""
    from itertools import accumulate

    from wordfreq import top_n_list

    words = tuple(w for w in top_n_list(lang, 3000) if w.isalpha()) or tuple(top_n_list("en", 3000))
    return words, tuple(accumulate(1.0 / r for r in range(1, len(words) + 1)))


def relexify(line: str, lang: str, rng: random.Random) -> str:
    """``line`` with each word replaced by a word of ``lang`` drawn by frequency; numbers and
    punctuation stay, a capital stays a capital. Chinese and Japanese join words without spaces
    and take full-width punctuation."""
    words, weights = zipf_words(lang)
    out = []
    for tok in _TOKEN.findall(line):
        if tok[0].isalpha():
            w = rng.choices(words, cum_weights=weights)[0]
            tok = w.capitalize() if tok[0].isupper() and lang not in NO_SPACES else w
        elif lang in NO_SPACES and len(tok) == 1:
            tok = tok.translate(FULL_WIDTH)
        out.append(tok)
    if lang in NO_SPACES:
        return "".join(out)
    text = " ".join(out)
    return re.sub(r" (?=[.,!?:;)\]%»”])|(?<=[(\[«“]) ", "", text)


@lru_cache(maxsize=None)
def lexicon(lang: str) -> tuple[str, ...]:
    """Frequent words of ``lang`` (past the very top, which is mostly function words)."""
    from wordfreq import top_n_list

    words = [w for w in top_n_list(lang, 1500)[60:] if w.isalpha() or len(w) > 1]
    return tuple(words) or tuple(top_n_list("en", 1500)[60:])


@dataclass
class Material:
    bodies: list[list[str]]   # body lines of each training document, in order
    texts: list[str]          # comment lines and body sentences of the training documents
    titles: list[str]         # short title-like body lines (first lines of bodies)


def material(docs: list[dict]) -> Material:
    bodies, texts, titles = [], [], []
    for doc in docs:
        lines = doc["text"].split("\n")
        body = [ln.strip() for ln, lab in zip(lines, doc["lines"]) if lab == "body" and ln.strip()]
        texts += [ln.strip() for ln, lab in zip(lines, doc["lines"]) if lab == "comment" and len(ln.split()) >= 3]
        if len(body) >= 4:
            bodies.append(body)
            titles += [ln for ln in body[:2] if 3 <= len(ln.split()) <= 14 and ln[-1] not in ".!?"]
            texts += [s for ln in body[2:] for s in _SENT.split(ln) if 4 <= len(s.split()) <= 60]
    return Material(bodies, texts, titles)


class Page:
    """Lines with labels, and the writers of each kind of widget."""

    def __init__(self, rng: random.Random, mat: Material, lang: str, relex: bool = False):
        self.rng, self.mat, self.lang, self.relex = rng, mat, lang, relex
        self.words = lexicon(lang)
        self.case = rng.choice((str.capitalize, str.lower, str.upper, str.title, str.capitalize))

    def text(self, line: str) -> str:
        """Prose of the training documents, in the page's language when the page is carried over."""
        return relexify(line, self.lang, self.rng) if self.relex else line

    # -- wording ---------------------------------------------------------------------------
    def ui(self, lo: int = 1, hi: int = 2) -> str:
        words = [self.rng.choice(self.words) for _ in range(self.rng.randint(lo, hi))]
        return self.case(" ".join(words))

    def when(self) -> str:
        from babel.dates import format_date, format_datetime, format_timedelta

        r = self.rng
        moment = datetime.datetime(2020, 1, 1) + datetime.timedelta(minutes=r.randint(0, 3_000_000))
        kind = r.random()
        try:
            if kind < 0.45:
                delta = datetime.timedelta(minutes=-r.choice((r.randint(1, 59), r.randint(60, 3000), r.randint(3000, 90000))))
                return format_timedelta(delta, add_direction=True, format=r.choice(("long", "short")), locale=self.lang)
            if kind < 0.75:
                return format_datetime(moment, r.choice(("short", "medium")), locale=self.lang)
            return format_date(moment, r.choice(("short", "medium", "long")), locale=self.lang)
        except Exception:  # a locale babel lacks: an ISO stamp is as good a shape
            return moment.strftime("%Y-%m-%d %H:%M")

    def count(self) -> str:
        r, n = self.rng, self.rng.choice((self.rng.randint(0, 9), self.rng.randint(10, 999)))
        return r.choice((f"{n} {self.ui(1, 1)}", f"{self.ui(1, 1)} ({n})", f"+{n}", f"{n} ▲ {r.randint(0, 20)} ▼",
                         f"👍 {n}", f"{self.ui(1, 1)} {n}", f"{n}"))

    def author(self) -> str:
        r = self.rng
        word = lambda: r.choice(self.words).capitalize()  # noqa: E731
        return r.choice((f"{word()} {word()}", f"{word()}{r.randint(1, 9999)}", f"@{r.choice(self.words)}_{r.randint(1, 99)}",
                         f"{word()} {word()[0]}.", word(), f"{r.choice(self.words)}{r.choice(self.words)}"))

    def comment_text(self) -> list[str]:
        n = self.rng.choice((1, 1, 1, 2, 2, 3))
        return [self.text(self.rng.choice(self.mat.texts)) for _ in range(n)]

    # -- widgets: lists of (line, label) ----------------------------------------------------
    def thread(self) -> list[tuple[str, str]]:
        r = self.rng
        out = [(r.choice((f"{self.ui(1, 2)} ({r.randint(2, 400)})", f"{r.randint(2, 400)} {self.ui(1, 2)}", self.ui(1, 3))), "chrome")]
        if r.random() < 0.4:
            out.append((r.choice(SEPARATORS).join(self.ui(1, 2) for _ in range(r.randint(2, 4))), "chrome"))
        if r.random() < 0.3:
            out.append((self.ui(4, 10) + r.choice((".", "", "!")), "chrome"))
        self.thread_header = len(out)  # lines above the first comment's author (``headless``)
        head = r.choice(("two", "one", "joined", "said"))
        act = r.choice(("bar", "count", "word", "none", "mixed"))
        sep = r.choice(SEPARATORS)
        for _ in range(r.randint(1, 9)):
            prefix = f"{self.ui(1, 1)} {self.author()}" if r.random() < 0.15 else None
            who, when = self.author(), self.when()
            if prefix:
                out.append((prefix, "chrome"))
            if head == "two":
                out += [(who, "chrome"), (when, "chrome")]
            elif head == "one":
                out.append((who, "chrome"))
            elif head == "joined":
                out.append((f"{who}{sep}{when}", "chrome"))
            else:
                out.append((f"{who} {self.ui(1, 1)}:", "chrome"))
            out += [(t, "comment") for t in self.comment_text()]
            kind = r.choice(("bar", "count", "word")) if act == "mixed" else act
            if kind == "bar":
                out.append((sep.join([self.count(), self.ui(1, 1), self.ui(1, 1)][:r.randint(2, 3)]), "chrome"))
            elif kind == "count":
                out.append((self.count(), "chrome"))
            elif kind == "word":
                out.append((self.ui(1, 1), "chrome"))
        if r.random() < 0.5:
            out.append((self.ui(1, 3), "chrome"))
        return out

    def box(self) -> list[tuple[str, str]]:
        r = self.rng
        out = [(self.ui(1, 5) + r.choice(("", "", ":", "!")), "chrome")]
        out += [(self.text(t), "chrome") for t in r.sample(self.mat.texts, r.randint(1, 2))]
        if r.random() < 0.4:
            out.append((r.choice((f"{self.ui(1, 1).lower()}@{self.ui(1, 1).lower()}.example", self.ui(1, 2), "E-mail")), "chrome"))
        out.append((self.ui(1, 2), "chrome"))
        return out

    def listing(self) -> list[tuple[str, str]]:
        r = self.rng
        out = [(self.ui(1, 3), "chrome")] if r.random() < 0.85 else []
        for title in r.sample(self.mat.titles, r.randint(2, 6)):
            title = self.text(title)
            out.append((r.choice((title, title, f"{title}{r.choice(SEPARATORS)}{self.when()}", f"{self.ui(1, 2)}: {title}")), "chrome"))
        return out

    def bar(self) -> list[tuple[str, str]]:
        r, items = self.rng, [self.ui(1, 2) for _ in range(self.rng.randint(2, 7))]
        return [(r.choice(SEPARATORS).join(items), "chrome")] if r.random() < 0.4 else [(i, "chrome") for i in items]

    def footer(self) -> list[tuple[str, str]]:
        r = self.rng
        out = [(f"© {r.randint(1998, 2026)} {self.ui(1, 3)}", "chrome")] if r.random() < 0.7 else []
        return out + self.bar()


INLINE_SHARE = 0.2  # threads whose comments carry their author and time on the text's line
HEADLESS_SHARE = 0.25  # threads that start right below the article, without a count or title
LONG_SHARE = 0.25  # threads whose comments are one paragraph each (letters, answers, Q&A)
ICON_SHARE = 0.25  # pages whose widget lines start with a pictograph ("🔔 Notify me")
# Pictograph blocks of Unicode (miscellaneous symbols and pictographs, transport, dingbats,
# miscellaneous symbols): widgets print one in front of a label in any language.
ICON_BLOCKS = ((0x1F300, 0x1F5FF), (0x1F680, 0x1F6C5), (0x2700, 0x27BF), (0x2600, 0x26FF))


def inline(lines: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """A thread laid out one comment a line: the one or two short chrome lines right above each
    comment (author, time) go at the head of its first line, and at times a short chrome line
    right below it (votes, "Reply") at its end: "anna_k 2 hours ago: ... ▲ 4"."""
    joiner = rng.choice((": ", " — ", " · ", " | ", " "))
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line, label = lines[i]
        if label != "comment":
            out.append((line, label))
            i += 1
            continue
        head = []
        # not the line right below the article: there a thread starts with its header
        while len(out) > 1 and out[-1][1] == "chrome" and out[-2][1] != "body" and len(head) < 2 \
                and len(out[-1][0].split()) <= 6:
            head.insert(0, out.pop()[0])
        text = f"{' '.join(head)}{joiner}{line}" if head else line
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt and nxt[1] == "chrome" and len(nxt[0].split()) <= 4 and rng.random() < 0.4:
            text, i = f"{text} {nxt[0]}", i + 1
        out.append((text, "comment"))
        i += 1
    return out


def icon(rng: random.Random) -> str:
    lo, hi = rng.choice(ICON_BLOCKS)
    return chr(rng.randint(lo, hi))


def headless(lines: list[tuple[str, str]], header: int) -> list[tuple[str, str]]:
    """A thread without the lines above its first comment's author."""
    return lines[header:]


def long_comments(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each comment's lines joined into one paragraph."""
    out: list[tuple[str, str]] = []
    for line, label in lines:
        if label == "comment" and out and out[-1][1] == "comment":
            out[-1] = (f"{out[-1][0]} {line}", label)
        else:
            out.append((line, label))
    return out


def with_icons(lines: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """Some short chrome lines (labels, buttons, headings of at most 6 words) led by a pictograph."""
    return [(f"{icon(rng)} {line}", label) if label == "chrome" and len(line.split()) <= 6 and rng.random() < 0.5
            else (line, label) for line, label in lines]


def make_page(rng: random.Random, mat: Material, body: list[str], relex_share: float,
              layout: random.Random) -> list[tuple[str, str]]:
    """``layout``: a generator of its own for variants drawn after the page is written (one-line
    comments, threads without a header, one-paragraph comments, pictographs), so that turning
    one on leaves every page without it as it was."""
    lang = rng.choice(LANGS)
    page = Page(rng, mat, lang, relex=relex_share > 0 and lang != "en" and rng.random() < relex_share)
    r = rng
    out: list[tuple[str, str]] = []
    if r.random() < 0.8:
        out += page.bar()
    paragraphs = [(page.text(ln), "body") for ln in body]
    for _ in range(r.choice((0, 0, 1, 1, 2))):  # boxes and lists between paragraphs
        at = r.randint(2, max(2, len(paragraphs) - 1))
        paragraphs[at:at] = r.choice((page.box, page.listing, page.bar))()
    out += paragraphs
    tail = [w for w, p in ((page.bar, 0.5), (page.listing, 0.5), (page.box, 0.3)) if r.random() < p]
    if r.random() < 0.75:
        tail.insert(r.randint(0, len(tail)), page.thread)
    for widget in tail:
        lines = widget()
        if widget == page.thread:
            if layout.random() < INLINE_SHARE:
                lines = inline(lines, layout)
            else:
                if layout.random() < HEADLESS_SHARE:
                    lines = headless(lines, page.thread_header)
                if layout.random() < LONG_SHARE:
                    lines = long_comments(lines)
        out += lines
    if r.random() < 0.8:
        out += page.footer()
    if layout.random() < ICON_SHARE:
        out = with_icons(out, layout)
    return out


def synthetic_pages(docs: list[dict], n: int, seed: int, relex_share: float = 0.0) -> list[dict]:
    """``n`` pages ``{"id", "text", "lines", "source": "synth"}`` built from ``docs``; a share
    ``relex_share`` of those not framed in English carry their text into the frame's language."""
    mat = material(docs)
    if not mat.bodies or not mat.texts or len(mat.titles) < 6:
        return []
    rng = random.Random(seed)
    pages = []
    for i in range(n):
        lines = make_page(rng, mat, rng.choice(mat.bodies), relex_share, random.Random(seed * 100_003 + i))
        blank = rng.random() < 0.35  # some scrapes put an empty line between blocks
        text, labels = [], []
        for line, label in lines:
            if blank and text:
                text.append("")
                labels.append(None)
            text.append(line)
            labels.append(label)
        pages.append({"id": f"synth-{i:05d}", "text": "\n".join(text), "lines": labels, "source": "synth"})
    return pages
