"""Train the strip model (``storydedup train-strip``); the same data gives the same file.

Each member of the model (``TrainConfig.members``) has its own seed, ``SEED + k``: documents
are ordered by id and shuffled with it, then featurised in batches of ``batch`` (the batch is
what the repetition features see, as a shard is when serving); its synthetic pages and its
LightGBM sampling draw from it. LightGBM runs ``deterministic`` with row-wise histograms.
"""
from __future__ import annotations

import random
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace

import lightgbm as lgb
import numpy as np

from storydedup.pipeline.strip.model.features import Batch, build_vocab, featurize
from storydedup.pipeline.strip.model.forest import Forest
from storydedup.pipeline.strip.model.heuristics import old_features, old_reasons
from storydedup.pipeline.strip.model.model import BODY, CHROME, COMMENT, Member, StripModel, stage2_features
from storydedup.pipeline.strip.model.rulescan import RuleScan
from storydedup.pipeline.strip.model.synth import synthetic_pages

SEED = 20261203
LABEL_IDS = {"body": BODY, "comment": COMMENT, "chrome": CHROME}
# CleanEval's annotators kept blog comments as body or dropped them as chrome, and its body
# lines contradict the other sources on what a comment thread is: measured on dev, training
# without it gives F1 0.787 -> 0.918 (see NOTES of the prototype). trafilatura-eval never
# marks comments. Neither teaches comment-vs-other; CleanEval does not train at all.
EXCLUDED_SOURCES = ("cleaneval",)
NO_COMMENT_LABELS = ("cleaneval", "trafeval")
PARAMS = dict(objective="binary", learning_rate=0.08, num_leaves=15, min_data_in_leaf=40,
              feature_fraction=0.7, bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0,
              deterministic=True, force_row_wise=True, num_threads=2, verbose=-1)


@dataclass
class TrainConfig:
    rounds: dict = field(default_factory=lambda: {"stage1": 120, "comment": 80, "stage2": 60})
    folds: int = 3           # out-of-fold stage-1 scores for stage 2, grouped by document
    members: int = 3         # two-stage models from seeds SEED, SEED + 1, ..., their scores averaged
    batch: int = 300         # documents featurised together
    stack_old: bool = True   # the heuristic stripper's decisions as features
    threshold: float = 0.93  # lines the heuristics keep go from this score on (chosen on dev + own tune split)
    threshold_removed: float = 0.05  # lines the heuristics remove go from this score on
    # lines the members call a comment (mean P(comment | boilerplate) >= comment_share) go from
    # threshold_comment on, in both models (chosen on dev + own tune split)
    threshold_comment: float = 0.35
    comment_share: float = 0.7
    min_data_in_leaf: int = 40
    synthetic: int = 1500    # synthetic pages (synth.py) built from the training documents
    unreached: bool = True   # also a model without the heuristics, for documents no rule reaches
    unreached_threshold: float = 0.4  # its removal score (chosen on dev + own tune split)
    # Share of its synthetic pages whose text is carried into the frame's language (synth.relexify):
    # it judges pages in languages the rules do not cover. The stacked model keeps untranslated
    # pages: on the rules' languages (text_boilerplate dev) translated ones cost it body (loss 0.011 -> 0.042).
    unreached_relex: float = 0.5


def shuffled(docs: list[dict], seed: int) -> list[dict]:
    docs = sorted(docs, key=lambda d: d["id"])
    random.Random(seed).shuffle(docs)
    return docs


def sources_of(docs: list[dict], doc_idx: np.ndarray) -> np.ndarray:
    return np.array([docs[d]["source"] for d in doc_idx])


def featurize_docs(docs, vocab, scan, cfg: TrainConfig, rules=None, settings=None):
    """Batches of documents; labels (-1 unknown) and document index per row."""
    from storydedup.pipeline.strip.template import build_template

    batches, labels, doc_idx = [], [], []
    for start in range(0, len(docs), cfg.batch):
        part = docs[start:start + cfg.batch]
        batch = featurize([d["text"] for d in part], vocab, scan)
        if cfg.stack_old:
            recs = [{"id": d["id"], "text": d["text"]} for d in part]
            reasons = old_reasons(recs, settings, rules, build_template(recs))
            batch.X = np.hstack([batch.X, old_features(reasons, batch)])
        row_doc = np.repeat(np.arange(len(part)), np.diff(batch.doc_ptr))
        labels.append(np.array([LABEL_IDS.get(part[d]["lines"][i], -1) for d, i in zip(row_doc, batch.line_idx)],
                               dtype=np.int64))
        doc_idx.append(row_doc + start)
        batches.append(batch)
    return batches, np.concatenate(labels), np.concatenate(doc_idx)


def fit(X, y, rounds: int, weight, cfg: TrainConfig, seed: int) -> lgb.Booster:
    params = {**PARAMS, "min_data_in_leaf": cfg.min_data_in_leaf, "seed": seed}
    return lgb.train(params, lgb.Dataset(X, y, weight=weight), rounds)


def doc_weights(doc_idx: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Documents weigh about the same whatever their length (the metrics average documents)."""
    n = np.bincount(doc_idx[rows])
    return 1.0 / np.sqrt(n[doc_idx[rows]])


def stacked(batches: list[Batch], p1: np.ndarray, pc: np.ndarray) -> np.ndarray:
    out, at = [], 0
    for b in batches:
        out.append(stage2_features(b, p1[at:at + len(b.X)], pc[at:at + len(b.X)]))
        at += len(b.X)
    return np.vstack(out)


def train_two_stage(batches, y, sources, doc_idx, cfg: TrainConfig, seed: int) -> Member:
    """Stage-1 models on every labelled row; stage 2 on out-of-fold stage-1 scores."""
    X = np.vstack([b.X for b in batches])
    y = np.where(np.isin(sources, EXCLUDED_SOURCES), -1, y)
    bp = np.flatnonzero(y >= 0)
    com = np.flatnonzero((y == COMMENT) | ((y == CHROME) & ~np.isin(sources, NO_COMMENT_LABELS)))
    bp_y, com_y = (y[bp] != BODY).astype(int), (y[com] == COMMENT).astype(int)
    fold = np.array([zlib.crc32(str(d).encode()) % cfg.folds for d in range(doc_idx.max() + 1)])[doc_idx]
    p1, pc = np.zeros(len(y)), np.zeros(len(y))
    for k in range(cfg.folds):
        a, c = bp[fold[bp] != k], com[fold[com] != k]
        test = np.flatnonzero(fold == k)
        p1[test] = fit(X[a], bp_y[fold[bp] != k], cfg.rounds["stage1"], doc_weights(doc_idx, a), cfg,
                       seed).predict(X[test])
        if len(set(com_y[fold[com] != k])) > 1:
            pc[test] = fit(X[c], com_y[fold[com] != k], cfg.rounds["comment"], doc_weights(doc_idx, c),
                           cfg, seed).predict(X[test])
    x2 = stacked(batches, p1, pc)
    stage1 = fit(X[bp], bp_y, cfg.rounds["stage1"], doc_weights(doc_idx, bp), cfg, seed)
    comment = fit(X[com], com_y, cfg.rounds["comment"], doc_weights(doc_idx, com), cfg, seed)
    stage2 = fit(x2[bp], bp_y, cfg.rounds["stage2"], doc_weights(doc_idx, bp), cfg, seed)
    return Member(*(Forest.from_booster(b) for b in (stage1, comment, stage2)))


def train_member(kept: list[dict], vocab, scan, rules, cfg: TrainConfig, seed: int, relex: float = 0.0) -> Member:
    """One two-stage member from the training documents and synthetic pages of ``seed``
    (``relex``: their share carried into the frame's language); with the heuristics' decisions
    as features when ``cfg.stack_old``."""
    from storydedup.pipeline.strip.settings import StripSettings

    pages = shuffled(kept, seed) + synthetic_pages(kept, cfg.synthetic, seed, relex)  # pages follow the sets' order
    batches, y, doc_idx = featurize_docs(pages, vocab, scan, cfg, rules, StripSettings())
    return train_two_stage(batches, y, sources_of(pages, doc_idx), doc_idx, cfg, seed)


def train_model(docs: list[dict], rule_files: list[str], cfg: TrainConfig | None = None, log=print) -> StripModel:
    """A StripModel from documents ``{"id", "text", "lines", "source"}``."""
    from storydedup.pipeline.strip.rules import load_rules

    cfg = cfg or TrainConfig()
    t0 = time.time()
    vocab, scan, rules = build_vocab(), RuleScan(rule_files), load_rules(rule_files)
    kept = [d for d in docs if d["source"] not in EXCLUDED_SOURCES]
    seeds = [SEED + k for k in range(cfg.members)]
    members = []
    for seed in seeds:
        members.append(train_member(kept, vocab, scan, rules, cfg, seed))
        log(f"member {len(members)} of {cfg.members} (seed {seed}) trained at {time.time() - t0:.0f}s")
    labels = Counter(lab for d in kept for lab in d["lines"])
    info = {"documents": dict(sorted(Counter(d["source"] for d in kept).items())),  # and ``synthetic`` pages a member
            "lines": {k: labels[k] for k in LABEL_IDS}, "excluded_sources": list(EXCLUDED_SOURCES),
            "rounds": cfg.rounds, "folds": cfg.folds, "batch": cfg.batch, "seeds": seeds, "synthetic": cfg.synthetic,
            "stack_old": cfg.stack_old, "lightgbm": lgb.__version__,
            "numpy": np.__version__}  # the file is reproduced byte for byte under these versions
    unreached = None
    if cfg.stack_old and cfg.unreached:  # without the heuristics' columns, on its own synthetic pages
        plain_cfg = replace(cfg, stack_old=False)
        plain = tuple(train_member(kept, vocab, scan, None, plain_cfg, seed, cfg.unreached_relex) for seed in seeds)
        unreached = StripModel(vocab, plain, threshold=cfg.unreached_threshold,
                               threshold_removed=cfg.unreached_threshold, threshold_comment=cfg.threshold_comment,
                               comment_share=cfg.comment_share,
                               info={**info, "stack_old": False, "relex_share": cfg.unreached_relex})
    log(f"trained in {time.time() - t0:.0f}s")
    return StripModel(vocab, tuple(members), threshold=cfg.threshold, threshold_removed=cfg.threshold_removed,
                      threshold_comment=cfg.threshold_comment, comment_share=cfg.comment_share, info=info,
                      unreached=unreached)


def main(train_dirs: list[str], output: str, rule_files: list[str], log=print,
         config: TrainConfig | None = None) -> int:
    from storydedup.pipeline.strip.model.labels import load_set

    docs = [d for folder in train_dirs for d in load_set(folder)]
    if not docs:
        raise ValueError(f"no labelled documents in {', '.join(train_dirs)}")
    model = train_model(docs, rule_files, config, log=log)
    model.save(output)
    log(f"saved {output}")
    return 0
