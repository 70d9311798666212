"""The read stage's per-document step: a raw input item becomes a record with decoded text."""
from __future__ import annotations

import re

from typing import Iterator

from storydedup.pipeline.decode.charset import decode_bytes
from storydedup.pipeline.read import inputs
from storydedup.pipeline.read.ids import UniqueIds
from storydedup.pipeline.records import RejectDocument, reject_record

# Above these shares the bytes were not text in any charset we know (a binary file, a broken
# download): undecodable bytes, or control characters other than whitespace, which real text
# of any language has next to none of, while random bytes give about one in eight.
MAX_REPLACED_SHARE = 0.2
MAX_CONTROL_SHARE = 0.05
# Reject reason of a unit on which a stage's code raised (a bug to report, not bad input).
STAGE_ERROR = "stage error"
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def garbage_reason(text: str, replaced: int) -> str | None:
    """Why decoded ``text`` is not text, or None if it is."""
    if not text:
        return None
    if replaced / len(text) > MAX_REPLACED_SHARE:
        return f"{replaced} of {len(text)} characters are undecodable bytes"
    controls = len(_CONTROL.findall(text))
    if controls / len(text) > MAX_CONTROL_SHARE:
        return f"{controls} of {len(text)} characters are control characters (binary data?)"
    return None


def read_item(item: dict) -> tuple[dict, dict]:
    """Return (record, counters) or raise RejectDocument.

    Items with ``data`` bytes are decoded (see ``pipeline.decode.charset``); what was decided goes to
    ``rec["notes"]["decode"]``. JSONL items arrive decoded and keep their text as is.
    """
    if "error" in item:
        raise RejectDocument(item["error"], item.get("detail"))
    rec = {k: v for k, v in item.items() if k not in ("data", "declared_charset")}
    counters: dict[str, int] = {}
    if "data" in item:
        is_html = item["format"] == "html"
        dec = decode_bytes(item["data"], item.get("declared_charset"), is_html=is_html)
        rec["html" if is_html else "text"] = dec.text
        note = {"charset": dec.charset, "confidence": round(dec.confidence, 3),
                "method": dec.method, "replaced": dec.replaced, "bytes": len(item["data"])}
        if item.get("declared_charset"):
            note["declared"] = item["declared_charset"]
        rec.setdefault("notes", {})["decode"] = note
        counters[f"charset:{dec.charset}"] = 1
        counters[f"decode:{dec.method}"] = 1
        if dec.replaced:
            counters["replaced_chars"] = dec.replaced
            counters["docs_with_replaced_chars"] = 1
        reason = garbage_reason(dec.text, dec.replaced)
        if reason:
            raise RejectDocument("undecodable: mostly invalid bytes",
                                 f"{reason}; read as {dec.charset} ({dec.method})")
    body = rec.get("html") if rec["format"] == "html" else rec.get("text")
    if not body or not body.strip():
        raise RejectDocument("empty input", "the document has no text")
    return rec, counters


def read_units(sources: list[inputs.Source], stage: str = "10_read") -> Iterator[tuple[dict, bool, dict]]:
    """Every unit of ``sources`` in order, as (record, kept, counters): a decoded record
    (``kept``) or its reject record, each with a unique id and its ``seq`` number, so every unit
    is accounted for exactly once. Ids that repeat get the next free ``#n`` (``renamed_from``)."""
    ids = UniqueIds()
    seq = 0
    for source in sources:
        for item in inputs.iter_raw(source):
            counters: dict[str, int] = {}
            wanted = item["id"]
            item["id"] = ids.claim(wanted)
            if item["id"] != wanted:
                item["renamed_from"] = wanted
                counters["renamed_duplicate_id"] = 1
            try:
                rec, decoded = read_item(item)
                rec["seq"] = seq
                yield rec, True, {**counters, **decoded}
            except RejectDocument as exc:
                yield reject_record(item["id"], stage, exc.reason, exc.detail, seq=seq,
                                    origin=item.get("origin")), False, counters
            except (OSError, MemoryError):
                raise  # the machine, not this unit: the run stops and says so
            except Exception as exc:  # one unit that trips the decoder must not fail the run
                yield reject_record(item["id"], stage, STAGE_ERROR, f"{type(exc).__name__}: {exc}", seq=seq,
                                    origin=item.get("origin")), False, counters
            seq += 1
