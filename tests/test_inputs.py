"""Input discovery and readers: txt, html, jsonl(.gz), warc(.gz)."""
from __future__ import annotations

import gzip
import io

import pytest

from storydedup.pipeline.read import inputs


def _warc(path, gz: bool):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        pages = [("https://example.org/a", "text/html; charset=iso-8859-1", "<html><body><p>Caf\xe9 news</p></body></html>".encode("latin-1")),
                 ("https://example.org/logo.png", "image/png", b"\x89PNG...")]
        for url, ctype, body in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
        writer.write_record(writer.create_warc_record("https://example.org/a", "request", payload=io.BytesIO(b"GET /a HTTP/1.1\r\n\r\n")))


@pytest.mark.parametrize("gz", [False, True])
def test_warc_response_records_become_documents(tmp_path, gz):
    path = tmp_path / ("pages.warc.gz" if gz else "pages.warc")
    _warc(path, gz)
    [source] = inputs.discover([str(path)])
    items = list(inputs.iter_raw(source))
    assert inputs.count_documents(source) == len(items) == 2  # the request record is not a document
    html, image = items
    assert html["url"] == "https://example.org/a" and html["declared_charset"] == "iso-8859-1"
    assert html["data"].startswith(b"<html>") and html["id"].startswith("urn:uuid:")
    assert image["error"] == "WARC response is not HTML"


def test_directory_walk_is_recursive_sorted_and_skips_unknown_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("z")
    (tmp_path / "a.htm").write_text("<p>a</p>")
    (tmp_path / "notes.csv").write_text("x")
    (tmp_path / ".hidden.txt").write_text("h")
    (tmp_path / "README.md").write_text("r")
    sources = inputs.discover([str(tmp_path)])
    assert [(s.rel, s.kind) for s in sources] == [("a.htm", "html"), ("b/z.txt", "txt")]


def test_jsonl_fields_errors_and_ids(tmp_path):
    path = tmp_path / "f.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write('{"id": 7, "text": "hello", "title": "T", "published": "2026-01-02"}\n\n')
        fh.write('{"text": "no id"}\n[1, 2]\n{"id": "x"}\n{"id": "h", "html": "<p>x</p>", "url": "u"}\n')
    [source] = inputs.discover([str(path)])
    items = list(inputs.iter_raw(source))
    assert inputs.count_documents(source) == len(items) == 5
    assert items[0] == {"id": "7", "origin": "f.jsonl.gz:1", "format": "jsonl", "title": "T",
                        "published": "2026-01-02", "text": "hello"}
    assert items[1]["id"] == "f.jsonl.gz:3" and items[1]["text"] == "no id"
    assert items[2]["error"] == "JSON line is not an object"
    assert items[3]["error"] == "no text or html field"
    assert items[4]["format"] == "html" and items[4]["html"] == "<p>x</p>"


def test_non_utf8_jsonl_line_is_kept_as_bytes_for_the_decoder(tmp_path):
    path = tmp_path / "legacy.jsonl"
    path.write_bytes('{"id": "a", "text": "Stra\xdfe"}\n'.encode("latin-1"))
    [item] = inputs.iter_raw(inputs.discover([str(path)])[0])
    assert item["data"] == "Stra\xdfe".encode("latin-1")


def test_input_errors_are_explained(tmp_path):
    with pytest.raises(inputs.InputError, match="input not found"):
        inputs.discover([str(tmp_path / "missing")])
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(inputs.InputError, match="unknown file type"):
        inputs.discover([str(tmp_path / "x.pdf")])
    with pytest.raises(inputs.InputError, match="no --input"):
        inputs.discover([])


def test_inputs_that_may_hold_html(tmp_path):
    (tmp_path / "page.html").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    (tmp_path / "note.txt").write_text("x", encoding="utf-8")
    (tmp_path / "pages.jsonl").write_text('{"id": "a", "html": "<p>x</p>"}\n{"id": "b", "text": "x"}\n', encoding="utf-8")
    (tmp_path / "texts.jsonl").write_text('{"id": "a", "text": "x"}\n{"id": "b", "html": "<p>x</p>"}\n', encoding="utf-8")
    _warc(tmp_path / "crawl.warc", gz=False)
    found = {name: inputs.may_hold_html(inputs.discover([str(tmp_path / name)]))
             for name in ("page.html", "note.txt", "pages.jsonl", "texts.jsonl", "crawl.warc")}
    # a JSON Lines file is judged by its first record: a guess for the warm-up, not a rule
    assert found == {"page.html": True, "note.txt": False, "pages.jsonl": True, "texts.jsonl": False, "crawl.warc": True}
