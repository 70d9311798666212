"""Backend-neutral view of the persistent index: what a store keeps and the calls it answers.

A store holds committed *batches* (one per day). Each batch is written once, as a whole, under a
fresh generation name ``"<batch>.<token>"`` and never modified afterwards; removing or evicting
a batch drops its generation at once. Per document it keeps the clustering arrays
(``PAYLOAD_FIELDS``, rows in id order) and the raw cluster labels assigned when the batch was
grouped. Labels are resolved through the *alias* maps of the manifest: when a later batch bridges
two clusters, the younger id becomes an alias of the older one, so no stored batch is rewritten.

The manifest (a small JSON document) is the single source of truth: a generation not listed in
it does not exist. Every update replaces the manifest in one atomic step (see the backends).
"""
from __future__ import annotations

import uuid
from contextlib import nullcontext

import numpy as np

from storydedup.pipeline.signatures.compute import read_each, take_csr_rows

LEVELS = ("duplicate", "story")
SIG_FIELD = {"duplicate": "dup_sig", "story": "story_sig"}
# Signature arrays kept per document, plus the index's own columns.
PAYLOAD_FIELDS = ("ids", "dup_sig", "dup_size", "length", "day", "story_sig", "story_terms",
                  "story_weights", "story_offsets", "line_hashes", "line_words", "line_offsets",
                  "eff_day", "dup_label", "story_label")
ROW_FIELDS = ("ids", "dup_sig", "dup_size", "length", "day", "story_sig", "eff_day",
              "dup_label", "story_label")


def empty_manifest() -> dict:
    return {"version": 1, "batches": {}, "alias": {level: {} for level in LEVELS},
            "alias_seq": {level: {} for level in LEVELS}, "lsh": None, "seq": 0}


def new_generation(batch: str) -> str:
    return f"{batch}.{uuid.uuid4().hex[:12]}"


def resolve(alias: dict[str, str], label: str) -> str:
    """Current id of a cluster recorded under ``label`` (follows merges)."""
    seen = 0
    while label in alias:
        label = alias[label]
        seen += 1
        if seen > len(alias):
            raise ValueError(f"alias cycle at {label!r}")
    return label


def raw_labels(alias: dict[str, str], targets: set[str]) -> list[str]:
    """Every label that resolves to one of ``targets`` (the targets themselves included)."""
    out = set(targets)
    out.update(k for k in alias if resolve(alias, k) in targets)
    return sorted(out)


def valid_rows(arrays: dict[str, np.ndarray], level: str) -> np.ndarray:
    """Rows that take part in LSH at ``level`` (same rule as ``clustering``: no empty sets)."""
    if level == "duplicate":
        return arrays["dup_size"] > 0
    return np.diff(arrays["story_offsets"]) > 0


def label_index(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted distinct labels, CSR starts, rows grouped by label) for member look-ups."""
    order = np.argsort(labels, kind="stable")
    uniq, starts = np.unique(labels[order], return_index=True)
    return uniq, np.append(starts, len(labels)).astype(np.int64), order.astype(np.int32)


def label_members(uniq: np.ndarray, starts: np.ndarray, grouped: np.ndarray,
                  labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``Store.members`` answered from a generation's ``label_index`` arrays (or their maps)."""
    want = np.array(labels, dtype=str)
    pos = np.searchsorted(uniq, want) if len(uniq) else np.zeros(len(want), dtype=np.int64)
    hit = pos < len(uniq)
    hit[hit] = np.asarray(uniq[pos[hit]]) == want[hit]
    lo = np.zeros(len(want), dtype=np.int64)
    hi = np.zeros(len(want), dtype=np.int64)
    lo[hit], hi[hit] = starts[pos[hit]], starts[pos[hit] + 1]
    size = hi - lo
    idx = np.repeat(lo - np.cumsum(size) + size, size) + np.arange(int(size.sum()))
    return np.asarray(grouped[idx], dtype=np.int64), size  # ascending within a label (stable sort)


def take_rows(fields: dict[str, np.ndarray], rows: np.ndarray, read_many=None) -> dict[str, np.ndarray]:
    """Rows ``rows`` of one batch's payload (fixed-width columns and the CSR groups);
    ``read_many`` as in ``take_csr_rows`` (a backend reading several columns in one round trip)."""
    read_many = read_many or read_each(fields)
    fixed = read_many([(k, rows) for k in ROW_FIELDS])
    return {**dict(zip(ROW_FIELDS, fixed)), **take_csr_rows(fields, rows, read_many)}


def cap_matches(new_idx: np.ndarray, batch_pos: np.ndarray, rows: np.ndarray, cap: int):
    """Keep, per (new document, band) query already grouped by ``new_idx``, at most ``cap``
    matches, the first in (batch, row) order: a deterministic bound on huge buckets that both
    backends apply identically. Input arrays are parallel; returns them filtered."""
    if len(new_idx) == 0:
        return new_idx, batch_pos, rows
    order = np.lexsort((rows, batch_pos, new_idx))
    new_idx, batch_pos, rows = new_idx[order], batch_pos[order], rows[order]
    start = np.flatnonzero(np.concatenate([[True], new_idx[1:] != new_idx[:-1]]))
    rank = np.arange(len(new_idx)) - np.repeat(start, np.diff(np.append(start, len(new_idx))))
    keep = rank < cap
    return new_idx[keep], batch_pos[keep], rows[keep]


class IndexLocationError(ValueError):
    """The index location cannot be used as it is (not an index, manifest missing or damaged):
    one line that says what to do; nothing was changed."""


class ConcurrentUpdate(RuntimeError):
    """Another update of the same index committed between this update's read and its commit."""


class Store:
    """Interface every backend implements (see ``embedded`` and ``redis_store``)."""

    def manifest(self) -> dict:
        """The committed manifest: {"batches": {batch: {"gen", "day", "size", "seq"}}, "alias":
        {level: {old id: new id}}, "alias_seq": {level: {old id: seq of the merge}},
        "lsh": {level: [bands, rows]} or None, "seq": updates so far}."""
        raise NotImplementedError

    def lookup(self, level: str, gens: list[str], sig: np.ndarray, valid: np.ndarray,
               bands: int, rows: int, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """LSH candidates of the rows of ``sig`` among generations ``gens``: parallel arrays
        (query row, position of the generation in ``gens``, row in that batch). Per query and
        band at most ``cap`` matches, the first in (generation position, row) order."""
        raise NotImplementedError

    def rows(self, gen: str, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Payload rows (sorted ascending) of one generation, as ``take_rows`` returns them."""
        raise NotImplementedError

    def members(self, gen: str, level: str, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of one generation whose raw label at ``level`` is in ``labels``: (rows grouped
        by label in ``labels`` order, ascending within a label; count per label)."""
        raise NotImplementedError

    def updating(self):
        """Context manager around one whole update (read manifest ... commit): serialises
        writers where the backend can do so safely; ``commit`` checks the rest."""
        return nullcontext()

    def commit(self, manifest: dict, gen: str | None, payload: dict[str, np.ndarray] | None,
               drop: list[str], expected_seq: int) -> None:
        """Atomically: write ``payload`` as generation ``gen``, drop generations ``drop``,
        install ``manifest``. After a crash the store shows either the old or the new state.
        Raises ``ConcurrentUpdate`` (nothing changed) unless the committed manifest still has
        sequence number ``expected_seq``."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError
