"""Decide a whole shard at once: one feature matrix, one prediction, per-line reasons.

``decide_batch`` returns, per record, the reason of every line (None = kept) and the notes of
the removed runs: label (comment / boilerplate), score, strongest features, and the rule or
detector that also removed the line when the heuristics agreed. Texts an HTML extractor made,
texts without a body to judge (short ones) and empty ones get None: ``strip_record`` then
keeps today's path for them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from storydedup.pipeline.strip.model.features import ECHO_ROWS, Recurrence, feature_names, featurize, select_docs
from storydedup.pipeline.strip.model.heuristics import old_features, old_reasons, rule_reach
from storydedup.pipeline.strip.model.model import LABELS, StripModel
from storydedup.pipeline.strip.model.rulescan import RuleScan
from storydedup.pipeline.strip.settings import StripSettings

_PROSE = feature_names().index("prose")
_IN_CORE = feature_names().index("in_core")


@dataclass
class Decision:
    reasons: list[str | None]  # per line of text.split("\n"): "model:<label>" or None
    notes: dict[int, dict] = field(default_factory=dict)  # removed line -> label, score, why, rule
    language: str | None = None  # the page's language as guessed from its frequent words
    judge: str = "stacked"  # "stacked" (model reading the heuristics) or "unreached" (model alone)


def paragraph_lines(text: str, settings: StripSettings, asked) -> set[int]:
    """Those of the lines ``asked`` that the heuristics read as parts of a wrapped paragraph: the
    model removes none of them on its own (a line broken at 70 characters has no sentence end
    and few words). The full line features are built only when one of them may be such a line."""
    from storydedup.pipeline.strip.detectors.core import continued_prose, paragraph_candidates, wrapped_prose
    from storydedup.pipeline.strip.lines import split_lines, text_lines

    asked = set(asked)
    if asked.isdisjoint(paragraph_candidates(text_lines(text), settings.prose_min_words)):
        return set()
    lines = split_lines(text)
    return asked & (wrapped_prose(lines, settings.prose_min_words) | continued_prose(lines))


BOX_TEXT = "repeated_by_removed_below"  # the explanation of a line ``box_texts`` removes


def box_texts(drop: np.ndarray, echo: np.ndarray | None, row_doc: np.ndarray, prose: np.ndarray) -> np.ndarray:
    """Kept ``prose`` rows that may be the text of a box between paragraphs: a removed run of
    lines starts right below the row, holds the short line that repeats one of the row's own
    words (its button or field, ``features.echo_rows``), and the article goes on after the
    run. The model finds a box's controls by their shape; its text reads like any paragraph,
    and only the controls repeating its call tell it apart, in any language. With the shipped
    model it removes 3 lines of the 1,281 training pages (1 labelled body, 2 unlabelled) and 4
    of the promotion texts of the project's own multilingual set."""
    out = np.zeros(len(drop), bool)
    if echo is None:
        return out
    r = np.flatnonzero((echo >= 0) & ~drop & prose)
    if not len(r):
        return out
    j, n = echo[r], len(drop)
    run = np.ones(len(r), bool)  # rows r+1 .. j all removed
    for k in range(1, ECHO_ROWS + 1):
        run &= (r + k > j) | drop[np.minimum(r + k, n - 1)]
    kept_at = np.where(~drop, np.arange(n), n)
    next_kept = np.minimum.accumulate(kept_at[::-1])[::-1]  # first kept row at or after each row
    after = next_kept[np.minimum(j + 1, n - 1)]
    resumes = (j + 1 < n) & (after < n) & (row_doc[np.minimum(after, n - 1)] == row_doc[r])
    out[r[run & resumes]] = True
    return out


def eligible(rec: dict, settings: StripSettings) -> bool:
    """The model judges plain-text inputs of ``model_min_lines`` or more; extractor output and
    shorter texts keep the rules-and-cut path."""
    text = rec.get("text")
    if not text:
        return False
    extracted = rec.get("notes", {}).get("extract", {}).get("method") == "trafilatura"
    if settings.trust_extractor and extracted:
        return False
    return not settings.brief(sum(1 for line in text.split("\n") if line.strip()))


def decide_batch(recs: list[dict], model: StripModel, scan: RuleScan, settings: StripSettings, rules,
                 template: dict, explain: bool = True, heuristics: list | None = None,
                 recurrence: Recurrence | None = None) -> list[Decision | None]:
    """``heuristics``: ``old_reasons`` of ``recs`` when already known (default: computed here).
    ``recurrence``: the batch's line counts when ``recs`` are one shard of it (``featurize``).
    Pages that the rules do not reach are judged by ``model.unreached``, the model trained
    without the heuristics' decisions: pages in a language no rule file is written in (the
    heuristics are not run for them), and pages where no line is in a rule file nor is a line
    of up to ``settings.reach_max_words`` words removed by a rule (their detectors are not run;
    no heuristic explains a removal on such a page)."""
    out: list[Decision | None] = [None] * len(recs)
    idx = [i for i, rec in enumerate(recs) if eligible(rec, settings)]
    if not idx:
        return out
    sub = [recs[i] for i in idx]
    batch = featurize([rec["text"] for rec in sub], model.vocab, scan, recurrence)
    n_plain = batch.X.shape[1]
    languages = model.guess_language.guess_all([rec["text"] for rec in sub])
    unknown = np.array([model.unreached is not None and lang not in rules.languages for lang in languages], bool)
    heur = [[None] * (rec["text"].count("\n") + 1) for rec in sub]
    old = np.zeros(len(batch.X), bool)
    reach = rule_reach(batch)
    if model.stacked:  # the heuristics run where their decisions are read: pages in the rules' languages
        known = np.flatnonzero(~unknown).tolist()
        # a page no rule file reaches goes to the model without them unless a rule removes a short line of it (reach_max_words)
        read_if_ruled = [model.unreached is not None and reach[k] == 0 for k in known]
        found = [heuristics[idx[k]] for k in known] if heuristics is not None \
            else old_reasons([sub[k] for k in known], settings, rules, template, read_if_ruled)
        for k, h in zip(known, found):
            heur[k] = h
        extra = old_features(heur, batch)
        batch.X = np.hstack([batch.X, extra])
        old = extra[:, 0] > 0
    unreached = unknown
    if model.unreached is not None:  # also: no line of the page in any rule file, nor removed by a rule
        silent = (reach == 0) & np.array([not any(r and r.startswith("rule:") for r in h) for h in heur])
        unreached = unknown | silent
        for k in np.flatnonzero(silent):  # not read there: no removal is explained by them
            heur[k] = [None] * len(heur[k])
        old &= ~np.repeat(unreached, np.diff(batch.doc_ptr))  # that model decides alone there
    p_bp, p_com, cut = np.zeros(len(batch.X)), np.zeros(len(batch.X)), np.zeros(len(batch.X))
    parts = []  # (model, its documents' rows, their sub-batch, its members' stage-2 features)
    for judge, docs, width in ((model, ~unreached, batch.X.shape[1]), (model.unreached, unreached, n_plain)):
        if not docs.any():
            continue
        part, rows = select_docs(batch, np.flatnonzero(docs), width)
        p_bp[rows], p_com[rows], x2 = judge.predict(part)
        cut[rows] = judge.cuts(p_com[rows], old[rows])
        parts.append((judge, rows, part, x2))
    drop = p_bp >= cut
    sizes = np.diff(batch.doc_ptr)
    row_doc = np.repeat(np.arange(len(sub)), sizes)

    def per_doc(values: np.ndarray) -> np.ndarray:  # sum over each document's rows
        return np.bincount(row_doc, weights=values, minlength=len(sub))

    short = (sizes <= 1) | (per_doc(batch.words) < settings.short_doc_words)
    drop &= ~short[row_doc]  # too little text to tell an article from its frame
    emptied = (per_doc(drop) == sizes) & (per_doc(batch.X[:, _PROSE] != 0) > 0)
    drop &= ~(emptied[row_doc] & (batch.X[:, _IN_CORE] != 0))  # never empty a text with prose: keep its core
    model_only = drop & ~old
    for d in np.flatnonzero(per_doc(model_only)):  # hard-wrapped paragraphs: each line looks like chrome alone
        a, b = batch.doc_ptr[d], batch.doc_ptr[d + 1]
        protected = paragraph_lines(sub[d]["text"], settings, batch.line_idx[a:b][model_only[a:b]].tolist())
        if protected:  # only lines the model alone removes were asked about
            drop[a:b] &= ~np.isin(batch.line_idx[a:b], list(protected))
    boxed = box_texts(drop, batch.echo, row_doc, batch.X[:, _PROSE] != 0)
    drop |= boxed
    rows = np.flatnonzero(drop)
    label = np.where(p_com >= 0.5, 1, 2)
    label[boxed] = 2
    first = np.ones(len(rows), bool)  # one explanation per run of removed lines with one label
    first[1:] = (rows[1:] != rows[:-1] + 1) | (label[rows[1:]] != label[rows[:-1]]) \
        | (row_doc[rows[1:]] != row_doc[rows[:-1]]) | boxed[rows[1:]] | boxed[rows[:-1]]
    why: dict[int, list] = {int(r): [[BOX_TEXT, 1.0]] for r in np.flatnonzero(boxed)}
    for judge, part_rows, part, x2 in parts if explain else ():
        asked = np.intersect1d(rows[first & ~boxed[rows]], part_rows)
        local = np.searchsorted(part_rows, asked)
        why.update(zip(asked.tolist(), judge.explain(part, x2, local)))
    decisions = [Decision([None] * len(h), language=lang, judge="unreached" if u else "stacked")
                 for h, lang, u in zip(heur, languages, unreached)]
    reason_of_run = []
    for k, r in enumerate(rows):
        if first[k]:
            reason_of_run = why.get(int(r), [])
        d, line = int(row_doc[r]), int(batch.line_idx[r])
        lab = LABELS[label[r]]
        decisions[d].reasons[line] = f"model:{lab}"
        decisions[d].notes[line] = {"label": lab, "score": round(float(p_bp[r]), 3),
                                    "why": reason_of_run, "rule": heur[d][line]}
    for i, dec in zip(idx, decisions):
        out[i] = dec
    return out
