"""Boilerplate scorers: token P/R/F1, exact match, leak rates, body loss, html snippet accuracy.

Inputs are gold rows as stored in a set's ``gold.jsonl`` and ``outputs_by_id`` mapping an id to
the product's cleaned text; an id missing from the mapping (rejected, lost) scores as empty text.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from typing import Iterable, Mapping

from storydedup.pipeline.evaluation.tokens import contains_snippet, joined, norm_exact, rnd, tokens

COMMENT_KINDS = ("comment", "newsletter")
OTHER_KINDS = ("related", "chrome")
MIN_UNIT_TOKENS = 8
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def token_prf(out_toks: list[str], gold_toks: list[str], optional_toks: Iterable[str] = ()):
    """Bag-of-tokens P/R/F1; surplus output tokens that match ``optional`` tokens are forgiven
    (removed from |out|). Empty output scores 0 across the board."""
    if not out_toks or not gold_toks:
        return 0.0, 0.0, 0.0
    out, gold, opt = Counter(out_toks), Counter(gold_toks), Counter(optional_toks)
    tp = sum(min(n, gold[t]) for t, n in out.items())
    forgiven = sum(min(max(n - gold[t], 0), opt[t]) for t, n in out.items() if t in opt)
    n_out = len(out_toks) - forgiven
    p = tp / n_out if n_out else 0.0
    r = tp / len(gold_toks)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def body_units(row: dict) -> list[str]:
    """What must survive: body lines split into sentences, kept when >= 8 tokens long; rows
    without a body fall back to their ``with`` snippets (each already a deliberate gold pick)."""
    body = row.get("body")
    if body is None:
        return [s for s in row.get("with") or [] if tokens(s)]
    units = []
    for line in body.splitlines():
        units.extend(s for s in _SENTENCE_END.split(line) if len(tokens(s)) >= MIN_UNIT_TOKENS)
    return units


def _present(hay: str, snippets: Iterable[str]) -> tuple[int, int]:
    """(present, total) over snippets that have at least one token."""
    total = hit = 0
    for s in snippets:
        toks = tokens(s)
        if toks:
            total += 1
            hit += contains_snippet(hay, toks)
    return hit, total


def _pooled(kinds: dict, group: tuple) -> tuple[int, int]:
    """(present, total) of the leak kinds in ``group`` together."""
    return sum(kinds[k][0] for k in group), sum(kinds[k][1] for k in group)


def _doc_scores(row: dict, text: str) -> dict:
    out_toks = tokens(text)
    hay = joined(out_toks)
    leaks = row.get("leak") or []
    kinds = {k: _present(hay, (x["text"] for x in leaks if x["kind"] == k)) for k in COMMENT_KINDS + OTHER_KINDS}
    d = {"comment": _pooled(kinds, COMMENT_KINDS), "other": _pooled(kinds, OTHER_KINDS),
         "body": _present(hay, body_units(row)), "kinds": kinds}
    if row.get("body") is not None:
        opt = [t for line in row.get("optional") or [] for t in tokens(line)]
        d["prf"] = token_prf(out_toks, tokens(row["body"]), opt)
        d["exact"] = norm_exact(text) == norm_exact(row["body"])
    return d


def _summarise(docs: list[dict]) -> dict:
    with_body = [d for d in docs if "prf" in d]
    f1s = [d["prf"][2] for d in with_body]
    comment_docs = [d["comment"] for d in docs if d["comment"][1]]
    c_hit = sum(h for h, _ in comment_docs)
    c_tot = sum(t for _, t in comment_docs)
    o_hit = sum(d["other"][0] for d in docs)
    o_tot = sum(d["other"][1] for d in docs)
    b_hit = sum(d["body"][0] for d in docs)
    b_tot = sum(d["body"][1] for d in docs)

    def mean(xs):
        return rnd(statistics.fmean(xs)) if xs else None

    return {
        "docs": len(docs),
        "docs_with_body": len(with_body),
        "token_precision_mean": mean([d["prf"][0] for d in with_body]),
        "token_recall_mean": mean([d["prf"][1] for d in with_body]),
        "token_f1_mean": mean(f1s),
        "token_f1_median": rnd(statistics.median(f1s)) if f1s else None,
        "exact_match": mean([float(d["exact"]) for d in with_body]),
        "comment_leak_rate": rnd(c_hit / c_tot) if c_tot else None,
        "comment_leak_doc_mean": mean([h / t for h, t in comment_docs]),
        "comment_leak_doc_share": mean([float(h > 0) for h, _ in comment_docs]),
        "comment_leak_items": c_tot,
        "other_leak_rate": rnd(o_hit / o_tot) if o_tot else None,
        "other_leak_items": o_tot,
        # the pooled rates above, kind by kind: a comment thread and a newsletter box fail apart
        "leak_rate_by_kind": {k: rnd(sum(d["kinds"][k][0] for d in docs) / t)
                              for k in COMMENT_KINDS + OTHER_KINDS if (t := sum(d["kinds"][k][1] for d in docs))},
        "body_loss_rate": rnd(1 - b_hit / b_tot) if b_tot else None,
        "body_units": b_tot,
    }


# Gold fields that split a set into parts worth scoring apart (our own multilingual set has
# ``split`` tune/heldout and ``lang``); a set without the field gets no breakdown for it. A
# tuple crosses fields: ``by_split_lang`` scores each language of each split ("heldout/pl").
GROUP_FIELDS = ("source", "split", "lang", ("split", "lang"))


def score_boilerplate(gold_rows: list[dict], outputs_by_id: Mapping[str, str | None]) -> dict:
    """All boilerplate metrics over the set, plus the same summary per value of each gold field
    in ``GROUP_FIELDS`` (``by_source``, ``by_split``, ``by_lang``, ``by_split_lang``)."""
    docs = [_doc_scores(row, outputs_by_id.get(row["id"]) or "") for row in gold_rows]
    result = _summarise(docs)
    keep = ("docs", "token_f1_mean", "exact_match", "comment_leak_rate", "other_leak_rate",
            "body_loss_rate")
    for group in GROUP_FIELDS:
        fields = group if isinstance(group, tuple) else (group,)
        if fields != ("source",) and not all(any(f in row for row in gold_rows) for f in fields):
            continue
        groups: dict[str, list[dict]] = defaultdict(list)
        for row, d in zip(gold_rows, docs):
            groups["/".join(str(row.get(f) or "?") for f in fields)].append(d)
        result[f"by_{'_'.join(fields)}"] = {key: _group_row(_summarise(ds), keep) for key, ds in sorted(groups.items())}
    return result


def _group_row(summary: dict, keep: tuple) -> dict:
    """A group's line: the kept summary fields, then each leak kind's rate on its own
    (``leak_newsletter``): the pooled comment rate hides a language whose boxes all stay."""
    row = {k: v for k, v in summary.items() if k in keep}
    row.update({f"leak_{kind}": rate for kind, rate in summary["leak_rate_by_kind"].items()})
    return row


def score_html_snippets(gold_rows: list[dict], outputs_by_id: Mapping[str, str | None]) -> dict:
    """with-accuracy = share of ``with`` snippets present; without-accuracy = share of
    ``without`` + ``comments`` snippets absent (both pooled over documents)."""
    w_hit = w_tot = wo_hit = wo_tot = 0
    for row in gold_rows:
        hay = joined(tokens(outputs_by_id.get(row["id"]) or ""))
        h, t = _present(hay, row.get("with") or [])
        w_hit, w_tot = w_hit + h, w_tot + t
        h, t = _present(hay, (row.get("without") or []) + (row.get("comments") or []))
        wo_hit, wo_tot = wo_hit + (t - h), wo_tot + t
    return {
        "with_accuracy": rnd(w_hit / w_tot) if w_tot else None,
        "with_snippets": w_tot,
        "without_accuracy": rnd(wo_hit / wo_tot) if wo_tot else None,
        "without_snippets": wo_tot,
    }
