"""On-disk index in one directory: a JSON manifest plus one sub-directory of ``.npy`` files per
committed batch generation.

Each generation holds the payload columns, the LSH tables of ``band_tables`` (``keys_<level>.npy``,
``order_<level>.npy``, ``bloom_<level>.npy``), and a label index per level. Everything is opened
with ``mmap_mode="r"``: only the pages holding matched keys and candidate rows are read.

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

from storydedup.pipeline.index import band_tables
from storydedup.pipeline.index.band_tables import GenerationTables, generation_arrays, table_names
from storydedup.pipeline.index.store import (
    PAYLOAD_FIELDS,
    ConcurrentUpdate,
    IndexLocationError,
    Store,
    empty_manifest,
    label_members,
    take_rows,
)

MANIFEST = "manifest.json"
LOCK = "lock"
MARKER = ".storydedup-index"
# Names this index writes besides MANIFEST, LOCK and MARKER: the only ones it may delete.
OWN_DIR = re.compile(r"^(tmp-)?[^/]+\.[0-9a-f]{12}$")
OWN_FILE = re.compile(r"^(manifest\.json|\.storydedup-index)\.tmp$")


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
        bloom, keys, order = table_names(level)

        def open_tables(gen: str) -> GenerationTables:
            flat = self._file(gen, order).reshape(-1)
            return GenerationTables(self._file(gen, bloom), self._file(gen, keys), lambda at: flat[at])

        # pages stay in the OS cache, not in this process
        return band_tables.lookup(gens, open_tables, sig, valid, bands, rows, cap, self._release_generation)

    def rows(self, gen, rows):
        out = take_rows({k: self._file(gen, k) for k in PAYLOAD_FIELDS}, rows)
        self._release_generation(gen)
        return out

    def _release_generation(self, gen: str) -> None:
        for mapped in self._open.get(gen, {}).values():
            _release(mapped)

    def members(self, gen, level, labels):
        found = label_members(self._file(gen, f"labels_{level}"), self._file(gen, f"starts_{level}"),
                              self._file(gen, f"rows_{level}"), labels)
        self._release_generation(gen)
        return found

    def _write_generation(self, gen: str, payload: dict[str, np.ndarray], lsh: dict) -> None:
        tmp = self.root / f"tmp-{gen}"
        tmp.mkdir()
        files = generation_arrays(payload, lsh)
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
