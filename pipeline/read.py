"""The read stage's per-document step: a raw input item becomes a record with decoded text."""
from __future__ import annotations

from .decode import decode_bytes
from .records import RejectDocument

# More than this share of U+FFFD after decoding means the bytes were not text in any charset we know.
MAX_REPLACED_SHARE = 0.2


def read_item(item: dict) -> tuple[dict, dict]:
    """Return (record, counters) or raise RejectDocument."""
    if "error" in item:
        raise RejectDocument(item["error"], item.get("detail"))
    rec = {k: v for k, v in item.items() if k not in ("data", "declared_charset")}
    counters: dict[str, int] = {}
    if "data" in item:
        is_html = item["format"] == "html"
        dec = decode_bytes(item["data"], item.get("declared_charset"), is_html=is_html)
        rec["html" if is_html else "text"] = dec.text
        rec.setdefault("notes", {})["decode"] = {
            "charset": dec.charset, "confidence": round(dec.confidence, 3),
            "method": dec.method, "replaced": dec.replaced, "bytes": len(item["data"]),
        }
        counters[f"charset:{dec.charset}"] = 1
        if dec.replaced:
            counters["replaced_chars"] = dec.replaced
        if dec.text and dec.replaced / max(len(dec.text), 1) > MAX_REPLACED_SHARE:
            raise RejectDocument(
                "undecodable: mostly invalid bytes",
                f"{dec.replaced} of {len(dec.text)} characters could not be decoded as {dec.charset}",
            )
    body = rec.get("html") if rec["format"] == "html" else rec.get("text")
    if not body or not body.strip():
        raise RejectDocument("empty input", "the document has no text")
    return rec, counters
