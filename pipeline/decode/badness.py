"""A fast, exact stand-in for ``ftfy.badness.is_bad`` (ftfy's mojibake detector).

ftfy's detector is one big regex and costs more than every other clean-text check together.
"""
from __future__ import annotations

import re

from ftfy.badness import BADNESS_RE

# ftfy's mojibake detector (one big regex) costs more than everything else in the check. Every
# one of its alternatives needs at least one character from a small set, so it only has to run
# in short windows around those characters. The set is read off the pattern itself (so it
# follows ftfy upgrades); per alternative we take the required character class that clean text
# uses least, judged by COMMON_IN_TEXT.
COMMON_IN_TEXT = set("\u2018\u2019\u201c\u201d\u00ab\u00bb\u2013\u2014\u2026\u00b7\u00a0")
COMMON_IN_TEXT |= {c for c in map(chr, range(0xDF, 0x250)) if c.islower()}
COMMON_IN_TEXT |= {chr(c) for c in range(0x370, 0x530)}  # Greek and Cyrillic letters


def _class_chars(body: str) -> set[str] | None:
    """Characters of a [...] body; None if negated, escaped or able to match ASCII."""
    if body.startswith("^") or "\\" in body:
        return None
    chars, i = set(), 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.update(map(chr, range(ord(body[i]), ord(body[i + 2]) + 1)))
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return None if any(c < "\x80" for c in chars) else chars


def _alternatives(pattern: str) -> list[list[str]]:
    """Top-level alternatives of a verbose pattern without groups, as lists of atoms."""
    alts: list[list[str]] = [[]]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[":
            end = pattern.index("]", i + 2)
            alts[-1].append(pattern[i:end + 1])
            i = end + 1
            continue
        if c == "#":  # a comment runs to the end of the line
            newline = pattern.find("\n", i)
            i = len(pattern) if newline < 0 else newline
            continue
        if c == "(":
            raise ValueError("groups not supported")
        if c == "\\":
            alts[-1].append(pattern[i:i + 2])
            i += 2
            continue
        if c == "|":
            alts.append([])
        elif c in "?*":
            alts[-1][-1] += c
        elif not c.isspace():
            alts[-1].append(c)
        i += 1
    return alts


def _badness_triggers(pattern: str) -> tuple[dict[str, re.Pattern], int]:
    """For each trigger character, the alternatives that need it; and the longest match.

    A match of an alternative contains one of that alternative's trigger characters, so
    searching, around each trigger character in a text, only the alternatives it triggers
    finds a match exactly when the whole pattern would. (A search that starts at pos > 0 does
    not match "^" there, as in the whole text.)
    """
    by_char: dict[str, list[str]] = {}
    longest = 0
    for atoms in _alternatives(pattern):
        longest = max(longest, len(atoms))
        options = []
        for atom in atoms:
            if atom.endswith(("?", "*")) or atom.startswith("\\"):
                continue
            chars = _class_chars(atom[1:-1]) if atom.startswith("[") else ({atom} if atom >= "\x80" else None)
            if chars:
                options.append((sum(100 if c in COMMON_IN_TEXT else 1 for c in chars), sorted(chars)))
        if not options:
            raise ValueError(f"no required non-ASCII character in {atoms}")
        for c in min(options)[1]:
            by_char.setdefault(c, []).append("".join(atoms))
    return {c: re.compile("|".join(alts)) for c, alts in by_char.items()}, longest


_BY_TRIGGER, _LONGEST_MATCH = _badness_triggers(BADNESS_RE.pattern)
_TRIGGER_RE = re.compile("[" + "".join(re.escape(c) for c in sorted(_BY_TRIGGER)) + "]")


def looks_bad(text: str) -> bool:
    """Same answer as ``ftfy.badness.is_bad(text)``, searching only near trigger characters."""
    reach = _LONGEST_MATCH
    for m in _TRIGGER_RE.finditer(text):
        pos = m.start()
        if _BY_TRIGGER[m.group()].search(text, max(0, pos - reach), pos + reach):
            return True
    return False
