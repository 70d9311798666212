"""The LSH tables of one stored generation, and candidate look-ups in them; both index backends
store these same arrays (files or Redis values), so they answer every query identically.

Per level: ``keys_<level>`` (bands, valid rows) uint32, each band's bucket keys as 32-bit
``fingerprints``, sorted (stable, so equal ones keep row order); ``order_<level>`` (bands, valid
rows) int32, the row of each sorted key; ``bloom_<level>``, a one-hash bit filter over all
(band, 64-bit key) pairs. A look-up tests every (band, query) pair of a generation against the
filter at once, then searches the keys of the few pairs it lets through: one ``np.searchsorted``
per band holding such pairs. Generations written before fingerprints hold the uint64 keys
themselves; a look-up compares each generation in the width it was written in.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from storydedup.pipeline.cluster.candidates import band_keys
from storydedup.pipeline.index.store import LEVELS, PAYLOAD_FIELDS, SIG_FIELD, label_index, valid_rows

_SALT = np.uint64(0xD6E8FEB86659FD93)
_MULT = np.uint64(0x9E3779B97F4A7C15)


def table_names(level: str) -> tuple[str, str, str]:
    return f"bloom_{level}", f"keys_{level}", f"order_{level}"


def build_tables(payload: dict[str, np.ndarray], lsh: dict) -> dict[str, np.ndarray]:
    """Every level's tables for a generation's payload, with ``lsh`` = {level: [bands, rows]}."""
    out: dict[str, np.ndarray] = {}
    for level in LEVELS:
        bands, rows = lsh[level]
        valid = np.flatnonzero(valid_rows(payload, level))
        sig = payload[SIG_FIELD[level]][valid]
        full = np.stack([band_keys(sig, band, rows) for band in range(bands)]) if bands \
            else np.zeros((0, len(valid)), dtype=np.uint64)
        keys = fingerprints(full)
        order = np.argsort(keys, axis=1, kind="stable")
        bloom, key_name, order_name = table_names(level)
        out[bloom] = bloom_build(full)
        out[key_name] = np.take_along_axis(keys, order, axis=1)
        out[order_name] = valid[order].astype(np.int32)
    return out


def fingerprints(keys: np.ndarray) -> np.ndarray:
    """32-bit fingerprint of 64-bit bucket keys: their two halves XOR-ed. The stored keys are
    half the bytes a look-up reads (whole, per generation). Two different keys share one with
    chance 2^-32 per pair: that adds a candidate the signature check after the look-up drops."""
    return (keys ^ (keys >> np.uint64(32))).astype(np.uint32)


def generation_arrays(payload: dict[str, np.ndarray], lsh: dict) -> dict[str, np.ndarray]:
    """Everything a backend stores for one generation: the payload columns, the LSH tables and
    per level the label index (``labels_``, ``starts_``, ``rows_<level>``, see ``label_index``)."""
    out = {**{name: payload[name] for name in PAYLOAD_FIELDS}, **build_tables(payload, lsh)}
    for level, label in (("duplicate", "dup_label"), ("story", "story_label")):
        out[f"labels_{level}"], out[f"starts_{level}"], out[f"rows_{level}"] = label_index(payload[label])
    return out


@dataclass
class GenerationTables:
    """One generation's tables at one level as a backend hands them over: the filter and the
    keys as arrays (or memory maps), and a reader of ``order`` at flat positions
    ``band * width + i`` (a backend reads only those)."""

    bloom: np.ndarray
    keys: np.ndarray
    order_at: Callable[[np.ndarray], np.ndarray]


def lookup(gens: list[str], open_tables: Callable[[str], GenerationTables], sig: np.ndarray,
           valid: np.ndarray, bands: int, rows: int, cap: int,
           done: Callable[[str], None] = lambda gen: None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Store.lookup`` over tables that ``open_tables(gen)`` returns; ``done(gen)`` after each.
    Works on all bands at once: (band, query) pairs are flat indices ``band * len(query) + i``,
    ordered by key within a band."""
    query = np.flatnonzero(valid)
    sub = np.ascontiguousarray(sig[query])
    qkeys = np.stack([band_keys(sub, band, rows) for band in range(bands)]) if len(query) \
        else np.zeros((bands, 0), dtype=np.uint64)
    by_key = np.argsort(qkeys, axis=1)  # ascending keys make the binary searches cache-friendly
    who = query[by_key].reshape(-1)  # query row of each flat pair
    qkeys = np.take_along_axis(qkeys, by_key, axis=1).reshape(-1)
    widths = {np.dtype(np.uint64): qkeys, np.dtype(np.uint32): fingerprints(qkeys)}  # as generations store them
    taken = np.zeros(len(qkeys), dtype=np.int64)
    out_q, out_g, out_r = [], [], []
    probes: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # filter size -> (byte, bit mask) per pair
    for pos, gen in enumerate(gens):  # generation order, so the cap keeps the oldest matches
        tables = open_tables(gen)
        size = len(tables.bloom)
        if size and len(qkeys):
            if size not in probes:
                probes[size] = bloom_probes(qkeys.reshape(bands, -1), size)
            byte, mask = probes[size]
            pair = np.flatnonzero(np.asarray(tables.bloom[byte]) & mask)
            pair = pair[taken[pair] < cap]
            lo, count = _equal_runs(tables.keys, pair // len(query), widths[tables.keys.dtype][pair])
            take = np.minimum(count, cap - taken[pair])
            taken[pair] += take
            start = (pair // len(query)) * tables.keys.shape[1] + lo  # flat position in the tables
            flat = np.repeat(start - np.cumsum(take) + take, take) + np.arange(int(take.sum()))
            if len(flat):
                out_q.append(np.repeat(who[pair], take))
                out_g.append(np.full(len(flat), pos, dtype=np.int64))
                out_r.append(np.asarray(tables.order_at(flat), dtype=np.int64))
        done(gen)
    if not out_q:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(out_q), np.concatenate(out_g), np.concatenate(out_r)


def _equal_runs(keys: np.ndarray, band: np.ndarray, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first position, count) of ``want[i]`` in the sorted row ``keys[band[i]]`` (``band``
    ascending): one binary search per band holding queries, the second only where found."""
    lo = np.zeros(len(band), dtype=np.int64)
    count = np.zeros(len(band), dtype=np.int64)
    edges = np.searchsorted(band, np.arange(keys.shape[0] + 1))
    for b in np.flatnonzero(np.diff(edges)):
        part = slice(edges[b], edges[b + 1])
        col = keys[b]
        lo[part] = np.searchsorted(col, want[part], side="left")
    flat = keys.reshape(-1)
    inside = lo < keys.shape[1]
    found = np.zeros(len(band), dtype=bool)
    found[inside] = np.asarray(flat[band[inside] * keys.shape[1] + lo[inside]]) == want[inside]
    hit = np.flatnonzero(found)
    edges = np.searchsorted(band[hit], np.arange(keys.shape[0] + 1))
    for b in np.flatnonzero(np.diff(edges)):
        part = hit[edges[b]:edges[b + 1]]
        count[part] = np.searchsorted(keys[b], want[part], side="right") - lo[part]
    return lo, count


def _bloom_positions(keys: np.ndarray, log2: int) -> np.ndarray:
    """Bit position of each (band, key): the band is salted in, then a multiplicative hash."""
    salt = (np.arange(len(keys), dtype=np.uint64)[:, None] + np.uint64(1)) * _SALT
    with np.errstate(over="ignore"):
        return ((keys ^ salt) * _MULT) >> np.uint64(64 - log2)


def bloom_build(keys: np.ndarray) -> np.ndarray:
    """One-hash bit filter over all (band, key) of a generation, 16 bits per key (~6% false
    hits): lets a query skip the binary search in most bands, where nothing matches."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.uint8)
    log2 = max(int(np.ceil(np.log2(16 * keys.size))), 10)
    bits = np.zeros(1 << log2, dtype=bool)
    bits[_bloom_positions(keys, log2)] = True
    return np.packbits(bits, bitorder="little")


def bloom_probes(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(byte index, bit mask) of each (band, key) of ``keys`` (bands, n), flattened band-major,
    in a filter of ``size`` bytes; a (band, key) whose bit is 0 is certainly absent there."""
    pos = _bloom_positions(keys, int(np.log2(size * 8))).reshape(-1)
    return (pos >> np.uint64(3)).astype(np.int64), np.left_shift(1, pos & np.uint64(7)).astype(np.uint8)
