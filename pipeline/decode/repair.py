"""Text repair stage: mojibake, HTML entities, control and invisible characters, whitespace.

The work happens line by line (a line is the unit in which mojibake is consistent, and the
boilerplate stage after us works on lines too):

1. ftfy, with the one configuration in ``ftfy_config`` (see there for what is on and why),
   then a bolder second look at lines with words that mix Latin letters with Cyrillic, Greek or
   box-drawing characters (UTF-8 read as cp1251, cp1253, DOS or KOI8-R code pages);
2. invisible characters (zero-width space, word joiner, soft hyphen) are dropped;
3. whitespace is tidied: inside a line, tabs and runs of spaces become one space; trailing
   space goes; more than one blank line becomes one; the text loses leading/trailing blank
   lines. Paragraph breaks (a blank line), line breaks and the indentation at line starts are
   kept: indented lines (bulleted names, replies) are evidence the boilerplate stage uses.

Most text needs none of this. ``text_is_clean``/``_line_checker`` decide cheaply and exactly
that a text (or line) would come out unchanged, so only the others pay for ftfy
(``repair_text`` == ``repair_text_full``, which tests check on many inputs).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import ftfy
import ftfy.bad_codecs  # noqa: F401  registers the sloppy-windows-* codecs
from ftfy.chardata import CONTROL_CHARS, HTML_ENTITY_RE, LIGATURES, WIDTH_MAP
from ftfy.badness import is_bad
from ftfy.fixes import remove_terminal_escapes, restore_byte_a0

from storydedup.pipeline.decode.badness import looks_bad


@dataclass(frozen=True)
class RepairSettings:
    """Every field changes output, so every field is a task parameter."""

    # Fix text decoded with the wrong charset (UTF-8 read as cp1252, latin-1, MacRoman, ...).
    fix_encoding: bool = True
    # Decode HTML entities such as &amp; or &eacute; (not in a line that has '<', which may be markup).
    unescape_html: bool = True
    # Curly quotes carry no damage; straightening them loses information, so off by default.
    uncurl_quotes: bool = False
    # Fullwidth Latin letters and digits are normal in CJK text; keep them unless asked.
    fix_character_width: bool = False
    # NFC composes characters without changing any (NFKC would turn "²" into "2", "½" into "1⁄2",
    # full-width forms into ASCII: meaning-bearing changes). "none" skips normalisation.
    normalization: str = "NFC"
    # Drop zero-width space, word joiner and soft hyphen (invisible, but they split words).
    remove_invisible: bool = True
    # Collapse inner runs of spaces, drop trailing space, at most one blank line in a row.
    tidy_whitespace: bool = True


def ftfy_config(settings: RepairSettings) -> ftfy.TextFixerConfig:
    """The single ftfy configuration of the project."""
    return ftfy.TextFixerConfig(
        unescape_html="auto" if settings.unescape_html else False,
        remove_terminal_escapes=True,  # ANSI colour codes from logs/terminals are never content
        fix_encoding=settings.fix_encoding,
        restore_byte_a0=True,  # mojibake whose 0xA0 byte became a plain space ("Ã " for "à")
        replace_lossy_sequences=True,  # mojibake with lost bytes: recover what can be, mark the rest
        decode_inconsistent_utf8=True,  # mojibake in only part of a line
        fix_c1_controls=True,  # C1 controls are cp1252 characters read as latin-1
        fix_latin_ligatures=True,  # "ﬁ" from PDF copy-paste; Latin ligatures are never meant as text
        fix_character_width=settings.fix_character_width,
        uncurl_quotes=settings.uncurl_quotes,
        fix_line_breaks=True,  # CR, CRLF, U+2028/2029, NEL -> "\n"
        fix_surrogates=True,  # lone/paired surrogates from broken UTF-16 handling
        remove_control_chars=False,  # done before ftfy with CONTROLS (keeps U+001A, see there)
        normalization=None if settings.normalization.lower() == "none" else settings.normalization,
        explain=True,
    )


# Kinds of fix as reported in notes and counters, from ftfy's explanation steps.
def _kind(step: tuple[str, str]) -> str:
    action, name = step
    if action in ("encode", "decode") or name in ("decode_inconsistent_utf8", "restore_byte_a0",
                                                  "replace_lossy_sequences", "fix_c1_controls"):
        return "mojibake"
    if action == "normalize":
        return "normalization"
    return {"unescape_html": "html_entities", "remove_control_chars": "control_chars",
            "remove_terminal_escapes": "control_chars", "fix_line_breaks": "line_breaks",
            "fix_latin_ligatures": "ligatures", "fix_character_width": "character_width",
            "uncurl_quotes": "quotes", "fix_surrogates": "surrogates"}.get(name, name)


# ftfy's table of unwanted controls (C0 except \t \n \f \r, DEL, BOM, deprecated format and
# annotation characters) minus U+001A SUBSTITUTE: converters write it where a character was
# lost, so like U+FFFD it stays as visible evidence of the loss.
CONTROLS = {code: None for code in CONTROL_CHARS if code != 0x1A}
INVISIBLE = {0x200B: None, 0x2060: None, 0x00AD: None}
_INNER_SPACE = re.compile(r"(?<=\S)(?:[^\S\n]{2,}|\t)")  # after a visible character
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.M)
_BLANK_LINES = re.compile(r"\n{3,}")


def tidy_whitespace(text: str) -> str:
    """Inner runs of horizontal space -> one space; no trailing space; at most one blank line."""
    text = _TRAILING_SPACE.sub("", text)
    text = _INNER_SPACE.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip("\n")


# A Latin letter touching a Cyrillic/Greek letter or a box-drawing character inside a word is
# almost never written on purpose; it is what UTF-8 looks like through these code pages.
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_ODD = "\u0370-\u03ff\u0400-\u04ff\u2500-\u257f"
_MIXED_WORD = re.compile(f"[{_LATIN}][{_ODD}]|[{_ODD}][{_LATIN}]")
# The same test in three cheaper steps (each regex starts with a class, which the engine scans fast).
_ODD_RE, _ODD_LATIN, _LATIN_ODD = (re.compile(p) for p in (f"[{_ODD}]", f"[{_ODD}][{_LATIN}]", f"[{_LATIN}][{_ODD}]"))


def has_mixed_word(text: str) -> bool:
    """Same as ``bool(_MIXED_WORD.search(text))``."""
    return bool(_ODD_RE.search(text) and (_ODD_LATIN.search(text) or _LATIN_ODD.search(text)))


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_MIXED_CODECS = ("sloppy-windows-1251", "sloppy-windows-1253", "cp437", "cp850", "koi8_r")


def fix_mixed_script(line: str) -> tuple[str, str | None]:
    """Undo UTF-8 read as cp1251, cp1253, cp437, cp850 or KOI8-R in a line with mixed-script words.

    Accepted only if the line re-encodes in that code page, the bytes hold at least one UTF-8
    sequence as they are (a lone homoglyph before a space must not count as "Ã " mojibake), the
    bytes are valid UTF-8 once 0xA0 bytes turned into spaces are restored, and the result has no
    mixed-script word and no mojibake by ftfy's measure. Real Cyrillic or Greek text essentially
    never survives the strict UTF-8 decode. Returns (line, codec or None).
    """
    if not _MIXED_WORD.search(line):
        return line, None
    for codec in _MIXED_CODECS:
        try:
            raw = line.encode(codec)
            if not _UTF8_MULTIBYTE.search(raw):
                continue
            fixed = restore_byte_a0(raw).decode("utf-8")
        except UnicodeError:
            continue
        if fixed != line and not _MIXED_WORD.search(fixed) and not is_bad(fixed):
            return fixed, codec
    return line, None


# --- The clean check. It mirrors, for our configuration, the conditions under which each ftfy
# fix and each step above leaves a text alone. If it says "clean", repair_text returns the
# input as is; if unsure, it says "not clean" and the full path runs.

@functools.lru_cache(maxsize=None)
def _suspect_chars(settings: RepairSettings, finishing: bool) -> re.Pattern:
    """Characters some fix would change on their own (``finishing``: also steps 2-3)."""
    codes = set(CONTROLS) | set(range(0x80, 0xA0)) | set(LIGATURES)  # C1: fix_c1_controls
    codes |= {0x0D, 0x2028, 0x2029}  # fix_line_breaks (0x85 is among the C1 controls)
    if settings.fix_character_width:
        codes |= set(WIDTH_MAP)
    if settings.uncurl_quotes:
        codes |= {ord(c) for c in "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033"}
    if finishing and settings.remove_invisible:
        codes |= set(INVISIBLE)
    if finishing and settings.tidy_whitespace:
        codes.add(0x09)
    ranges = "".join(re.escape(chr(c)) for c in sorted(codes))
    return re.compile(f"[{ranges}\ud800-\udfff]")


# ftfy's badness pattern has one anchored rule (a segment starting with "Ã " or "Â "); on a whole
# text that anchor only sees the first line, so the other line starts are checked here.
_LINE_START_MOJIBAKE = re.compile("\n[\u00c2\u00c3] ")


def _ftfy_leaves_alone(text: str, settings: RepairSettings, suspect: re.Pattern) -> bool:
    if suspect.search(text):
        return False
    if settings.unescape_html and HTML_ENTITY_RE.search(text):
        return False
    form = settings.normalization
    if form.lower() != "none" and not unicodedata.is_normalized(form, text):
        return False
    if settings.fix_encoding and not text.isascii():
        if looks_bad(text) or _LINE_START_MOJIBAKE.search(text) or has_mixed_word(text):
            return False
    return True


def text_is_clean(text: str, settings: RepairSettings) -> bool:
    """True only if ``repair_text_full(text)`` would return ``text`` unchanged."""
    if not _ftfy_leaves_alone(text, settings, _suspect_chars(settings, True)):
        return False
    return not settings.tidy_whitespace or is_tidy(text)


# Whitespace other than space and newline, spelled out: the same characters as [^\S\n ], which
# re matches about half as fast (a category test per character instead of a set). Unicode has
# no whitespace past U+3000 (ideographic space), so the search stops there.
_OTHER_SPACE = re.compile("[%s]" % re.escape("".join(
    chr(c) for c in range(0x3001) if chr(c).isspace() and chr(c) not in " \n")))


def is_tidy(text: str) -> bool:
    """Same as ``tidy_whitespace(text) == text``; substring tests first, regexes only if needed."""
    if text[:1] == "\n" or text[-1:].isspace() or " \n" in text or "\n\n\n" in text:
        return False
    if "  " in text or _OTHER_SPACE.search(text):  # indentation, tabs, no-break spaces: ask the regexes
        return not (_INNER_SPACE.search(text) or _TRAILING_SPACE.search(text))
    return True


@functools.lru_cache(maxsize=None)
def _line_checker(settings: RepairSettings):
    """A predicate: would ftfy (step 1) leave this one line unchanged?"""
    suspect = _suspect_chars(settings, False)
    return lambda line: _ftfy_leaves_alone(line, settings, suspect)


def _finish(text: str, settings: RepairSettings, report: dict) -> str:
    """Steps 2 and 3 (after ftfy)."""
    if settings.remove_invisible:
        dropped = text.translate(INVISIBLE)
        if dropped != text:
            report["invisible"] = len(text) - len(dropped)
            text = dropped
            if settings.normalization.lower() != "none":  # a dropped char may leave an uncomposed pair
                text = unicodedata.normalize(settings.normalization, text)
    if settings.tidy_whitespace:
        tidied = tidy_whitespace(text)
        if tidied != text:
            report["whitespace"] = len(text) - len(tidied)
            text = tidied
    return text


def _fix_line(line: str, settings: RepairSettings, config) -> tuple[str, list]:
    """Step 1 for one line: terminal escapes and controls, ftfy, mixed-script mojibake."""
    explanation: list = []
    fixed = remove_terminal_escapes(line) if "\x1b" in line else line
    if fixed != line:
        explanation.append(("apply", "remove_terminal_escapes"))
    stripped = fixed.translate(CONTROLS)
    if stripped != fixed:
        explanation.append(("apply", "remove_control_chars"))
    fixed, steps = ftfy.fix_and_explain(stripped, config)
    explanation += list(steps or [])
    codec = None
    if settings.fix_encoding:
        fixed, codec = fix_mixed_script(fixed)
        if codec:
            explanation += [("encode", codec), ("decode", "utf-8")]
    stripped = fixed.translate(CONTROLS)  # a repaired line may reveal some (mojibake of a BOM)
    if stripped != fixed:
        explanation.append(("apply", "remove_control_chars"))
    if (stripped != fixed or codec) and settings.normalization.lower() != "none":
        stripped = unicodedata.normalize(settings.normalization, stripped)
    return stripped, explanation


def _fix_lines(text: str, settings: RepairSettings, report: dict, skip_clean: bool) -> str:
    config = ftfy_config(settings)
    check = _line_checker(settings)
    out = []
    steps: list[list[str]] = report.setdefault("ftfy", [])
    kinds: dict[str, int] = report.setdefault("lines", {})
    for line in text.splitlines(keepends=True):
        if skip_clean and check(line):
            out.append(line)
            continue
        fixed, explanation = _fix_line(line, settings, config)
        out.append(fixed)
        if fixed != line:
            for step in explanation:
                if list(step) not in steps:
                    steps.append(list(step))
            for kind in {_kind(tuple(step)) for step in explanation or []}:
                kinds[kind] = kinds.get(kind, 0) + 1
    if not steps:
        del report["ftfy"], report["lines"]
    return "".join(out)


def repair_text(text: str, settings: RepairSettings, full: bool = False) -> tuple[str, dict]:
    """Repaired text and a report of what was fixed ({} when nothing was).

    ``full=True`` runs ftfy on every line instead of only the lines the clean check cannot
    vouch for; the output is the same, only slower (kept as the reference for tests/bench).
    """
    report: dict = {}
    if not full and text_is_clean(text, settings):
        return text, report
    fixed = _fix_lines(text, settings, report, skip_clean=not full)
    fixed = _finish(fixed, settings, report)
    return fixed, report


def repair_text_full(text: str, settings: RepairSettings) -> tuple[str, dict]:
    return repair_text(text, settings, full=True)


def repair_record(rec: dict, settings: RepairSettings) -> dict:
    """Repair ``rec["text"]`` in place; notes go to ``rec["notes"]["repair"]``; returns counters."""
    before = rec.get("text")
    if not before:
        return {}
    fixed, report = repair_text(before, settings)
    if fixed == before:
        return {"unchanged": 1}
    rec["text"] = fixed
    report["chars"] = [len(before), len(fixed)]
    rec.setdefault("notes", {})["repair"] = report
    counters = {"changed": 1}
    for kind in report.get("lines", {}):
        counters[f"fix:{kind}"] = 1
    for kind in ("invisible", "whitespace"):
        if kind in report:
            counters[f"fix:{kind}"] = 1
    return counters
