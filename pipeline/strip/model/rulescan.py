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

from storydedup.pipeline.strip.patterns import _ANY, DECOR, digits_as_zero, first_chars

ACTIONS = ("cut", "end", "thread", "drop", "cue", "hint")  # strongest first
_TAIL = r"[ \t»›>→↓▼▸▾«‹<←↑▲◂|·•+\[\](){}]*(?:\d+[ \t)\]]*)?[.…:!]*"


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
                for ch in digits_as_zero(chars or ()):
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
