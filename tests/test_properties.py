"""Property tests: whatever the input (any JSON value as id or text, any bytes as a file, a gzip,
WARC or HTML file cut anywhere), reading finishes and every input unit is accounted for exactly
once, as a document or a reject, with unique ids that UTF-8 can hold. Most properties drive the
read stage's own loop in-process; one runs the whole pipeline."""
from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_damaged_inputs import _warc

from conftest import PAGE, OTHER, read_rows

from storydedup.pipeline.read import inputs
from storydedup.pipeline.read.items import read_units
from storydedup.pipeline.records import loads

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=6)
records = st.fixed_dictionaries({}, optional={"id": json_values, "text": json_values | st.text(min_size=1),
                                              "html": json_values, "title": json_values, "url": json_values})
lines = st.one_of(records.map(lambda r: json.dumps(r).encode()), st.binary(max_size=60).filter(lambda b: b"\n" not in b))


def read_folder(folder: Path) -> tuple[list[dict], list[dict], int]:
    """(documents, rejects, units counted in advance) of every input under ``folder``."""
    sources = inputs.discover([str(folder)])
    planned = sum(inputs.count_documents(s) for s in sources)
    docs, rejects = [], []
    for rec, kept, _ in read_units(sources):
        (docs if kept else rejects).append(rec)
    return docs, rejects, planned


def check_accounting(docs, rejects, planned, units=None):
    out = docs + rejects
    assert len(out) == planned
    if units is not None:
        assert len(out) == units
    assert sorted(r["seq"] for r in out) == list(range(len(out)))
    ids = [r["id"] for r in out]
    assert len(set(ids)) == len(ids) and all(isinstance(i, str) and i for i in ids)
    for r in out:
        json.dumps(r, ensure_ascii=False).encode("utf-8")  # what the shard writer does


@FAST
@given(st.lists(lines, max_size=8), st.booleans())
def test_any_jsonl_lines(rows, compressed):
    with tempfile.TemporaryDirectory() as tmp:
        body = b"\n".join(rows) + b"\n"
        path = Path(tmp) / ("f.jsonl.gz" if compressed else "f.jsonl")
        path.write_bytes(gzip.compress(body, mtime=0) if compressed else body)
        units = sum(1 for r in rows if r.strip()) or 1  # an empty file is one reject
        check_accounting(*read_folder(Path(tmp)), units=units)


@FAST
@given(st.binary(max_size=400), st.sampled_from([".txt", ".html", ".jsonl", ".jsonl.gz", ".warc", ".warc.gz"]))
def test_any_bytes_as_any_kind_of_file(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / f"f{suffix}").write_bytes(data)
        check_accounting(*read_folder(Path(tmp)))


GZ_FEED = gzip.compress(b"".join(json.dumps({"id": f"d{i}", "text": f"Line {i} of the feed."}).encode() + b"\n"
                                 for i in range(30)), mtime=0)
WARC, WARC_ENDS = _warc(4)


@FAST
@given(st.integers(0, len(GZ_FEED)))
def test_gzip_cut_anywhere_keeps_a_prefix(cut):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "f.jsonl.gz").write_bytes(GZ_FEED[:cut])
        docs, rejects, planned = read_folder(Path(tmp))
        check_accounting(docs, rejects, planned)
        assert [d["id"] for d in docs] == [f"d{i}" for i in range(len(docs))]
        assert len(rejects) == (cut != len(GZ_FEED))  # the damage, once


@FAST
@given(st.integers(0, len(WARC)))
def test_warc_cut_anywhere_keeps_the_whole_records(cut):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "f.warc").write_bytes(WARC[:cut])
        docs, rejects, planned = read_folder(Path(tmp))
        check_accounting(docs, rejects, planned)
        # a record is whole once its block is (the two CRLFs after it may be cut)
        assert len(docs) == sum(1 for end in WARC_ENDS if end - 4 <= cut)


HTML = PAGE.format(paras="".join(f"<p>{p}</p>" for p in OTHER.split("\n\n"))).encode()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, len(HTML)), st.integers(0, len(HTML)))
def test_html_cut_anywhere_goes_through_every_text_stage(start, stop):
    from storydedup.pipeline.decode.repair import RepairSettings, repair_record
    from storydedup.pipeline.extract.html import ExtractSettings, extract_record
    from storydedup.pipeline.read.items import read_item
    from storydedup.pipeline.records import RejectDocument
    from storydedup.pipeline.strip import StripSettings, build_template, load_rules, rule_paths

    item = {"id": "p", "format": "html", "origin": "p", "data": HTML[min(start, stop):max(start, stop)]}
    try:
        rec, _ = read_item(item)
        extract_record(rec, ExtractSettings())
        repair_record(rec, RepairSettings())
        from storydedup.pipeline.strip import strip_record

        strip_record(rec, StripSettings(), load_rules(rule_paths()), build_template([]))
    except RejectDocument:
        pass


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(records, min_size=1, max_size=6), st.binary(max_size=200))
def test_whole_run_accounts_for_every_unit(rows, junk):
    from storydedup.tasks.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        (folder / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        (folder / "junk.txt").write_bytes(junk)
        assert main(["run", "--input", str(folder), "--output", str(Path(tmp) / "out"), "--quiet"]) == 0
        docs = read_rows(Path(tmp) / "out" / "documents.jsonl")
        rejects = read_rows(Path(tmp) / "out" / "rejects.jsonl")
        ids = [r["id"] for r in docs + rejects]
        assert len(ids) == len(rows) + 1 == len(set(ids))


@FAST
@given(st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=4), max_size=5))
def test_stage_files_give_back_what_json_would(rows):
    """Stage files: what ``read_jsonl`` gives back from ``write_jsonl`` is what a json round
    trip gives (the fast writer hands values it refuses, such as integers past 64 bits, to json)."""
    from storydedup.pipeline.records import read_jsonl, write_jsonl

    rows = [r for r in rows if _json_can_write(r)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs.jsonl.gz"
        assert write_jsonl(path, rows) == len(rows)
        back = list(read_jsonl(path))
    assert _canonical(back) == _canonical([json.loads(json.dumps(r)) for r in rows])


@FAST
@given(json_values | st.just(float("nan")) | st.integers(min_value=2**64, max_value=2**70))
def test_input_lines_parse_as_json_parses_them(value):
    line = json.dumps({"id": "x", "text": value}, ensure_ascii=False)
    assert _canonical(loads(line)) == _canonical(json.loads(line))


def _json_can_write(row) -> bool:
    """Finite floats only (NaN is no JSON; json writes it, the fast writer writes null)."""
    try:
        json.dumps(row, allow_nan=False)
        return True
    except ValueError:
        return False


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
