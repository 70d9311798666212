"""Grouping scorers: pairwise and B-cubed P/R/F1 over cluster labels, story pairs, near-dup links.

Labels are mappings id -> cluster label. Gold ids define the universe: a predicted label that is
missing or ``None`` makes the document a singleton (a rejected document never merges); predicted
ids unknown to the gold are ignored. Everything is computed from the contingency table of
(predicted, gold) label counts, so cost is linear in the number of documents.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations
from typing import Iterable, Mapping

from storydedup.pipeline.evaluation.tokens import prf, rnd


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def predicted_or_singleton(gold_labels: Mapping[str, object],
                           predicted_labels: Mapping[str, object]) -> dict:
    """Predicted label per gold id as ``(label, None)``; a missing/None label becomes the
    private singleton ``(None, id)``, which no other document can share."""
    out = {}
    for doc_id in gold_labels:
        label = predicted_labels.get(doc_id)
        out[doc_id] = (None, doc_id) if label is None else (label, None)
    return out


def score_clusters(gold_labels: Mapping[str, object], predicted_labels: Mapping[str, object]) -> dict:
    """Pairwise P/R/F1 over unordered document pairs and B-cubed P/R/F1 (per-document averages)."""
    pred = predicted_or_singleton(gold_labels, predicted_labels)
    cells = Counter((pred[d], g) for d, g in gold_labels.items())
    pred_sizes = Counter(pred.values())
    gold_sizes = Counter(gold_labels.values())
    n = len(gold_labels)

    tp = sum(_pairs(c) for c in cells.values())
    pp, pr, pf = prf(tp, sum(_pairs(c) for c in pred_sizes.values()),
                     sum(_pairs(c) for c in gold_sizes.values()))
    # B-cubed: each of the c documents in cell (C, G) has P_d = c/|C| and R_d = c/|G|.
    bp = sum(c * c / pred_sizes[p] for (p, _), c in cells.items()) / n if n else 1.0
    br = sum(c * c / gold_sizes[g] for (_, g), c in cells.items()) / n if n else 1.0
    bf = 2 * bp * br / (bp + br) if bp + br else 0.0
    return {
        "docs": n,
        "gold_clusters": len(gold_sizes),
        "predicted_clusters": len(pred_sizes),
        "pairwise_precision": rnd(pp), "pairwise_recall": rnd(pr), "pairwise_f1": rnd(pf),
        "bcubed_precision": rnd(bp), "bcubed_recall": rnd(br), "bcubed_f1": rnd(bf),
    }


def _same(labels: Mapping[str, object], a: str, b: str) -> bool:
    la, lb = labels.get(a), labels.get(b)
    return la is not None and la == lb


def score_pairs(pairs: Iterable[dict], predicted_labels: Mapping[str, object]) -> dict:
    """Rows ``{"a","b","same_story",...,"lang"}``: predicted same-story when both documents carry
    the same non-null label. P/R/F1 on the positive class, accuracy, and F1 per language."""
    by_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # tp, pred, gold, right, n
    for row in pairs:
        guess, truth = _same(predicted_labels, row["a"], row["b"]), bool(row["same_story"])
        for key in ("\0all", row.get("lang") or "?"):
            c = by_lang[key]
            c[0] += guess and truth
            c[1] += guess
            c[2] += truth
            c[3] += guess == truth
            c[4] += 1
    tp, n_pred, n_gold, right, n = by_lang.pop("\0all", [0, 0, 0, 0, 0])
    p, r, f = prf(tp, n_pred, n_gold)
    return {
        "pairs": n, "same_story_pairs": n_gold, "predicted_same": n_pred,
        "precision": rnd(p), "recall": rnd(r), "f1": rnd(f),
        "accuracy": rnd(right / n) if n else None,
        "f1_by_lang": {lang: rnd(prf(*c[:3])[2]) for lang, c in sorted(by_lang.items())},
    }


def score_near_dup_links(gold_rows: list[dict], dup_labels: Mapping[str, object],
                         story_labels: Mapping[str, object]) -> dict:
    """near_dup extras: recall of base-variant links per edit kind (first ``ops`` entry), share of
    same-template hard-negative pairs merged (want 0) at dup and story level, and the share of
    base-variant links that also share a story cluster (want 1)."""
    ids = {row["id"] for row in gold_rows}
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    story_hit = links = 0
    templates: dict[str, list[str]] = defaultdict(list)
    for row in gold_rows:
        if row.get("role") == "variant" and row["dup_cluster"] in ids:
            base = row["dup_cluster"]
            kind = (row.get("ops") or ["none"])[0].split(":")[0]
            kinds[kind][0] += _same(dup_labels, row["id"], base)
            kinds[kind][1] += 1
            story_hit += _same(story_labels, row["id"], base)
            links += 1
        elif row.get("role") == "hardneg" and row.get("template"):
            templates[row["template"]].append(row["id"])
    neg_pairs = [p for members in templates.values() for p in combinations(members, 2)]

    def share(labels):
        return rnd(sum(_same(labels, a, b) for a, b in neg_pairs) / len(neg_pairs)) if neg_pairs else None

    return {
        "variant_links": links,
        "link_recall": rnd(sum(h for h, _ in kinds.values()) / links) if links else None,
        "link_recall_by_kind": {k: rnd(h / t) for k, (h, t) in sorted(kinds.items())},
        "hardneg_pairs": len(neg_pairs),
        "hardneg_dup_merge_share": share(dup_labels),
        "hardneg_story_merge_share": share(story_labels),
        "variant_story_share": rnd(story_hit / links) if links else None,
    }
