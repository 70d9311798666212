"""Bytes of unknown charset -> text.

Order of evidence (first that applies wins):
  1. a byte-order mark;
  2. a declared UTF-16/32 or 7-bit (ISO-2022, UTF-7) charset, which UTF-8 validation cannot catch;
  3. valid UTF-8 (fast and nearly never wrong for non-ASCII bytes; ASCII is the same everywhere);
  4. mostly UTF-8 with a few stray single-byte characters (pasted cp1252 in a UTF-8 page):
     UTF-8, the stray bytes read as cp1252;
  5. the declared charset (HTTP header), then ``<meta charset>``/http-equiv for HTML, as long as
     the bytes decode in it with almost no errors;
  6. detection: every candidate charset that decodes the bytes is scored for implausible text
     (see ``implausibility``); the least implausible wins, ties go to the more common charset.
     If an East Asian multi-byte charset wins, charset-normalizer, which knows their character
     frequencies, chooses among those that decode the bytes.
Undecodable bytes become U+FFFD and are counted; nothing here raises on bad input.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass


@dataclass
class Decoded:
    text: str
    charset: str
    confidence: float
    replaced: int  # characters that could not be decoded and became U+FFFD
    method: str  # "bom", "declared", "meta", "utf-8", "utf-8+cp1252", "detected"


BOMS = (  # UTF-32-LE before UTF-16-LE: its BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels that browsers read as a wider charset: ISO-8859-1 pages are in practice cp1252 (the C1
# range holds curly quotes and dashes), GB2312 pages use GBK characters, and so on.
SUPERSETS = {
    "iso8859_1": "cp1252", "ascii": "cp1252", "iso8859_9": "cp1254", "iso8859_11": "cp874",
    "tis_620": "cp874", "gb2312": "gb18030", "gbk": "gb18030", "shift_jis": "cp932",
    "euc_kr": "cp949", "big5": "big5hkscs",
}
WIDE_OR_7BIT = ("utf_16", "utf_32", "iso2022", "utf_7", "hz")
# Detection candidates, most common first (the order breaks ties).
CANDIDATES = (
    "cp1252", "cp1251", "gb18030", "cp932", "cp949", "big5hkscs", "cp1250", "koi8_r", "cp1253",
    "cp1254", "cp1256", "cp1255", "cp1257", "cp874", "euc_jp", "koi8_u", "cp1258", "mac_roman",
)
EAST_ASIAN = {"gb18030", "cp932", "cp949", "big5hkscs", "euc_jp"}
MAX_DECLARED_ERRORS = 0.005  # share of U+FFFD above which a declaration is taken to be wrong
SAMPLE_BYTES = 8192  # detection scores a prefix; costs grow with it, accuracy saturates early

_META = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]{2,40})", re.I)
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def normalise_charset(label: str | None) -> str | None:
    """Python codec name for a charset label (with browser supersets), or None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name.replace("-", "_")
        b"x".decode(name, "ignore")  # LookupError for codecs that are not text encodings: "uu", "zlib"
    except (LookupError, ValueError):  # ValueError: a label with a NUL in it (both found by fuzzing)
        return None
    return SUPERSETS.get(name, name)


def meta_charset(data: bytes) -> str | None:
    """The charset named by a <meta> tag in the first 4 KB of an HTML document."""
    m = _META.search(data[:4096])
    return m.group(1).decode("ascii") if m else None


def _cp1252_fallback(err: UnicodeDecodeError):
    byte = err.object[err.start:err.start + 1]
    return byte.decode("cp1252", errors="replace"), err.start + 1


codecs.register_error("storydedup-cp1252", _cp1252_fallback)


def _mostly_utf8(data: bytes) -> bool:
    """Valid UTF-8 sequences far outnumber the bytes that are not (legacy text rarely has any)."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    return len(_UTF8_SEQ.findall(data)) >= max(3, 4 * bad)


def _decode_lenient(data: bytes, charset: str) -> tuple[str, int]:
    try:
        return data.decode(charset), 0
    except UnicodeDecodeError:
        text = data.decode(charset, errors="replace")
        return text, text.count("\ufffd")


def decode_bytes(data: bytes, declared: str | None = None, is_html: bool = False) -> Decoded:
    """Decode ``data``; ``declared`` is a charset from outside (HTTP header), ``is_html`` enables <meta>."""
    for bom, charset in BOMS:
        if data.startswith(bom):
            text, bad = _decode_lenient(data[len(bom):], charset)
            return Decoded(text, charset, 1.0, bad, "bom")
    declared_name = normalise_charset(declared)
    meta_name = normalise_charset(meta_charset(data)) if is_html else None
    if meta_name and meta_name.startswith(("utf_16", "utf_32")):
        meta_name = "utf_8"  # a <meta> readable as ASCII cannot be in UTF-16 (as browsers rule)
    for name, method in ((declared_name, "declared"), (meta_name, "meta")):
        if name and name.startswith(WIDE_OR_7BIT):
            text, bad = _decode_lenient(data, name)
            if bad <= MAX_DECLARED_ERRORS * max(len(text), 1):
                return Decoded(text, name, 1.0, bad, method)
    try:
        return Decoded(data.decode("utf-8"), "utf-8", 1.0, 0, "utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        text = data.decode("utf-8", errors="storydedup-cp1252")
        return Decoded(text, "utf-8", 0.9, text.count("\ufffd"), "utf-8+cp1252")
    for name, method in ((declared_name, "declared"), (meta_name, "meta")):
        if name and name != "utf_8":
            text, bad = _decode_lenient(data, name)
            if bad <= MAX_DECLARED_ERRORS * max(len(text), 1):
                return Decoded(text, name, 1.0, bad, method)
    return detect(data)


def detect(data: bytes) -> Decoded:
    """Pick the candidate charset whose decoding of ``data`` reads most like real text."""
    sample = data[:SAMPLE_BYTES]
    scored = []
    for rank, charset in enumerate(CANDIDATES):
        try:
            data.decode(charset)
        except UnicodeDecodeError:
            continue
        text = sample.decode(charset, errors="ignore")  # the prefix may cut a character
        scored.append((implausibility(text), rank, charset))
    if not scored:  # nothing decodes cleanly: cp1252 loses the fewest bytes on typical input
        text, bad = _decode_lenient(data, "cp1252")
        return Decoded(text, "cp1252", 0.0, bad, "detected")
    scored.sort()
    best_score, _, charset = scored[0]
    east_asian = [c for _, _, c in scored if c in EAST_ASIAN]
    if charset in EAST_ASIAN and len(east_asian) > 1:
        charset = _east_asian_choice(sample, east_asian) or charset
    text = data.decode(charset)
    n_chars = max(1, sum(1 for ch in text[: len(sample)] if ord(ch) > 127))
    confidence = max(0.0, 1.0 - best_score / n_chars) if len(scored) > 1 else 1.0
    return Decoded(text, charset, round(confidence, 3), 0, "detected")


def _east_asian_choice(sample: bytes, charsets: list[str]) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=charsets).best()
    return normalise_charset(best.encoding) if best else None


# --- Plausibility of decoded text. Only non-ASCII characters differ between candidates (all
# are ASCII-compatible), so only they and their neighbours are looked at.

def _script(ch: str) -> str | None:
    o = ord(ch)
    if not ch.isalpha():
        return None
    if o < 0x250 or 0x1E00 <= o < 0x1F00:
        return "latin"
    if 0x370 <= o < 0x400 or 0x1F00 <= o < 0x2000:
        return "greek"
    if 0x400 <= o < 0x530:
        return "cyrillic"
    if 0x590 <= o < 0x600:
        return "hebrew"
    if 0x600 <= o < 0x780 or 0xFB50 <= o < 0xFF00:
        return "arabic"
    if 0xE00 <= o < 0xE80:
        return "thai"
    if 0x1100 <= o < 0x1200 or 0x2E80 <= o < 0xA000 or 0xAC00 <= o < 0xD7B0 or 0xF900 <= o < 0xFB00 \
            or 0xFF00 <= o < 0xFFF0:
        return "cjk"  # Han, kana and Hangul mix freely in Japanese and Korean
    return "other"


COMMON_SYMBOLS = set("°€£¥©®™±×÷§¶·«»–—‘’‚“”„…•′″¡¿½¼¾¹²³\u00a0")
COMMON_SYMBOLS |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF01, 0xFF61)}  # CJK punctuation
IN_WORD = set("’·‐‑ʼ")  # the only non-letters at home between two letters
RARE_LETTERS = set("ÐÞðþÝýŸƒˆ˜ªºµ")  # letters only a wrong Latin code page tends to produce
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def implausibility(text: str) -> float:
    """Penalty points for what wrongly decoded text shows (lower = more plausible).

    Unassigned/private/control characters (10), letters of two scripts in one word (5), a
    symbol inside a word (2), uncommon symbols (1), rare letters (1; half-width katakana 2), an
    upper-case letter after a letter (1: wrong Cyrillic code pages turn most words into
    capitals), an accented Latin letter between two others (0.5: Hebrew or Arabic read as cp1252).
    """
    score = 0.0
    n = len(text)
    for m in _NON_ASCII.finditer(text):
        i = m.start()
        ch = text[i]
        cat = unicodedata.category(ch)
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        if cat[0] == "C" or ch == "\ufffd":
            score += 10
            continue
        if cat[0] == "L":
            s = _script(ch)
            if (prev.isalpha() and _script(prev) not in (s, None)) or (
                    nxt.isalpha() and _script(nxt) not in (s, None)):
                score += 5
            if ch.isupper() and prev.isalpha():
                score += 1
            if ch in RARE_LETTERS:
                score += 1
            elif 0xFF61 <= ord(ch) < 0xFFA0:  # half-width katakana: legacy, and what bytes misread as cp932 give
                score += 2
            if s == "latin" and _script(prev) == "latin" == _script(nxt) and prev > "\x7f" < nxt:
                score += 0.5  # Latin languages write accented letters between plain ones, not in runs
        elif prev.isalpha() and nxt.isalpha() and ch not in IN_WORD:
            score += 2
        elif ch not in COMMON_SYMBOLS:
            score += 1
    return score
