"""One day's grouping against the index: evict -> forget a re-run batch -> LSH candidates from the
store -> links on [new rows + candidate old rows] with the batch clustering functions -> join
or found clusters -> representatives over whole clusters -> one atomic commit.
A run killed after that commit but before its stage was written groups the batch again on the
next try; when that gives the very payload the index holds from it, and nothing was committed
since, the commit is skipped: the index is left as an uninterrupted run leaves it.

Work grows with the day's size and the size of the clusters it touches, not with the history:
only candidate rows and members of touched stories are read from the store.
Naming: cluster ids are ``dup-<batch>/<id>`` / ``story-<batch>/<id>`` of the founding document
(smallest id of the batch that founded it) and keep that id on later days; members and
representatives are qualified as ``<batch>/<id>``; ``assignments`` is keyed by this batch's ids.
``clusters`` holds every cluster with a member from this batch, with all its stored members; a
cluster that absorbed others lists their ids under ``aliases``.
"""
from __future__ import annotations

import hashlib
import time

import numpy as np

from storydedup.pipeline.cluster.candidates import lsh_params
from storydedup.pipeline.cluster.levels import ClusterSettings, canonical_order, duplicate_links, story_links
from storydedup.pipeline.signatures.compute import concat_shards
from storydedup.pipeline.index.grouping import join_duplicates, join_stories
from storydedup.pipeline.index.output import cluster_records
from storydedup.pipeline.index.store import (
    LEVELS,
    SIG_FIELD,
    Store,
    new_generation,
    raw_labels,
    resolve,
    take_rows,
    valid_rows,
)

LINK_FIELDS = ("ids", "dup_sig", "dup_size", "length", "day", "story_sig", "story_terms",
               "story_weights", "story_offsets", "line_hashes", "line_words", "line_offsets")


def group_batch(store: Store, batch: str, batch_day: int, arrays: dict[str, np.ndarray],
                settings: ClusterSettings, window_days: int):
    """-> (assignments, clusters, stats) for this batch; see the module doc and ``Index``."""
    with store.updating():
        return _update(store, batch, batch_day, arrays, settings, window_days)


def _update(store, batch, batch_day, arrays, settings, window_days):
    t0 = time.perf_counter()
    man = store.manifest()
    expected_seq = man.get("seq", 0)
    entries = man["batches"]
    lsh = {"duplicate": list(lsh_params(settings.dup_lsh_threshold, arrays["dup_sig"].shape[1])),
           "story": list(lsh_params(settings.story_lsh_threshold, arrays["story_sig"].shape[1]))}
    if entries and man["lsh"] != lsh:
        raise ValueError(f"index was built with LSH bands/rows {man['lsh']}, these settings need {lsh}; "
                         "use a new index location")
    evicted = sorted(b for b, e in entries.items() if b != batch and e["day"] < batch_day - window_days)
    # Only earlier days: a batch re-run after later ones (--force) is grouped as it was at first.
    visible = sorted(b for b, e in entries.items() if b not in evicted and b != batch and e["day"] <= batch_day)
    gens = [entries[b]["gen"] for b in visible]
    alias = man["alias"]

    a = canonical_order(_with_line_fields(arrays))
    ids = [str(x) for x in a["ids"]]
    n = len(ids)
    if len(set(ids)) != n:
        raise ValueError("document ids must be unique")
    keys = [f"{batch}/{x}" for x in ids]
    eff = np.where(a["day"] >= 0, a["day"], batch_day).astype(np.int32)
    old = _candidates(store, a, gens, visible, eff, lsh, settings.max_bucket, window_days)
    t1 = time.perf_counter()
    new_part = {k: a[k] for k in LINK_FIELDS}
    new_part["ids"] = np.array(keys, dtype=str)
    c = concat_shards([new_part, {k: old[k] for k in LINK_FIELDS}])
    eff_all = np.concatenate([eff, old["eff_day"]]).astype(np.int64)

    def near(p: np.ndarray) -> np.ndarray:  # at least one new row, and both inside the window
        if len(p) == 0:
            return np.zeros(0, dtype=bool)
        return (p[:, 0] < n) & ((p[:, 1] < n) | (np.abs(eff_all[p[:, 0]] - eff_all[p[:, 1]]) <= window_days))

    dpairs, dinfo = duplicate_links(c, settings)
    dpairs = dpairs[near(dpairs)]
    old_dup = [resolve(alias["duplicate"], x) for x in old["dup_label"]]
    old_story = [resolve(alias["story"], x) for x in old["story_label"]]
    before = {level: set(alias[level]) for level in LEVELS}
    dup_ids, dup_olds, counts = join_duplicates(n, keys, old_dup, dpairs, alias["duplicate"])
    spairs, ratio, sinfo = story_links(c, settings)
    keep = near(spairs)

    story_labels = raw_labels(alias["story"], set(old_story))
    counts_sum = np.zeros(len(story_labels), dtype=np.int64)
    for gen in gens:
        counts_sum += store.members(gen, "story", story_labels)[1]
    label_counts = dict(zip(story_labels, counts_sum.tolist()))
    story_ids, scounts = join_stories(n, keys, dup_ids, dup_olds, old_dup, old_story, spairs[keep],
                                      ratio[keep], label_counts, alias["story"], settings.story_missing_weight)
    counts.update(scounts)

    t2 = time.perf_counter()
    members = _touched_members(store, a, gens, visible, alias, set(story_ids))
    assignments, clusters = cluster_records(a, keys, dup_ids, story_ids, members, alias, settings)
    payload = {k: a[k] for k in LINK_FIELDS}
    payload.update(eff_day=eff, dup_label=np.array(dup_ids, dtype=str), story_label=np.array(story_ids, dtype=str))
    digest = payload_digest(payload)
    committed = entries.get(batch)
    # the index already holds this very update from a run killed before its stage was written
    redo = committed is not None and committed.get("digest") == digest and committed["seq"] == expected_seq
    gen = new_generation(batch)
    drop = [entries[b]["gen"] for b in evicted] + ([committed["gen"]] if committed else [])
    replaced = committed["size"] if committed else 0
    evicted_docs = sum(entries[b]["size"] for b in evicted)
    for b in evicted + [batch]:
        entries.pop(b, None)
    man["seq"] = man.get("seq", 0) + 1
    entries[batch] = {"gen": gen, "day": int(batch_day), "size": n, "seq": man["seq"], "digest": digest}
    man["lsh"] = lsh
    _age_aliases(man, before)
    t3 = time.perf_counter()
    if not redo:
        store.commit(man, gen, payload, drop, expected_seq)
    stats = {"documents": n, **counts, "evicted": evicted_docs, "evicted_batches": evicted,
             "replaced": replaced, "already_in_index": int(redo), "candidate_old_documents": len(old["ids"]),
             "index_documents": sum(e["size"] for e in entries.values() if e["day"] <= batch_day),
             "index_batches": sum(1 for e in entries.values() if e["day"] <= batch_day),
             **dinfo, **sinfo, "seconds_candidates": round(t1 - t0, 3), "seconds_links": round(t2 - t1, 3),
             "seconds_output": round(t3 - t2, 3), "seconds_commit": round(time.perf_counter() - t3, 3),
             "seconds": round(time.perf_counter() - t0, 3)}
    return assignments, clusters, stats


def _age_aliases(man: dict, before: dict[str, set[str]]) -> None:
    """Stamp this update's merges with its sequence number and forget merges older than every
    stored batch: labels are stored resolved, so only batches written before a merge can hold
    the merged-away id."""
    stamps = man.setdefault("alias_seq", {level: {} for level in LEVELS})
    oldest = min(e.get("seq", 0) for e in man["batches"].values())
    for level in LEVELS:
        for key in set(man["alias"][level]) - before[level]:
            stamps[level][key] = man["seq"]
        for key in [k for k, seq in stamps[level].items() if seq <= oldest]:
            del stamps[level][key]
            man["alias"][level].pop(key, None)


def _fetch(store: Store, a: dict, gens: list[str], visible: list[str], gen_pos: np.ndarray,
           rows: np.ndarray) -> dict[str, np.ndarray]:
    """Payload rows of several generations (input sorted by (gen_pos, row)), with ``key`` =
    qualified member names, in that order."""
    parts = []
    for pos in np.unique(gen_pos):
        part = store.rows(gens[pos], rows[gen_pos == pos])
        part["key"] = np.char.add(f"{visible[pos]}/", part["ids"].astype(str))
        parts.append(part)
    if not parts:
        return _empty_rows(a)
    return concat_shards(parts)


def _candidates(store, a, gens, visible, eff, lsh, cap, window_days) -> dict[str, np.ndarray]:
    """Old rows that are LSH candidates (either level) of a new row within the window."""
    if not gens:
        return _empty_rows(a)
    q, g, r = [], [], []
    for level in LEVELS:
        qq, gg, rr = store.lookup(level, gens, a[SIG_FIELD[level]], valid_rows(a, level), *lsh[level], cap)
        q.append(qq), g.append(gg), r.append(rr)
    q, g, r = np.concatenate(q), np.concatenate(g), np.concatenate(r)
    if len(q) == 0:
        return _empty_rows(a)
    code = g * (1 << 40) + r
    uniq, inv = np.unique(code, return_inverse=True)
    old = _fetch(store, a, gens, visible, uniq >> 40, uniq & ((1 << 40) - 1))
    near = np.abs(eff[q].astype(np.int64) - old["eff_day"][inv]) <= window_days
    keep = np.zeros(len(uniq), dtype=bool)
    keep[inv[near]] = True
    return _subset(old, np.flatnonzero(keep))


def _subset(old: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    out = take_rows(old, rows)
    out["key"] = old["key"][rows]
    return out


def _touched_members(store, a, gens, visible, alias, stories: set[str]) -> dict[str, np.ndarray]:
    """All stored rows of the given stories (any raw label resolving to them)."""
    labels = raw_labels(alias["story"], stories)
    pos, rows = [], []
    for k, gen in enumerate(gens):
        got = np.unique(store.members(gen, "story", labels)[0])
        pos.append(np.full(len(got), k, dtype=np.int64)), rows.append(got.astype(np.int64))
    if not pos:
        return _empty_rows(a)
    return _fetch(store, a, gens, visible, np.concatenate(pos), np.concatenate(rows))


def _with_line_fields(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Arrays made without per-line hashes (older or synthetic ones) get empty line lists: the
    template checks then simply find nothing, as in ``clustering``."""
    if "line_offsets" in arrays:
        return arrays
    return {**arrays, "line_offsets": np.zeros(len(arrays["ids"]) + 1, dtype=np.int64),
            "line_hashes": np.zeros(0, dtype=np.uint64), "line_words": np.zeros(0, dtype=np.int32)}


def _empty_rows(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Zero stored rows shaped like the new batch's arrays."""
    out = {k: a[k][:0] for k in LINK_FIELDS}
    out.update(story_offsets=np.zeros(1, dtype=np.int64), line_offsets=np.zeros(1, dtype=np.int64))
    out.update(eff_day=np.zeros(0, dtype=np.int32), key=np.zeros(0, dtype=str),
               dup_label=np.zeros(0, dtype=str), story_label=np.zeros(0, dtype=str))
    return out


def payload_digest(payload: dict[str, np.ndarray]) -> str:
    """sha256 of the arrays a batch stores: names, dtypes, shapes and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(payload):
        arr = np.ascontiguousarray(payload[name])
        h.update(f"{name}:{arr.dtype.str}:{arr.shape};".encode())
        h.update(arr.tobytes())
    return h.hexdigest()
