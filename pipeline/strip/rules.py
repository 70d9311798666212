"""Named rule groups kept as data: TOML files under config/rules/, one table per group.

File format (one file per language or theme; groups of the same name in several files merge,
so ``disabled_groups = ("comments",)`` switches a kind off in every language)::

    language = "en"       # the language of the wordings (ISO 639-1); optional for theme files
    [group.comments]
    action = "cut"        # drop | end | cut | thread | cue | hint  (see ACTIONS)
    max_words = 12        # never applied to longer lines, so body sentences are safe
    min_core = 20         # cut only: core score (about: prose words) needed above the line
    inline = true         # end only: may also stand between two paragraphs (see ``RuleSet.reasons``)
    lines = ['leave a (reply|comment)', '\\d+ comments?']

Patterns are Python regexes matched case-insensitively against the WHOLE stripped line, so a
body sentence that merely contains "comment" or "subscribe" never matches. A pattern written
``.*X.*`` (the ``cue`` groups use them) matches any line containing X. A label dressed as a
link ("Comments »", "Comments (12)", "[Reply]") also matches its bare wording.
"""
from __future__ import annotations

import re
import tomllib
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import repeat
from operator import itemgetter
from pathlib import Path

import ahocorasick
import numpy as np

from storydedup.pipeline import resources
from storydedup.pipeline.resources import ConfigError
from storydedup.pipeline.strip.patterns import digits_as_zero, first_chars, fold, local, required, second_chars

# drop: remove the line only (share buttons, ad markers, cookie notices).
# end: end matter starts here (newsletter box, related list, author bio, footer): a strong
#      barrier for the core detector, which may still cross it when prose continues below.
# cut: a comment section starts here ("12 comments", "Leave a reply"): once an article core
#      is above it, everything from this line on goes.
# thread: evidence of a reader-comment thread (timestamps, "Reply", "X says:"); a weaker
#      barrier that the thread detector counts.
# cue: wording typical of a reader's reply ("Thanks for sharing!", "@Anna"): never removes a
#      line by itself, only tells the thread detector where replies cluster.
# hint: conversational openings ("I ...", "You ...", "Great ..."): weaker than a cue, counted
#      only where it is far more common than in the text above.
ACTIONS = ("drop", "end", "cut", "thread", "cue", "hint")
INFORMING = ("cue", "hint")  # the actions that only inform the detectors: they remove no line


# Arrows (either way), pipes and counters that widgets print around a label; they carry no wording.
_DECOR = "»›>→↓▼▸▾«‹<←↑▲◂|·•+"
_COUNTER = re.compile(r"\s*[(\[]\s*\d+\s*[)\]]\s*$")


def bare_label(line: str) -> str:
    """The line without link arrows, a trailing "(12)" counter, trailing dots ("About the
    author...") or enclosing brackets ("[Reply]"): always a piece of the line cut at non-word
    characters (``RuleSet.patterns_from`` relies on it)."""
    bare = line.strip(_DECOR + " ")
    if bare.rstrip().endswith((")", "]")):  # a counter can end it (the regex scans every position)
        bare = _COUNTER.sub("", bare)
    bare = bare.strip(_DECOR + " ").rstrip(".…:! ")
    if len(bare) > 2 and bare[0] + bare[-1] in ("[]", "()", "{}", "<>"):
        bare = bare[1:-1].strip(_DECOR + " ")
    return bare


@dataclass(frozen=True)
class Rule:
    group: str
    action: str
    max_words: int
    min_core: float | None  # core score needed above a ``cut`` line (None: the settings' value)
    origin: str  # file it came from, for notes
    inline: bool = False  # an end-matter box of this kind may sit inside the article
    # its "contains" patterns find nothing in a bare label that they do not find in its line
    local: bool = False
    # per pattern: (the pattern, what it can start with (None: anything), the literal pieces it
    # needs (``patterns.required``), whether it is a "contains" pattern: ``.*X.*`` kept as X,
    # searched for instead of matched), for ``RuleSet.match``
    each: tuple = ()


@lru_cache(maxsize=None)
def _alone(pattern: str) -> re.Pattern:
    """One pattern compiled by itself, once per process (``re``'s own cache holds fewer)."""
    return re.compile(pattern, re.I | re.U)


def may_start(starts: frozenset | None, ch: str) -> bool:
    """Can a pattern starting with one of ``starts`` (``fold``ed; None: anything) match a text
    starting with ``ch``? Under IGNORECASE two characters match exactly when their folds agree."""
    return starts is None or not ch or fold(ch) in starts or ("0" in starts and ch.isdigit())


def _first_rule(tried, n_words: int, disabled: tuple[str, ...], found: set) -> Rule | None:
    """The rule of the first (``PieceIndex`` entry, text) pair whose rule applies to a line of
    ``n_words`` words holding the pieces ``found`` and whose pattern matches the text."""
    for (_, rule, rest, call), text in tried:
        if rule.group not in disabled and n_words <= rule.max_words and has_pieces(rest, found) and call(text):
            return rule
    return None


def has_pieces(needs: tuple, found: set) -> bool:
    """Does the line hold one piece of each set in ``needs``? ``found``: the pieces it holds."""
    if len(needs) == 1:
        return not found.isdisjoint(needs[0])
    return all(not found.isdisjoint(alike) for alike in needs)


_SECOND = itemgetter(1)  # the value of an automaton hit (end, value): the piece


class PieceFinder:
    """Every literal piece of the rules' patterns that occurs in a ``fold``ed line, found in
    one Aho-Corasick pass (overlapping occurrences included, so the answer is exactly the
    pieces ``p in line`` holds for) instead of one substring test per pattern."""

    def __init__(self, pieces):
        self.automaton = ahocorasick.Automaton()
        for piece in {p for p in pieces if p}:
            self.automaton.add_word(piece, piece)
        self.empty = len(self.automaton) == 0
        if not self.empty:
            self.automaton.make_automaton()

    def __call__(self, folded: str) -> set:
        return set() if self.empty else set(map(_SECOND, self.automaton.iter(folded)))


@dataclass(frozen=True)
class PieceIndex:
    """Some patterns that may match texts of one start class, one entry per pattern in rule
    order: (its position among all patterns, its rule, the piece sets it needs after the
    first, its call). A text is tried against the entries whose first piece set holds a piece
    of the text, and against those that need no piece and may go on with the text's second
    character, in order: the first entry that matches names the first rule that matches.
    Looking the text's pieces and second character up costs less than checking every
    pattern's (a pattern without pieces, such as a list of short first words, is one a text
    mostly skips by its second character)."""
    entries: tuple
    always: tuple[int, ...]
    by_piece: dict
    always_open: tuple[int, ...]  # the ``always`` entries that allow any second character
    always_by_second: dict  # second character -> the ``always`` entries that allow it

    @classmethod
    def of(cls, tries) -> PieceIndex:
        """From (position, rule, pieces needed, call, second characters allowed) per pattern, in order."""
        entries, always, by_piece, after = [], [], {}, []
        for k, rule, needs, call, seconds in tries:
            if needs:
                for piece in needs[0]:
                    by_piece.setdefault(piece, []).append(len(entries))
            else:
                always.append(len(entries))
            entries.append((k, rule, needs[1:], call))
            after.append(seconds)
        by_second: dict = {}
        for i in always:
            for ch in after[i] or ():
                by_second.setdefault(ch, []).append(i)
        open_ = [i for i in always if after[i] is None]  # listed under every second character too
        return cls(tuple(entries), tuple(always), {p: tuple(ix) for p, ix in by_piece.items()}, tuple(open_),
                   {ch: tuple(sorted(ix + open_)) for ch, ix in by_second.items()})

    def entries_for(self, found: set, second: str | None) -> list[tuple]:
        """The entries a text holding the pieces ``found`` whose second character looks up as
        ``second`` (None: unknown) may match, in order."""
        hit = set(self.always if second is None else self.always_by_second.get(second, self.always_open))
        for piece in found:
            hit.update(self.by_piece.get(piece, ()))
        return [self.entries[i] for i in sorted(hit)]


KEPT_BELOW = 60  # lines shorter than this are labels and chrome, which repeat: their answers are kept
SEEN_LINES = 100_000  # short lines whose answers ``RuleSet.match`` keeps (about 20 MB)
TOOL_BAR = re.compile(r"\s+[|·•]\s+")


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    languages: frozenset[str] = frozenset()  # the languages the rule files are written in
    _starting: dict = field(default_factory=dict, repr=False)  # start class -> which patterns may start with it
    _seen: dict = field(default_factory=dict, repr=False)  # (line, words, disabled) -> its rule
    _indexes: dict = field(default_factory=dict, repr=False)  # (start class, of a label?) -> PieceIndex
    _finders: dict = field(default_factory=dict, repr=False)  # max_words limit -> piece finder of the rules allowing it
    _reasons: dict = field(default_factory=dict, repr=False)  # (actions, inline) -> their removal reasons

    def match(self, line: str, n_words: int, disabled: tuple[str, ...] = ()) -> Rule | None:
        """First rule (strongest action first) matching the whole stripped line, or None.
        A label dressed as a link ("Comments »", "Comments (12)", "› Related") also matches
        its bare wording. Answers for short lines are kept: a site's chrome repeats across a
        shard, its paragraphs do not."""
        if len(line) >= KEPT_BELOW:
            return self._first_match(line, n_words, disabled)
        key = (line, n_words, disabled)
        if key in self._seen:
            return self._seen[key]
        if len(self._seen) >= SEEN_LINES:
            self._seen.clear()
        found = self._seen[key] = self._first_match(line, n_words, disabled)
        return found

    def forget(self) -> None:
        """Drop the answers kept for lines seen so far (a benchmark's fresh start)."""
        self._seen.clear()

    def _first_match(self, line: str, n_words: int, disabled: tuple[str, ...]) -> Rule | None:
        found = self._match(line, n_words, disabled)
        if found is not None:
            return found
        # "Printer friendly version | E-mail to a colleague": a bar of tools each named by a
        # drop rule is one more such line (split only lines no rule matched: match runs per line)
        if "|" not in line and "·" not in line and "•" not in line:  # no bar: skip the split
            return None
        parts = [p.strip() for p in TOOL_BAR.split(line)]
        if len(parts) > 1 and all(parts):
            each = [self._match(p, len(p.split()), disabled) for p in parts]
            if all(r is not None and r.action == "drop" for r in each):
                return each[0]
        return None

    def _match(self, line: str, n_words: int, disabled: tuple[str, ...]) -> Rule | None:
        finder = self.finder_for(n_words)
        if finder is None:  # longer than any rule allows
            return None
        bare = bare_label(line)
        label = bare if bare != line and bare else None  # a piece of the line: lacks what it lacks
        found = finder(fold(line))  # the label is a piece of the line: holds no more
        # pattern by pattern, only those whose pieces the line holds: one call of a group's
        # whole alternation costs more than skipping the patterns that cannot match
        on_line = self.patterns_from(line[:1]).entries_for(found, second_class(line))
        if not label:
            return _first_rule(zip(on_line, repeat(line)), n_words, disabled, found)
        # each pattern in order, on the line before the label
        on_label = self.patterns_from(bare[:1], label=True).entries_for(found, second_class(bare))
        tried = sorted([(entry, line) for entry in on_line] + [(entry, label) for entry in on_label],
                       key=lambda pair: pair[0][0])
        return _first_rule(tried, n_words, disabled, found)

    def finder_for(self, n_words: int) -> PieceFinder | None:
        """The piece finder of the rules whose ``max_words`` allows a line of ``n_words`` words
        (one per length limit): a paragraph is searched for the pieces of
        the few patterns that may match it, not of all. The other rules are skipped for the
        line anyway, and an allowed rule's pieces are all there, so what is found of them is
        the same. None when no rule allows the length."""
        at = bisect_left(self.word_limits, n_words)
        if at == len(self.word_limits):
            return None
        limit = self.word_limits[at]
        if limit not in self._finders:
            self._finders[limit] = PieceFinder(
                p for r in self.rules if r.max_words >= limit for _, _, needs, _ in r.each for alike in needs for p in alike)
        return self._finders[limit]

    @cached_property
    def word_limits(self) -> list[int]:
        """The rules' ``max_words`` values, ascending."""
        return sorted({r.max_words for r in self.rules})

    def pieces(self, folded: str) -> set:
        """The literal pieces of any pattern that the ``fold``ed line holds."""
        return self.finder_for(0)(folded) if self.rules else set()

    @cached_property
    def _patterns(self) -> tuple:
        """Every pattern of every rule, in rule order: (rule, what it can start with, the pieces
        it needs, its compiled regex, whether it is a "contains" pattern)."""
        return tuple((rule, starts, needs, _alone(pattern), inner)
                     for rule in self.rules for pattern, starts, needs, inner in rule.each)

    def _may_start(self, ch: str) -> np.ndarray:
        """Per pattern of ``_patterns``: may a text starting with ``ch`` match it ("contains"
        patterns always may). Kept per start class."""
        key = self.start_class(ch)
        found = self._starting.get(key)
        if found is None:
            found = self._starting[key] = np.array([inner or may_start(starts, ch)
                                                    for _, starts, _, _, inner in self._patterns], bool)
        return found

    def patterns_from(self, first: str, label: bool = False) -> PieceIndex:
        """The patterns, in order, that may match a line (or with ``label``, a line's bare label)
        starting with ``first``, as a ``PieceIndex``: most lines are tried against a few patterns
        instead of all of them. A local "contains" pattern is not tried on a label: the label is
        a piece of the line, so it cannot find there what it did not find in the line. Kept per
        start class; ``prepare`` builds them all."""
        key = (self.start_class(first), label)
        found = self._indexes.get(key)
        if found is None:
            tries = []
            for k in np.flatnonzero(self._may_start(first)).tolist():
                rule, _, needs, regex, inner = self._patterns[k]
                if not (label and inner and rule.local):
                    seconds = None if inner else _seconds(regex.pattern, key[0])
                    tries.append((k, rule, needs, regex.search if inner else regex.fullmatch, seconds))
            found = self._indexes[key] = PieceIndex.of(tries)
        return found

    def start_class(self, ch: str) -> str:
        """A character's class for ``may_start``: its fold when some pattern can start with it,
        else "0" for a digit and "*" for anything else (or "" for no character). Characters of
        one class get the same answer from every rule."""
        if not ch:
            return ""
        folded = fold(ch)
        if folded in self.start_chars:
            return folded
        return "0" if ch.isdigit() else "*"

    @cached_property
    def start_chars(self) -> frozenset:
        """Every (folded) character some whole-line pattern can start with."""
        return frozenset().union(*(starts or () for r in self.rules for _, starts, _, _ in r.each))

    def prepare(self) -> None:
        """Build now what matching builds on first use (compiled patterns, the piece finder,
        the candidates of the start classes lines and labels mostly have), so that processes
        forked afterwards share it instead of each building it again."""
        self.pieces("")
        for ch in sorted(self.start_chars | {"*", "0", ""}):  # every start class, for lines and labels
            self.patterns_from(ch)
            self.patterns_from(ch, label=True)
        for limit in self.word_limits:
            self.finder_for(limit)

    def reasons(self, *actions: str, inline: bool = False) -> frozenset[str]:
        """The removal reasons (``rule:<group>``) of the groups with one of ``actions``; with
        ``inline`` only of those whose boxes also stand between paragraphs (newsletter sign-ups,
        "Read more" lists: text may resume below them, never below a footer)."""
        key = (actions, inline)
        if key not in self._reasons:  # asked several times per document
            self._reasons[key] = frozenset(f"rule:{r.group}" for r in self.rules if r.action in actions and (r.inline or not inline))
        return self._reasons[key]

    def groups_of(self, *actions: str) -> tuple[str, ...]:
        """The groups with one of ``actions``, sorted (a ``disabled`` argument of ``match``)."""
        return tuple(sorted({r.group for r in self.rules if r.action in actions}))

    @property
    def groups(self) -> list[str]:
        return sorted({r.group for r in self.rules})


def check_disabled(rules: RuleSet, disabled: tuple[str, ...]) -> None:
    """A disabled group that no rule file defines is a typo, not a silent no-op."""
    unknown = sorted(set(disabled) - set(rules.groups))
    if unknown:
        raise ConfigError(f"disabled_groups: no rule group named {', '.join(map(repr, unknown))}; "
                         f"the rule files define {', '.join(rules.groups)}")


def load_rules(paths: list[str]) -> RuleSet:
    """Parse every rule file; order of ``paths`` does not matter (files are sorted)."""
    rules, languages = [], set()
    for path in sorted(str(p) for p in paths):
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"rule file unusable: {path} ({exc})") from None
        if "language" in data:
            if not (isinstance(data["language"], str) and re.fullmatch(r"[a-z]{2,3}", data["language"])):
                raise ConfigError(f"{path}: language must be a language code such as 'en', not {data['language']!r}")
            languages.add(data["language"])
        for name, spec in data.get("group", {}).items():
            action = spec.get("action", "drop")
            if action not in ACTIONS:
                raise ConfigError(f"{path}: group {name!r} has unknown action {action!r}")
            max_words = int(spec.get("max_words", 12))
            min_core = float(spec["min_core"]) if "min_core" in spec else None
            patterns = spec.get("lines", [])
            for pat in patterns:  # compiled as matching uses them (``_alone`` keeps them for it)
                try:
                    _alone(pat[2:-2] if is_contains(pat) else pat)
                except re.error as exc:
                    raise ConfigError(f"{path}: group {name!r}: bad pattern {pat!r}: {exc}") from exc
            whole = [p for p in patterns if not is_contains(p)]
            inner = [p[2:-2] for p in patterns if is_contains(p)]
            if patterns:
                each = tuple((p, _starts(p), gate_pieces(p), False) for p in whole) \
                    + tuple((p, None, gate_pieces(p), True) for p in inner)
                rules.append(Rule(name, action, max_words, min_core, Path(path).name, bool(spec.get("inline", False)),
                                  bool(inner) and all(map(local, inner)), each))
    # cut beats end beats thread beats drop beats cue beats hint: a line is explained by its strongest meaning.
    order = {"cut": 0, "end": 1, "thread": 2, "drop": 3, "cue": 4, "hint": 5}
    rules.sort(key=lambda r: order[r.action])
    return RuleSet(rules, frozenset(languages))


# Pieces shorter than this ("e", " ", "in") occur in almost every line: a set holding one
# filters nothing, and finding them would flood the piece finder with hits.
MIN_PIECE = 3


def gate_pieces(pattern: str) -> tuple[tuple[str, ...], ...]:
    """``required(pattern)`` without the sets that hold a piece shorter than MIN_PIECE (a line
    is only tried against a pattern when it holds them, so a set left out just filters less)."""
    return tuple(tuple(alike) for alike in required(pattern) if min(map(len, alike)) >= MIN_PIECE)


def second_class(text: str) -> str | None:
    """How a text's second character is looked up in ``PieceIndex``: ``fold``ed, any digit
    as "0"; None when the text is shorter or the character folds to two."""
    if len(text) < 2:
        return None
    ch = text[1]
    if ch.isdigit():
        return "0"
    if ch.isascii():
        return ch.lower()
    folded = fold(ch)
    return folded if len(folded) == 1 else None


@lru_cache(maxsize=None)
def _seconds(pattern: str, start: str) -> frozenset | None:
    """The ``second_class`` values a text of start class ``start`` may have and be matched
    whole by ``pattern`` (None: any). For the digit class: those after any digit."""
    found = second_chars(pattern)
    if found is None or start in ("", "*"):
        return None
    firsts = [ch for ch in found if (ch.isdigit() if start == "0" else fold(ch) == start)]
    if not firsts or any(found[ch] is None for ch in firsts):
        return None  # a start the pattern only allows through another case mapping: not narrowed
    out = set()
    for ch in firsts:
        for after in found[ch]:
            folded = "0" if after.isdigit() else fold(after)
            if len(folded) != 1:
                return None
            out.add(folded)
    return frozenset(out)


def _starts(pattern: str) -> frozenset | None:
    """``first_chars``, ``fold``ed (see ``may_start``)."""
    chars = first_chars(pattern, decor="")  # matched against the line and its bare label: decoration keys too
    return None if chars is None else frozenset(map(fold, digits_as_zero(chars)))


def is_contains(pattern: str) -> bool:
    """``.*X.*`` matches a whole line exactly when X occurs in it."""
    return len(pattern) > 4 and pattern.startswith(".*") and pattern.endswith(".*") and not pattern.endswith("\\.*")


def rule_paths(folder: str | Path | None = None, extra: tuple[str | Path, ...] = ()) -> list[str]:
    """The rule files a run uses: every ``*.toml`` of ``folder`` (default: the packaged rules),
    then those of each ``extra`` folder. A folder that is missing, unreadable or holds no rule
    file is an error, so a run never goes on without the rules it was meant to have."""
    folders = [Path(folder) if folder else resources.rules_dir(), *map(Path, extra)]
    return [str(p) for f in folders for p in resources.files_in(f, "*.toml")]
