"""Our own boilerplate sets (eval/strip_multilingual, eval/strip_fresh) are consistent: one label
per input line, gold body lines and leak items occur in the input, both splits in every language,
and the committed files are what build.py makes of the sources."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict

import pytest

from conftest import REPO

SETS = {"strip_multilingual": (100, 20), "strip_fresh": (36, 9)}  # at least: documents, languages
BUILD = REPO / "eval" / "strip_multilingual" / "build.py"


def _rows(folder, name):
    return {r["id"]: r for r in map(json.loads, (folder / name).read_text(encoding="utf-8").splitlines())}


@pytest.mark.parametrize("name", SETS)
def test_gold_matches_inputs_line_by_line(name):
    folder = REPO / "eval" / name
    inputs, gold = _rows(folder, "input.jsonl"), _rows(folder, "gold.jsonl")
    assert inputs.keys() == gold.keys() and len(gold) >= SETS[name][0]
    for doc_id, row in gold.items():
        lines = inputs[doc_id]["text"].split("\n")
        assert len(row["lines"]) == len(lines), doc_id
        body_lines = [line for line, label in zip(lines, row["lines"]) if label == "body"]
        assert row["body"] == "\n".join(body_lines), doc_id
        for leak in row["leak"]:
            assert leak["text"] in inputs[doc_id]["text"], (doc_id, leak)
            assert leak["text"] not in row["body"], (doc_id, leak)


@pytest.mark.parametrize("name", SETS)
def test_every_language_has_tuning_and_heldout_documents(name):
    splits = defaultdict(set)
    for row in _rows(REPO / "eval" / name, "gold.jsonl").values():
        splits[row["lang"]].add(row["split"])
    assert len(splits) >= SETS[name][1]
    assert all(s == {"tune", "heldout"} for s in splits.values()), splits


@pytest.mark.parametrize("name", SETS)
def test_committed_files_are_built_from_the_sources(name, tmp_path):
    shutil.copytree(REPO / "eval" / name / "src", tmp_path / "src")
    done = subprocess.run([sys.executable, str(BUILD), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for file in ("input.jsonl", "gold.jsonl"):
        assert (tmp_path / file).read_bytes() == (REPO / "eval" / name / file).read_bytes(), file
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert meta["set"] == tmp_path.name and meta["docs"] == len(_rows(tmp_path, "gold.jsonl"))
