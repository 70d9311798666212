"""The generated benchmark corpus carries its own near-duplicate truth (bench/e2e.py scores with it)."""
from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

from synthetic_news import generate  # noqa: E402


def test_copies_name_the_original_report_they_copy():
    recs = generate(300, words=120, seed=3)
    by_id = {r["id"]: r for r in recs}
    copies = [r for r in recs if "copy_of" in r]
    assert 0.2 < len(copies) / len(recs) < 0.4
    for rec in copies:
        original = by_id[rec["copy_of"]]
        assert "copy_of" not in original  # chains of copies point to the first report
        assert int(original["id"][1:]) < int(rec["id"][1:])
        # an edited, truncated or re-cased copy still shares most of the original's words
        ours, theirs = set(rec["text"].lower().split()), set(original["text"].lower().split())
        assert len(ours & theirs) / len(ours) > 0.8


def test_same_seed_same_corpus():
    assert generate(50, words=60, seed=5) == generate(50, words=60, seed=5)
