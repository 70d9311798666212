"""A process killed (``os._exit``) in the middle of an index update leaves no half-applied state:
the next open either sees the previous state (killed before the commit point) or completes the
update (killed after it), and later days give the same result as an uninterrupted run."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import redis
from redis_server import redis_port, redis_url  # noqa: F401  (fixtures)
from test_index import DAYS, arrays, batch, canonical, run_days

from storydedup.pipeline.cluster.levels import ClusterSettings
from storydedup.pipeline.dates import day_number
from storydedup.pipeline.index import open_index
from storydedup.pipeline.signatures.compute import SignatureSettings, compute_signatures

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import os, sys
import numpy as np
sys.path[:0] = [{root!r}]
import storydedup.pipeline.index.embedded as embedded
import storydedup.pipeline.index.redis_store as redis_store
from storydedup.pipeline.cluster.levels import ClusterSettings
from storydedup.pipeline.index import open_index

location, arrays_path, batch, day, point = sys.argv[1:6]
with np.load(arrays_path, allow_pickle=False) as z:
    arrays = {{k: z[k] for k in z.files}}

def die(*args, **kwargs):
    os._exit(3)

if point == "before-manifest":  # new generation written, manifest not yet replaced
    real_replace = os.replace
    embedded.os.replace = lambda src, dst: die() if str(dst).endswith("manifest.json") else real_replace(src, dst)
elif point == "cleanup":  # manifest replaced, old generation not yet deleted
    embedded.shutil.rmtree = die
elif point == "staged":  # Redis: generation keys written, journal not yet set
    write = redis_store.RedisStore._write_generation
    def staged(self, *args):
        write(self, *args)
        die()
    redis_store.RedisStore._write_generation = staged
elif point == "mid-apply":  # Redis: journal set (the commit point), manifest not yet installed
    redis_store.RedisStore._install_manifest = die
index = open_index(location)
index.group_batch(batch, int(day), arrays, ClusterSettings(), 7)
os._exit(0)
"""


def crash(tmp_path: Path, location: str, day: int, point: str) -> None:
    path = tmp_path / f"arrays-{day}.npz"
    np.savez(path, **arrays(day))
    proc = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), location, str(path), DAYS[day],
                           str(day_number(DAYS[day])), point], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 3, proc.stderr


def finish(location: str, days) -> list:
    index = open_index(location)
    out = [index.group_batch(DAYS[d], day_number(DAYS[d]), arrays(d), ClusterSettings(), 7) for d in days]
    index.close()
    return out


def test_embedded_killed_before_commit_keeps_previous_state(tmp_path):
    location = str(tmp_path / "idx")
    run_days(location, days=(0,))[0].close()
    crash(tmp_path, location, 1, "before-manifest")
    index = open_index(location)
    assert index.batches() == [DAYS[0]]
    live = index.store.manifest()["batches"][DAYS[0]]["gen"]
    assert sorted(p.name for p in Path(location).iterdir()) == sorted([".storydedup-index", "lock", "manifest.json", live])
    index.close()
    _, clean = run_days(str(tmp_path / "clean"))
    assert [canonical(x) for x in finish(location, (1, 2))] == [canonical(x) for x in clean[1:]]


def test_embedded_killed_after_commit_keeps_new_state(tmp_path):
    location = str(tmp_path / "idx")
    index = run_days(location, days=(0,))[0]
    first = compute_signatures(batch(1)[1:], SignatureSettings())  # day 2 as first run, one document short
    index.group_batch(DAYS[1], day_number(DAYS[1]), first, ClusterSettings(), 7)
    index.close()
    crash(tmp_path, location, 1, "cleanup")  # a re-run of day 2, killed while deleting the old run
    index = open_index(location)
    assert index.batches() == list(DAYS[:2])
    assert len([p for p in Path(location).iterdir() if p.is_dir()]) == 2  # leftover generation removed
    index.close()
    _, clean = run_days(str(tmp_path / "clean"))
    assert canonical(finish(location, (2,))[0]) == canonical(clean[2])


def _generations(url: str) -> set[str]:
    prefix = url.split("prefix=")[1]
    db = redis.Redis(port=int(url.split(":")[2].split("/")[0]))
    return {k.decode()[len(prefix) + 3:].split(":", 1)[0] for k in db.scan_iter(match=f"{prefix}:g:*")}


@pytest.mark.redis
def test_redis_killed_before_journal_rolls_back(tmp_path, redis_url):  # noqa: F811
    run_days(redis_url, days=(0,))[0].close()
    crash(tmp_path, redis_url, 1, "staged")
    assert len(_generations(redis_url)) == 2  # the killed update left its staged keys
    index = open_index(redis_url)
    assert index.batches() == [DAYS[0]]
    assert _generations(redis_url) == {index.store.manifest()["batches"][DAYS[0]]["gen"]}
    index.close()
    _, clean = run_days(str(tmp_path / "clean"))
    assert [canonical(x) for x in finish(redis_url, (1, 2))] == [canonical(x) for x in clean[1:]]


@pytest.mark.redis
def test_redis_killed_mid_update_rolls_forward(tmp_path, redis_url):  # noqa: F811
    run_days(redis_url, days=(0,))[0].close()
    crash(tmp_path, redis_url, 1, "mid-apply")
    prefix = redis_url.split("prefix=")[1]
    db = redis.Redis(port=int(redis_url.split(":")[2].split("/")[0]))
    assert db.exists(f"{prefix}:journal")
    index = open_index(redis_url)
    assert not db.exists(f"{prefix}:journal")
    assert index.batches() == list(DAYS[:2])
    index.close()
    _, clean = run_days(str(tmp_path / "clean"))
    assert canonical(finish(redis_url, (2,))[0]) == canonical(clean[2])
