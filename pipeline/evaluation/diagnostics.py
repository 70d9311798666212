"""Where a score is lost: the worst documents and the clustering mistakes, for tuning by eye.

Same inputs as the scorers; results are plain lists of dicts, worst first, capped by ``limit``.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Mapping

from storydedup.pipeline.evaluation.boilerplate import COMMENT_KINDS, body_units, token_prf
from storydedup.pipeline.evaluation.grouping import predicted_or_singleton
from storydedup.pipeline.evaluation.tokens import contains_snippet, joined, rnd, tokens


def boilerplate_failures(gold_rows: list[dict], outputs_by_id: Mapping[str, str | None],
                         limit: int = 20) -> list[dict]:
    """Documents ordered by how much they lose: leaked comment/newsletter items and lost body
    units first, then lowest token F1. Each entry lists the offending snippets."""
    found = []
    for row in gold_rows:
        out_toks = tokens(outputs_by_id.get(row["id"]) or "")
        hay = joined(out_toks)
        leaked = [x["text"] for x in row.get("leak") or []
                  if x["kind"] in COMMENT_KINDS and tokens(x["text"]) and contains_snippet(hay, x["text"])]
        lost = [u for u in body_units(row) if not contains_snippet(hay, u)]
        f1 = None
        if row.get("body") is not None:
            opt = [t for line in row.get("optional") or [] for t in tokens(line)]
            f1 = rnd(token_prf(out_toks, tokens(row["body"]), opt)[2])
        if leaked or lost or (f1 is not None and f1 < 1.0):
            found.append({"id": row["id"], "source": row.get("source"), "token_f1": f1,
                          "leaked": leaked, "lost": lost})

    def badness(d):
        return -(len(d["leaked"]) + len(d["lost"])), 1.0 if d["token_f1"] is None else d["token_f1"]

    found.sort(key=badness)
    return found[:limit]


def cluster_errors(gold_labels: Mapping[str, object], predicted_labels: Mapping[str, object],
                   limit: int = 20) -> dict:
    """``split``: gold clusters scattered over several predicted clusters (missed links), with
    the pieces' ids; ``merged``: predicted clusters mixing several gold clusters (false links).
    Missing or ``None`` predictions are singletons; each list is ordered by pairs at stake."""
    pred = predicted_or_singleton(gold_labels, predicted_labels)
    by_gold: dict[object, dict] = defaultdict(lambda: defaultdict(list))
    by_pred: dict[object, dict] = defaultdict(lambda: defaultdict(list))
    for doc_id, g in gold_labels.items():
        by_gold[g][pred[doc_id]].append(doc_id)
        by_pred[pred[doc_id]][g].append(doc_id)

    def cross_pairs(parts: dict) -> int:
        sizes = [len(ids) for ids in parts.values()]
        return (sum(sizes) ** 2 - sum(s * s for s in sizes)) // 2

    def listing(groups: dict, name: str, show) -> list[dict]:
        rows = [{name: show(key), "pairs": cross_pairs(parts),
                 "parts": sorted((sorted(ids) for ids in parts.values()), key=len, reverse=True)}
                for key, parts in groups.items() if len(parts) > 1]
        rows.sort(key=lambda r: -r["pairs"])
        return rows[:limit]

    return {"split": listing(by_gold, "gold", lambda g: g),
            "merged": listing(by_pred, "predicted", lambda p: p[0])}


def pair_errors(pairs: list[dict], predicted_labels: Mapping[str, object]) -> dict:
    """Story pairs the prediction gets wrong, split into missed (same story, not linked) and
    false (linked, different stories), with counts per language."""
    missed, false = [], []
    for row in pairs:
        la, lb = predicted_labels.get(row["a"]), predicted_labels.get(row["b"])
        same = la is not None and la == lb
        if row["same_story"] and not same:
            missed.append(row)
        elif same and not row["same_story"]:
            false.append(row)
    return {"missed": missed, "false": false,
            "missed_by_lang": dict(Counter(r.get("lang") for r in missed)),
            "false_by_lang": dict(Counter(r.get("lang") for r in false))}
