"""Faults of the machine mid-run (issue 20, case 7 and 'clear errors for faults'): disk full,
permission lost, the Redis index gone. Each ends with one line and [retcode] task_failed, leaves
no half-written file in sight, and the same command run again finishes the work."""
from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest
from redis_server import _free_port, _ping
from test_daily import documents, write_days

from storydedup.tasks import base, outputs, publish

TASK_FAILED = 30


def _visible(out):
    """Every path a reader could take for a result: no temporaries, no .tmp-* leftovers."""
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if ".tmp" not in p.name)


def _fail_writes(monkeypatch, module, name, error, when):
    real = getattr(module, name)

    def failing(path, *args, **kwargs):
        if when(str(path)):
            raise OSError(error, os.strerror(error), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(module, name, failing)


@pytest.mark.parametrize("error, words, stage", [(errno.ENOSPC, "disk full", "50_strip"),
                                                 (errno.EACCES, "permission denied", "90_publish"),
                                                 (errno.ENOSPC, "disk full", "_run.json")])
@pytest.mark.parametrize("workers", ["1", "2"])  # 2: the fault happens in a long-lived worker process
def test_fault_mid_run_is_one_line_and_the_rerun_completes(tmp_path, cli, corpus, monkeypatch, error, words, stage,
                                                           workers):
    out, reference = tmp_path / "out", tmp_path / "reference"
    assert cli("run", "--input", corpus, "--output", reference)[0] == 0
    if stage == "_run.json":  # after every task finished, outside Luigi
        monkeypatch.setattr(outputs, "write_run_file", _raising(error))
    else:
        module = publish if stage == "90_publish" else base
        _fail_writes(monkeypatch, module, "write_jsonl", error, lambda p: stage in p)
    code, _, err = cli("run", "--input", corpus, "--output", out, "--workers", workers)
    assert code == TASK_FAILED
    assert _error_lines(err) == 1 and words in err and "Traceback" not in err, err
    assert not list(out.rglob(".tmp-*"))
    if stage != "_run.json":
        assert not (out / "documents.jsonl").exists()
    monkeypatch.undo()
    code, _, err = cli("run", "--input", corpus, "--output", out)
    assert code == 0, err
    for name in ("documents.jsonl", "clusters.jsonl", "rejects.jsonl"):
        assert (out / name).read_bytes() == (reference / name).read_bytes()
    assert _visible(out) == _visible(reference)


def _error_lines(err: str) -> int:
    """Lines of the error report (the rest of stderr is per-stage progress)."""
    return sum(1 for line in err.splitlines() if not line[:2].isdigit() and line.strip())


def _raising(error):
    def fail(*args, **kwargs):
        raise OSError(error, os.strerror(error), "_run.json")
    return fail


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own that saves its data on shutdown and can be restarted."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    port, data = _free_port(), tmp_path / "redis-data"
    data.mkdir()
    procs = []

    def start():
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
                                 "--save", "", "--appendonly", "no"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        while not _ping(port):
            assert proc.poll() is None
        return proc

    start()
    yield port, start
    for proc in procs:
        proc.kill()
        proc.wait()


@pytest.mark.redis
def test_redis_gone_mid_batch(tmp_path, cli, own_redis, monkeypatch):
    import redis

    from storydedup.pipeline.index import redis_store

    port, start = own_redis
    pattern = write_days(tmp_path / "scrape")
    url = f"redis://127.0.0.1:{port}/0?prefix=faults"
    root, reference = tmp_path / "root", tmp_path / "reference"
    assert cli("run", "--batch", "2026-11-19", "--input", pattern, "--output", root, "--index", url)[0] == 0
    real_install = redis_store.RedisStore._install_manifest

    def server_dies(self, manifest):  # after the commit point (journal set), before the manifest
        redis.Redis(port=port).shutdown(save=True)
        return real_install(self, manifest)

    monkeypatch.setattr(redis_store.RedisStore, "_install_manifest", server_dies)
    code, _, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root, "--index", url)
    assert code == TASK_FAILED
    assert _error_lines(err) == 1 and "index server unreachable" in err, err
    assert not (root / "batches" / "2026-11-20" / "documents.jsonl").exists()

    monkeypatch.undo()
    code, _, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root, "--index", url)
    assert code == TASK_FAILED and "index server unreachable" in err  # still down: same line
    start()
    code, _, err = cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", root, "--index", url)
    assert code == 0, err
    assert cli("run", "--batch", "2026-11-20", "--input", pattern, "--output", reference)[0] == 0
    for day in ("2026-11-19", "2026-11-20"):
        assert documents(root, day) == documents(reference, day)
