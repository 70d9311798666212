"""Acceptance runs: the bundled sample and the two seed documents, end to end."""
from __future__ import annotations

import re

import luigi
from luigi.execution_summary import LuigiStatusCode

from conftest import REPO, read_rows


def _build(inputs, out, workers=1):
    from storydedup.tasks import Publish
    from storydedup.tasks.cli import load_config

    load_config(None)
    task = Publish(inputs=[str(p) for p in inputs], output_dir=str(out), shard_size=500)
    result = luigi.build([task], local_scheduler=True, detailed_summary=True, workers=workers)
    assert result.status == LuigiStatusCode.SUCCESS, result.summary_text
    return {d["id"]: d for d in read_rows(out / "documents.jsonl")}, read_rows(out / "rejects.jsonl")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_seeds_come_out_as_their_article_bodies(seeds_dir, tmp_path):
    seeds = sorted(seeds_dir.glob("*.txt"))
    docs, rejects = _build(seeds, tmp_path / "out")
    assert not rejects and len(docs) == 2
    for path in seeds:
        accepted = {_norm(p.read_text(encoding="utf-8")) for p in (seeds_dir / "expected").glob(path.stem + "*.txt")}
        assert _norm(docs[path.name]["text"]) in accepted, path.name
    first, second = (docs[p.name] for p in seeds)
    assert first["story_cluster"] == second["story_cluster"]
    assert first["dup_cluster"] != second["dup_cluster"]


def test_sample_corpus_runs_and_groups(tmp_path):
    docs, rejects = _build([REPO / "sample"], tmp_path / "out", workers=2)
    assert {r["reason"] for r in rejects} == {"unparseable JSON line", "empty input"}
    assert len(docs) + len(rejects) == 31
    esmora = [d for i, d in docs.items() if "esmora-strike" in i and "comments" not in i] + [docs["feed-esmora-wire"]]
    assert len({d["dup_cluster"] for d in esmora}) == 1 and len(esmora) == 5
    kettleport = docs["wire/kettleport-crane-strike-northgate.txt"]
    assert kettleport["story_cluster"] != esmora[0]["story_cluster"]  # same topic, different story
    scraped = docs["scraped/kettleport-crane-strike-portnews-wpdiscuz.txt"]["text"]
    assert "Notify of" not in scraped and "Inline Feedbacks" not in scraped
    quillon = docs["scraped/quillon-thermostat-techhearth-newsletter.txt"]["text"]
    assert "subscribe to Quillon" in quillon  # a body sentence that merely mentions subscribing
