"""HTML -> main text via trafilatura, with every option spelled out.

trafilatura's defaults are wrong for us in two ways: ``include_comments`` is True (reader
comments are exactly what we strip) and ``deduplicate`` keeps a process-wide cache, so a page's
result would depend on which pages the same worker saw before.
"""
from __future__ import annotations

from dataclasses import dataclass

from storydedup.pipeline.records import RejectDocument


@dataclass(frozen=True)
class ExtractSettings:
    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    include_formatting: bool = False
    # When trafilatura finds no main content, fall back to all visible text of the page
    # (the text-level boilerplate stage then strips it) instead of rejecting the page.
    fallback_visible_text: bool = True


def extract_record(rec: dict, settings: ExtractSettings) -> dict:
    """Replace ``rec['html']`` by ``rec['text']``; plain-text records pass through."""
    html = rec.pop("html", None)
    if html is None:
        return {"passthrough": 1}
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        url=rec.get("url"),
        include_comments=False,
        deduplicate=False,
        include_tables=settings.include_tables,
        include_formatting=settings.include_formatting,
        favor_precision=settings.favor_precision,
        favor_recall=settings.favor_recall,
        with_metadata=True,
        output_format="python",
    )
    data = doc.as_dict() if hasattr(doc, "as_dict") else (doc or {})
    text = (data.get("text") or "").strip()
    notes = {"method": "trafilatura", "html_chars": len(html)}
    counters = {}
    if not text and settings.fallback_visible_text:
        text = visible_text(html)
        notes["method"] = "visible-text fallback"
        counters["fallback"] = 1
    if not text:
        raise RejectDocument("no main content found in HTML", f"{len(html)} characters of HTML")
    rec["text"] = text
    for key in ("title", "url", "date"):
        if data.get(key) and not rec.get("published" if key == "date" else key):
            rec["published" if key == "date" else key] = data[key]
    rec.setdefault("notes", {})["extract"] = notes
    counters["extracted"] = 1
    return counters


def visible_text(html: str) -> str:
    """All text of a page outside script/style, one block per line."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except Exception:  # lxml raises several types on hopeless markup
        return ""
    if not isinstance(tree.tag, str):  # the whole input parsed as a comment or processing instruction
        return ""
    for bad in tree.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    lines = [" ".join(t.split()) for t in tree.itertext()]
    return "\n".join(line for line in lines if line)
