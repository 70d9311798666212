"""Input discovery and reading: .txt, .html/.htm, .jsonl(.gz), .warc(.gz).

``discover`` turns the user's --input paths into an ordered list of sources; ``iter_raw``
yields one raw item per input document, in that order. A raw item carries either decoded
``text``/``html`` (JSONL) or undecoded ``data`` bytes plus any declared charset (files, WARC);
decoding is the read stage's job (see ``pipeline.decode.charset``). Problems with a single document
come back as items with an ``error`` so the caller can reject them with a reason.
"""
from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from storydedup.pipeline.read.ids import normalise_id
from storydedup.pipeline.records import loads

SUFFIXES = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".warc": "warc",
    ".warc.gz": "warc",
}
# Files a directory walk skips silently: dot-files and our own sidecars.
IGNORED_NAMES = {"README", "README.md", "LICENSE", "meta.json"}
OPTIONAL_FIELDS = ("url", "title", "published", "source")
_SURROGATE = re.compile("[\ud800-\udfff]")


class InputError(Exception):
    """A problem with the user's input paths, reported before any work starts."""


@dataclass(frozen=True)
class Source:
    path: str  # absolute
    root: str  # the --input it came from (a directory, or the file's parent)
    kind: str
    # The file's bytes when the source is held in memory (fuzzing, tests); None: read ``path``.
    data: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def rel(self) -> str:
        return os.path.relpath(self.path, self.root)


def kind_of(path: str) -> str | None:
    name = path.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def discover(paths: list[str] | tuple[str, ...]) -> list[Source]:
    """Expand --input paths into sources, directories recursively, in a stable order."""
    if not paths:
        raise InputError("no --input given: pass at least one file or directory")
    sources: list[Source] = []
    for given in paths:
        p = Path(given).expanduser()
        if not p.exists():
            raise InputError(f"input not found: {given} (check the path)")
        if p.is_dir():
            root = str(p.resolve())
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith(".") or name in IGNORED_NAMES:
                        continue
                    full = os.path.join(dirpath, name)
                    kind = kind_of(name)
                    if kind is None:
                        continue  # a directory may hold other files; only known kinds are inputs
                    sources.append(Source(full, root, kind))
        else:
            kind = kind_of(p.name)
            if kind is None:
                raise InputError(
                    f"unknown file type: {given} (supported: .txt, .html, .htm, .jsonl, .jsonl.gz, .warc, .warc.gz)"
                )
            full = str(p.resolve())
            sources.append(Source(full, os.path.dirname(full), kind))
    if not sources:
        raise InputError(f"no input documents found under {', '.join(paths)} (supported: .txt, .html, .jsonl, .warc)")
    return sources


def fingerprint(sources: list[Source]) -> list[list]:
    """What identifies the input for caching: path, size and mtime of every source."""
    out = []
    for s in sources:
        st = os.stat(s.path)
        out.append([s.path, st.st_size, st.st_mtime_ns])
    return out


def _open_raw(source: Source):
    return io.BytesIO(source.data) if source.data is not None else open(source.path, "rb")


@contextmanager
def _open_binary(source: Source):
    """The source's bytes, decompressed for a ``.gz`` name."""
    with _open_raw(source) as raw:
        if source.path.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
                yield fh
        else:
            yield raw


# What reading a damaged or unreadable file raises: OS errors (gzip.BadGzipFile is one), a
# gzip stream cut short (EOFError) or corrupt (zlib.error).
READ_ERRORS = (OSError, EOFError, zlib.error)


def count_documents(source: Source) -> int:
    """Pre-count used to plan shards: the units ``iter_raw`` will yield (documents and rejects)."""
    return sum(1 for _ in unit_sizes(source))


def unit_sizes(source: Source) -> Iterator[int]:
    """Bytes of each unit ``iter_raw`` will yield, in order, for planning shards: a file's
    size, a JSON line's length, a WARC record's payload (0 for a reject)."""
    if source.kind in ("txt", "html"):
        try:
            yield len(source.data) if source.data is not None else os.path.getsize(source.path)
        except OSError:  # read as a reject
            yield 0
    elif source.kind == "jsonl":
        for _, raw in _jsonl_lines(source):
            yield len(raw) if isinstance(raw, bytes) else 0
    else:
        for item in _warc_records(source):
            yield len(item.get("data") or b"")


def may_hold_html(sources: list[Source]) -> bool:
    """Do the inputs look like pages of HTML: an HTML or WARC file, or a JSON Lines file whose
    first record has an ``html`` field? A guess from where they start, for the warm-up."""
    for source in sources:
        if source.kind in ("html", "warc"):
            return True
        if source.kind == "jsonl":
            for item in _iter_jsonl(source):
                if item.get("format") == "html":
                    return True
                break
    return False


def iter_raw(source: Source) -> Iterator[dict]:
    """Raw items of one source, each with its id made text (see ``ids.normalise_id``)."""
    for item in _iter_source(source):
        item["id"] = normalise_id(item["id"])
        yield item


def _iter_source(source: Source) -> Iterator[dict]:
    if source.kind in ("txt", "html"):
        item = {"id": source.rel, "format": source.kind, "origin": source.rel}
        try:
            with _open_raw(source) as fh:
                item["data"] = fh.read()
        except OSError as exc:
            item.update(error="unreadable file", detail=f"{source.rel}: {exc.strerror or exc}")
        yield item
    elif source.kind == "jsonl":
        yield from _iter_jsonl(source)
    else:
        yield from _warc_records(source)


def _damage(source: Source, unit: str, where: str, exc: BaseException) -> dict:
    """A reject item for the part of ``source`` that could not be read, from ``where`` on."""
    origin = f"{source.rel}@{where}"
    return {"id": origin, "origin": origin, "format": source.kind, "error": f"damaged {unit}",
            "detail": f"{source.rel}: unreadable from {where} on ({type(exc).__name__}: {exc})"}


def _jsonl_lines(source: Source) -> Iterator[tuple[int, bytes | dict]]:
    """(line number, raw bytes) of each non-blank line. A file that cannot be read on, or a
    compressed stream that is damaged, ends with (line, reject item) for the rest: the lines
    read before the damage stay. A file with no line at all is one reject."""
    lineno, offset, units = 0, 0, 0
    try:
        with _open_binary(source) as fh:
            for raw in fh:
                lineno += 1
                offset += len(raw)
                if raw.strip():
                    units += 1
                    yield lineno, raw
    except READ_ERRORS as exc:
        unit = "gzip stream" if source.path.lower().endswith(".gz") else "file"
        yield lineno + 1, _damage(source, unit, f"line {lineno + 1} (byte {offset})", exc)
        return
    if units == 0:
        yield 0, {"id": source.rel, "origin": source.rel, "format": "jsonl", "error": "empty file",
                  "detail": f"{source.rel} holds no JSON lines"}


def _iter_jsonl(source: Source) -> Iterator[dict]:
    for lineno, raw in _jsonl_lines(source):
        if isinstance(raw, dict):
            yield raw
            continue
        origin = f"{source.rel}:{lineno}"
        fallback_id = origin
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            # Not UTF-8: keep the bytes of each field and let the decoder find the charset.
            line = raw.decode("latin-1")
            latin1 = True
        else:
            latin1 = False
        try:
            obj = loads(line)
        except ValueError as exc:  # JSONDecodeError, or a number too long to convert
            yield {"id": fallback_id, "origin": origin, "format": "jsonl",
                   "error": "unparseable JSON line", "detail": str(exc)}
            continue
        if not isinstance(obj, dict):
            yield {"id": fallback_id, "origin": origin, "format": "jsonl",
                   "error": "JSON line is not an object"}
            continue
        item = {"id": obj["id"] if obj.get("id") not in (None, "") else fallback_id,
                "origin": origin, "format": "jsonl"}
        for key in OPTIONAL_FIELDS:
            if obj.get(key) not in (None, ""):
                item[key] = _writable(obj[key] if isinstance(obj[key], str) else normalise_id(obj[key]))
        body_key = "html" if isinstance(obj.get("html"), str) and obj.get("html") else "text"
        body = obj.get(body_key)
        if not isinstance(body, str):
            item["error"] = "no text or html field"
            yield item
            continue
        body = _writable(body)
        if obj.get("id") in (None, ""):
            item["id_note"] = "no id field; id is file:line"
        if body_key == "html":
            item["format"] = "html"
        if latin1:
            item["data"] = body.encode("latin-1", errors="replace")
        else:
            item[body_key] = body
        yield item


def _writable(text: str) -> str:
    """JSON may carry lone surrogates ("\\ud800"), which UTF-8 cannot hold: U+FFFD instead."""
    return _SURROGATE.sub("\ufffd", text)


def _warc_records(source: Source) -> Iterator[dict]:
    """One item per ``response`` record. A record cut short is a reject (its id, byte offset
    and how much is missing); data that cannot be parsed from some offset on is one reject for
    the rest of the file, after the records read before it."""
    from warcio.archiveiterator import ArchiveIterator

    offset = 0
    try:
        with _open_raw(source) as fh:
            records = ArchiveIterator(fh)
            for n, record in enumerate(records):
                offset = records.offset  # where this record starts (get_record_offset() reads it)
                if record.rec_type is None or not record.format.startswith("warc"):
                    # (warcio would read a stray text line as an ARC record with a random id)
                    raise ValueError(f"no WARC record header ({record.format or 'unknown'} format)")
                if record.rec_type == "response":
                    yield _warc_item(source, n, offset, record)
            offset = records.offset
            fh.seek(offset)
            if fh.read().strip():
                raise ValueError("bytes after the last record are not a WARC record")
    except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on damaged data
        yield _damage(source, "WARC data", f"byte {offset}", exc)


def _warc_item(source: Source, n: int, offset: int, record) -> dict:
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    rec_id = headers.get_header("WARC-Record-ID") or url or f"{source.rel}#{n}"
    item = {"id": rec_id.strip("<>"), "origin": f"{source.rel}#{n}", "format": "html"}
    if url:
        item["url"] = url
    date = headers.get_header("WARC-Date")
    if date:
        item["published"] = date
    ctype = (record.http_headers.get_header("Content-Type") if record.http_headers else None) or ""
    data = record.content_stream().read()
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        item["error"] = "WARC record cut short"
        item["detail"] = f"{source.rel}@byte {offset}: the last {missing} bytes of the record are missing"
    elif ctype and "html" not in ctype.lower() and "xml" not in ctype.lower():
        item["error"] = "WARC response is not HTML"
        item["detail"] = ctype
    else:
        item["data"] = data
        if "charset=" in ctype.lower():
            item["declared_charset"] = ctype.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    return item
