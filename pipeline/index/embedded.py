"""On-disk index in one directory: a JSON manifest plus one sub-directory of ``.npy`` files per
committed batch generation.

Each generation holds the payload columns, per LSH band the sorted bucket keys and the rows they
belong to (``keys_<level>.npy`` / ``order_<level>.npy``, shape (bands, valid rows)), and a label
index per level. Everything is opened with ``mmap_mode="r"``: a query is one ``np.searchsorted``
per band and batch, and only the pages holding matched keys and candidate rows are read.

Atomicity: a generation is written under a temporary name and renamed; the commit point is one
``os.replace`` of ``manifest.json``; generation directories the manifest does not list are
leftovers of an interrupted update and are deleted when the index is opened.

Ownership: the folder carries a marker file, and the index only ever deletes names of its own
making (``<batch>.<token>`` and ``tmp-<batch>.<token>`` directories, ``manifest.json.tmp``);
anything else in it is left alone. A non-empty folder without the marker (or an older index's
manifest) is refused, and a marked folder whose manifest is missing or unreadable is an error,
never an empty index: resetting would silently drop every earlier batch.
"""
from __future__ import annotations

import fcntl
import json
import mmap
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from storydedup.pipeline.cluster.candidates import band_keys
from storydedup.pipeline.index.store import (
    LEVELS,
    PAYLOAD_FIELDS,
    SIG_FIELD,
    ConcurrentUpdate,
    IndexLocationError,
    Store,
    empty_manifest,
    label_index,
    take_rows,
    valid_rows,
)

MANIFEST = "manifest.json"
LOCK = "lock"
MARKER = ".storydedup-index"
# Names this index writes besides MANIFEST, LOCK and MARKER: the only ones it may delete.
OWN_DIR = re.compile(r"^(tmp-)?[^/]+\.[0-9a-f]{12}$")
OWN_FILE = re.compile(r"^(manifest\.json|\.storydedup-index)\.tmp$")
_SALT = np.uint64(0xD6E8FEB86659FD93)
_MULT = np.uint64(0x9E3779B97F4A7C15)


class EmbeddedStore(Store):
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._open: dict[str, dict[str, np.ndarray]] = {}
        self._claim()
        with open(self.root / LOCK, "a") as lock:
            try:  # an update running in another process owns the leftovers it is writing
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            self._collect_garbage()

    def _claim(self) -> None:
        """Make sure the folder is this kind of index: create one in a missing or empty folder,
        adopt an older index (a readable manifest, no marker), refuse anything else."""
        if self.root.exists() and not self.root.is_dir():
            raise IndexLocationError(f"index location is a file, not a folder: {self.root}")
        if (self.root / MARKER).is_file():
            self.manifest()  # raises if missing or unreadable
            return
        if self.root.is_dir() and any(self.root.iterdir()):
            if not (self.root / MANIFEST).is_file():
                raise IndexLocationError(
                    f"not a storydedup index: {self.root} holds other files (give --index an empty "
                    "or new folder, or an existing index)")
            self.manifest()
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.root / MANIFEST, json.dumps(empty_manifest(), sort_keys=True))
        _write_atomically(self.root / MARKER, "storydedup embedded index: only storydedup writes here\n")

    def _collect_garbage(self) -> None:
        live = {entry["gen"] for entry in self.manifest()["batches"].values()}
        for child in self.root.iterdir():
            if child.name in live:
                continue
            if child.is_dir() and OWN_DIR.match(child.name):
                shutil.rmtree(child)
            elif child.is_file() and OWN_FILE.match(child.name):
                child.unlink()

    def manifest(self) -> dict:
        path = self.root / MANIFEST
        recover = (f"restore it from a backup, or move {self.root} aside to start a new, empty index "
                   "and rerun the batches to fill it")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexLocationError(f"index manifest missing: {path}; {recover}") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise IndexLocationError(f"index manifest unreadable: {path} ({exc}); {recover}") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("batches"), dict):
            raise IndexLocationError(f"index manifest unreadable: {path} (not an index manifest); {recover}")
        return manifest

    @contextmanager
    def updating(self):
        """One writer at a time (an OS file lock: released by the kernel if the process dies)."""
        with open(self.root / LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _file(self, gen: str, name: str) -> np.ndarray:
        files = self._open.setdefault(gen, {})
        if name not in files:
            files[name] = np.load(self.root / gen / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        return files[name]

    def lookup(self, level, gens, sig, valid, bands, rows, cap):
        query = np.flatnonzero(valid)
        sub = np.ascontiguousarray(sig[query])
        qkeys = np.stack([band_keys(sub, band, rows) for band in range(bands)]) if len(query) \
            else np.zeros((bands, 0), dtype=np.uint64)
        taken = np.zeros(qkeys.shape, dtype=np.int64)
        out_q, out_g, out_r = [], [], []
        probes: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # filter size -> (byte, bit) per key
        for pos, gen in enumerate(gens):  # generation order, so the cap keeps the oldest matches
            bloom = self._file(gen, f"bloom_{level}")
            if len(bloom) == 0:
                continue
            if len(bloom) not in probes:
                probes[len(bloom)] = bloom_probes(qkeys, len(bloom))
            byte, bit = probes[len(bloom)]
            maybe = ((np.asarray(bloom[byte]) >> bit) & 1).astype(bool) & (taken < cap)
            table, order = self._file(gen, f"keys_{level}"), self._file(gen, f"order_{level}")
            for band in np.flatnonzero(maybe.any(axis=1)):
                cand = np.flatnonzero(maybe[band])
                keys, col = qkeys[band, cand], table[band]
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
                out_r.append(np.asarray(order[band][idx], dtype=np.int64))
            self._release_generation(gen)  # pages stay in the OS cache, not in this process
        if not out_q:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(out_q), np.concatenate(out_g), np.concatenate(out_r)

    def rows(self, gen, rows):
        out = take_rows({k: self._file(gen, k) for k in PAYLOAD_FIELDS}, rows)
        self._release_generation(gen)
        return out

    def _release_generation(self, gen: str) -> None:
        for mapped in self._open.get(gen, {}).values():
            _release(mapped)

    def members(self, gen, level, labels):
        uniq = self._file(gen, f"labels_{level}")
        starts = self._file(gen, f"starts_{level}")
        grouped = self._file(gen, f"rows_{level}")
        want = np.array(labels, dtype=str)
        pos = np.searchsorted(uniq, want) if len(uniq) else np.zeros(len(want), dtype=np.int64)
        hit = pos < len(uniq)
        hit[hit] = np.asarray(uniq[pos[hit]]) == want[hit]
        lo = np.zeros(len(want), dtype=np.int64)
        hi = np.zeros(len(want), dtype=np.int64)
        lo[hit], hi[hit] = starts[pos[hit]], starts[pos[hit] + 1]
        size = hi - lo
        idx = np.repeat(lo - np.cumsum(size) + size, size) + np.arange(int(size.sum()))
        rows = np.asarray(grouped[idx], dtype=np.int64)  # ascending within a label (stable sort)
        self._release_generation(gen)
        return rows, size

    def _write_generation(self, gen: str, payload: dict[str, np.ndarray], lsh: dict) -> None:
        tmp = self.root / f"tmp-{gen}"
        tmp.mkdir()
        files = {k: payload[k] for k in PAYLOAD_FIELDS}
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
            files[f"keys_{level}"], files[f"order_{level}"] = keys, order
            files[f"bloom_{level}"] = bloom_build(keys)
            label = "dup_label" if level == "duplicate" else "story_label"
            files[f"labels_{level}"], files[f"starts_{level}"], files[f"rows_{level}"] = label_index(payload[label])
        for name, value in files.items():
            with open(tmp / f"{name}.npy", "wb") as fh:
                np.save(fh, np.ascontiguousarray(value), allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
        _fsync_dir(tmp)
        os.replace(tmp, self.root / gen)

    def commit(self, manifest, gen, payload, drop, expected_seq):
        if self.manifest().get("seq", 0) != expected_seq:
            raise ConcurrentUpdate("the index changed since this update read it")
        if payload is not None:
            self._write_generation(gen, payload, manifest["lsh"])
        _write_atomically(self.root / MANIFEST, json.dumps(manifest, sort_keys=True))  # the commit point
        for old in drop:
            self._open.pop(old, None)
            shutil.rmtree(self.root / old, ignore_errors=True)

    def close(self) -> None:
        self._open.clear()


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


def _release(mapped: np.ndarray) -> None:
    handle = getattr(mapped, "_mmap", None)
    if handle is not None and hasattr(mmap, "MADV_DONTNEED"):
        handle.madvise(mmap.MADV_DONTNEED)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, text: str) -> None:
    """Write new, fsync, rename over ``path``, fsync the folder: a crash leaves the old or the new."""
    tmp = path.with_name(f"{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
