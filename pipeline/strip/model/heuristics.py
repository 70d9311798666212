"""The rule/heuristic stripper's per-line decision as model input (stacking).

The learned model reads what ``classify`` (rules, site template, thread shape, article core)
decided for each line, next to its own language-independent features: where the hand-written
evidence is strong it agrees, where it is silent (unseen widgets, languages) the features decide.
"""
from __future__ import annotations

import numpy as np

from storydedup.pipeline.strip.lines import split_lines, text_lines
from storydedup.pipeline.strip.settings import StripSettings

OLD_LINE = ["old_removed", "old_rule", "old_thread", "old_core", "old_cut", "old_template", "old_box"]
# How much the hand-written evidence covers the document: on pages in the languages and of the
# widgets the rules know, their decisions are reliable; on others the model's own features decide.
OLD_DOC = ["old_doc_removed", "old_doc_rule", "doc_rule_lines"]
OLD = OLD_LINE + OLD_DOC


def old_reasons(recs: list[dict], settings: StripSettings, rules, template: dict,
                read_if_ruled: list[bool] | None = None) -> list[list[str | None]]:
    """``classify``'s reason per line of every record (all None for texts too short to judge).
    ``read_if_ruled``: per record, whether its reasons are read only when a rule removes one of
    its lines of up to ``settings.reach_max_words`` words (a page no rule reaches is judged
    without them): where none can, the detectors are not run and all its reasons are None."""
    from storydedup.pipeline.strip.rules import INFORMING
    from storydedup.pipeline.strip.strip import classify, removes_any, too_short

    not_removing = settings.disabled_groups + rules.groups_of(*INFORMING)  # removes_any tries the others
    out = []
    for k, rec in enumerate(recs):
        text = rec.get("text") or ""
        checked = read_if_ruled is not None and read_if_ruled[k]
        # the detectors' features only for pages they judge: a page read in full gets them at once
        lines = text_lines(text) if checked else split_lines(text)
        if too_short([ln for ln in lines if not ln.empty], settings) or \
                (checked and not removes_any(lines, rules, not_removing, settings.reach_max_words)):
            out.append([None] * len(lines))
        else:
            out.append(classify(split_lines(text) if checked else lines, rec, settings, rules, template))
    return out


def old_features(reasons: list[list[str | None]], batch) -> np.ndarray:
    """One row per non-empty line of ``batch``: removed at all, and by which kind of evidence."""
    flat = np.array([reasons[d][i] or "" for d in range(len(reasons))
                     for i in batch.line_idx[batch.doc_ptr[d]:batch.doc_ptr[d + 1]]], dtype=str)
    cols = [flat != "", np.char.startswith(flat, "rule:"), flat == "detector:thread", flat == "detector:core",
            np.char.startswith(flat, "detector:cut") | np.char.startswith(flat, "cut"),
            flat == "detector:template", np.isin(flat, ["detector:box", "detector:link_list"])]
    per_line = np.column_stack(cols).astype(np.float32).reshape(len(flat), len(OLD_LINE))
    return np.hstack([per_line, document_shares(per_line[:, :2], batch)])


def any_rule(batch) -> np.ndarray:
    """Per row: whether any rule file's line pattern matched it."""
    from storydedup.pipeline.strip.model.features import feature_names
    from storydedup.pipeline.strip.model.rulescan import ACTIONS

    names = feature_names()
    return batch.X[:, [names.index(f"rule_{a}") for a in ACTIONS]].max(axis=1) if len(batch.X) else np.zeros(0)


def rule_reach(batch) -> np.ndarray:
    """Per document: lines any rule file matched (0: the rules know nothing of this page)."""
    row_doc = np.repeat(np.arange(len(batch.doc_ptr) - 1), np.diff(batch.doc_ptr))
    return np.bincount(row_doc, weights=any_rule(batch), minlength=len(batch.doc_ptr) - 1)


def document_shares(per_line: np.ndarray, batch) -> np.ndarray:
    """Per row: its document's share of lines removed / matched by rules, and of lines any rule
    file matched (the rules' reach in this document's language and widgets)."""
    vals = np.column_stack([per_line, any_rule(batch)]).astype(np.float64)
    sizes = np.maximum(np.diff(batch.doc_ptr), 1)
    row_doc = np.repeat(np.arange(len(sizes)), np.diff(batch.doc_ptr))
    sums = np.vstack([np.bincount(row_doc, weights=vals[:, k], minlength=len(sizes)) for k in range(vals.shape[1])]).T
    return (sums / sizes[:, None])[row_doc].astype(np.float32)
