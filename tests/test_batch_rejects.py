"""A document that makes a batch stage's code raise (site template, clusters) is rejected with
reason 'stage error', like in the per-document stages; the run finishes with every other
document. The failure is injected by patching the per-document step to raise on one document."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import read_rows
from test_daily import write_days

from storydedup.pipeline.cluster import levels
from storydedup.pipeline.index import incremental
from storydedup.pipeline.isolate import failing_items
from storydedup.pipeline.strip import template

POISON = "wire/strike-copy.txt"


def accounted(out, total_inputs: int) -> tuple[dict, dict]:
    docs = {d["id"]: d for d in read_rows(out / "documents.jsonl")}
    rejects = read_rows(out / "rejects.jsonl")
    assert len(docs) + len(rejects) == total_inputs
    assert len({r["id"] for r in rejects}) == len(rejects), "one reject per document"
    return docs, {r["id"]: r for r in rejects}


def test_template_stage_rejects_the_document_it_fails_on(tmp_path, cli, corpus, monkeypatch):
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "clean")
    assert code == 0, err
    clean_docs, clean_rejects = accounted(tmp_path / "clean", 9)
    assert POISON in clean_docs
    real_site_of = template.site_of

    def site_of(rec):
        if rec["id"] == POISON:
            raise KeyError("a bug this document trips")
        return real_site_of(rec)

    monkeypatch.setattr(template, "site_of", site_of)
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out")
    assert code == 0, err
    docs, rejects = accounted(tmp_path / "out", 9)
    assert set(docs) == set(clean_docs) - {POISON}
    assert rejects[POISON]["stage"] == "40_template" and rejects[POISON]["reason"] == "stage error"
    assert "KeyError" in rejects[POISON]["detail"]
    clusters = read_rows(tmp_path / "out" / "clusters.jsonl")
    assert POISON not in {m for c in clusters for m in c["members"]}


def poison_clustering(monkeypatch, poison: str) -> None:
    real = levels.canonical_order

    def canonical_order(arrays):
        if poison in {str(i) for i in arrays["ids"]}:
            raise IndexError("a bug this document trips")
        return real(arrays)

    monkeypatch.setattr(levels, "canonical_order", canonical_order)
    monkeypatch.setattr(incremental, "canonical_order", canonical_order)


def test_cluster_stage_rejects_the_document_it_fails_on(tmp_path, cli, corpus, monkeypatch):
    poison_clustering(monkeypatch, POISON)
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out")
    assert code == 0, err
    docs, rejects = accounted(tmp_path / "out", 9)
    assert POISON not in docs and "wire/strike.txt" in docs
    assert rejects[POISON]["stage"] == "70_clusters" and rejects[POISON]["reason"] == "stage error"
    assert "IndexError" in rejects[POISON]["detail"] and rejects[POISON]["seq"] is not None
    clusters = read_rows(tmp_path / "out" / "clusters.jsonl")
    assert sorted(m for c in clusters if c["level"] == "duplicate" for m in c["members"]) == sorted(docs)


def test_daily_cluster_stage_rejects_and_commits_the_rest(tmp_path, cli, monkeypatch):
    pattern = write_days(tmp_path / "scrape")
    root = tmp_path / "root"
    assert cli("run", "--batch", "2026-11-19", "--input", pattern, "--output", root)[0] == 0
    poison_clustering(monkeypatch, "bridge.txt")
    code, _, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root)
    assert code == 0, err
    docs, rejects = accounted(root / "batches" / "2026-11-20", 2)
    assert list(docs) == ["edited.txt"] and rejects["bridge.txt"]["stage"] == "70_clusters"
    manifest = json.loads((root / "index" / "manifest.json").read_text())
    assert {day: b["size"] for day, b in manifest["batches"].items()} == {"2026-11-19": 1, "2026-11-20": 1}


def test_a_failure_no_single_document_explains_is_not_blamed_on_one():
    def probe(rows):
        if 3 in rows and 4 in rows:
            raise ValueError("needs both")

    assert failing_items(probe, np.arange(10), lambda exc: True) == {}
    assert failing_items(lambda rows: 1 / 0, np.arange(1000), lambda exc: True) == {}  # every one fails


def test_each_failing_document_is_found():
    probes = []

    def probe(rows):
        probes.append(len(rows))
        if {7, 300} & set(rows.tolist()):
            raise ValueError("bad")

    assert list(failing_items(probe, np.arange(1000), lambda exc: True)) == [7, 300]
    assert len(probes) < 60
    with pytest.raises(OSError):
        failing_items(lambda rows: (_ for _ in ()).throw(OSError("disk")), np.arange(4),
                      lambda exc: not isinstance(exc, OSError))


def test_batch_stage_directories_from_before_these_rejects_still_publish(tmp_path, cli, corpus):
    out = tmp_path / "out"
    assert cli("run", "--input", corpus, "--output", out)[0] == 0
    documents = (out / "documents.jsonl").read_text()
    old = [*out.glob("40_template-*/rejects.jsonl.gz"), *out.glob("70_clusters-*/rejects.jsonl.gz")]
    assert len(old) == 2
    for path in old:
        path.unlink()
    code, _, err = cli("rerun", "--output", out, "--from", "90")
    assert code == 0, err
    assert (out / "documents.jsonl").read_text() == documents
