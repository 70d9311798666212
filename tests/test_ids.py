"""Ids (issue 20, cases 3 and 7): any JSON value, control characters and colliding renames give
unique, printable output ids, each rename recorded; none of them fails the run."""
from __future__ import annotations

import json

from conftest import ARTICLE, OTHER, read_rows

from storydedup.pipeline.read.ids import UniqueIds, normalise_id


def test_normalise_id():
    assert normalise_id("plain") == "plain"
    assert normalise_id(7) == "7"
    assert normalise_id([1, "a"]) == '[1,"a"]'
    assert normalise_id(True) == "true"
    assert normalise_id({"b": 1, "a": None}) == '{"a":null,"b":1}'
    assert normalise_id("x\x00") == "x\\u0000"
    assert normalise_id("a\nb\ud800") == "a\\u000ab\\ud800"


def test_unique_ids_skip_real_ids_that_look_like_renames():
    ids = UniqueIds()
    assert [ids.claim(x) for x in ["x", "x", "x#2", "x", "x#2"]] == ["x", "x#2", "x#2#2", "x#3", "x#2#3"]


def test_colliding_and_odd_ids_all_come_out_unique(tmp_path, cli):
    rows = [("x", ARTICLE), ("x", OTHER), ("x#2", ARTICLE + " Again."), ("y\x00", OTHER + " Again."),
            (["l", 1], "Short text about a list id."), ({"k": True}, "Short text about a dict id."),
            (True, "Short text about a bool id."), (None, "Short text without an id.")]
    feed = tmp_path / "in" / "feed.jsonl"
    feed.parent.mkdir()
    feed.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in rows), encoding="utf-8")
    code, _, err = cli("run", "--input", feed.parent, "--output", tmp_path / "out")
    assert code == 0, err
    docs = read_rows(tmp_path / "out" / "documents.jsonl")
    rejects = read_rows(tmp_path / "out" / "rejects.jsonl")
    out_ids = [d["id"] for d in docs] + [r["id"] for r in rejects]
    assert len(out_ids) == len(rows) == len(set(out_ids))
    by_id = {d["id"]: d for d in docs}
    assert by_id["x#2"]["renamed_from"] == "x" and by_id["x#2#2"]["renamed_from"] == "x#2"
    assert "y\\u0000" in by_id
    assert {'["l",1]', '{"k":true}', "true"} <= set(out_ids)
    assert "True" not in out_ids and "['l', 1]" not in out_ids
