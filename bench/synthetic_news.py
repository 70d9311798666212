"""Deterministic synthetic news-like corpus for benchmarks: stories, independent reports of each
story, and a controlled share of near-duplicate copies (edited, truncated, re-wrapped).

What matters for grouping cost is how many salient terms unrelated reports share, so the
vocabulary follows real news rather than a small invented lexicon:
- background words are real English words drawn with their wordfreq frequencies (Zipf-like: the
  function words dominate, content words form a long tail whose idf the pipeline knows);
- each story has its own names/places: invented words from a pool of many distinct strings
  (unknown to the frequency tables, so they carry the highest idf, like real proper names);
- stories run for a few days: reports pick mostly among recent stories and are dated near
  their story's day, over a span that grows with the corpus (about 2,000 documents a day).
"""
from __future__ import annotations

import random

import numpy as np

_LETTERS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiou"
_DOCS_PER_DAY = 2000
_BASE_DAY = np.datetime64("2024-01-01")


def invented_name(rng: random.Random) -> str:
    """A pronounceable name of 2-4 syllables (hundreds of millions of possible strings)."""
    return "".join(rng.choice(_LETTERS) + rng.choice(_VOWELS) for _ in range(rng.randint(2, 4))).capitalize()


def background(n_words: int = 30_000) -> tuple[list[str], np.ndarray]:
    """Real English words and their cumulative sampling probabilities (wordfreq frequencies)."""
    import wordfreq

    words = wordfreq.top_n_list("en", n_words)
    cdf = np.cumsum([wordfreq.word_frequency(w, "en") for w in words])
    return words, cdf / cdf[-1]


def generate(n_docs: int, words: int = 700, dup_share: float = 0.3, seed: int = 0) -> list[dict]:
    """``n_docs`` records; about ``dup_share`` of them are edited copies of another record
    (those say which original report they copy in ``copy_of``)."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    vocab, cdf = background()
    span_days = max(7, n_docs // _DOCS_PER_DAY)
    recs: list[dict] = []
    stories: list[tuple[list[str], int]] = []  # (salient terms, day)
    while len(recs) < n_docs:
        if recs and rng.random() < dup_share:
            src = recs[rng.randrange(len(recs))]
            tokens = src["text"].split(" ")
            kind = rng.choice(("edit", "truncate", "wrap"))
            if kind == "edit":
                tokens = [rng.choice(vocab) if rng.random() < 0.03 else w for w in tokens]
            elif kind == "truncate":
                tokens = tokens[: int(len(tokens) * rng.uniform(0.6, 0.9))]
            text = " ".join(tokens)
            if kind == "wrap":
                text = text.upper()
            day = src["day"]
            original = src.get("copy_of", src["id"])
        else:
            original = None
            if not stories or rng.random() < 0.5:
                names = [invented_name(rng) for _ in range(rng.randint(4, 8))]
                topic = [vocab[i] for i in nrng.integers(200, len(vocab), size=rng.randint(4, 8))]
                stories.append((names + topic, rng.randrange(span_days)))
            salient, story_day = stories[max(0, len(stories) - 1 - int(rng.expovariate(1 / 200)))]
            body = np.minimum(np.searchsorted(cdf, nrng.random(words)), len(vocab) - 1).tolist()
            pick = nrng.integers(0, len(salient), size=words).tolist()
            is_salient = (nrng.random(words) < 0.08).tolist()
            text_words = [salient[p] if s else vocab[i] for i, p, s in zip(body, pick, is_salient)]
            text = "\n\n".join(" ".join(text_words[i:i + 60]) + "." for i in range(0, words, 60))
            day = min(span_days - 1, story_day + int(rng.expovariate(1.0)))
        rec = {"id": f"b{len(recs):07d}", "text": text, "day": day,
               "published": str(_BASE_DAY + np.timedelta64(day, "D"))}
        if original:
            rec["copy_of"] = original  # the truth for near-duplicate scoring: the first report copied
        recs.append(rec)
    for rec in recs:
        del rec["day"]
    return recs
