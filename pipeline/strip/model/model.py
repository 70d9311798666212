"""Two-stage line classifier: per-line gradient-boosted trees, then a sequence stage, in a
few members whose scores are averaged.

Stage 1 scores every line from its own and its neighbours' features: ``p_bp`` (boilerplate of
any kind) and ``p_com`` (reader comment, given boilerplate). Stage 2 re-scores each line from
the stage-1 scores of a window around it and of everything above/below it (stacking, trained on
out-of-fold stage-1 scores), so threads and boxes come out as regions rather than single lines.
A model is a few such two-stage members trained alike from different seeds (their own document
order, folds, synthetic pages and tree sampling), and a line's scores are the members' mean: on
pages unlike its training pages, one member's results move with its seed (F1 0.937 or 0.944 on
the project's own multilingual set), their mean less. A line is removed when the mean stage-2
score reaches ``threshold``; a model that stacks the heuristic stripper (``info["stack_old"]``)
has a second threshold, ``threshold_removed``, for the lines the heuristics removed (their
evidence already counts against the line). A line the members call a reader comment (mean
P(comment | boilerplate) of at least ``comment_share``) is removed from ``threshold_comment``
on when that is lower: readers' prose looks like the article's to the boilerplate score, which
stays unsure of a thread without authors or times, while the comment score tells a reader's
reply from chrome.

The model file is one gzipped JSON: each member's three LightGBM models as text, the frozen
stop-word list, the feature names and the training record, so serving reads exactly what
training used.
Serving walks the trees itself (``forest``): LightGBM is needed to train, not to strip.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from storydedup.pipeline.jit import jit
from storydedup.pipeline.strip.model.features import Batch, Vocab, feature_names
from storydedup.pipeline.strip.model.heuristics import OLD
from storydedup.pipeline.strip.model.language import LanguageGuess
from storydedup.pipeline.strip.model.forest import Forest
from storydedup.pipeline.strip.model.paths import contributions


@lru_cache(maxsize=4)
def language_guess(languages: tuple) -> LanguageGuess:
    """One guesser (and its vote table, ~30 ms to build) per process for the same word lists:
    each strip task loads the model anew (see tasks.stages), the lists are the same."""
    guess = LanguageGuess(dict(languages))
    guess("")  # builds the table now
    return guess


FORMAT = "storydedup-strip-model/3"  # /2: members, /3: the comment thresholds
BODY, COMMENT, CHROME = 0, 1, 2
LABELS = ("body", "comment", "boilerplate")
S2_OFFSETS = (-4, -3, -2, -1, 1, 2, 3, 4)
S2_WINDOWS = (2, 5, 12, 30)
S2_CONTEXT = ("rel_pos", "log_words", "prose", "in_core", "log_doc_lines", "stop_share", "rep_batch")
S2_OLD = ("old_removed", "old_rule", "old_thread", "old_core", "old_doc_removed", "doc_rule_lines")  # when the model stacks the old stripper


def stage2_names(stack_old: bool = False) -> list[str]:
    names = ["p_bp", "p_com"] + [f"p_bp@{k:+d}" for k in S2_OFFSETS]
    names += [f"{p}~{w}" for w in S2_WINDOWS for p in ("p_bp", "p_com")]
    names += ["p_bp_above", "p_bp_below", "p_com_max_above", "body_above", "body_below",
              "dist_body_above", "dist_body_below"]
    return names + list(S2_CONTEXT) + (list(S2_OLD) if stack_old else [])


def stage2_features(batch: Batch, p_bp: np.ndarray, p_com: np.ndarray) -> np.ndarray:
    """Window and cumulative views of the stage-1 scores, per document (vectorised)."""
    n = len(p_bp)
    row_doc = np.repeat(np.arange(len(batch.doc_ptr) - 1), np.diff(batch.doc_ptr))
    start, end = batch.doc_ptr[row_doc], batch.doc_ptr[row_doc + 1]
    idx = np.arange(n)
    size = np.maximum(end - start, 1)
    cols = [p_bp, p_com]
    for k in S2_OFFSETS:
        j = idx + k
        ok = (j >= start) & (j < end)
        cols.append(np.where(ok, p_bp[np.clip(j, 0, max(n - 1, 0))], -1.0))
    cum_bp = np.concatenate([[0.0], np.cumsum(p_bp)])
    cum_com = np.concatenate([[0.0], np.cumsum(p_com)])
    for w in S2_WINDOWS:
        lo, hi = np.maximum(idx - w, start), np.minimum(idx + w + 1, end)
        cols += [(cum_bp[hi] - cum_bp[lo]) / (hi - lo), (cum_com[hi] - cum_com[lo]) / (hi - lo)]
    above = cum_bp[idx] - cum_bp[start]
    below = cum_bp[end] - cum_bp[idx + 1]
    cols += [above / np.maximum(idx - start, 1), below / np.maximum(end - idx - 1, 1)]
    # highest comment score above the line (a thread, once started, runs on), rows to the
    # nearest body row above and below
    com_max, dist_above, dist_below = np.zeros(n), np.zeros(n), np.zeros(n)
    body = p_bp < 0.5
    body_cum = np.concatenate([[0], np.cumsum(body)])
    _score_runs(np.ascontiguousarray(p_com * p_bp, np.float64), body, np.asarray(batch.doc_ptr, np.int64),
                com_max, dist_above, dist_below)
    cols.append(com_max)
    cols += [(body_cum[idx] - body_cum[start]) / size, (body_cum[end] - body_cum[idx + 1]) / size]
    cols += [np.log1p(dist_above), np.log1p(dist_below)]
    names = feature_names() + OLD
    ctx = batch.X[:, [names.index(f) for f in S2_CONTEXT + (S2_OLD if batch.X.shape[1] > len(feature_names()) else ())]]
    return np.column_stack(cols + [ctx]).astype(np.float32)


@jit
def _score_runs(comment, body, doc_ptr, com_max, dist_above, dist_below):
    """Per document, for every row: the largest ``comment`` of the rows above it (0 for the
    first), and how many rows up and down the nearest ``body`` row is, counting the row
    itself (the document's row count when there is none)."""
    for d in range(doc_ptr.shape[0] - 1):
        a, b = doc_ptr[d], doc_ptr[d + 1]
        if a == b:
            continue
        com_max[a] = 0.0
        highest = comment[a]
        for r in range(a + 1, b):
            com_max[r] = highest
            highest = max(highest, comment[r])
        last = -1
        for r in range(a, b):
            if body[r]:
                last = r
            dist_above[r] = r - last if last >= 0 else b - a
        nxt = -1
        for r in range(b - 1, a - 1, -1):
            if body[r]:
                nxt = r
            dist_below[r] = nxt - r if nxt >= 0 else b - a


@dataclass(frozen=True)
class Member:
    stage1: Forest      # P(boilerplate) of a line
    comment: Forest     # P(comment | boilerplate) of a line
    stage2: Forest      # P(boilerplate) from the windowed stage-1 scores

    def predict(self, batch: Batch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p1 = self.stage1.predict(batch.X)
        pc = self.comment.predict(batch.X)
        x2 = stage2_features(batch, p1, pc)
        return self.stage2.predict(x2), pc, x2

    def contributions(self, batch: Batch, x2: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per row of ``rows``: the stage-2 contributions past the line's own stage-1 score, then
        that score's share spread over the stage-1 features that made it (log-odds; path
        contributions, see ``paths``)."""
        c2 = contributions(self.stage2, x2[rows])[:, :-1]
        c1 = contributions(self.stage1, batch.X[rows])[:, :-1]
        own, total = c2[:, 0], c1.sum(axis=1)
        share = np.where((own > 0) & (total > 0), own / np.where(total > 0, total, 1.0), 0.0)
        return np.hstack([c2[:, 1:], c1 * share[:, None]])

    def to_dict(self) -> dict:
        return {"stage1": self.stage1.text, "comment": self.comment.text, "stage2": self.stage2.text}

    @classmethod
    def from_dict(cls, data: dict) -> "Member":
        return cls(Forest(data["stage1"]), Forest(data["comment"]), Forest(data["stage2"]))


@dataclass
class StripModel:
    vocab: Vocab
    members: tuple[Member, ...]  # their scores are averaged
    threshold: float = 0.5
    threshold_removed: float = 0.5
    threshold_comment: float = 1.0  # the removal score of a line the members call a comment ...
    comment_share: float = 1.0       # ... from this mean P(comment | boilerplate) on
    info: dict = field(default_factory=dict)
    # Same features without the heuristics' decisions, for documents no rule file reaches
    # (languages and widgets nobody wrote rules for): there those decisions are silence, and
    # a model that learned to lean on them keeps what it should remove.
    unreached: "StripModel | None" = None

    @cached_property
    def guess_language(self) -> LanguageGuess:
        return language_guess(self.vocab.languages)

    @property
    def stacked(self) -> bool:
        return bool(self.info.get("stack_old"))

    def predict(self, batch: Batch) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """(mean stage-2 P(boilerplate), mean P(comment | boilerplate), each member's stage-2
        features) per row."""
        if not len(batch.X):
            z = np.zeros(0)
            return z, z, [np.zeros((0, len(stage2_names())), np.float32) for _ in self.members]
        each = [m.predict(batch) for m in self.members]
        return (np.mean([p for p, _, _ in each], axis=0), np.mean([pc for _, pc, _ in each], axis=0),
                [x2 for _, _, x2 in each])

    def explain(self, batch: Batch, x2: list[np.ndarray], rows: np.ndarray, top: int = 3) -> list[list[tuple[str, float]]]:
        """Strongest features behind the removal of ``rows``: the members' mean contributions
        (``Member.contributions``)."""
        if not len(rows):
            return []
        values = np.mean([m.contributions(batch, x, rows) for m, x in zip(self.members, x2)], axis=0)
        stage1_names = (feature_names() + OLD)[:self.members[0].stage1.n_features]  # the members' width
        names = stage2_names(self.info.get("stack_old"))[1:] + stage1_names
        best = np.argsort(-values, axis=1, kind="stable")[:, :top]
        return [[(names[j], round(float(v), 3)) for j, v in zip(js, vs) if v > 0]
                for js, vs in zip(best, np.take_along_axis(values, best, axis=1))]

    def to_dict(self, vocab: bool = True) -> dict:
        """``vocab``: with the word lists (a nested model shares its parent's)."""
        data = {
            "format": FORMAT,
            "threshold": self.threshold,
            "threshold_removed": self.threshold_removed,
            "threshold_comment": self.threshold_comment,
            "comment_share": self.comment_share,
            "features": feature_names() + (OLD if self.info.get("stack_old") else []),
            "stage2_features": stage2_names(self.info.get("stack_old")),
            "members": [m.to_dict() for m in self.members],
            "info": self.info,
        }
        if vocab:
            data.update(stop_words=sorted(self.vocab.stop), stop_chars=sorted(self.vocab.stop_chars),
                        language_words={lang: sorted(words) for lang, words in self.vocab.languages})
        if self.unreached is not None:
            data["unreached"] = self.unreached.to_dict(vocab=False)
        return data

    def save(self, path: str) -> None:
        raw = json.dumps(self.to_dict(), sort_keys=True).encode("utf-8")
        with open(path, "wb") as fh, gzip.GzipFile(filename="", fileobj=fh, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(raw)  # mtime 0: the same model gives the same bytes

    @classmethod
    def load(cls, path) -> "StripModel":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh), path)

    @classmethod
    def from_dict(cls, data: dict, path, vocab: Vocab | None = None) -> "StripModel":
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: format {data.get('format')!r}, not {FORMAT!r}; retrain it (train-strip)")
        expected = feature_names() + (OLD if data["info"].get("stack_old") else [])
        if data["features"] != expected or data["stage2_features"] != stage2_names(data["info"].get("stack_old")):
            raise ValueError(f"{path}: built for other features; retrain it (train-strip)")
        if vocab is None and "language_words" not in data:
            raise ValueError(f"{path}: has no language word lists; retrain it (train-strip)")
        vocab = vocab or Vocab(frozenset(data["stop_words"]), frozenset(data["stop_chars"]),
                               tuple((lang, frozenset(words)) for lang, words in sorted(data["language_words"].items())))
        if not data["members"]:
            raise ValueError(f"{path}: a model without members; retrain it (train-strip)")
        members = tuple(Member.from_dict(m) for m in data["members"])
        unreached = cls.from_dict(data["unreached"], path, vocab) if "unreached" in data else None
        thresholds = {k: data[k] for k in ("threshold", "threshold_removed", "threshold_comment", "comment_share")}
        return cls(vocab, members, **thresholds, info=data["info"], unreached=unreached)

    def cuts(self, p_com: np.ndarray, removed_by_old: np.ndarray) -> np.ndarray:
        """Per row: the score from which the line is removed."""
        cut = np.where(removed_by_old, self.threshold_removed, self.threshold)
        return np.where(p_com >= self.comment_share, np.minimum(cut, self.threshold_comment), cut)
