"""What the story vector of a record reads: its headline and its prose lines.

Stripping leaves some page chrome behind (section names, "Add to", teaser link lists). Those
short lines are full of rare names, so they would weigh heavily in a salience vector and make two
unrelated reports from one site look like one story. The story vector therefore reads, like the
shingles of the duplicate signature, only lines of at least ``min_line_words`` words, unless
fewer than ``min_kept_words`` words would remain (short items, headline-only records). A record
without title takes its short first line as headline.
"""
from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"\w+")


def with_headline(rec: dict, max_words: int) -> dict:
    """``rec`` itself, or a shallow copy whose ``title`` is the text's first line: scraped text
    usually opens with the headline, the densest statement of what the story is about."""
    if rec.get("title") or max_words <= 0:
        return rec
    first = (rec.get("text") or "").strip().split("\n", 1)[0]
    if not first or len(first.split()) > max_words:
        return rec
    return {**rec, "title": first}


def long_lines(text: str, min_line_words: int) -> list[str]:
    """The lines of ``text`` holding at least ``min_line_words`` (>= 1) words, in order."""
    return prose_pattern(max(min_line_words, 1)).findall(text)


def prose_lines(text: str, min_line_words: int, min_kept_words: int, lines: list[str] | None = None) -> str:
    """``text`` without its lines of fewer than ``min_line_words`` words, or ``text`` unchanged
    when the remaining lines hold fewer than ``min_kept_words`` words. ``lines``: the result of
    ``long_lines(text, min_line_words)`` when the caller already has it."""
    if min_line_words <= 1 or "\n" not in text:
        return text
    kept = long_lines(text, min_line_words) if lines is None else lines
    enough = len(kept) * min_line_words >= min_kept_words  # each kept line has that many words
    if not enough and sum(word_count(line) for line in kept) < min_kept_words:
        return text
    return "\n".join(kept)


def word_count(line: str) -> int:
    return len(WORD.findall(line))


@lru_cache(maxsize=8)
def prose_pattern(min_words: int) -> re.Pattern:
    """A whole line holding at least ``min_words`` words (one C-level scan of the text; the
    word boundary keeps a word from being split into several)."""
    return re.compile(r"^[^\w\n]*(?:\w+\b[^\w\n]*){%d}.*$" % min_words, re.MULTILINE)


def story_record(rec: dict, headline_words: int, min_line_words: int, min_kept_words: int,
                 lines: list[str] | None = None) -> dict:
    """The record as the story features should see it (the original is not modified)."""
    out = with_headline(rec, headline_words)
    text = rec.get("text") or ""
    prose = prose_lines(text, min_line_words, min_kept_words, lines)
    return out if prose is text else {**out, "text": prose}
