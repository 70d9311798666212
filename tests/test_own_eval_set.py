"""Our own multilingual boilerplate set (eval/strip_multilingual) is consistent: one label per
input line, gold body lines and leak items occur in the input, both splits in every language."""
from __future__ import annotations

import json
from collections import defaultdict

from conftest import REPO

SET = REPO / "eval" / "strip_multilingual"


def _rows(name):
    return {r["id"]: r for r in map(json.loads, (SET / name).read_text(encoding="utf-8").splitlines())}


def test_gold_matches_inputs_line_by_line():
    inputs, gold = _rows("input.jsonl"), _rows("gold.jsonl")
    assert inputs.keys() == gold.keys() and len(gold) >= 100
    for doc_id, row in gold.items():
        lines = inputs[doc_id]["text"].split("\n")
        assert len(row["lines"]) == len(lines), doc_id
        body_lines = [line for line, label in zip(lines, row["lines"]) if label == "body"]
        assert row["body"] == "\n".join(body_lines), doc_id
        for leak in row["leak"]:
            assert leak["text"] in inputs[doc_id]["text"], (doc_id, leak)
            assert leak["text"] not in row["body"], (doc_id, leak)


def test_every_language_has_tuning_and_heldout_documents():
    splits = defaultdict(set)
    for row in _rows("gold.jsonl").values():
        splits[row["lang"]].add(row["split"])
    assert len(splits) >= 20
    assert all(s == {"tune", "heldout"} for s in splits.values()), splits
