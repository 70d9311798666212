"""Clustering stage: near-duplicate clusters, then story clusters built from them.

Duplicates: LSH candidates on the shingle MinHash, every candidate verified (estimated Jaccard,
or estimated containment for truncated copies), links that only a site template explains dropped
(``recurring_lines``), then connected components.
Stories: LSH candidates on the MinHash of salient terms plus pairs sharing several heaviest terms
(``term_candidates``), scored by the cosine of the salience vectors (stricter for two pages of
one template), bounded by publication dates when both are known, then average linkage whose
starting groups are the duplicate clusters, so every story cluster is a union of duplicate
clusters.
All ids/representatives depend only on the set of documents, not on their order or sharding:
rows are first put in id order.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from storydedup.pipeline.cluster.candidates import candidate_pairs, lsh_params
from storydedup.pipeline.cluster.linkage import average_linkage, components
from storydedup.pipeline.signatures.recurring_lines import template_keys, template_only_links
from storydedup.pipeline.cluster.representative import best_of_groups, rank
from storydedup.pipeline.signatures.compute import take_documents
from storydedup.pipeline.cluster.term_candidates import merge_pairs, shared_term_pairs
from storydedup.pipeline.cluster.similarity import containment, cosine_pairs, histogram, jaccard_pairs, number_terms


@dataclass(frozen=True)
class ClusterSettings:
    """dup_lsh_threshold: Jaccard where LSH catches half the pairs; lower = more candidates to
    verify, more recall. dup_jaccard / dup_containment: a candidate links when either estimate
    reaches it (containment only when the smaller copy has >= dup_min_shingles shingles).
    template_docs / dup_own_words: a link is dropped when each document has dup_own_words words
    in lines of its own and every line they share recurs in template_docs documents of the
    batch, also outside their cluster (reports inside one site template; see
    ``recurring_lines``; template_docs <= 2 disables). story_template_factor: two pages sharing
    such a recurring line need this many times their usual story similarity (leftover chrome
    adds shared rare words; 1 disables).
    story_lsh_threshold: same for the top-term MinHash. story_shared_top / story_shared_terms:
    pairs sharing at least that many of their story_shared_top heaviest terms are candidates
    too (exact, see ``term_candidates``; 0 disables). story_threshold_short/_long: minimum
    mean cosine between two groups to merge them, for pairs whose shorter vector has at most
    story_short_terms / at least story_long_terms terms (linear in between): short items share
    few terms, so their cosines run lower. story_missing_weight: see ``linkage.average_linkage``. story_max_days: reports further apart are never linked
    (when both dates are known; 0 disables). max_bucket: larger LSH buckets are chained."""

    dup_lsh_threshold: float = 0.4
    dup_jaccard: float = 0.5
    dup_containment: float = 0.8
    dup_min_shingles: int = 30
    template_docs: int = 3
    dup_own_words: int = 25
    story_template_factor: float = 1.75
    story_lsh_threshold: float = 0.1
    story_shared_top: int = 20
    story_shared_terms: int = 2
    story_threshold_short: float = 0.1
    story_threshold_long: float = 0.28
    story_short_terms: int = 25
    story_long_terms: int = 80
    story_missing_weight: float = 0.1
    story_max_days: int = 7
    max_bucket: int = 50
    representative: str = "longest"


def canonical_order(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows sorted by id (CSR payloads moved with their rows); arrays already in that order are
    returned as they are, not copied (a million documents' arrays are gigabytes)."""
    ids = arrays["ids"]
    if np.all(ids[1:] >= ids[:-1]):
        return arrays
    return take_documents(arrays, np.argsort(ids, kind="stable"))


def duplicate_links(a: dict[str, np.ndarray], s: ClusterSettings) -> tuple[np.ndarray, dict]:
    """Verified near-duplicate pairs (i, j) among the rows of ``a``."""
    size = a["dup_size"]
    bands, rows = lsh_params(s.dup_lsh_threshold, a["dup_sig"].shape[1])
    pairs = candidate_pairs(a["dup_sig"], bands, rows, size > 0, s.max_bucket)
    jac = jaccard_pairs(a["dup_sig"], pairs)
    ok = verified(jac, size[pairs[:, 0]], size[pairs[:, 1]], s)
    template = np.zeros(len(pairs), dtype=bool)
    label = components(len(size), pairs[ok])
    template[ok] = template_only_links(a, pairs[ok], label, s.template_docs, s.dup_own_words)
    ok &= ~template
    return pairs[ok], {"dup_candidates": int(len(pairs)), "dup_links": int(ok.sum()),
                       "dup_template_rejected": int(template.sum()),
                       "dup_bands": bands, "dup_rows": rows,
                       "dup_similarity_histogram": histogram(jac, ok, 1.0)}


def verified(jac: np.ndarray, size_a: np.ndarray, size_b: np.ndarray, s: ClusterSettings) -> np.ndarray:
    """Mask of candidate pairs that link: estimated Jaccard, or containment of a long enough copy."""
    cont = containment(jac, size_a, size_b)
    small = np.minimum(size_a, size_b)
    return (jac >= s.dup_jaccard) | ((cont >= s.dup_containment) & (small >= s.dup_min_shingles))


def story_links(a: dict[str, np.ndarray], s: ClusterSettings, numbered: tuple | None = None
                ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Candidate story pairs (date-bounded) and their cosine similarity divided by the pair's
    length-aware threshold (so a value >= 1 means "same story" for that pair). ``numbered``:
    ``similarity.number_terms`` of the story terms, if the caller has it."""
    n_terms = np.diff(a["story_offsets"])
    bands, rows = lsh_params(s.story_lsh_threshold, a["story_sig"].shape[1])
    pairs = candidate_pairs(a["story_sig"], bands, rows, n_terms > 0, s.max_bucket, a["day"], s.story_max_days)
    if s.story_shared_terms > 0:
        shared = shared_term_pairs(a["story_terms"], a["story_weights"], a["story_offsets"],
                                   s.story_shared_top, s.story_shared_terms, s.max_bucket)
        if s.story_max_days > 0 and len(shared):  # the LSH pairs are date-bounded already
            d0, d1 = a["day"][shared[:, 0]], a["day"][shared[:, 1]]
            shared = shared[(d0 < 0) | (d1 < 0) | (np.abs(d0 - d1) <= s.story_max_days)]
        pairs = merge_pairs(pairs, shared, len(n_terms))
    sim = cosine_pairs(a["story_terms"], a["story_weights"], a["story_offsets"], pairs, numbered)
    sim = sim / pair_threshold(n_terms, pairs, s)
    if s.story_template_factor != 1.0 and len(pairs):
        key = template_keys(a, s.template_docs)
        same_site = (key[pairs[:, 0]] == key[pairs[:, 1]]) & (key[pairs[:, 0]] > 0)
        sim = np.where(same_site, sim / s.story_template_factor, sim)
    # score >= 1 reaches the pair's threshold; linkage then decides over whole duplicate clusters
    return pairs, sim, {"story_candidates": int(len(pairs)), "story_bands": bands, "story_rows": rows,
                        "story_score_histogram": histogram(sim, sim >= 1.0, 3.0, 30)}


def pair_threshold(n_terms: np.ndarray, pairs: np.ndarray, s: ClusterSettings) -> np.ndarray:
    """Length-aware story threshold of each pair (from the shorter document's term count)."""
    n = np.minimum(n_terms[pairs[:, 0]], n_terms[pairs[:, 1]]).astype(np.float64)
    span = max(s.story_long_terms - s.story_short_terms, 1)
    frac = np.clip((n - s.story_short_terms) / span, 0.0, 1.0)
    return s.story_threshold_short + frac * (s.story_threshold_long - s.story_threshold_short)


def cluster(arrays: dict[str, np.ndarray], settings: ClusterSettings):
    """-> (assignments: id -> dict, clusters: list of dicts, stats: dict); see module doc."""
    t0 = time.perf_counter()
    a = canonical_order(arrays)
    ids = [str(x) for x in a["ids"]]
    n = len(ids)
    if len(set(ids)) != n:
        raise ValueError("document ids must be unique")
    stats: dict = {"documents": n}
    if n == 0:  # every input was rejected: an empty result, not an error
        return {}, [], stats
    dup_pairs, info = duplicate_links(a, settings)
    stats.update(info)
    dup_label = components(n, dup_pairs)
    t1 = time.perf_counter()
    numbered = number_terms(a["story_terms"])  # both levels' cosines index one dense vector
    spairs, ssim, info = story_links(a, settings, numbered)
    stats.update(info)
    grouped = group_levels(a, dup_label, spairs, ssim, settings, numbered)
    t2 = time.perf_counter()
    assignments, clusters = cluster_records(ids, *grouped)
    stats.update({
        "dup_clusters": int(sum(c["level"] == "duplicate" for c in clusters)),
        "story_clusters": int(sum(c["level"] == "story" for c in clusters)),
        "seconds_duplicates": round(t1 - t0, 3), "seconds_stories": round(t2 - t1, 3),
        "seconds_total": round(time.perf_counter() - t0, 3),
    })
    return assignments, clusters, stats


def group_levels(a: dict[str, np.ndarray], dup_label: np.ndarray, spairs: np.ndarray, ssim: np.ndarray,
                 settings: ClusterSettings, numbered: tuple | None = None):
    """Story linkage over the duplicate clusters, then representatives and similarities.

    ``dup_label``: duplicate cluster of each row (labels ordered like their smallest member,
    as ``components`` numbers them); ``spairs``/``ssim``: story pairs in lexicographic order and
    their scaled similarity. Merges only follow candidate edges, so any set of rows closed
    under duplicate clusters and under the candidate graph's connected components, given in
    canonical order with its own pairs, gets the same clusters as the whole batch (the Spark
    engine calls it once per such component). ``numbered``: as in ``story_links``.
    -> (dup_label, dup_rep, dup_sim, story_label, story_rep, story_sim) per row."""
    n = len(dup_label)
    node, node_of_doc = np.unique(dup_label, return_inverse=True)
    nu, nv = node_of_doc[spairs[:, 0]], node_of_doc[spairs[:, 1]]
    cross = nu != nv
    group = average_linkage(np.bincount(node_of_doc, minlength=len(node)), nu[cross], nv[cross],
                            ssim[cross], 1.0,
                            settings.story_missing_weight)
    story_label = group[node_of_doc]
    doc_rank = rank(settings.representative, a["dup_size"], a["length"], a["day"])
    dup_rep = best_of_groups(dup_label, doc_rank)
    dup_count = np.bincount(dup_label, minlength=n)[dup_label]
    # story representative: representative of the largest duplicate cluster, then policy rank
    story_rep = dup_rep[best_of_groups(story_label, -dup_count * (n + 1) + doc_rank[dup_rep])]
    dup_sim = jaccard_pairs(a["dup_sig"], np.stack([np.arange(n), dup_rep], axis=1))
    story_sim = cosine_pairs(a["story_terms"], a["story_weights"], a["story_offsets"],
                             np.stack([np.arange(n), story_rep], axis=1), numbered)
    story_sim[story_rep == np.arange(n)] = 1.0
    return dup_label, dup_rep, dup_sim, story_label, story_rep, story_sim


def cluster_records(ids, dup_label, dup_rep, dup_sim, story_label, story_rep, story_sim):
    """Assignments (id -> fields) and cluster records of both levels from ``group_levels``."""
    n = len(ids)
    assignments, clusters = {}, []
    for level, label, rep in (("duplicate", dup_label, dup_rep), ("story", story_label, story_rep)):
        prefix = "dup-" if level == "duplicate" else "story-"
        order = np.lexsort((np.arange(n), label))
        bounds = np.flatnonzero(np.concatenate([[True], label[order][1:] != label[order][:-1], [True]]))
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            members = order[lo:hi]  # ascending canonical index = sorted ids
            cid = prefix + ids[members[0]]
            clusters.append({"level": level, "id": cid, "members": [ids[i] for i in members],
                             "representative": ids[rep[members[0]]], "size": int(hi - lo)})
            for i in members:
                entry = assignments.setdefault(ids[i], {})
                if level == "duplicate":
                    entry.update(dup_cluster=cid, dup_representative=bool(rep[i] == i),
                                 dup_similarity=round(float(dup_sim[i]), 4))
                else:
                    entry.update(story_cluster=cid, story_representative=bool(rep[i] == i),
                                 story_similarity=round(float(story_sim[i]), 4))
    return assignments, clusters
