"""What a regex can start with: the lower-cased characters a match may begin with, read from
the parsed pattern, so a line is tried only against the patterns its first character allows.
Unsure cases (categories, "any", empty matches, and decoration characters where the caller
strips them before its look-up) answer "any"."""
from __future__ import annotations

import re
from functools import lru_cache

try:  # the regex parser is private; without it every pattern is tried on every line
    from re import _parser as sre_parse, _constants as sre_c
except ImportError:  # pragma: no cover
    sre_parse = sre_c = None

DECOR = "»›>→↓▼▸▾«‹<←↑▲◂|·•+[](){}*#"  # link arrows, bullets, brackets: no wording starts with them
_ANY = None  # first-character set that is unknown


@lru_cache(maxsize=4096)
def _parsed(pattern: str):
    """The parsed pattern, shared by the readers below (each reads it, none changes it): a
    rule set's patterns are each read four ways, and parsing is most of the cost."""
    return sre_parse.parse(pattern)


def first_chars(pattern: str, decor: str = DECOR):
    """Lower-cased characters a match can start with, or None when any may (or when unsure).
    A pattern that may start with one of ``decor`` also answers None: a caller that strips
    decoration off a line before looking its first character up cannot key such a pattern."""
    if sre_parse is None:
        return _ANY
    try:
        chars, nullable = _first(_parsed(pattern), frozenset(decor))
    except Exception:  # unknown construct: be safe
        return _ANY
    return _ANY if nullable else chars


def _first(seq, decor: frozenset):
    out: set[str] = set()
    for op, av in seq:
        chars, nullable = _first_item(op, av, decor)
        if chars is _ANY:
            return _ANY, False
        out |= chars
        if not nullable:
            return out, False
    return out, True


def _class_chars(items) -> set[str] | None:
    """The lower-cased characters a character class (``[...]``) matches, ``\\d`` as "0"; None
    when it holds anything else (a category, a negation, a wide range)."""
    c = sre_c
    out = set()
    for op, av in items:
        if op is c.LITERAL:
            out.add(chr(av).lower())
        elif op is c.RANGE and av[1] - av[0] < 64:
            out.update(chr(x).lower() for x in range(av[0], av[1] + 1))
        elif op is c.CATEGORY and av is c.CATEGORY_DIGIT:
            out.add("0")
        else:
            return None
    return out


def _first_item(op, av, decor: frozenset):
    c = sre_c
    if op is c.LITERAL:
        ch = chr(av).lower()
        return (_ANY if ch in decor else {ch}), False
    if op is c.IN:
        out = _class_chars(av)
        return (_ANY if out is None or out & decor else out), False
    if op is c.SUBPATTERN:
        return _first(av[3], decor)
    if op is c.BRANCH:
        out, nullable = set(), False
        for branch in av[1]:
            chars, n = _first(branch, decor)
            if chars is _ANY:
                return _ANY, False
            out |= chars
            nullable |= n
        return out, nullable
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        chars, n = _first(av[2], decor)
        return chars, n or av[0] == 0
    if op is c.AT:
        return set(), True
    if op in (c.ASSERT, c.ASSERT_NOT):
        return set(), True
    return _ANY, False


@lru_cache(maxsize=None)
def second_chars(pattern: str) -> dict[str, frozenset | None] | None:
    """For each lower-cased character a match can start with, the lower-cased characters that
    can follow it (None: any, or the match may end there), read from the parsed pattern as
    ``first_chars`` reads the first; None when unsure of the first. A text of two characters
    or more that the pattern matches whole starts with one of these pairs. Zero-width
    assertions (``\\b``, lookarounds) are read as allowing anything: the answer only ever
    holds more."""
    if sre_parse is None:
        return None
    try:
        found = _prefixes(_parsed(pattern))
    except Exception:  # unknown construct: be safe
        return None
    if found is None or any(not text for text, _ in found):
        return None
    out: dict[str, set | None] = {}
    for text, closed in found:
        first = text[0]
        if len(text) == 1 and closed:  # a one-character match: only a one-character text, which is not looked up
            out.setdefault(first, set())
        elif len(text) == 1 or out.get(first, set()) is None:
            out[first] = None  # anything may follow it
        else:
            out.setdefault(first, set()).add(text[1])
    return {ch: None if after is None else frozenset(after) for ch, after in out.items()}


_PREFIX = 2  # characters of a match's prefix that ``_prefixes`` spells out
_MAX_PREFIXES = 4096  # more than this: treated as unknown


def _prefixes(seq):
    """The prefixes a match of ``seq`` can have, up to ``_PREFIX`` characters, each as
    (text, closed): closed when the match can end right after ``text`` (it is the whole match
    so far), open when anything may follow. None: unknown."""
    out = {("", True)}
    for op, av in seq:
        item = _item_prefixes(op, av)
        if item is None:
            return None
        out = _concat(out, item)
        if out is None:
            return None
    return out


def _concat(left, right):
    out = set()
    for text, closed in left:
        if len(text) >= _PREFIX or not closed:
            out.add((text, closed))
            continue
        for more, more_closed in right:
            joined = text + more
            out.add((joined[:_PREFIX], more_closed and len(joined) <= _PREFIX))
    return out if len(out) <= _MAX_PREFIXES else None


def _item_prefixes(op, av):
    c = sre_c
    if op is c.LITERAL:
        chars = {chr(av).lower()}
    elif op is c.IN:
        chars = _class_chars(av)
        if chars is None:
            return {("", False)}
    else:
        return _group_prefixes(op, av)
    if any(len(ch) != 1 for ch in chars):  # lower-cases to two characters ("İ"): not spelled out
        return {("", False)}
    return {(ch, True) for ch in chars}


def _group_prefixes(op, av):
    c = sre_c
    if op is c.SUBPATTERN:
        return _prefixes(av[3])
    if op is c.BRANCH:
        out = set()
        for branch in av[1]:
            found = _prefixes(branch)
            if found is None:
                return None
            out |= found
        return out
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        lo, hi, body = av
        one = _prefixes(body)
        if one is None or ("", True) in one:  # a body that may match nothing: any number of copies
            return {("", False)}
        out, copies = ({("", True)} if lo == 0 else set()), {("", True)}
        for n in range(1, min(hi, _PREFIX) + 1):
            copies = _concat(copies, one)
            if copies is None:
                return None
            if n >= lo or n == _PREFIX:  # past _PREFIX copies the prefix is spelled out already
                out |= copies
        return out
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return {("", True)}
    return {("", False)}


def digits_as_zero(chars) -> set[str]:
    """``first_chars`` writes ``\\d`` as "0", and a line starting with any digit is looked up
    as "0": a set holding some digit holds "0" too."""
    return set(chars) | ({"0"} if any(c.isdigit() for c in chars) else set())


def local(pattern: str) -> bool:
    """Does a match of ``pattern`` inside a piece of a line cut off at non-word characters
    also occur in the whole line? True unless it looks at line ends (``^``, ``$``) or around
    itself (lookarounds); word boundaries (``\\b``) read the same in both."""
    if sre_parse is None:
        return False
    try:
        return _local(_parsed(pattern))
    except Exception:
        return False


def _local(seq) -> bool:
    c = sre_c
    for op, av in seq:
        if op in (c.ASSERT, c.ASSERT_NOT) or (op is c.AT and av not in (c.AT_BOUNDARY, c.AT_NON_BOUNDARY)):
            return False
        if op is c.SUBPATTERN and not _local(av[3]):
            return False
        if op is c.BRANCH and not all(_local(b) for b in av[1]):
            return False
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)) and not _local(av[2]):
            return False
        if op in (c.GROUPREF, c.GROUPREF_EXISTS, getattr(c, "ATOMIC_GROUP", None)):
            return False
    return True


# Text folded so that a literal the regex engine matches under IGNORECASE is a plain substring:
# lower-cased as the engine lowers ("İ" is two characters for ``str.lower``, "i" for the
# engine), then each set of letters the engine also treats as equal ("s" and "ſ", "σ" and "ς")
# written as one of them.
try:
    from re._casefix import _EXTRA_CASES
except ImportError:  # pragma: no cover
    _EXTRA_CASES = None


def _case_classes() -> dict[int, int]:
    canon: dict[int, int] = {}
    for key, others in (_EXTRA_CASES or {}).items():
        members = {key, *others} | {canon.get(m, m) for m in (key, *others)}
        low = min(members)
        for ch, c in list(canon.items()):
            if c in members:
                canon[ch] = low
        canon.update({m: low for m in members})
    return {ch: c for ch, c in canon.items() if ch != c}


_CASE_CLASSES = _case_classes()
# The lower-case letters ``translate`` would change: a text without them (most lines outside
# Greek) skips it, a per-character table look-up that costs more than the rest of ``fold``.
_FOLDED = re.compile("[" + re.escape("".join(map(chr, _CASE_CLASSES))) + "]") if _CASE_CLASSES else None


def fold(text: str) -> str:
    if text.isascii():  # the letters of the folded classes that are ASCII are their own fold
        return text.lower()
    low = text.replace("\u0130", "i").lower()
    return low.translate(_CASE_CLASSES) if _FOLDED is not None and _FOLDED.search(low) else low


def required(pattern: str) -> tuple[frozenset[str], ...]:
    """Literal pieces found in every match of ``pattern``: a tuple of sets, each holding
    ``fold``ed strings at least one of which occurs in any text the pattern matches with
    IGNORECASE; the most selective set first. () when nothing is known. A line that lacks
    them needs no regex call."""
    if sre_parse is None or _EXTRA_CASES is None:
        return ()
    try:
        needs = _needs(_parsed(pattern))
    except Exception:  # unknown construct: nothing is required
        return ()
    return tuple(sorted(set(needs), key=lambda s: (-min(map(len, s)), sorted(s))))


def _needs(seq) -> list[frozenset[str]]:
    out: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in list(seq) + [(None, None)]:
        if op is sre_c.LITERAL:
            run.append(chr(av))
            continue
        if run:  # consecutive literal characters are one required string
            out.append(frozenset([fold("".join(run))]))
            run = []
        if op is not None:
            out.extend(_item_needs(op, av))
    return out


def _item_needs(op, av) -> list[frozenset[str]]:
    c = sre_c
    if op is c.SUBPATTERN:
        return _needs(av[3])
    if op is c.BRANCH:  # one of the branches matched: the union of each branch's best set
        best = [_best(_needs(branch)) for branch in av[1]]
        return [] if any(b is None for b in best) else [frozenset().union(*best)]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)) and av[0] >= 1:
        return _needs(av[2])
    if op is c.IN and av and all(iop is c.LITERAL for iop, _ in av):
        return [frozenset(fold(chr(x)) for _, x in av)]
    return []


def _best(needs: list[frozenset[str]]) -> frozenset[str] | None:
    return max(needs, key=lambda s: min(map(len, s))) if needs else None
