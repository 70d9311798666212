"""How a day's documents join the clusters of earlier days (pure functions, no storage).

Rows 0..n-1 are the new documents (id order), rows n.. the candidate old documents, each with
its current (alias-resolved) cluster ids. Old clusters are fixed groups: they are never split,
and new rows join them or found new ones. A new document linked to two old clusters merges them:
the older id (smallest; ids start with their founding batch date) survives, the other becomes an
alias. Each level returns per-new-row ids plus counts for the statistics.
"""
from __future__ import annotations

import numpy as np

from storydedup.pipeline.cluster.linkage import average_linkage, components
from storydedup.pipeline.index.store import resolve


def join_duplicates(n: int, new_keys: list[str], old_dup: list[str], pairs: np.ndarray,
                    alias: dict[str, str]):
    """Duplicate cluster id of each new row. ``pairs`` (i < j, i < n) are verified links;
    ``alias`` is updated in place with merged ids. Returns (ids, old ids per new row's cluster
    (list of sorted lists), counts)."""
    names = sorted(set(old_dup))
    node_of_old = np.searchsorted(np.array(names, dtype=str), np.array(old_dup, dtype=str)).astype(np.int64)
    j = pairs[:, 1]
    target = j.copy()
    target[j >= n] = n + node_of_old[j[j >= n] - n]
    comp = components(n + len(names), np.stack([pairs[:, 0], target], axis=1) if len(pairs) else pairs)
    olds_of: dict[int, list[str]] = {}
    for k, c in enumerate(comp[n:]):
        olds_of.setdefault(int(c), []).append(names[k])
    ids, (new, extended, merged) = name_groups(comp[:n], olds_of, new_keys, "dup-", alias)
    old_groups = [olds_of.get(int(comp[i]), []) for i in range(n)]
    return ids, old_groups, {"new_dup_clusters": new, "extended_dup_clusters": extended,
                             "merged_dup_clusters": merged}


def name_groups(group_of_row, olds_in: dict[int, list[str]], new_keys: list[str], prefix: str,
                alias: dict[str, str]) -> tuple[list[str], tuple[int, int, int]]:
    """Id of each new row's group: the oldest stored id the group holds (the other stored ids
    become its aliases), else ``prefix`` + the key of its first (smallest) new row. Sorts the
    lists of ``olds_in`` in place. Returns (ids, (new, extended, merged) group counts)."""
    for olds in olds_in.values():
        olds.sort()
    name_of: dict[int, str] = {}
    new = extended = merged = 0
    for i, g in enumerate(map(int, group_of_row)):  # ascending: a group's first row is its smallest
        if g in name_of:
            continue
        olds = olds_in.get(g, [])
        if not olds:
            name_of[g] = prefix + new_keys[i]
            new += 1
        else:
            name_of[g] = olds[0]
            extended += 1
            merged += len(olds) - 1
            for other in olds[1:]:
                alias[other] = olds[0]
    return [name_of[int(g)] for g in group_of_row], (new, extended, merged)


def join_stories(n: int, new_keys: list[str], dup_ids: list[str], dup_olds: list[list[str]],
                 old_dup: list[str], old_story: list[str], pairs: np.ndarray, ratio: np.ndarray,
                 label_counts: dict[str, int], alias: dict[str, str], missing_weight: float):
    """Story id of each new row (``dup_ids``/``dup_olds``: what ``join_duplicates`` returned).

    Nodes for average linkage: every new-only duplicate cluster (ordered by its smallest row,
    as in one-batch clustering) and every old story touched, sized with ``label_counts``
    (stored members per raw story label). Edges are the candidate pairs with at least one new
    row (old-old pairs were decided on earlier days).
    New rows in an extended duplicate cluster belong to that cluster's story; when a duplicate
    merge joins clusters of different stories, those stories merge first (every story stays a
    union of duplicate clusters). ``alias`` is updated in place."""
    counts = {"new_stories": 0, "extended_stories": 0, "merged_stories": 0}
    story_of_dup = dict(zip(old_dup, old_story))
    for olds in sorted({tuple(x) for x in dup_olds if len(x) > 1}):
        stories = sorted({resolve(alias, story_of_dup[d]) for d in olds})
        for other in stories[1:]:
            alias[other] = stories[0]
            counts["merged_stories"] += 1
    new_node: dict[str, int] = {}  # new-only duplicate cluster (by its smallest row) -> node
    node_of_row = np.zeros(n + len(old_dup), dtype=np.int64)
    for i in range(n):
        if not dup_olds[i]:
            node_of_row[i] = new_node.setdefault(dup_ids[i], len(new_node))
    old_names = sorted({resolve(alias, s) for s in old_story})
    old_node = {name: len(new_node) + k for k, name in enumerate(old_names)}
    for i in range(n):
        if dup_olds[i]:
            node_of_row[i] = old_node[resolve(alias, story_of_dup[dup_olds[i][0]])]
    for k, s in enumerate(old_story):
        node_of_row[n + k] = old_node[resolve(alias, s)]
    sizes = np.bincount(node_of_row[:n], minlength=len(new_node) + len(old_names))
    for label, count in label_counts.items():
        sizes[old_node[resolve(alias, label)]] += count
    nu, nv = node_of_row[pairs[:, 0]], node_of_row[pairs[:, 1]]
    cross = nu != nv
    group = average_linkage(sizes, nu[cross], nv[cross], ratio[cross], 1.0, missing_weight)
    olds_in: dict[int, list[str]] = {}
    for name, node in old_node.items():
        olds_in.setdefault(int(group[node]), []).append(name)
    ids, (new, extended, merged) = name_groups(group[node_of_row[:n]], olds_in, new_keys, "story-", alias)
    counts["new_stories"] += new
    counts["extended_stories"] += extended
    counts["merged_stories"] += merged
    return ids, counts
