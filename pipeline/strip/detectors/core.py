"""The article core: the densest run of long prose lines.

Each non-empty line gets a score: prose lines earn their word count, every other line costs a
little, and lines with comment-thread or end-matter evidence cost a lot. The core is the
maximum-sum run of lines (Kadane), so short sub-headings between paragraphs stay inside while
navigation menus, link lists and comment threads fall outside.
"""
from __future__ import annotations

from collections import Counter

from storydedup.pipeline.strip.lines import Line, TextLine, ends_sentence, is_meta

# Below this share of frequent words a long line is a link list or label soup, not prose.
MIN_STOP_SHARE = 0.12


# Lines this long count as prose even without final punctuation (scrapers drop some).
LONG_LINE = 20
# Short lines with this share of Capitalised words are headlines or link titles.
MAX_CAPS_SHARE = 0.6
# Long lines with this share of Capitalised words and few frequent words are keyword link lists.
LINK_SOUP_CAPS = 0.8


def is_prose(line: Line, min_words: int) -> bool:
    """A sentence-like line: enough words, frequent words among them, not Title Case."""
    if line.words < min_words or line.stop_share < MIN_STOP_SHARE or is_code(line):
        return False
    if line.words >= LONG_LINE:  # unless it is a comma-strung list of Title Case link texts
        return line.stop_share >= 2 * MIN_STOP_SHARE or line.caps_share < LINK_SOUP_CAPS
    return line.ends_sentence and line.caps_share < MAX_CAPS_SHARE


def is_code(line: Line) -> bool:
    """Script or style source that leaked into the text: braces, semicolons and assignments at
    a density no prose has."""
    marks = sum(map(line.text.count, "{};=<>"))
    return marks >= max(3, 0.2 * line.words)


def wrapped_prose(lines: list[Line], min_words: int) -> set[int]:
    """Lines of hard-wrapped paragraphs (text broken every ~70 characters, as in e-mail or
    plain-text feeds): one line alone is not a sentence, but the block it belongs to is prose."""
    out: set[int] = set()
    for block in _wrapped_blocks(lines, min_words):
        stops = sum(b.stop_share * b.words for b in block) / sum(b.words for b in block)
        if stops >= MIN_STOP_SHARE:
            out.update(b.index for b in block)
    return out


def continued_prose(lines: list[Line]) -> set[int]:
    """Lines of a paragraph broken mid-sentence without blank lines around it (a quotation
    wrapped at a fixed width inside other text): each line stops short of a sentence end and
    the next one goes on in lower case. Together they are prose, each alone is too short.
    Title-cased lines and lines with times or bylines are teasers of a story list, never part
    of such a paragraph."""
    def joins(prev: Line, ln: Line) -> bool:
        return _goes_on(prev, ln) and not is_meta(ln.text) and not is_meta(prev.text) \
            and max(ln.caps_share, prev.caps_share) < MAX_CAPS_SHARE

    out: set[int] = set()
    for group in _continued_groups(lines, joins):
        if sum(g.stop_share * g.words for g in group) >= MIN_STOP_SHARE * sum(g.words for g in group):
            out.update(g.index for g in group)
    return out


def paragraph_candidates(lines: list[TextLine], min_words: int) -> set[int]:
    """Lines that may belong to ``wrapped_prose`` or ``continued_prose``, read from the text
    and word count alone (a superset: the frequent-word share, metadata and capitals tests are
    left out). A caller that only needs to know whether some lines are such paragraph lines
    skips the full line features when none of them is a candidate."""
    blocks = [*_wrapped_blocks(lines, min_words), *_continued_groups(lines, _goes_on)]
    return {ln.index for block in blocks for ln in block}


def _wrapped_blocks(lines: list[TextLine], min_words: int):
    """Runs of two or more non-empty lines without a bullet, of ``2 * LONG_LINE`` words or more,
    whose lines but the last have ``min_words`` words and not all end a sentence."""
    block: list[TextLine] = []
    for ln in lines + [None]:
        if ln is not None and not ln.empty and ln.text == ln.raw.strip():  # a bullet line's text lost its bullet
            block.append(ln)
            continue
        body = block[:-1]
        if len(block) >= 2 and all(b.words >= min_words for b in body) and sum(b.words for b in block) >= 2 * LONG_LINE \
                and not all(ends_sentence(b.text) for b in body):
            yield block
        block = []


def _goes_on(prev: TextLine, ln: TextLine) -> bool:
    """``ln`` may continue the sentence of the line above it: that one has no sentence end and
    this one starts in lower case."""
    return not ends_sentence(prev.text) and ln.text[:1].islower()


def _continued_groups(lines: list[TextLine], joins):
    """Runs of two or more non-empty lines (blank lines between them skipped), each of which
    ``joins`` the one before it, of ``LONG_LINE`` words or more."""
    group: list[TextLine] = []
    for ln in [ln for ln in lines if not ln.empty] + [None]:
        if ln is not None and group and joins(group[-1], ln):
            group.append(ln)
            continue
        if len(group) >= 2 and sum(g.words for g in group) >= LONG_LINE:
            yield group
        group = [ln] if ln is not None else []


def numbered_items(lines: list[Line], min_run: int = 3, min_words: int = 3, max_gap: int = 3) -> set[int]:
    """Lines of an article's own numbered list (1., 2., 3., ... in sequence, at most
    ``max_gap`` other lines between items): a reading list, recipe steps or a ranking.
    Title-like items would otherwise count as a link list."""
    out: set[int] = set()
    run: list[tuple[int, Line]] = []  # (position among non-empty lines, line)
    numbered = [(pos, ln) for pos, ln in enumerate(ln for ln in lines if not ln.empty) if ln.number is not None]
    for pos, ln in numbered + [(None, None)]:
        if ln is not None and run and ln.number == run[-1][1].number + 1 and pos - run[-1][0] <= max_gap + 1:
            run.append((pos, ln))
            continue
        if len(run) >= min_run:
            out.update(item.index for _, item in run if item.words >= min_words)
        run = [(pos, ln)] if ln is not None else []
    return out


def echoed_lines(lines: list[Line], min_words: int = 8, min_df: int = 4, min_share: float = 0.5) -> set[int]:
    """Lines built mostly from word 3-grams that recur in ``min_df`` or more lines of the same
    document: gallery captions, teaser lists and repeated widget texts. An article's prose
    does not repeat half of a sentence three times over."""
    grams: dict[int, set[tuple[str, ...]]] = {}
    for ln in lines:
        if ln.words >= min_words:
            toks = ln.tokens
            grams[ln.index] = set(zip(toks, toks[1:], toks[2:]))
    df = Counter(g for gs in grams.values() for g in gs)
    if max(df.values(), default=0) < min_df:  # most documents: no 3-gram recurs that often
        return set()
    return {i for i, gs in grams.items()
            if gs and sum(df[g] >= min_df for g in gs) >= min_share * len(gs)}


ELLIPSIS = ("...", "…")


def teasers(lines: list[Line], min_count: int = 3) -> set[int]:
    """Cut-off summaries of a story list: a line that breaks off with an ellipsis right below
    a headline (a line without a sentence end), ``min_count`` or more times in one document.
    One trailing ellipsis is the author's style; a series under headlines is a teaser list."""
    out: set[int] = set()
    prev = None
    for ln in lines:
        if ln.empty:
            continue
        if prev is not None and ln.text.rstrip().endswith(ELLIPSIS) and not prev.ends_sentence:
            out.add(ln.index)
        prev = ln
    return out if len(out) >= min_count else set()


def shared_openings(lines: list[Line], min_count: int = 3, opening: int = 5, min_words: int = 8) -> set[int]:
    """Ledes of a list of wire stories: ``min_count`` or more paragraphs that open with the
    same ``opening`` words ("New Delhi, Jan 15 (ANI): ...") and are each followed by a
    headline or nothing, never by more of their own text."""
    nonempty = [ln for ln in lines if not ln.empty]
    groups: dict[tuple[str, ...], list[int]] = {}
    for k, ln in enumerate(nonempty):
        toks = ln.tokens
        nxt = nonempty[k + 1] if k + 1 < len(nonempty) else None
        if ln.words >= min_words and (nxt is None or not nxt.ends_sentence):
            groups.setdefault(tuple(toks[:opening]), []).append(ln.index)
    return {i for ids in groups.values() if len(ids) >= min_count for i in ids}


def title_runs(lines: list[Line], min_run: int = 3, min_words: int = 4, max_words: int = 16) -> set[int]:
    """Runs of ``min_run`` or more consecutive headline-shaped lines (a few words, no sentence
    end, no bullet or number): a list of links to other stories, even inside the article.
    Sub-headings stand alone; bulleted lists and recipe lines are excluded."""
    return runs_of(lines, min_run, lambda ln: not ln.bullet and min_words <= ln.words <= max_words
                   and not ln.ends_sentence and not ln.text[:1].isdigit())


def short_runs(lines: list[Line], min_run: int = 8, max_words: int = 9) -> set[int]:
    """Runs of ``min_run`` or more consecutive short lines (no bullets or numbers): a list of
    post titles, some of which end like sentences ("Stop your presentation before it kills
    again!"). Prose has longer lines among its short ones."""
    return runs_of(lines, min_run, lambda ln: ln.words <= max_words and not ln.bullet)


def runs_of(lines: list[Line], min_run: int, member) -> set[int]:
    """Indices of the runs of ``min_run`` or more consecutive non-empty lines that ``member`` accepts."""
    out: set[int] = set()
    run: list[int] = []
    for ln in [ln for ln in lines if not ln.empty] + [None]:
        if ln is not None and member(ln):
            run.append(ln.index)
            continue
        if len(run) >= min_run:
            out.update(run)
        run = []
    return out


def densest_run(scores: list[tuple[int, float]]) -> tuple[int, int] | None:
    """(first, last) line index of the maximum-sum run of ``(index, score)`` pairs."""
    best, best_span = 0.0, None
    run, start = 0.0, None
    for idx, score in scores:
        if start is None or run <= 0:
            run, start = 0.0, idx
        run += score
        if run > best:
            best, best_span = run, (start, idx)
    return best_span


def best_before(scores: list[tuple[int, float]], n: int) -> list[float]:
    """For every line index c, the score of the densest run lying entirely above line c."""
    out, best, run = [0.0] * (n + 1), 0.0, 0.0
    pos = 0
    for c in range(n + 1):
        while pos < len(scores) and scores[pos][0] < c:
            run = max(0.0, run) + scores[pos][1]
            best = max(best, run)
            pos += 1
        out[c] = best
    return out
