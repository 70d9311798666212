"""End-to-end runs of the Luigi pipeline: accounting, idempotence, re-runs, crashes, workers."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import luigi
import pytest
from luigi.execution_summary import LuigiStatusCode

from conftest import REPO, read_rows

from storydedup.pipeline.records import read_jsonl

INPUT_DOCS = 9  # see conftest.write_corpus


def current_stages(out: Path) -> dict[str, str]:
    return json.loads((out / "_run.json").read_text())["stages"]


def test_luigi_build_reports_success(corpus, tmp_path):
    from storydedup.tasks import Publish
    from storydedup.tasks.cli import load_config

    load_config(None)
    task = Publish(inputs=[str(corpus)], output_dir=str(tmp_path / "out"), shard_size=3)
    result = luigi.build([task], local_scheduler=True, detailed_summary=True)
    assert result.status == LuigiStatusCode.SUCCESS
    assert task.complete()
    again = luigi.build([task], local_scheduler=True, detailed_summary=True)
    assert again.status == LuigiStatusCode.SUCCESS
    assert "complete ones were encountered" in again.summary_text
    assert "ran successfully" not in again.summary_text


def test_every_input_accounted_once(corpus, tmp_path, cli):
    out = tmp_path / "out"
    code, stdout, _ = cli("run", "--input", corpus, "--output", out, "--shard-size", "2")
    assert code == 0, stdout
    docs, rejects = read_rows(out / "documents.jsonl"), read_rows(out / "rejects.jsonl")
    ids = [d["id"] for d in docs] + [r["id"] for r in rejects]
    assert len(ids) == INPUT_DOCS == len(set(ids))
    reasons = {r["reason"] for r in rejects}
    assert "unparseable JSON line" in reasons and "empty input" in reasons
    by_id = {d["id"]: d for d in docs}
    assert by_id["feed-1#2"]["renamed_from"] == "feed-1"  # duplicate id kept, renamed, explained
    assert "Café" in by_id["wire/latin1.txt"]["text"]  # cp1252 bytes decoded
    assert by_id["page.html"]["text"].count("Rio Claro") >= 1 and "Copyright" not in by_id["page.html"]["text"]
    for d in docs:
        assert d["dup_cluster"] and d["story_cluster"]
    assert by_id["wire/strike.txt"]["dup_cluster"] == by_id["wire/strike-copy.txt"]["dup_cluster"]
    clusters = read_rows(out / "clusters.jsonl")
    assert {c["level"] for c in clusters} == {"duplicate", "story"}
    for level in ("duplicate", "story"):
        members = [m for c in clusters if c["level"] == level for m in c["members"]]
        assert sorted(members) == sorted(by_id)


def test_second_run_does_nothing_and_says_so(corpus, tmp_path, cli):
    out = tmp_path / "out"
    assert cli("run", "--input", corpus, "--output", out)[0] == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    code, stdout, _ = cli("run", "--input", corpus, "--output", out)
    assert code == 0 and "Nothing to do" in stdout
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*")
             if p.is_file() and p.name not in ("_run.json", ".storydedup.lock")}
    assert all(before[p] == t for p, t in after.items())


def test_changed_setting_reruns_that_stage_and_later_only(corpus, tmp_path, cli):
    out = tmp_path / "out"
    assert cli("run", "--input", corpus, "--output", out)[0] == 0
    first = current_stages(out)
    cfg = tmp_path / "changed.cfg"
    cfg.write_text("[StripBoilerplate]\ndisabled_groups = [\"newsletter\"]\n")
    assert cli("run", "--input", corpus, "--output", out, "--config", cfg)[0] == 0
    second = current_stages(out)
    for stage in ("10_read", "20_extract", "30_repair", "40_template"):
        assert first[stage] == second[stage]
    for stage in ("50_strip", "60_signatures", "70_clusters", "90_publish"):
        assert first[stage] != second[stage] and (out / first[stage]).is_dir()


def test_rerun_from_stage_recomputes_it_and_later(corpus, tmp_path, cli):
    out = tmp_path / "out"
    assert cli("run", "--input", corpus, "--output", out)[0] == 0
    stages = current_stages(out)
    marked = {}
    for s, name in stages.items():  # a marker that survives only where nothing is recomputed
        marked[s] = next(iter((out / name).glob("shard-*")), out / name) / "_marker"
        marked[s].write_text("")
    code, stdout, _ = cli("rerun", "--output", out, "--from", "strip")
    assert code == 0, stdout
    assert current_stages(out) == stages  # same settings, same directory names
    for s, name in stages.items():
        recomputed = not marked[s].exists()
        assert recomputed == (int(s[:2]) >= 50), s
    assert cli("rerun", "--output", out, "--from", "nonsense")[0] == 2


CRASH = """
import os, sys
import storydedup.tasks.base as base
from storydedup.pipeline import records
orig = records.write_jsonl
def dying(path, rows):
    n = orig(path, rows)
    if "50_strip" in str(path):
        os._exit(9)  # like SIGKILL: no cleanup, no exception handling
    return n
base.write_jsonl = dying
from storydedup.tasks.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_killed_stage_leaves_nothing_complete_and_next_run_recovers(corpus, tmp_path, cli):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", CRASH, "run", "--input", str(corpus), "--output", str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 9
    strip_dirs = [p for p in out.iterdir() if p.name.startswith("50_strip")]
    assert strip_dirs and not list(strip_dirs[0].glob("shard-*"))  # only a .tmp-* directory
    assert list(strip_dirs[0].glob(".tmp-*"))
    assert not (out / "documents.jsonl").exists() and not (out / "_run.json").exists()
    code, stdout, _ = cli("run", "--input", corpus, "--output", out)
    assert code == 0, stdout
    assert not list(out.glob("*/.tmp-*"))
    reference = tmp_path / "ref"
    assert cli("run", "--input", corpus, "--output", reference)[0] == 0
    assert (out / "documents.jsonl").read_text() == (reference / "documents.jsonl").read_text()


def test_workers_and_shard_size_do_not_change_results(corpus, tmp_path, cli):
    outputs = []
    for workers, shard in (("1", "500"), ("2", "2"), ("1", "3")):
        out = tmp_path / f"w{workers}-s{shard}"
        assert cli("run", "--input", corpus, "--output", out, "--workers", workers, "--shard-size", shard)[0] == 0
        outputs.append(tuple((out / f).read_text() for f in ("documents.jsonl", "clusters.jsonl", "rejects.jsonl")))
    # rejects carry the stage and sequence number, which do not depend on sharding either
    assert outputs[0] == outputs[1] == outputs[2]


def test_shards_cut_by_bytes_do_not_change_results(corpus, tmp_path, cli, monkeypatch):
    import storydedup.tasks.base as base
    import storydedup.tasks.read as read

    files = ("documents.jsonl", "clusters.jsonl", "rejects.jsonl")
    assert cli("run", "--input", corpus, "--output", tmp_path / "ref", "--workers", "2")[0] == 0
    for module in (base, read):
        monkeypatch.setattr(module, "SHARD_BYTES", 200)
    out = tmp_path / "small"
    assert cli("run", "--input", corpus, "--output", out, "--workers", "2")[0] == 0
    assert len(list(out.glob("10_read-*/shard-*"))) > len(list((tmp_path / "ref").glob("10_read-*/shard-*")))
    assert [(out / f).read_text() for f in files] == [(tmp_path / "ref" / f).read_text() for f in files]


def test_auto_shard_size_makes_larger_shards_only_for_large_inputs(corpus, tmp_path, cli, monkeypatch):
    import storydedup.tasks.base as base

    files = ("documents.jsonl", "clusters.jsonl", "rejects.jsonl")
    assert cli("run", "--input", corpus, "--output", tmp_path / "ref", "--shard-size", "2")[0] == 0
    auto = json.loads((tmp_path / "ref" / "_run.json").read_text())
    assert auto["shard_size"] == 2 and base.resolve_shard_size(7, [str(corpus)]) == 7
    assert base.resolve_shard_size(base.AUTO_SHARD_SIZE, [str(corpus)]) == base.DEFAULT_SHARD_SIZE  # 9 documents
    # the limits scaled down to the 9 test documents: at least 2 a shard, at most 4 a shard, and
    # at most 3 shards (3 documents a shard) or 2 shards (5 a shard: capped at 4)
    monkeypatch.setattr(base, "DEFAULT_SHARD_SIZE", 2)
    monkeypatch.setattr(base, "AUTO_MAX_DOCS", 4)
    for out, max_shards, expected in ((tmp_path / "a3", 3, 3), (tmp_path / "a2", 2, 4)):
        monkeypatch.setattr(base, "AUTO_MAX_SHARDS", max_shards)
        assert cli("run", "--input", corpus, "--output", out, "--workers", "2")[0] == 0
        assert json.loads((out / "_run.json").read_text())["shard_size"] == expected
        assert len(list(out.glob("10_read-*/shard-*"))) == -(-INPUT_DOCS // expected)
        assert [(out / f).read_text() for f in files] == [(tmp_path / "ref" / f).read_text() for f in files]
    for bad in ("0", "many"):
        with pytest.raises(SystemExit):
            cli("run", "--input", corpus, "--output", tmp_path / "bad", "--shard-size", bad)


def test_plain_luigi_command_runs_the_pipeline(corpus, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "luigi", "--module", "tasks", "Publish", "--inputs", f'["{corpus}"]',
           "--output-dir", str(out), "--local-scheduler"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "LUIGI_CONFIG_PATH": str(REPO / "config" / "storydedup.cfg")}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(read_rows(out / "documents.jsonl")) + len(read_rows(out / "rejects.jsonl")) == INPUT_DOCS


def test_inspect_and_stats_show_every_stage(corpus, tmp_path, cli):
    out = tmp_path / "out"
    assert cli("run", "--input", corpus, "--output", out)[0] == 0
    code, stdout, _ = cli("inspect", "--output", out, "wire/latin1.txt")
    assert code == 0
    for stage in ("10_read", "20_extract", "30_repair", "50_strip", "clusters"):
        assert stage in stdout
    assert '"charset"' in stdout and "Café" in stdout
    assert "-- rule file: " in stdout and "en.toml (sha256 " in stdout
    code, stdout, _ = cli("inspect", "--output", out, "feed.jsonl.gz:3")
    assert code == 0 and "rejected at 10_read: unparseable JSON line" in stdout
    code, stdout, _ = cli("stats", "--output", out)
    assert code == 0 and "90_publish" in stdout and "unparseable JSON line" in stdout
    assert cli("inspect", "--output", out, "no-such-id")[0] == 2


def test_site_template_lists_its_shards_once(corpus, tmp_path, monkeypatch):
    """Each ``input()`` of a batch stage builds the task of every shard anew (about 0.3 s for
    2,000 shards): asked once per shard, the stage's own work grew with the square of the shards."""
    from storydedup.tasks.cli import load_config
    from storydedup.tasks.stages import SiteTemplate

    calls = []
    listed = SiteTemplate.input
    monkeypatch.setattr(SiteTemplate, "input", lambda self: calls.append(1) or listed(self))
    load_config(None)
    task = SiteTemplate(inputs=[str(corpus)], output_dir=str(tmp_path / "out"), shard_size=2)
    assert luigi.build([task], local_scheduler=True, workers=1)
    assert task.n_shards > 3 and task.complete()
    assert len(calls) == 1


def test_a_shard_ends_before_it_passes_its_byte_cap(tmp_path):
    """Pages of HTML are ~50x their text: 500 of them in one shard kept one worker busy while
    the other sat idle. The plan cuts a shard at the document that would take it past the cap."""
    from storydedup.tasks.base import plan

    path = tmp_path / "in.jsonl"
    sizes = [100, 100, 100, 400, 50, 50, 900, 60]
    lines = []
    for i, size in enumerate(sizes):
        head = json.dumps({"id": f"d{i}", "text": ""})[:-2]
        lines.append(head + "x" * (size - len(head) - 3) + '"}\n')  # the line, newline included, is `size` bytes
    path.write_text("".join(lines))
    assert [len(line.encode()) for line in lines] == sizes
    assert plan((str(path),), 500, 500, "a") == (8, (0, 3, 6, 7))  # 700 > 500 at d3; d6 alone passes it
    assert plan((str(path),), 2, 500, "b") == (8, (0, 2, 4, 6, 7))  # the document count still ends one
    assert plan((str(path),), 500, 10_000, "c") == (8, (0,))


def test_extract_copies_a_shard_without_html_as_parsing_it_would_write_it(corpus, tmp_path, cli):
    out = tmp_path / "out"
    assert cli("run", "--input", corpus, "--output", out, "--shard-size", "1", "--workers", "1")[0] == 0
    read, extract = (out / current_stages(out)[s] for s in ("10_read", "20_extract"))
    copied = {}
    for shard in sorted(read.glob("shard-*")):
        stats = json.loads((shard / "_stats.json").read_text())
        if stats["html"] == 0:
            copied[shard.name] = (extract / shard.name / "docs.jsonl.gz").read_bytes()
            assert copied[shard.name] == (shard / "docs.jsonl.gz").read_bytes()
            del stats["html"]  # as a read stage that did not count them: extract parses the shard
            (shard / "_stats.json").write_text(json.dumps(stats))
        else:
            assert (extract / shard.name / "docs.jsonl.gz").read_bytes() != (shard / "docs.jsonl.gz").read_bytes()
    assert copied and len(copied) < len(list(read.glob("shard-*")))  # the HTML pages' shards are parsed
    first = {s: json.loads((extract / s / "_stats.json").read_text()) for s in copied}
    assert cli("rerun", "--output", out, "--from", "extract")[0] == 0
    for s, docs in copied.items():
        assert (extract / s / "docs.jsonl.gz").read_bytes() == docs
        again = json.loads((extract / s / "_stats.json").read_text())
        assert {**again, "seconds": 0} == {**first[s], "seconds": 0}


def test_a_shard_the_repair_stage_leaves_unchanged_is_copied_byte_for_byte(tmp_path, cli, monkeypatch):
    from storydedup.tasks.stages import RepairText

    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Harbour cranes stood idle on Tuesday.\n\nThe union said talks had broken down.")
    (corpus / "b.txt").write_text("The cafÃ© reopened on Monday after a long renovation.\n")  # mojibake
    out = tmp_path / "out"
    copied, copy = [], shutil.copyfile
    monkeypatch.setattr(shutil, "copyfile", lambda src, dst: copied.append(Path(dst).parent) or copy(src, dst))
    assert cli("run", "--input", corpus, "--output", out, "--shard-size", "1", "--workers", "1")[0] == 0
    extract, repair = (out / current_stages(out)[s] for s in ("20_extract", "30_repair"))
    by_repair = [folder.name for folder in copied if folder.parent.name == repair.name]
    assert len(by_repair) == 1 and "shard-00000" in by_repair[0]  # (its temporary folder)
    same = {s.name: (s / "docs.jsonl.gz").read_bytes() == (extract / s.name / "docs.jsonl.gz").read_bytes()
            for s in sorted(repair.glob("shard-*"))}
    assert same == {"shard-00000": True, "shard-00001": False}
    before = {p.relative_to(out): p.read_bytes() for p in repair.rglob("*.gz")}
    monkeypatch.setattr(RepairText, "unchanged_counter", None)  # every shard written record by record
    assert cli("rerun", "--output", out, "--from", "repair")[0] == 0
    assert {p.relative_to(out): p.read_bytes() for p in repair.rglob("*.gz")} == before


def test_shard_size_does_not_change_what_the_strip_model_removes(tmp_path, cli):
    """Pages long enough for the model, whose menus and footers recur across the batch: the
    model reads their recurrence from the whole batch (45_recurrence), not from the shard."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    paragraph = ("The harbour board said on {d} that the {n} ferry would run again after repairs to its "
                 "engine, and that tickets bought for the cancelled crossings would be refunded.")
    for i in range(9):
        lines = ["Home | News | Sport", "Share this story", f"Ferry {i} returns"]
        lines += [paragraph.format(d=day, n=i) for day in ("Monday", "Tuesday", "Friday", "Sunday")[: 2 + i % 3]]
        lines += ["Related: ferry timetable", f"{i + 2} comments", "Sign up for our newsletter", "© 2026 The Gazette"]
        (corpus / f"p{i}.txt").write_text("\n".join(lines), encoding="utf-8")
    runs = []
    for shard in ("2", "500"):
        out = tmp_path / f"s{shard}"
        assert cli("run", "--input", corpus, "--output", out, "--shard-size", shard, "--workers", "1")[0] == 0
        stats = json.loads(next(out.glob("45_recurrence-*/_stats.json")).read_text())
        assert stats["documents"] == 9 and stats["recurring_lines"] > 3
        # the model's scores of the removed lines, which rep_batch moves even where no decision flips
        notes = {r["id"]: r["notes"]["strip"] for f in sorted(out.glob("50_strip-*/shard-*/docs.jsonl.gz"))
                 for r in read_jsonl(f)}
        assert all(n["by"] == "model" for n in notes.values())
        runs.append(((out / "documents.jsonl").read_text(), notes))
    assert runs[0] == runs[1]
