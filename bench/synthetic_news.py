"""Deterministic synthetic news-like corpus for benchmarks: stories, independent reports of each
story, and a controlled share of near-duplicate copies (edited, truncated, re-wrapped)."""
from __future__ import annotations

import random

_SYL = ["ka", "lo", "mi", "ter", "san", "ve", "dor", "ul", "pre", "on", "is", "bar", "ne", "qua", "ri"]


def vocabulary(size: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYL) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def generate(n_docs: int, words: int = 700, dup_share: float = 0.3, seed: int = 0) -> list[dict]:
    """``n_docs`` records; about ``dup_share`` of them are edited copies of another record."""
    rng = random.Random(seed)
    vocab = vocabulary(20_000, seed)
    # real function words (low idf in the wordfreq tables) around invented salient words
    common = ("the of and to in a is that for on was with he it as at by from his an were are "
              "which this be has had not but its they have their been one who also after more "
              "said will would there when new first two over last year people other into time").split()
    recs: list[dict] = []
    story_terms: list[list[str]] = []
    while len(recs) < n_docs:
        if recs and rng.random() < dup_share:
            src = recs[rng.randrange(len(recs))]["text"].split(" ")
            kind = rng.choice(("edit", "truncate", "wrap"))
            if kind == "edit":
                src = [rng.choice(vocab) if rng.random() < 0.03 else w for w in src]
            elif kind == "truncate":
                src = src[: int(len(src) * rng.uniform(0.6, 0.9))]
            text = " ".join(src)
            if kind == "wrap":
                text = text.upper()
        else:
            if not story_terms or rng.random() < 0.5:
                story_terms.append(rng.sample(vocab, 15))
            salient = story_terms[rng.randrange(len(story_terms))]
            body = [rng.choice(salient) if rng.random() < 0.1 else
                    (rng.choice(common) if rng.random() < 0.5 else rng.choice(vocab)) for _ in range(words)]
            text = "\n\n".join(" ".join(body[i:i + 60]) + "." for i in range(0, words, 60))
        recs.append({"id": f"b{len(recs):07d}", "text": text,
                     "published": f"2024-01-{1 + rng.randrange(28):02d}"})
    return recs
