"""The read stage's per-document step: a raw input item becomes a record with decoded text."""
from __future__ import annotations

import re

from .decode import decode_bytes
from .records import RejectDocument

# Above this share of garbage characters (undecodable bytes and control characters other than
# whitespace) the bytes were not text in any charset we know: a binary file, a broken download.
MAX_GARBAGE_SHARE = 0.2
_GARBAGE = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f\x7f]")


def garbage_share(text: str) -> float:
    """Share of characters that cannot be part of real text."""
    return len(_GARBAGE.findall(text)) / len(text) if text else 0.0


def read_item(item: dict) -> tuple[dict, dict]:
    """Return (record, counters) or raise RejectDocument.

    Items with ``data`` bytes are decoded (see ``pipeline.decode``); what was decided goes to
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
        share = garbage_share(dec.text)
        if share > MAX_GARBAGE_SHARE:
            raise RejectDocument(
                "undecodable: mostly invalid bytes",
                f"{share:.0%} of {len(dec.text)} characters are undecodable bytes or control "
                f"characters (read as {dec.charset}, {dec.method})",
            )
    body = rec.get("html") if rec["format"] == "html" else rec.get("text")
    if not body or not body.strip():
        raise RejectDocument("empty input", "the document has no text")
    return rec, counters
