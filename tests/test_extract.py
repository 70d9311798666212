"""extract_record: HTML main text with reader comments excluded, fallback, reject, passthrough."""
from __future__ import annotations

import pytest

from storydedup.pipeline.extract.html import ExtractSettings, extract_record, visible_text
from storydedup.pipeline.records import RejectDocument

BODY = ("The regional orchestra will play its first concert in the restored opera house on Saturday, "
        "more than forty years after the building closed because of a leaking roof.")
PAGE = f"""<html><head><title>Orchestra returns to the opera house</title></head><body>
<nav><a href="/">Home</a> <a href="/arts">Arts</a></nav>
<article><h1>Orchestra returns to the opera house</h1>
<p>{BODY}</p>
<p>Tickets sold out within an hour, the organisers said, and a second concert has been added for Sunday afternoon so that more residents can attend.</p>
<p>The restoration was paid for by a mix of public money and donations from hundreds of former members of the audience.</p>
</article>
<section id="comments" class="comments"><h3>2 comments</h3>
<div class="comment"><p>What a wonderful evening this will be, I remember the last concert there as a child.</p></div>
</section>
<footer>Copyright 2024 Example Town News</footer>
</body></html>"""


def test_extracts_article_without_comments():
    rec = {"id": "a", "html": PAGE, "url": "https://news.example.org/arts/orchestra", "notes": {}}
    counters = extract_record(rec, ExtractSettings())
    assert "html" not in rec and counters["extracted"] == 1
    assert BODY in rec["text"]
    assert "I remember the last concert" not in rec["text"]
    assert rec["notes"]["extract"]["method"] == "trafilatura"


def test_plain_text_passes_through():
    rec = {"id": "b", "text": "plain", "notes": {}}
    assert extract_record(rec, ExtractSettings()) == {"passthrough": 1}
    assert rec["text"] == "plain"


def test_empty_page_is_rejected_without_fallback():
    rec = {"id": "c", "html": "<html><body><script>x()</script></body></html>", "notes": {}}
    with pytest.raises(RejectDocument):
        extract_record(rec, ExtractSettings(fallback_visible_text=False))


def test_visible_text_skips_scripts():
    assert visible_text("<html><body><p>Hello</p><script>var x;</script><p>World</p></body></html>") == "Hello\nWorld"


def test_a_page_that_parses_to_a_comment_has_no_visible_text():
    # found by bench/fuzz_campaign.py: lxml returns an HtmlComment as the root of such input,
    # and the visible-text fallback raised ValueError instead of rejecting the page
    assert visible_text("\x1c<!DPE html>\n<h'\"e\x00") == ""
    with pytest.raises(RejectDocument):
        extract_record({"id": "x", "format": "html", "html": "\x1c<!DPE html>\n<h'\"e\x00"}, ExtractSettings())


META_PAGE = """<html><head><title>Ferry timetable changes | Harbour Post</title>
<link rel="canonical" href="/local/ferry-timetable">
<meta property="og:url" content="https://harbour.example.net/local/ferry-timetable">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Ferry timetable changes from May",
 "datePublished": "2024-04-18T07:30:00+02:00", "author": {"@type": "Person", "name": "Ines Vidal"}}</script>
</head><body><article><h1>Ferry timetable changes</h1><time datetime="2024-04-18">18 April 2024</time>
<p>The morning ferry to the islands will leave twenty minutes earlier from the first of May, the operator said.</p>
<p>Evening crossings stay as they are, and a late boat on Fridays is being considered for the summer.</p>
</article></body></html>"""


def metadata_pages():
    """The page above, and (beside the checkout) the first real pages of the HTML evaluation set."""
    import gzip
    import json

    from conftest import SHARED

    pages = [(META_PAGE, None), (META_PAGE, "https://harbour.example.net/x"), (PAGE, None)]
    path = SHARED / "eval" / "html_boilerplate" / "input.jsonl.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            pages += [(rec["html"], rec.get("url")) for rec, _ in zip(map(json.loads, fh), range(40))]
    return pages


def test_page_metadata_is_what_trafilaturas_full_metadata_finds():
    """Title, URL and date as trafilatura's own metadata extraction gives them; a newer
    trafilatura that finds them differently fails here, not silently in the outputs."""
    from trafilatura import load_html
    from trafilatura.metadata import extract_metadata, set_date_params

    from storydedup.pipeline.extract.html import page_metadata

    for html, url in metadata_pages():
        full = extract_metadata(load_html(html), url, set_date_params(True))
        assert page_metadata(load_html(html), url) == {"title": full.title, "url": full.url, "date": full.date}
    lean = page_metadata(load_html(META_PAGE), None)
    assert lean == {"title": "Ferry timetable changes from May",
                    "url": "https://harbour.example.net/local/ferry-timetable", "date": "2024-04-18"}


def test_extracted_record_takes_title_url_and_date_from_the_page():
    rec = {"id": "m", "html": META_PAGE}
    extract_record(rec, ExtractSettings())
    assert (rec["title"], rec["url"], rec["published"]) == (
        "Ferry timetable changes from May", "https://harbour.example.net/local/ferry-timetable", "2024-04-18")
    assert "morning ferry" in rec["text"]


def test_a_page_whose_metadata_trips_falls_back_as_trafilatura_would(monkeypatch):
    """trafilatura discards a page whose metadata look-up raises TypeError or ValueError; the
    page then gets its visible text, as when no main content is found."""
    from storydedup.pipeline.extract import html as extract

    def broken(tree, url):
        raise ValueError("bad date")

    monkeypatch.setattr(extract, "page_metadata", broken)
    rec = {"id": "m", "html": META_PAGE}
    counters = extract_record(rec, ExtractSettings())
    assert counters == {"fallback": 1, "extracted": 1} and "published" not in rec
    assert rec["notes"]["extract"]["method"] == "visible-text fallback" and "morning ferry" in rec["text"]
