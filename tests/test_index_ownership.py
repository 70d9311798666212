"""The embedded index deletes only what it created (issue case 1) and never resets itself when
its manifest is missing or damaged (case 2): such a folder is a one-line error (exit 2)."""
from __future__ import annotations

import json

import pytest
from test_daily import documents, history, write_days

from storydedup.pipeline.index import open_index
from storydedup.pipeline.index.store import IndexLocationError


def test_a_folder_with_other_files_is_refused_and_left_alone(tmp_path):
    folder = tmp_path / "mine"
    (folder / "notes").mkdir(parents=True)
    (folder / "todo.txt").write_text("keep me")
    (folder / "notes" / "a.md").write_text("and me")
    with pytest.raises(IndexLocationError, match="not a storydedup index"):
        open_index(str(folder))
    assert sorted(p.name for p in folder.rglob("*")) == ["a.md", "notes", "todo.txt"]


def test_an_index_deletes_only_its_own_leftovers(tmp_path):
    folder = tmp_path / "idx"
    open_index(str(folder)).close()
    (folder / "stray.txt").write_text("a user's file")
    (folder / "backup").mkdir()
    (folder / "tmp-2026-03-02.0123456789ab").mkdir()  # an interrupted generation write
    open_index(str(folder)).close()
    names = sorted(p.name for p in folder.iterdir())
    assert "stray.txt" in names and "backup" in names
    assert "tmp-2026-03-02.0123456789ab" not in names


def test_index_at_the_batch_root_is_refused_and_deletes_nothing(tmp_path, cli):
    pattern = write_days(tmp_path / "scrape")
    root = tmp_path / "root"
    assert cli("run", "--batch", "2026-11-19", "--input", pattern, "--output", root)[0] == 0
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    code, out, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root,
                         "--index", root)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "overlaps" in err
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before


def test_missing_manifest_is_an_error_not_a_reset(tmp_path, cli):
    pattern = write_days(tmp_path / "scrape")
    root = tmp_path / "root"
    assert cli("run", "--batch", "2026-11-19", "--input", pattern, "--output", root)[0] == 0
    (root / "index" / "manifest.json").unlink()
    generations = sorted(p.name for p in (root / "index").iterdir() if p.is_dir())
    code, _, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "manifest.json" in err and "restore" in err
    assert sorted(p.name for p in (root / "index").iterdir() if p.is_dir()) == generations
    assert [h["batch"] for h in history(root)] == ["2026-11-19"]


def test_truncated_manifest_is_a_one_line_error(tmp_path, cli):
    pattern = write_days(tmp_path / "scrape")
    root = tmp_path / "root"
    assert cli("run", "--batch", "2026-11-19", "--input", pattern, "--output", root)[0] == 0
    manifest = root / "index" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:20])
    code, _, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "manifest.json" in err and "Traceback" not in err


def test_an_index_made_before_the_marker_is_adopted(tmp_path, cli):
    pattern = write_days(tmp_path / "scrape")
    root = tmp_path / "root"
    assert cli("run", "--batch", "2026-11-19", "--input", pattern, "--output", root)[0] == 0
    marker = [p for p in (root / "index").iterdir() if p.name.startswith(".storydedup")]
    assert marker, "a new index carries a marker file"
    marker[0].unlink()
    code, _, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root)
    assert code == 0, err
    assert json.loads((root / "index" / "manifest.json").read_text())["batches"].keys() == {
        "2026-11-19", "2026-11-20"}
    assert documents(root, "2026-11-20")
