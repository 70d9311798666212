"""The LSH tables of one stored generation, and candidate look-ups in them; both index backends
store these same arrays (files or Redis values), so they answer every query identically.

Per level: ``keys_<level>`` (bands, valid rows) uint64, each band's bucket keys sorted (stable,
so equal keys keep row order); ``order_<level>`` (bands, valid rows) int32, the row of each
sorted key; ``bloom_<level>``, a one-hash bit filter over all (band, key) pairs. A query is one
``np.searchsorted`` per band and generation, in bands where the filter says a key may be there.
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
        keys = np.zeros((bands, len(valid)), dtype=np.uint64)
        order = np.zeros((bands, len(valid)), dtype=np.int32)
        for band in range(bands):
            k = band_keys(sig, band, rows)
            o = np.argsort(k, kind="stable")
            keys[band], order[band] = k[o], valid[o]
        bloom, key_name, order_name = table_names(level)
        out[bloom], out[key_name], out[order_name] = bloom_build(keys), keys, order
    return out


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
    """``Store.lookup`` over tables that ``open_tables(gen)`` returns; ``done(gen)`` after each."""
    query = np.flatnonzero(valid)
    sub = np.ascontiguousarray(sig[query])
    qkeys = np.stack([band_keys(sub, band, rows) for band in range(bands)]) if len(query) \
        else np.zeros((bands, 0), dtype=np.uint64)
    taken = np.zeros(qkeys.shape, dtype=np.int64)
    out_q, out_g, out_r = [], [], []
    probes: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # filter size -> (byte, bit) per key
    for pos, gen in enumerate(gens):  # generation order, so the cap keeps the oldest matches
        tables = open_tables(gen)
        if len(tables.bloom) == 0:
            done(gen)
            continue
        if len(tables.bloom) not in probes:
            probes[len(tables.bloom)] = bloom_probes(qkeys, len(tables.bloom))
        byte, bit = probes[len(tables.bloom)]
        maybe = ((np.asarray(tables.bloom[byte]) >> bit) & 1).astype(bool) & (taken < cap)
        width = tables.keys.shape[1]
        flat = []
        for band in np.flatnonzero(maybe.any(axis=1)):
            cand = np.flatnonzero(maybe[band])
            keys, col = qkeys[band, cand], tables.keys[band]
            lo = np.searchsorted(col, keys, side="left")
            hit = lo < len(col)
            hit[hit] = np.asarray(col[lo[hit]]) == keys[hit]
            if not hit.any():
                continue
            cand, lo = cand[hit], lo[hit]
            take = np.minimum(np.searchsorted(col, keys[hit], side="right") - lo, cap - taken[band, cand])
            taken[band, cand] += take
            idx = np.repeat(lo - np.cumsum(take) + take, take) + np.arange(int(take.sum()))
            out_q.append(np.repeat(query[cand], take))
            out_g.append(np.full(len(idx), pos, dtype=np.int64))
            flat.append(band * width + idx)
        if flat:
            out_r.append(np.asarray(tables.order_at(np.concatenate(flat)), dtype=np.int64))
        done(gen)
    if not out_q:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(out_q), np.concatenate(out_g), np.concatenate(out_r)


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
    """(byte index, bit index) of each (band, key) in a filter of ``size`` bytes; a (band, key)
    whose bit is 0 is certainly absent from that generation."""
    pos = _bloom_positions(keys, int(np.log2(size * 8)))
    return (pos >> np.uint64(3)).astype(np.int64), (pos & np.uint64(7)).astype(np.uint8)
