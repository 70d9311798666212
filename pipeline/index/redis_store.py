"""Redis index: the same per-generation arrays as the embedded backend (payload columns and the
LSH tables of ``band_tables``), each stored as one binary value, all under one prefix ``P``:

  P:marker                 says the prefix holds a storydedup index (see Ownership)
  P:manifest               JSON manifest (the committed state)
  P:journal                JSON of the update being applied (present only mid-update)
  P:g:<gen>:meta           JSON {field: [dtype, shape]} of one generation
  P:g:<gen>:<field>        raw bytes of one column, LSH table or label index; rows are read
                           as byte ranges (all of a value's in one script call), or whole

Writing a generation is one pipeline of a few dozen commands, whatever its size, and a look-up
reads per stored generation and level the bit filter and the bucket keys whole, then only the
matched entries of the row table: a handful of round trips per generation instead of one command
per document and band (as a bucket-per-key layout needs).

Atomicity: a generation's values are written first under its fresh name (invisible until the
manifest lists it); then the journal is set in one command, which is the commit point; then
dropped generations are deleted and the manifest installed, and the journal is deleted. Opening
the index with a journal present replays it (each step can be repeated), and deletes generation
keys the manifest does not list.

Ownership: an index is created (marker and empty manifest, in one transaction) only under a
prefix that has no key yet; keys of the prefix without the marker are someone else's, and the
index refuses them (``IndexLocationError``) rather than deleting any. A prefix with a manifest
but no marker (an index made before the marker) is adopted. With the marker, a missing or
unreadable manifest is an error, never an empty index.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import numpy as np
import redis

from storydedup.pipeline.index import band_tables
from storydedup.pipeline.index.band_tables import GenerationTables, generation_arrays, table_names
from storydedup.pipeline.index.store import (
    ConcurrentUpdate,
    IndexLocationError,
    Store,
    empty_manifest,
    label_members,
    take_rows,
)


# What one more byte range costs (~10 us: its arguments, one GETRANGE inside the script) in
# bytes of transfer: past that, reading the whole value is cheaper.
_SPAN_BYTES = 8 * 1024
MARKER = b"storydedup index"
# Byte ranges of one value, concatenated, in one command: 112 rows of a 5 MB column take
# ~1.2 ms this way against ~2.5 ms as a pipeline of GETRANGEs (client packing and parsing).
_SPANS_SCRIPT = """
local out = {}
for i = 1, #ARGV, 2 do
  out[#out + 1] = redis.call('GETRANGE', KEYS[1], ARGV[i], ARGV[i + 1])
end
return table.concat(out)
"""


class _Column:
    """Lazy view of one stored column: indexing with an index array reads only those items,
    one byte range per run of consecutive indices (all in one command), or the whole value
    when the runs are many."""

    def __init__(self, store: RedisStore, key: str, dtype: str, shape: list[int]):
        self.store, self.key, self.dtype, self.shape = store, key, np.dtype(dtype), tuple(shape)
        self.item = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))

    def __getitem__(self, idx) -> np.ndarray:
        return _read_columns(self.store.db, [(self, idx)])[0]

    def queue(self, pipe, idx) -> Callable[[Iterator], np.ndarray]:
        """Queue the command that reads items ``idx`` on ``pipe`` (none for no items); the
        returned function takes the pipeline's replies (an iterator) and makes the array from
        the reply it queued."""
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if len(idx) == 0:
            return lambda replies: np.zeros((0,) + self.shape[1:], dtype=self.dtype)  # nothing queued
        if np.any(np.diff(idx) <= 0):  # read each needed item once, in ascending order
            uniq, back = np.unique(idx, return_inverse=True)
            finish = self.queue(pipe, uniq)
            return lambda replies: finish(replies)[back]
        breaks = np.flatnonzero(np.diff(idx) != 1) + 1
        if (len(breaks) + 1) * _SPAN_BYTES >= self.shape[0] * self.item:
            pipe.get(self.key)  # many scattered items: one transfer costs less than many ranges
            return lambda replies: self._array(next(replies)).reshape(self.shape)[idx]
        first = np.concatenate([[0], breaks])
        last = np.append(breaks - 1, len(idx) - 1)
        spans = np.stack([idx[first] * self.item, (idx[last] + 1) * self.item - 1], axis=1)
        self.store.read_spans(keys=[self.key], args=spans.reshape(-1).tolist(), client=pipe)
        return lambda replies: self._array(next(replies)).reshape((len(idx),) + self.shape[1:])

    def _array(self, raw: bytes | None) -> np.ndarray:
        return np.frombuffer(raw or b"", dtype=self.dtype)


def _read_columns(db, asks: list[tuple[_Column, np.ndarray]]) -> list[np.ndarray]:
    """Items ``idx`` of each ``(column, idx)``, all read in one round trip."""
    pipe = db.pipeline(transaction=False)
    finish = [column.queue(pipe, idx) for column, idx in asks]
    replies = iter(pipe.execute())
    return [f(replies) for f in finish]


class RedisStore(Store):
    def __init__(self, host: str, port: int, db: int = 0, prefix: str = "storydedup"):
        self.conn = {"host": host, "port": port, "db": db}
        self.db = redis.Redis(**self.conn)
        self.read_spans = self.db.register_script(_SPANS_SCRIPT)
        self._label_index: dict[tuple[str, str], list[np.ndarray]] = {}  # generations never change
        self.prefix = prefix
        self._claim()
        journal = self.db.get(self._key("journal"))
        if journal is not None:
            self._apply(json.loads(journal))
        self._collect_garbage()
        self._check_layout()

    def _check_layout(self) -> None:
        """Refuse an index whose generations keep their LSH tables in another layout (older
        versions used datasketch's bucket sets): it cannot answer look-ups."""
        for entry in self.manifest()["batches"].values():
            if table_names("duplicate")[2] not in self._meta(entry["gen"]):
                raise IndexLocationError(
                    f"the Redis index under prefix {self.prefix!r} was written by an older storydedup "
                    "(LSH tables in datasketch's layout): use a new prefix and rerun the batches into it")
            return  # every generation is written by the same code as the first one listed

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix,) + parts)

    def _where(self) -> str:
        return f"redis://{self.conn['host']}:{self.conn['port']}/{self.conn['db']}?prefix={self.prefix}"

    def _own_keys(self) -> list[bytes]:
        """A few keys in the names this index uses (its prefix, and its LSH tables)."""
        found = []
        for pattern in (self._key("*"), f"{self.prefix}-duplicate_*", f"{self.prefix}-story_*"):
            found += [k for _, k in zip(range(3), self.db.scan_iter(match=pattern, count=1000))]
        return found

    def _claim(self) -> None:
        """Create an index under an unused prefix, adopt one made before the marker, refuse
        anything else (see Ownership)."""
        marker = self.db.get(self._key("marker"))
        if marker == MARKER:
            self.manifest()  # raises if missing or unreadable
            return
        if marker is None and self.db.exists(self._key("manifest")):
            self.manifest()
            self.db.set(self._key("marker"), MARKER)
            return
        if marker is not None or self._own_keys():
            raise IndexLocationError(
                f"not a storydedup index: {self._where()} holds other keys under this prefix (give the "
                "index a prefix of its own with ?prefix=NAME, or point it at an existing index)")
        with self.db.pipeline() as pipe:  # one transaction: both keys or neither
            pipe.set(self._key("manifest"), json.dumps(empty_manifest(), sort_keys=True))
            pipe.set(self._key("marker"), MARKER)
            pipe.execute()

    def manifest(self) -> dict:
        raw = self.db.get(self._key("manifest"))
        recover = (f"restore the Redis data from a backup, or use a new prefix (?prefix=NAME) to start an "
                   "empty index and rerun the batches to fill it")
        if raw is None:
            raise IndexLocationError(f"index manifest missing: {self._where()} has no key "
                                     f"{self._key('manifest')}; {recover}")
        try:
            manifest = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise IndexLocationError(f"index manifest unreadable: {self._key('manifest')} on {self._where()} "
                                     f"({exc}); {recover}") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("batches"), dict):
            raise IndexLocationError(f"index manifest unreadable: {self._key('manifest')} on {self._where()} "
                                     f"(not an index manifest); {recover}")
        return manifest

    def _meta(self, gen: str) -> dict:
        return json.loads(self.db.get(self._key("g", gen, "meta")))

    def _columns(self, gen: str) -> dict[str, _Column]:
        return {k: _Column(self, self._key("g", gen, k), d, s) for k, (d, s) in self._meta(gen).items()}

    def lookup(self, level, gens, sig, valid, bands, rows, cap):
        bloom, keys, order = table_names(level)

        def open_tables(gen: str) -> GenerationTables:
            cols = self._columns(gen)
            flat = _Column(self, cols[order].key, cols[order].dtype.str, [int(np.prod(cols[order].shape))])
            pipe = self.db.pipeline(transaction=False)
            pipe.get(cols[bloom].key)
            pipe.get(cols[keys].key)
            raw_bloom, raw_keys = pipe.execute()
            return GenerationTables(np.frombuffer(raw_bloom, dtype=np.uint8),
                                    np.frombuffer(raw_keys, dtype=cols[keys].dtype).reshape(cols[keys].shape), flat.__getitem__)

        return band_tables.lookup(gens, open_tables, sig, valid, bands, rows, cap)

    def rows(self, gen, rows):
        cols = self._columns(gen)  # the columns of one step of take_rows in one round trip
        return take_rows(cols, np.asarray(rows, dtype=np.int64),
                         lambda asks: _read_columns(self.db, [(cols[name], idx) for name, idx in asks]))

    def members(self, gen, level, labels):
        if (gen, level) not in self._label_index:  # an update asks twice (sizes, then members)
            cols = self._columns(gen)
            pipe = self.db.pipeline(transaction=False)
            names = [f"{name}_{level}" for name in ("labels", "starts", "rows")]
            for name in names:
                pipe.get(cols[name].key)
            self._label_index[gen, level] = [np.frombuffer(raw, dtype=cols[name].dtype).reshape(cols[name].shape)
                                             for name, raw in zip(names, pipe.execute())]
        return label_members(*self._label_index[gen, level], labels)

    def _write_generation(self, gen: str, payload: dict[str, np.ndarray], lsh: dict) -> None:
        pipe = self.db.pipeline(transaction=False)
        meta = {}
        for name, column in generation_arrays(payload, lsh).items():
            value = np.ascontiguousarray(column)
            meta[name] = [value.dtype.str, list(value.shape)]
            pipe.set(self._key("g", gen, name), value.tobytes())
        pipe.set(self._key("g", gen, "meta"), json.dumps(meta))
        pipe.execute()

    def commit(self, manifest, gen, payload, drop, expected_seq):
        if payload is not None:
            self._write_generation(gen, payload, manifest["lsh"])
        journal = {"manifest": manifest, "add": gen if payload is not None else None, "drop": drop}
        watched = (self._key("manifest"), self._key("journal"))
        try:
            with self.db.pipeline() as pipe:
                pipe.watch(*watched)
                if (self.manifest().get("seq", 0) != expected_seq or pipe.exists(self._key("journal"))
                        or (gen is not None and not pipe.exists(self._key("g", gen, "meta")))):
                    raise ConcurrentUpdate("the index changed since this update read it")
                pipe.multi()
                pipe.set(self._key("journal"), json.dumps(journal))  # the commit point
                pipe.execute()
        except (ConcurrentUpdate, redis.WatchError):
            if gen is not None:
                self._delete_generation(gen)
            raise ConcurrentUpdate("another update committed first; run this batch again") from None
        self._apply(journal)

    def _apply(self, journal: dict) -> None:
        """Roll an update forward (idempotent: safe to repeat after a crash). The new generation
        is complete before the journal exists; what remains is dropping and the manifest."""
        for gen in journal["drop"]:
            self._delete_generation(gen)
        self._label_index.clear()
        self._install_manifest(journal["manifest"])
        self.db.delete(self._key("journal"))

    def _install_manifest(self, manifest: dict) -> None:
        self.db.set(self._key("manifest"), json.dumps(manifest, sort_keys=True))

    def _delete_generation(self, gen: str) -> None:
        keys = list(self.db.scan_iter(match=self._key("g", gen, "*"), count=1000))
        if keys:
            self.db.delete(*keys)

    def _collect_garbage(self) -> None:
        live = {e["gen"] for e in self.manifest()["batches"].values()}
        stale = set()
        for key in self.db.scan_iter(match=self._key("g", "*"), count=1000):
            stale.add(key.decode()[len(self._key("g")) + 1:].split(":", 1)[0])
        for gen in stale - live:
            self._delete_generation(gen)

    def close(self) -> None:
        self.db.close()
