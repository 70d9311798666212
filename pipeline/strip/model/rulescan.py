"""Rule files as model features at a cost of one regex call per short line.

All whole-line patterns of all groups go into one alternation per *first character* of the line
(one named group per action, strongest action first, as ``RuleSet.match`` orders them), so a
line is tried only against the few patterns that can start with its first character. A pattern
whose first character cannot be told (``\\w``, ``.``, ``.*X``) is not used, nor are ``.*X.*``
("contains") patterns: trying them on every line costs more than all other features together
(measured: ~17 us a line against ~2 us), and the model sees the shapes they look for (a line
ending in a colon, a date, a counter) through other features.
Results are cached per distinct line: page chrome repeats across a site's documents.
"""
from __future__ import annotations

import re
import tomllib

try:  # the regex parser is private; without it every pattern is tried on every line
    from re import _parser as sre_parse, _constants as sre_c
except ImportError:  # pragma: no cover
    sre_parse = sre_c = None

ACTIONS = ("cut", "end", "thread", "drop", "cue", "hint")  # strongest first
DECOR = "»›>→↓▼▸▾«‹<←↑▲◂|·•+[](){}*#"
_ANY = None  # first-character set that is unknown
_TAIL = r"[ \t»›>→↓▼▸▾«‹<←↑▲◂|·•+\[\](){}]*(?:\d+[ \t)\]]*)?[.…:!]*"


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


class RuleScan:
    """Which action's patterns (if any) match a whole line; see the module docstring."""

    def __init__(self, rule_files=(), max_words: int = 25, cache_size: int = 200_000):
        by_action: dict[str, list[str]] = {a: [] for a in ACTIONS}
        for path in sorted(rule_files):
            with open(path, "rb") as fh:
                for spec in tomllib.load(fh).get("group", {}).values():
                    for p in spec.get("lines", []):
                        if not (len(p) > 4 and p.startswith(".*") and p.endswith(".*") and not p.endswith("\\.*")):
                            by_action[spec.get("action", "drop")].append(p)
        keyed: dict[str, dict[str, list[str]]] = {}
        self.skipped = 0
        for a, pats in by_action.items():
            for p in pats:
                chars = first_chars(p)
                self.skipped += chars is _ANY
                for ch in chars or ():
                    keyed.setdefault(ch, {x: [] for x in ACTIONS})[a].append(p)
        self.buckets = {ch: self._compile(pats) for ch, pats in keyed.items()}
        self.max_words = max_words
        self.cache: dict[str, int] = {}
        self.cache_size = cache_size
        self.n_patterns = sum(map(len, by_action.values()))

    @staticmethod
    def _compile(pats):
        groups = [f"(?P<{a}>{'|'.join(f'(?:{p})' for p in pats[a])})" for a in ACTIONS if pats[a]]
        return re.compile(rf"(?:{'|'.join(groups)}){_TAIL}", re.I)

    def action(self, line: str) -> int:
        """Index+1 in ``ACTIONS`` of the strongest action matching ``line`` (stripped), 0 if none."""
        hit = self.cache.get(line)
        if hit is not None:
            return hit
        bare = line.lstrip(DECOR + " \t")
        key = bare[:1].lower()
        if key.isdigit():
            key = "0"
        pat = self.buckets.get(key)
        m = pat.fullmatch(bare) if pat is not None else None
        hit = ACTIONS.index(m.lastgroup) + 1 if m else 0
        if len(self.cache) >= self.cache_size:
            self.cache.clear()
        self.cache[line] = hit
        return hit
