"""Redis index: datasketch's Redis-backed ``MinHashLSH`` for candidates (one per level), and
plain keys for the rest, all under one prefix ``P``:

  P:marker                 says the prefix holds a storydedup index (see Ownership)
  P:manifest               JSON manifest (the committed state)
  P:journal                JSON of the update being applied (present only mid-update)
  P:g:<gen>:meta           JSON {field: [dtype, shape]} of one generation
  P:g:<gen>:<field>        raw bytes of one payload column; rows are read with GETRANGE
  P:g:<gen>:m:<level>      hash raw label -> its rows (int32 bytes)
  LSH keys are b"<gen>/<row>", in datasketch tables named P-duplicate / P-story.

Atomicity: a generation's columns are written first under its fresh name (invisible until the
manifest lists it); then the journal is set in one command, which is the commit point; then
LSH removals/insertions and the manifest follow and the journal is deleted. Opening the index
with a journal present replays it (each step checks what is already done), and deletes
generation keys the manifest does not list.

Ownership: an index is created (marker and empty manifest, in one transaction) only under a
prefix that has no key yet; keys of the prefix without the marker are someone else's, and the
index refuses them (``IndexLocationError``) rather than deleting any. A prefix with a manifest
but no marker (an index made before the marker) is adopted. With the marker, a missing or
unreadable manifest is an error, never an empty index.
"""
from __future__ import annotations

import json

import numpy as np
import redis
from datasketch import LeanMinHash, MinHashLSH

from storydedup.pipeline.index.store import (
    LEVELS,
    PAYLOAD_FIELDS,
    SIG_FIELD,
    ConcurrentUpdate,
    IndexLocationError,
    Store,
    cap_matches,
    empty_manifest,
    label_index,
    take_rows,
    valid_rows,
)


MARKER = b"storydedup index"


class _Column:
    """Lazy view of one stored column: indexing with an index array reads only those items,
    one GETRANGE per run of consecutive indices."""

    def __init__(self, db: redis.Redis, key: str, dtype: str, shape: list[int]):
        self.db, self.key, self.dtype, self.shape = db, key, np.dtype(dtype), tuple(shape)
        self.item = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))

    def __getitem__(self, idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if len(idx) == 0:
            return np.zeros((0,) + self.shape[1:], dtype=self.dtype)
        breaks = np.flatnonzero(np.diff(idx) != 1) + 1
        pipe = self.db.pipeline(transaction=False)
        for run in np.split(idx, breaks):
            pipe.getrange(self.key, int(run[0]) * self.item, (int(run[-1]) + 1) * self.item - 1)
        return np.frombuffer(b"".join(pipe.execute()), dtype=self.dtype).reshape((len(idx),) + self.shape[1:])


class RedisStore(Store):
    def __init__(self, host: str, port: int, db: int = 0, prefix: str = "storydedup"):
        self.conn = {"host": host, "port": port, "db": db}
        self.db = redis.Redis(**self.conn)
        self.prefix = prefix
        self._lsh: dict[str, MinHashLSH] = {}
        self._claim()
        journal = self.db.get(self._key("journal"))
        if journal is not None:
            self._apply(json.loads(journal))
        self._collect_garbage()

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

    def _lsh_of(self, level: str, lsh: list[int], num_perm: int) -> MinHashLSH:
        if level not in self._lsh:
            config = {"type": "redis", "basename": f"{self.prefix}-{level}".encode(), "redis": dict(self.conn)}
            self._lsh[level] = MinHashLSH(num_perm=num_perm, params=tuple(lsh), storage_config=config,
                                          prepickle=False)
        return self._lsh[level]

    def _meta(self, gen: str) -> dict:
        return json.loads(self.db.get(self._key("g", gen, "meta")))

    def _columns(self, gen: str) -> dict[str, _Column]:
        return {k: _Column(self.db, self._key("g", gen, k), d, s) for k, (d, s) in self._meta(gen).items()}

    def lookup(self, level, gens, sig, valid, bands, rows, cap):
        lsh = self._lsh_of(level, [bands, rows], sig.shape[1])
        pos = {gen.encode(): k for k, gen in enumerate(gens)}
        query = np.flatnonzero(valid)
        out = ([], [], [])
        for band, (start, end) in enumerate(lsh.hashranges):
            buckets = lsh.hashtables[band].getmany(*[lsh._H(sig[i, start:end]) for i in query])
            q, g, r = [], [], []
            for i, bucket in zip(query.tolist(), buckets):
                for key in bucket:
                    gen, row = key.rsplit(b"/", 1)
                    if gen in pos:
                        q.append(i), g.append(pos[gen]), r.append(int(row))
            for acc, part in zip(out, cap_matches(np.array(q, dtype=np.int64), np.array(g, dtype=np.int64),
                                                  np.array(r, dtype=np.int64), cap)):
                acc.append(part)
        return tuple(np.concatenate(x) if x else np.zeros(0, dtype=np.int64) for x in out)

    def rows(self, gen, rows):
        return take_rows(self._columns(gen), np.asarray(rows, dtype=np.int64))

    def members(self, gen, level, labels):
        found = self.db.hmget(self._key("g", gen, "m", level), labels) if labels else []
        parts = [np.frombuffer(x or b"", dtype=np.int32).astype(np.int64) for x in found]
        rows = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return rows, np.array([len(p) for p in parts], dtype=np.int64)

    def _write_generation(self, gen: str, payload: dict[str, np.ndarray]) -> None:
        pipe = self.db.pipeline(transaction=False)
        meta = {}
        for name in PAYLOAD_FIELDS:
            value = np.ascontiguousarray(payload[name])
            meta[name] = [value.dtype.str, list(value.shape)]
            pipe.set(self._key("g", gen, name), value.tobytes())
        for level, label in (("duplicate", "dup_label"), ("story", "story_label")):
            uniq, starts, grouped = label_index(payload[label])
            mapping = {str(u): grouped[starts[k]:starts[k + 1]].tobytes() for k, u in enumerate(uniq)}
            if mapping:
                pipe.hset(self._key("g", gen, "m", level), mapping=mapping)
        pipe.set(self._key("g", gen, "meta"), json.dumps(meta))
        pipe.execute()

    def commit(self, manifest, gen, payload, drop, expected_seq):
        if payload is not None:
            self._write_generation(gen, payload)
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
        """Roll an update forward (idempotent: safe to repeat after a crash)."""
        lsh = journal["manifest"]["lsh"]
        for gen in journal["drop"]:
            if self.db.exists(self._key("g", gen, "meta")):
                for level in LEVELS:
                    self._lsh_remove(level, gen, lsh)
                self._delete_generation(gen)
        if journal["add"] is not None:
            for level in LEVELS:
                self._lsh_add(level, journal["add"], lsh)
        self._install_manifest(journal["manifest"])
        self.db.delete(self._key("journal"))

    def _gen_keys(self, gen: str, level: str, lsh: list[int]):
        cols = self._columns(gen)
        n = cols["ids"].shape[0]
        payload = {"dup_size": cols["dup_size"][np.arange(n)]} if level == "duplicate" else \
            {"story_offsets": cols["story_offsets"][np.arange(n + 1)]}
        rows = np.flatnonzero(valid_rows(payload, level))
        sig = cols[SIG_FIELD[level]]
        return self._lsh_of(level, lsh, sig.shape[1]), rows, [f"{gen}/{r}".encode() for r in rows], sig

    def _present(self, lsh: MinHashLSH, keys: list[bytes]) -> list[bool]:
        return [bool(x) for x in lsh.keys.getmany(*keys)] if keys else []

    def _lsh_remove(self, level: str, gen: str, lsh_params: list[int]) -> None:
        lsh, _, keys, _ = self._gen_keys(gen, level, lsh_params[level])
        with lsh.deletion_session() as session:
            for key, there in zip(keys, self._present(lsh, keys)):
                if there:
                    session.remove(key)

    def _lsh_add(self, level: str, gen: str, lsh_params: dict) -> None:
        lsh, rows, keys, sig = self._gen_keys(gen, level, lsh_params[level])
        values = sig[rows]
        with lsh.insertion_session() as session:
            for k, (key, there) in enumerate(zip(keys, self._present(lsh, keys))):
                if not there:
                    session.insert(key, LeanMinHash(seed=0, hashvalues=values[k], scheme="affine32"),
                                   check_duplication=False)

    def _install_manifest(self, manifest: dict) -> None:
        self.db.set(self._key("manifest"), json.dumps(manifest, sort_keys=True))

    def _delete_generation(self, gen: str) -> None:
        for key in list(self.db.scan_iter(match=self._key("g", gen, "*"), count=1000)):
            self.db.delete(key)

    def _collect_garbage(self) -> None:
        live = {e["gen"] for e in self.manifest()["batches"].values()}
        stale = set()
        for key in self.db.scan_iter(match=self._key("g", "*"), count=1000):
            stale.add(key.decode()[len(self._key("g")) + 1:].split(":", 1)[0])
        for gen in stale - live:
            self._delete_generation(gen)

    def close(self) -> None:
        self.db.close()
        self._lsh.clear()
