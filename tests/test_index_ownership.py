"""The index deletes only what it created (issue case 1) and never resets itself when its
manifest is missing or damaged (case 2): such a folder, or Redis prefix, is a one-line error
(exit 2)."""
from __future__ import annotations

import json

import pytest
from redis_server import redis_port, redis_url  # noqa: F401  (fixtures)
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


# --- Redis: the same ownership through a marker key under the index's prefix.

@pytest.mark.redis
def test_a_redis_prefix_holding_other_keys_is_refused_and_left_alone(tmp_path, cli, redis_port):  # noqa: F811
    import redis

    db = redis.Redis(port=redis_port)
    db.set("theirs:session:1", "keep me")
    db.set("theirs-story_bucket_x", "and me")  # where the index's LSH tables would be
    url = f"redis://127.0.0.1:{redis_port}/0?prefix=theirs"
    with pytest.raises(IndexLocationError, match="not a storydedup index"):
        open_index(url)
    pattern = write_days(tmp_path / "scrape")
    code, _, err = cli("run", "--batch", "2026-11-19", "--input", pattern, "--output", tmp_path / "root",
                       "--index", url)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "not a storydedup index" in err
    assert sorted(db.keys("theirs*")) == [b"theirs-story_bucket_x", b"theirs:session:1"]
    db.delete("theirs:session:1", "theirs-story_bucket_x")


@pytest.mark.redis
def test_a_redis_index_carries_a_marker_and_never_resets(redis_url):  # noqa: F811
    import redis

    from storydedup.pipeline.index.redis_store import MARKER

    prefix = redis_url.rsplit("prefix=", 1)[1]
    db = redis.Redis(port=int(redis_url.split(":")[2].split("/")[0]))
    open_index(redis_url).close()
    assert db.get(f"{prefix}:marker") == MARKER
    open_index(redis_url).close()  # its own keys are no reason to refuse it
    db.delete(f"{prefix}:marker")  # an index made before the marker: adopted, marker added
    open_index(redis_url).close()
    assert db.get(f"{prefix}:marker") == MARKER
    db.set(f"{prefix}:manifest", b"{\"batch")
    with pytest.raises(IndexLocationError, match="manifest unreadable"):
        open_index(redis_url)
    db.delete(f"{prefix}:manifest")
    with pytest.raises(IndexLocationError, match="manifest missing"):
        open_index(redis_url)
    assert db.get(f"{prefix}:marker") == MARKER
