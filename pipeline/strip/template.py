"""Site template: lines that repeat across many documents of the same site in one batch.

Only hashes are kept (8 bytes of xxh64 as hex per line), and per site at most ``MAX_KEYS``
distinct lines are counted, so memory stays bounded however large the batch is: when the table
is full, lines seen once are forgotten, and if more than half the table has been seen more
often than that, the bar doubles until half is free (lossy counting). A full table is thus
rebuilt once per ``MAX_KEYS / 2`` new lines at most, not for every document, and time stays
linear however many lines recur.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable
from urllib.parse import urlsplit

import xxhash

from storydedup.pipeline.strip.lines import WORD

MAX_KEYS = 200_000
# Only lines of up to this many words are counted: chrome is short, and long repeated prose is
# more likely a duplicated article (the near-duplicate stage's business, not ours).
MAX_WORDS = 40
DIGITS = re.compile(r"\d+")
ANY_SITE = "*"  # template key of the whole batch


def site_of(rec: dict) -> str | None:
    """``source`` when given, else the URL host without "www.", else None (no template)."""
    if rec.get("source"):
        return str(rec["source"]).lower()
    url = rec.get("url")
    if url:
        try:
            host = urlsplit(url if "//" in url else "//" + url).hostname or ""
        except ValueError:  # e.g. "http://[x": an unbalanced IPv6 bracket (found by a property test)
            return None
        return host.removeprefix("www.") or None
    return None


@lru_cache(maxsize=8)
def more_words_than(n: int) -> re.Pattern:
    """Matches a text with more than ``n`` words as ``WORD`` finds them: words are runs of word
    characters (joined by one apostrophe) between runs of other characters, and the possessive
    quantifiers never split a run, so the count is findall's. Paragraphs, most of a text's
    characters, are thus turned down after ``n`` words instead of being cut into all of theirs."""
    return re.compile(r"\W*+(?:\w++(?:['’]\w++)?+\W*+){%d}" % (n + 1))


def line_key(line: str, max_words: int = MAX_WORDS) -> str | None:
    """Hash of a line with case, spacing and digits (dates, counters) normalised away."""
    low = line.lower()
    if more_words_than(max_words).match(low):  # digits -> "0" keeps the words, so count first
        return None
    words = WORD.findall(DIGITS.sub("0", low))
    if not words:
        return None
    return xxhash.xxh64_hexdigest(" ".join(words).encode("utf-8"))


def build_template(records: Iterable[dict]) -> dict:
    """One pass over all documents: ``{"sites": {site: {"docs": n, "lines": {hash: count}}}}``;
    the entry ``ANY_SITE`` counts over the whole batch, for documents that name no site.

    Counts are document frequencies (a line repeated inside one document counts once); only
    hashes seen in at least two documents are kept in the result.
    """
    sites: dict[str, dict] = {}
    floors: dict[str, int] = {}  # per site: counts at or below this were forgotten when full
    for rec in records:
        text = rec.get("text")
        if not text:
            continue
        keys = {line_key(line) for line in text.split("\n")} - {None}
        for site in (site_of(rec), ANY_SITE):
            if site is None:
                continue
            entry = sites.setdefault(site, {"docs": 0, "lines": {}})
            entry["docs"] += 1
            counts = entry["lines"]
            for key in keys:
                counts[key] = counts.get(key, 0) + 1
            if len(counts) > MAX_KEYS:
                entry["lines"], floors[site] = forget_rare(counts, floors.get(site, 1))
    return {
        "sites": {
            site: {"docs": e["docs"], "lines": {k: c for k, c in sorted(e["lines"].items()) if c > 1}}
            for site, e in sorted(sites.items())
            if e["docs"] > 1
        }
    }


def forget_rare(counts: dict[str, int], floor: int) -> tuple[dict[str, int], int]:
    """``counts`` without the lines seen ``floor`` times or fewer, the floor doubled until at
    most half of ``MAX_KEYS`` remain; returns the kept counts and the floor reached."""
    kept = {k: c for k, c in counts.items() if c > floor}
    while len(kept) > MAX_KEYS // 2:
        floor *= 2
        kept = {k: c for k, c in kept.items() if c > floor}
    return kept, floor


def template_lines(rec: dict, template: dict, min_docs: int, min_share: float,
                   batch_share: float = 1.0, batch_max_words: int = 0):
    """Predicate: is this line part of the record's site template? A record that names no
    site falls back to the batch: lines of at most ``batch_max_words`` words found in at least
    ``batch_share`` of all documents (labels every site prints: "Home", "Reply", "Name")."""
    site = site_of(rec)
    entry = (template or {}).get("sites", {}).get(site or ANY_SITE)
    max_words = MAX_WORDS
    if site is None:
        min_share, max_words = batch_share, batch_max_words
    if not entry or entry["docs"] < min_docs or max_words <= 0:
        return lambda line: False
    need = max(min_docs, min_share * entry["docs"])
    counts = entry["lines"]

    def is_template(line: str) -> bool:
        key = line_key(line, max_words)
        return key is not None and counts.get(key, 0) >= need

    return is_template
