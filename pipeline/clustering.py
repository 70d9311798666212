"""Clustering stage (first implementation: MinHashLSH candidates, verified, union-find)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHashLSH


@dataclass(frozen=True)
class ClusterSettings:
    dup_threshold: float = 0.7
    seed: int = 1


def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def cluster(arrays: dict[str, np.ndarray], settings: ClusterSettings):
    ids = list(arrays["ids"])
    sigs = arrays["dup"]
    order = sorted(range(len(ids)), key=lambda i: ids[i])
    lsh = MinHashLSH(threshold=settings.dup_threshold, num_perm=sigs.shape[1])
    parent = list(range(len(ids)))
    for i in order:
        m = LeanMinHash(seed=settings.seed, hashvalues=sigs[i])
        for j in lsh.query(m):
            if float(np.mean(sigs[i] == sigs[j])) >= settings.dup_threshold:
                a, b = _find(parent, i), _find(parent, j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        lsh.insert(i, m)
    groups: dict[int, list[int]] = {}
    for i in order:
        groups.setdefault(_find(parent, i), []).append(i)
    assignments, clusters = {}, []
    length = arrays["length"]
    for members in groups.values():
        rep = max(members, key=lambda i: (length[i], [-ord(c) for c in ids[i]]))
        cid = "d-" + ids[min(members, key=lambda i: ids[i])]
        for level in ("duplicate", "story"):
            clusters.append({"level": level, "id": cid if level == "duplicate" else "s" + cid[1:],
                             "members": sorted(ids[i] for i in members), "representative": ids[rep]})
        for i in members:
            assignments[ids[i]] = {"dup_cluster": cid, "story_cluster": "s" + cid[1:],
                                   "dup_representative": i == rep, "story_representative": i == rep}
    return assignments, clusters, {"dup_clusters": len(groups)}
