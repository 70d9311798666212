"""Which member speaks for a cluster.

Policies (``ClusterSettings.representative``):
  "longest"  - the most complete copy: most distinct shingles, then longest text, then earliest
               publication day (unknown dates last), then smallest id.
  "earliest" - the first publication (unknown dates last), then as "longest".
The story representative is the representative of the story's largest duplicate cluster (the
most widely copied report), ties broken by the same policy.
"""
from __future__ import annotations

import numpy as np

POLICIES = ("longest", "earliest")


def rank(policy: str, dup_size: np.ndarray, length: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Rank of every document under ``policy`` (0 = best); rows must be in canonical id order,
    which makes the last tie-breaker the id."""
    if policy not in POLICIES:
        raise ValueError(f"unknown representative policy {policy!r}; choose one of {POLICIES}")
    day_key = np.where(day < 0, np.iinfo(np.int64).max, day.astype(np.int64))
    idx = np.arange(len(day))
    if policy == "longest":
        keys = (idx, day_key, -length.astype(np.int64), -dup_size.astype(np.int64))
    else:
        keys = (idx, -length.astype(np.int64), -dup_size.astype(np.int64), day_key)
    out = np.empty(len(day), dtype=np.int64)
    out[np.lexsort(keys)] = idx
    return out


def best_of_groups(labels: np.ndarray, score: np.ndarray) -> np.ndarray:
    """For each document, the member of its group with the smallest ``score``."""
    order = np.lexsort((score, labels))
    first = np.concatenate([[True], labels[order][1:] != labels[order][:-1]])
    group_best = order[first]
    _, group_index = np.unique(labels, return_inverse=True)
    return group_best[group_index]
