"""The headline block above the article core: title, standfirst, byline and date, found by
walking up from the core over share buttons and labels."""
from __future__ import annotations

import re

from storydedup.pipeline.strip.lines import Line, is_dated, is_dateline, is_meta, nonempty_above, nonempty_below, stopwords


def headline(lines, reasons, evidence, first: int, limit: int, passable=frozenset(),
             restorable=frozenset()) -> set[int]:
    """Headline, standfirst and byline just above the core. Share buttons, nav labels and
    other ``passable`` removals between them and the text are stepped over; the walk stops at
    end matter or thread evidence, once the title itself (``title_shaped``) is taken (what
    lies above a title is the page's chrome), or after ``limit`` short lines in a row (chrome
    a rule named counts half). Bylines that a ``restorable`` rule removed (the post headers of
    comment threads look the same) are taken back."""
    taken, seen, skipped, titled = set(), 0, 0, False
    boxed = boxed_in(lines, reasons, passable, first)
    for i in range(first - 1, -1, -1):
        ln = lines[i]
        if ln.empty:
            continue
        if seen >= 2 * limit or skipped >= limit or len(taken) >= limit:
            break
        seen += 1
        label = is_label(ln)  # "Font size:", "Follow us:"
        byline = reasons[i] and is_meta(ln.text)  # "Posted by X on <date>" matched as chrome
        if byline and reasons[i] in restorable:  # a thread rule's post header: here the article's
            taken.add(i)
            continue
        one_word_template = reasons[i] == "detector:template" and ln.words < 2  # "RSS", "Email"
        tool = reasons[i] in restorable and ln.words <= 2  # "Share", "Like": a thread word in a share bar
        if reasons[i] in passable or byline or one_word_template or tool or i in boxed \
                or (not reasons[i] and (ln.words < 2 or label) and not ln.timestamp):
            skipped += 0.5 if reasons[i] or i in boxed else 1  # known chrome counts half
            continue
        if reasons[i] or (evidence[i] and not ln.timestamp):
            break
        if titled and not title_shaped(ln, min_words=2, names=True):
            if is_meta(ln.text) and ln.words <= 12:  # "July 19, 2012 3:40 PM — By X" above a title
                taken.add(i)
                continue
            break  # above the title only more headings of a text that starts with them
        taken.add(i)
        skipped = 0
        if title_shaped(ln):
            if sum(not x.empty for x in lines[:i]) > limit:
                break  # a page frame lies above the title
            titled = True
    return taken


def is_label(ln: Line) -> bool:
    """A widget's label ("Font size:", "Follow us:", "Get local alerts:")."""
    return ln.text.endswith(":") and ln.words < 4


def boxed_in(lines, reasons, passable, first: int, max_words: int = 4) -> set[int]:
    """Short unnamed lines above ``first`` with ``passable`` chrome right above and right below
    them ("Send to a colleague" inside a bar of named print and e-mail links): one more tool
    of the same bar, not a headline."""
    out: set[int] = set()
    run: list[int] = []
    above = False  # the line above the current run is named chrome
    for i in range(first):
        ln = lines[i]
        if ln.empty:
            continue
        if not reasons[i] and ln.words <= max_words and not ln.timestamp and not is_meta(ln.text):
            run.append(i)
            continue
        named = reasons[i] in passable
        if run and above and named:
            out.update(run)
        run, above = [], named
    return out


# "Hilary Osborne and Phillip Inman": the authors of a byline printed without "By".
AUTHORS = re.compile(r"(?:[A-Z][\w'’-]+ ){1,2}[A-Z][\w'’-]+(?:, (?:[A-Z][\w'’-]+ ){1,2}[A-Z][\w'’-]+)*"
                     r" (?:and|&|und|et|y) (?:[A-Z][\w'’-]+ ){1,2}[A-Z][\w'’-]+")


def title_shaped(ln: Line, min_words: int = 4, max_words: int = 20, names: bool = False) -> bool:
    """A headline: a few words, not ending like a sentence or a label, no byline or date
    (and no name-like line without frequent words, unless ``names``)."""
    return min_words <= ln.words <= max_words and not ln.text.endswith((".", ":")) \
        and (names or not ln.namelike) and not is_meta(ln.text) and not AUTHORS.fullmatch(ln.text)


def distant_title(lines, reasons, evidence, first: int, passable, runs: set[int], reach: int = 16,
                  core_words: set[str] | None = None) -> int | None:
    """The title when unknown chrome (share and print links no rule names) separates it from
    the text: the nearest title-shaped line within ``reach`` lines
    above the core that is not part of a list of headlines (and, given ``core_words``, is
    ``about`` the core). End matter or thread evidence on the way means the text has no title here."""
    seen = 0
    for i in range(first - 1, -1, -1):
        ln = lines[i]
        if ln.empty:
            continue
        seen += 1
        if seen > reach or (reasons[i] and reasons[i] not in passable and not is_meta(ln.text)) \
                or (evidence[i] and not ln.timestamp):
            return None
        if not reasons[i] and i not in runs and title_shaped(ln) and (core_words is None or about(ln, core_words)):
            return i
    return None


def dated_header(lines, reasons, evidence, first: int, head: set[int], prose: set[int], core_words: set[str],
                 passable, box=frozenset(), runs: set[int] = frozenset(), reach: int = 24, near: int = 6) -> set[int]:
    """The article's own header when a box of end matter ("Latest news", "Related articles",
    "Jump to comments") separates it from the text starting at ``first``: the nearest
    title-shaped line within ``reach`` lines above the ``head`` found so far that has a byline
    or date close by and shares its words with the core, with the header lines and lede
    paragraphs below it (``header_block``). Teasers of other stories fail the word test. If
    the head has a title, only a different title beyond end matter (``box``: its removal
    reasons) counts: the box is why it was not found."""
    top = min(head | {first})
    titled = any(title_shaped(lines[i]) for i in head)
    known = {lines[i].text for i in head}
    seen, crossed = 0, False
    for t in range(top - 1, -1, -1):
        ln = lines[t]
        if ln.empty:
            continue
        seen += 1
        if seen > reach:
            return set()
        crossed = crossed or reasons[t] in box
        if reasons[t] or ln.text in known or not title_shaped(ln) or not about(ln, core_words):
            continue
        if (crossed or not titled) and dated_near(lines, t, top, near):
            teasers = {i for i in runs if other_story(lines[i], core_words)}
            return header_block(lines, reasons, evidence, header_start(lines, reasons, t), top, prose, passable, teasers)
    return set()


def other_story(ln: Line, core_words: set[str]) -> bool:
    """A headline that is not ``about`` the core: the teaser of another story."""
    return title_shaped(ln) and not about(ln, core_words)


def about(ln: Line, core_words: set[str], min_share: float = 0.25) -> bool:
    """Whether a title names what the core is about: at least ``min_share`` of its longer
    non-frequent words (at least one) occur in the core (``core_words``: ``key_words``)."""
    words = key_words(ln, frequent=False)
    shared = len(words & core_words)
    return shared >= 1 and shared >= min_share * len(words)


def key_words(ln: Line, frequent: bool = True) -> set[str]:
    """The first five letters of the line's words of four or more letters (so that "crews"
    matches "crew" and "returned" "return"); without the most frequent words unless ``frequent``."""
    return {w[:5] for w in ln.tokens if len(w) >= 4 and (frequent or w not in stopwords())}


def header_start(lines, reasons, t: int, limit: int = 3) -> int:
    """The first line of the header that line ``t`` belongs to: title, date and standfirst
    stand one above the other, and the search meets the lowest of them first."""
    for _ in range(limit):
        above = nonempty_above(lines, t, 1)
        if not above or reasons[above[0]]:
            break
        ln = lines[above[0]]
        if not (title_shaped(ln, names=True) or is_dated(ln.text)):
            break
        t = ln.index
    return t


def dated_near(lines, t: int, top: int, near: int) -> bool:
    """A byline or date within two non-empty lines above ``t`` or ``near`` below it (and above ``top``)."""
    close = nonempty_above(lines, t, 2) + nonempty_below(lines, t, near, stop=top)
    return any(is_dateline(lines[j]) for j in close)


def header_block(lines, reasons, evidence, t: int, top: int, prose: set[int], passable, teasers: set[int] = frozenset(),
                 max_words: int = 20, limit: int = 4) -> set[int]:
    """Title ``t`` and what follows it down to ``top``: short header lines (byline, date,
    source) over named tools, then the lede's prose paragraphs up to the first line that is
    neither (the box that split the article, or ``teasers``: headlines of other stories). A lede follows the title or a dated line with at
    most one other line between; prose further down the header is an author bio."""
    taken, lede, undated = {t}, False, 0
    for i in range(t + 1, top):
        ln = lines[i]
        if ln.empty:
            continue
        if i in prose and not reasons[i] and undated <= 1:
            taken.add(i)
            lede = True
        elif lede:
            break
        elif reasons[i] in passable:
            continue
        elif (reasons[i] and not is_dated(ln.text)) or (evidence[i] and not ln.timestamp) or is_label(ln) \
                or ln.words > max_words or len(taken) > limit or i in teasers:
            break
        else:
            taken.add(i)
            undated = 0 if is_dated(ln.text) else undated + 1
    return taken
