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
