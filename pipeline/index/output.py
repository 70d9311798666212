"""Assignments and cluster records for one day: representatives are chosen over every member
in the index (old and new), with the same policy and tie-breaks as one-batch clustering, rows
being put in qualified-name order (``<batch>/<id>``)."""
from __future__ import annotations

from itertools import pairwise

import numpy as np

from storydedup.pipeline.cluster.levels import ClusterSettings, canonical_order
from storydedup.pipeline.cluster.representative import best_of_groups, rank
from storydedup.pipeline.signatures.compute import concat_shards
from storydedup.pipeline.cluster.similarity import cosine_pairs, jaccard_pairs
from storydedup.pipeline.index.store import resolve

FIELDS = ("dup_sig", "dup_size", "length", "day", "story_terms", "story_weights", "story_offsets")


def cluster_records(a: dict[str, np.ndarray], keys: list[str], dup_ids: list[str], story_ids: list[str],
                    old: dict[str, np.ndarray], alias: dict[str, dict[str, str]], settings: ClusterSettings):
    """``a``: the new rows (id order) with their qualified ``keys`` and cluster ids; ``old``: stored
    members of the touched stories. -> (assignments of new ids, records of touched clusters)."""
    new = {k: a[k] for k in FIELDS}
    new.update(ids=np.array(keys, dtype=str), plain=a["ids"].astype(str),
               dup_label=np.array(dup_ids, dtype=str), story_label=np.array(story_ids, dtype=str))
    prev = {k: old[k] for k in FIELDS}
    prev.update(ids=old["key"].astype(str), plain=np.full(len(old["key"]), "", dtype=str),
                dup_label=np.array([resolve(alias["duplicate"], x) for x in old["dup_label"]], dtype=str),
                story_label=np.array([resolve(alias["story"], x) for x in old["story_label"]], dtype=str))
    m = canonical_order(concat_shards([new, prev]))
    is_new = m["plain"] != ""
    total = len(m["ids"])
    if total == 0:  # an empty day
        return {}, []
    _, dup_label = np.unique(m["dup_label"], return_inverse=True)
    _, story_label = np.unique(m["story_label"], return_inverse=True)
    doc_rank = rank(settings.representative, m["dup_size"], m["length"], m["day"])
    dup_rep = best_of_groups(dup_label, doc_rank)
    dup_count = np.bincount(dup_label, minlength=total)[dup_label]
    story_rep = dup_rep[best_of_groups(story_label, -dup_count * (total + 1) + doc_rank[dup_rep])]
    rows = np.flatnonzero(is_new)
    dup_sim = jaccard_pairs(m["dup_sig"], np.stack([rows, dup_rep[rows]], axis=1))
    story_sim = cosine_pairs(m["story_terms"], m["story_weights"], m["story_offsets"],
                             np.stack([rows, story_rep[rows]], axis=1))
    story_sim[story_rep[rows] == rows] = 1.0
    assignments = {}
    for k, i in enumerate(rows.tolist()):
        assignments[str(m["plain"][i])] = {
            "dup_cluster": str(m["dup_label"][i]), "story_cluster": str(m["story_label"][i]),
            "dup_representative": bool(dup_rep[i] == i), "story_representative": bool(story_rep[i] == i),
            "dup_similarity": round(float(dup_sim[k]), 4), "story_similarity": round(float(story_sim[k]), 4)}
    merged_into = {level: {} for level in alias}
    for level, table in alias.items():
        for old_id in sorted(table):
            merged_into[level].setdefault(resolve(table, old_id), []).append(old_id)
    clusters = []
    for level, label, rep, names in (("duplicate", dup_label, dup_rep, m["dup_label"]),
                                     ("story", story_label, story_rep, m["story_label"])):
        order = np.lexsort((np.arange(total), label))
        bounds = np.flatnonzero(np.concatenate([[True], label[order][1:] != label[order][:-1], [True]]))
        for lo, hi in pairwise(bounds):
            members = order[lo:hi]
            if not is_new[members].any():
                continue  # an untouched duplicate cluster of a touched story
            record = {"level": level, "id": str(names[members[0]]),
                      "members": [str(m["ids"][i]) for i in members],
                      "representative": str(m["ids"][rep[members[0]]]), "size": int(hi - lo)}
            if record["id"] in merged_into[level]:
                record["aliases"] = merged_into[level][record["id"]]  # ids merged into this one
            clusters.append(record)
    return assignments, clusters
