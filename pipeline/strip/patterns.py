"""What a regex can start with: the lower-cased characters a match may begin with, read from
the parsed pattern, so a line is tried only against the patterns its first character allows.
Unsure cases (categories, "any", decoration characters, empty matches) answer "any"."""
from __future__ import annotations

try:  # the regex parser is private; without it every pattern is tried on every line
    from re import _parser as sre_parse, _constants as sre_c
except ImportError:  # pragma: no cover
    sre_parse = sre_c = None

DECOR = "»›>→↓▼▸▾«‹<←↑▲◂|·•+[](){}*#"  # link arrows, bullets, brackets: no wording starts with them
_ANY = None  # first-character set that is unknown


def first_chars(pattern: str):
    """Lower-cased characters a match can start with, or None when any may (or when unsure)."""
    if sre_parse is None:
        return _ANY
    try:
        chars, nullable = _first(sre_parse.parse(pattern))
    except Exception:  # unknown construct: be safe
        return _ANY
    return _ANY if nullable else chars


def _first(seq):
    out: set[str] = set()
    for op, av in seq:
        chars, nullable = _first_item(op, av)
        if chars is _ANY:
            return _ANY, False
        out |= chars
        if not nullable:
            return out, False
    return out, True


def _first_item(op, av):
    c = sre_c
    if op is c.LITERAL:
        ch = chr(av).lower()
        return (_ANY if ch in DECOR else {ch}), False
    if op is c.IN:
        out = set()
        for iop, iav in av:
            if iop is c.LITERAL:
                out.add(chr(iav).lower())
            elif iop is c.RANGE and iav[1] - iav[0] < 64:
                out.update(chr(x).lower() for x in range(iav[0], iav[1] + 1))
            elif iop is c.CATEGORY and iav is c.CATEGORY_DIGIT:
                out.add("0")
            else:
                return _ANY, False
        return (_ANY if out & set(DECOR) else out), False
    if op is c.SUBPATTERN:
        return _first(av[3])
    if op is c.BRANCH:
        out, nullable = set(), False
        for branch in av[1]:
            chars, n = _first(branch)
            if chars is _ANY:
                return _ANY, False
            out |= chars
            nullable |= n
        return out, nullable
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        chars, n = _first(av[2])
        return chars, n or av[0] == 0
    if op is c.AT:
        return set(), True
    if op in (c.ASSERT, c.ASSERT_NOT):
        return set(), True
    return _ANY, False


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
        return _local(sre_parse.parse(pattern))
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
