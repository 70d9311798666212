"""HTML -> main text via trafilatura, with every option spelled out.

trafilatura's defaults are wrong for us in two ways: ``include_comments`` is True (reader
comments are exactly what we strip) and ``deduplicate`` keeps a process-wide cache, so a page's
result would depend on which pages the same worker saw before.

Of the page's metadata only the title, canonical URL and date are read (``page_metadata``):
trafilatura's ``with_metadata`` also looks for authors, site name, categories, tags and licence,
a fifth of the extraction's time on real news pages, for fields nothing here reads.
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

    try:
        tree = trafilatura.load_html(html)
        data = page_metadata(tree, rec.get("url")) if tree is not None else {}
    except (TypeError, ValueError):  # bare_extraction discards such a page whole: so do we
        data, tree = {}, None
    doc = trafilatura.bare_extraction(
        tree,
        url=rec.get("url") or data.get("url"),  # as with_metadata would: links resolve against it
        include_comments=False,
        deduplicate=False,
        include_tables=settings.include_tables,
        include_formatting=settings.include_formatting,
        favor_precision=settings.favor_precision,
        favor_recall=settings.favor_recall,
        with_metadata=False,
        output_format="python",
    ) if tree is not None else None
    text = ((doc.text if doc is not None else "") or "").strip()
    if doc is None:
        data = {}  # no main content: the fallback text keeps no metadata, as before
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


def warm_fallbacks() -> None:
    """Build now what extraction builds on first use of its fallbacks and then keeps, so that
    forked workers share it: dateparser's per-locale tables (htmldate hands it the dates its own
    patterns do not read; its first call builds a table for each of ~200 locales, ~1.2 s, and
    a text no locale reads builds them all) and jusText's stop words of every language."""
    from htmldate.extractors import get_external_parser
    from trafilatura.external import jt_stoplist_init

    get_external_parser().get_date_data("—")
    jt_stoplist_init()


def page_metadata(tree, url: str | None) -> dict:
    """Title, canonical URL and publication date of a parsed page, found the way trafilatura's
    ``extract_metadata`` finds them (meta tags, JSON-LD, headings; htmldate's extensive search)
    and trimmed the same way, without the fields it also looks for."""
    from htmldate import find_date
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url, set_date_params

    meta = examine_meta(tree)
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # malformed JSON-LD: trafilatura also goes on with the meta tags
        pass
    meta.title = meta.title or extract_title(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.date = find_date(tree, **set_date_params(True), url=meta.url)
    meta.clean_and_trim()
    return {"title": meta.title, "url": meta.url, "date": meta.date}


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
