"""The document record and the one on-disk format: gzip JSON Lines, written atomically.

A record is a plain dict. Fields every stage may rely on:
  id, text, title, url, source, published, format, origin
Stage notes live under ``rec["notes"][stage]`` so ``inspect`` can say what each stage did.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import orjson
from isal import igzip


class RejectDocument(Exception):
    """Raised by a per-document stage function: the document goes to rejects with this reason."""

    def __init__(self, reason: str, detail: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def reject_record(rec_id: str, stage: str, reason: str, detail: str | None = None, **extra) -> dict:
    out = {"id": rec_id, "stage": stage, "reason": reason}
    if detail:
        out["detail"] = detail
    out.update(extra)
    return out


def dumps(obj) -> str:
    return _dumps_bytes(obj).decode("utf-8")


def _dumps_bytes(obj) -> bytes:
    # orjson writes the same compact UTF-8 as json.dumps(ensure_ascii=False) about six times
    # faster (only float exponents are spelled differently: 0.00001, not 1e-05). What it refuses
    # (integers past 64 bits, lone surrogates) goes through json, which fails or succeeds as before.
    try:
        return orjson.dumps(obj)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> int:
    """Write rows to ``path`` (gzip when it ends in .gz); returns the count."""
    path = str(path)
    n = 0
    with open(path, "wb") as raw:
        # mtime=0 keeps gzip output byte-identical between runs. isal's gzip is the same format
        # as zlib's at a third of the CPU; stage files are written once and read once.
        out = igzip.IGzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=1) if path.endswith(".gz") else raw
        with out:
            for row in rows:
                out.write(_dumps_bytes(row) + b"\n")
                n += 1
    return n


def read_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    path = str(path)
    opener = igzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield loads(line)


# orjson reads an integer outside [-2**63, 2**64) as a float, where json keeps it whole; a line
# with a run of 19 digits or more (rare) is read by json. Other values read the same. The run is
# looked for in the line with every digit made "0" and every other byte a space: two C passes,
# an eighth of the time of a regex search, which cost more than parsing the line.
_DIGITS_AS_ZEROS = bytes(ord("0") if ord("0") <= b <= ord("9") else ord(" ") for b in range(256))
_LONG_NUMBER = b"0" * 19


def loads(line: bytes | str):
    """One JSON line as json.loads reads it, faster; raises what json.loads raises."""
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
    if _LONG_NUMBER in raw.translate(_DIGITS_AS_ZEROS):
        return json.loads(line)
    try:
        return orjson.loads(line)
    except ValueError:  # what orjson refuses and json may read: NaN, lone surrogates
        return json.loads(line)


def write_json(path: str | os.PathLike, obj) -> None:
    """Written whole or not at all (a temporary beside it, renamed), like every file we write."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


@contextlib.contextmanager
def atomic_dir(final: str | os.PathLike):
    """Yield a temporary directory that becomes ``final`` only if the block finishes.

    The temporary sits beside ``final`` (same filesystem, so the rename is atomic) and has a
    name no reader mistakes for a finished stage. A crash leaves only ``.tmp-*`` litter,
    which the next run removes.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-{os.getpid()}-", dir=final.parent))
    try:
        yield tmp
        if final.exists():  # a concurrent worker finished first; its result is equivalent
            shutil.rmtree(tmp)
        else:
            os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    path = Path(path)
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(root: str | os.PathLike) -> int:
    """Delete ``.tmp-*`` leftovers of interrupted writes under ``root`` (stage and shard level).

    A temporary's name carries the writer's pid; only those whose writer is gone are removed,
    so a concurrent run on the same output directory is not disturbed.
    """
    root = Path(root)
    n = 0
    if not root.is_dir():
        return 0
    for p in list(root.glob(".tmp-*")) + list(root.glob("*/.tmp-*")):
        field = p.name.split("-")[-2 if p.is_dir() else -1]
        if field.isdigit() and int(field) != os.getpid() and _pid_alive(int(field)):
            continue
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        n += 1
    return n
