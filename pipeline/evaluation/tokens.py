"""Tokens and text normalisation shared by every scorer.

Tokens follow the evaluation sets' definition: Unicode NFKC, lower-case, regex ``\\w+``. A snippet
is present in an output when its tokens occur as one contiguous run of the output's tokens, so
whitespace, punctuation and quote style never decide a match.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Sequence

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
# Typographic quotes folded to their ASCII forms; exact-match comparisons ignore quote style.
_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
})


def tokens(text: str | None) -> list[str]:
    """NFKC + lower-case + ``\\w+``; ``None`` or empty text gives no tokens."""
    if not text:
        return []
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def joined(toks: Sequence[str] | str) -> str:
    """Tokens as one space-padded string, so a contiguous run becomes a substring test.

    Tokens never contain spaces, so `` a b `` occurs in `` x a b y `` exactly when the run does.
    Pass the result to ``contains_snippet`` when testing many snippets against one output.
    """
    if isinstance(toks, str):
        return toks if toks.startswith(" ") else " " + toks + " "
    return " " + " ".join(toks) + " "


def contains_snippet(out_tokens: Sequence[str] | str, snippet: str | Sequence[str]) -> bool:
    """True when the snippet's tokens form a contiguous run in the output.

    ``out_tokens`` is a token list or the (cheaper, reusable) result of ``joined``; ``snippet`` is
    raw text or a token list. A snippet without tokens is vacuously present.
    """
    snip = tokens(snippet) if isinstance(snippet, str) else list(snippet)
    if not snip:
        return True
    hay = out_tokens if isinstance(out_tokens, str) else joined(out_tokens)
    return joined(snip) in hay


def unify_quotes(text: str) -> str:
    return text.translate(_QUOTES)


def collapse_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def norm_exact(text: str | None) -> str:
    """Body exact-match form: NFKC, straight quotes, one space per whitespace run, trimmed."""
    return collapse_space(unify_quotes(unicodedata.normalize("NFKC", text or "")))


def prf(tp: float, n_pred: float, n_gold: float) -> tuple[float, float, float]:
    """Precision, recall, F1 from counts; with nothing predicted (or nothing to find) the
    corresponding ratio is vacuously 1.0, so an all-singleton clustering has pairwise P = 1."""
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_gold if n_gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def rnd(x: float) -> float:
    return round(float(x), 4)
