"""Encoding-repair scorer: exact match against any accepted output, per subset, and how often
text that needed no repair came out unchanged."""
from __future__ import annotations

from collections import defaultdict
from typing import Mapping

from storydedup.pipeline.evaluation.tokens import collapse_space, rnd, unify_quotes


def norm_encoding(text: str | None) -> str:
    """Comparison form: whitespace runs collapsed, quote style unified. No NFKC, since width and
    compatibility forms are exactly what some cases are about."""
    return collapse_space(unify_quotes(text or ""))


def score_encoding(gold_rows: list[dict], inputs_by_id: Mapping[str, str | None],
                   outputs_by_id: Mapping[str, str | None]) -> dict:
    """``gold_rows`` carry ``expected`` (accepted outputs) and ``subset``; a missing output is
    empty text. A case "must stay unchanged" when its input is itself an accepted output."""
    subsets: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    families: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    passing = [0, 0]
    kept = [0, 0]
    for row in gold_rows:
        out = norm_encoding(outputs_by_id.get(row["id"]))
        accepted = {norm_encoding(e) for e in row["expected"]}
        hit = out in accepted
        subset = row.get("subset") or "?"
        for counts in (subsets[subset], families[subset.split("-")[0]]):
            counts[0] += hit
            counts[1] += 1
        if row.get("expect", "pass") == "pass":
            passing[0] += hit
            passing[1] += 1
        source = norm_encoding(inputs_by_id.get(row["id"]))
        if source in accepted:
            kept[0] += out == source
            kept[1] += 1
    n = len(gold_rows)
    hits = sum(h for h, _ in subsets.values())
    return {
        "docs": n,
        "exact_match": rnd(hits / n) if n else None,
        "exact_match_expected_pass": rnd(passing[0] / passing[1]) if passing[1] else None,
        "unchanged_cases": kept[1],
        "unchanged_kept": rnd(kept[0] / kept[1]) if kept[1] else None,
        "by_family": {k: rnd(h / t) for k, (h, t) in sorted(families.items())},
        "by_subset": {k: rnd(h / t) for k, (h, t) in sorted(subsets.items())},
    }
