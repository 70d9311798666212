"""Damaged and empty inputs stay per unit (issue 20, cases 4 and 5): a bad file, gzip stream or
WARC record is one reject with its location, what was read before the damage is kept, and a
run whose every input is rejected succeeds with empty documents."""
from __future__ import annotations

import gzip
import io
import json

from conftest import ARTICLE, OTHER, read_rows

from storydedup.pipeline.read import inputs


def _feed(n: int) -> bytes:
    return "".join(json.dumps({"id": f"d{i}", "text": f"Item {i}. " + ARTICLE}) + "\n"
                   for i in range(n)).encode()


def _warc(n: int) -> tuple[bytes, list[int]]:
    """``n`` HTML response records; also the byte offset where each record ends."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out, ends = io.BytesIO(), []
    writer = WARCWriter(out, gzip=False)
    for i in range(n):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        body = f"<html><body><p>Page {i}. {OTHER}</p></body></html>".encode()
        writer.write_record(writer.create_warc_record(f"https://example.org/{i}", "response",
                                                      payload=io.BytesIO(body), http_headers=headers))
        ends.append(out.tell())
    return out.getvalue(), ends


def test_all_inputs_rejected_is_a_successful_empty_run(tmp_path, cli):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "zero.jsonl").write_bytes(b"")
    code, _, err = cli("run", "--input", folder, "--output", tmp_path / "out")
    assert code == 0, err
    assert (tmp_path / "out" / "documents.jsonl").read_text() == ""
    rejects = {r["id"]: r for r in read_rows(tmp_path / "out" / "rejects.jsonl")}
    assert rejects["empty.txt"]["reason"] == "empty input"
    assert rejects["zero.jsonl"]["reason"] == "empty file"


def test_all_rejected_daily_batch_succeeds(tmp_path, cli):
    (tmp_path / "in" / "2026-11-19").mkdir(parents=True)
    (tmp_path / "in" / "2026-11-19" / "empty.txt").write_bytes(b"")
    code, _, err = cli("run", "--batch", "2026-11-19", "--input", tmp_path / "in" / "{date}",
                       "--output", tmp_path / "root")
    assert code == 0, err
    assert (tmp_path / "root" / "batches" / "2026-11-19" / "documents.jsonl").read_text() == ""


def test_damaged_gzip_keeps_the_lines_before_the_damage_and_the_other_inputs(tmp_path, cli):
    folder = tmp_path / "in"
    folder.mkdir()
    whole = gzip.compress(_feed(40), mtime=0)
    (folder / "cut.jsonl.gz").write_bytes(whole[: len(whole) * 2 // 3])
    (folder / "plain.jsonl.gz").write_bytes(_feed(2))  # not gzip at all
    (folder / "good.txt").write_text("Bridge opens\n\n" + OTHER)
    code, _, err = cli("run", "--input", folder, "--output", tmp_path / "out")
    assert code == 0, err
    docs = {d["id"] for d in read_rows(tmp_path / "out" / "documents.jsonl")}
    rejects = read_rows(tmp_path / "out" / "rejects.jsonl")
    assert "good.txt" in docs
    kept = sorted(int(d[1:]) for d in docs if d.startswith("d"))
    assert kept and kept == list(range(len(kept))) and len(kept) < 40  # a prefix survives
    damaged = {r["origin"].split("@")[0]: r for r in rejects if r["reason"] == "damaged gzip stream"}
    assert set(damaged) == {"cut.jsonl.gz", "plain.jsonl.gz"}
    assert f"line {len(kept) + 1}" in damaged["cut.jsonl.gz"]["detail"]
    assert "line 1 " in damaged["plain.jsonl.gz"]["detail"]


def test_warc_cut_mid_record_rejects_that_record_with_its_offset(tmp_path):
    data, ends = _warc(3)
    path = tmp_path / "cut.warc"
    path.write_bytes(data[: ends[1] + (ends[2] - ends[1]) // 2 + 40])
    [source] = inputs.discover([str(path)])
    items = list(inputs.iter_raw(source))
    assert inputs.count_documents(source) == len(items) == 3
    assert [bool(i.get("data")) for i in items] == [True, True, False]
    assert items[2]["error"] in ("WARC record cut short", "damaged WARC data")
    assert f"byte {ends[1]}" in items[2]["detail"]


def test_bytes_that_are_not_a_warc_are_one_reject(tmp_path):
    path = tmp_path / "junk.warc.gz"
    path.write_bytes(b"\x1f\x8b\x08 not really gzip, not a warc")
    [item] = inputs.iter_raw(inputs.discover([str(path)])[0])
    assert item["error"] == "damaged WARC data" and "junk.warc.gz" in item["detail"]


def test_a_stage_that_raises_on_one_document_rejects_only_that_document(tmp_path, cli, corpus, monkeypatch):
    from storydedup.pipeline import strip
    from storydedup.tasks import stages

    real = strip.strip_record

    def trips_on_the_page(rec, *args):
        if rec["id"] == "page.html":
            raise ValueError("a bug this document found")
        return real(rec, *args)

    monkeypatch.setattr(stages.strip, "strip_record", trips_on_the_page)
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out")
    assert code == 0, err
    [reject] = [r for r in read_rows(tmp_path / "out" / "rejects.jsonl") if r["id"] == "page.html"]
    assert reject["stage"] == "50_strip" and reject["reason"] == "stage error"
    assert reject["detail"] == "ValueError: a bug this document found"
    assert "page.html" not in {d["id"] for d in read_rows(tmp_path / "out" / "documents.jsonl")}


def test_a_charset_label_with_a_nul_is_ignored(tmp_path):
    """Found by bench/fuzz_campaign.py: codecs.lookup raises ValueError on a NUL."""
    from storydedup.pipeline.decode.charset import normalise_charset
    from storydedup.pipeline.read.items import read_item

    assert normalise_charset("utf\x00-8") is None
    rec, _ = read_item({"id": "w", "format": "html", "origin": "w", "data": b"<p>Hello there</p>",
                        "declared_charset": "utf\x00-8"})
    assert "Hello there" in rec["html"]


def test_a_url_that_does_not_parse_has_no_site():
    """Found by test_properties: urlsplit raises ValueError on 'http://[x', which failed the
    template stage for the whole run."""
    from storydedup.pipeline.strip.template import site_of

    assert site_of({"url": "http://[x"}) is None
    assert site_of({"url": "https://www.example.org/a"}) == "example.org"
