"""The rule/heuristic stripper's per-line decision as model input (stacking).

The learned model reads what ``classify`` (rules, site template, thread shape, article core)
decided for each line, next to its own language-independent features: where the hand-written
evidence is strong it agrees, where it is silent (unseen widgets, languages) the features decide.
"""
from __future__ import annotations

import numpy as np

from storydedup.pipeline.strip.lines import split_lines
from storydedup.pipeline.strip.settings import StripSettings

OLD = ["old_removed", "old_rule", "old_thread", "old_core", "old_cut", "old_template", "old_box"]


def old_reasons(recs: list[dict], settings: StripSettings, rules, template: dict) -> list[list[str | None]]:
    """``classify``'s reason per line of every record (all None for texts too short to judge)."""
    from storydedup.pipeline.strip.strip import classify

    out = []
    for rec in recs:
        lines = split_lines(rec.get("text") or "")
        nonempty = [ln for ln in lines if not ln.empty]
        if len(nonempty) <= 1 or sum(ln.words for ln in nonempty) < settings.short_doc_words:
            out.append([None] * len(lines))
        else:
            out.append(classify(lines, rec, settings, rules, template))
    return out


def old_features(reasons: list[list[str | None]], batch) -> np.ndarray:
    """One row per non-empty line of ``batch``: removed at all, and by which kind of evidence."""
    flat = np.array([reasons[d][i] or "" for d in range(len(reasons))
                     for i in batch.line_idx[batch.doc_ptr[d]:batch.doc_ptr[d + 1]]], dtype=str)
    cols = [flat != "", np.char.startswith(flat, "rule:"), flat == "detector:thread", flat == "detector:core",
            np.char.startswith(flat, "detector:cut") | np.char.startswith(flat, "cut"),
            flat == "detector:template", np.isin(flat, ["detector:box", "detector:link_list"])]
    return np.column_stack(cols).astype(np.float32).reshape(len(flat), len(OLD))
