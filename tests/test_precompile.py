"""The install step's kernel compilation covers what a run compiles: after
``python -m storydedup.tasks.precompile`` into an empty numba cache, a new process running the
pipeline on the bundled sample loads every kernel from that cache and compiles none."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO
from storydedup.pipeline.jit import AVAILABLE

# Runs the sample in-process and prints the kernels numba had to compile (not load from cache).
_RUN_SAMPLE = """
import sys
from numba.core import event
compiled = []
class Listener(event.Listener):
    def on_start(self, ev):
        pass
    def on_end(self, ev):
        compiled.append(ev.data["dispatcher"].py_func.__qualname__)
event.register("numba:compile", Listener())
from storydedup.tasks.cli import main
assert main(["run", "--input", sys.argv[1], "--output", sys.argv[2], "--quiet"]) == 0
print("compiled:", ",".join(sorted(set(compiled))))
"""


@pytest.mark.slow
@pytest.mark.skipif(not AVAILABLE, reason="numba not installed")
def test_a_run_after_precompile_compiles_nothing(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    first = subprocess.run([sys.executable, "-m", "storydedup.tasks.precompile"], env=env,
                           capture_output=True, text=True, check=True)
    assert "compiled and cached" in first.stdout
    assert any((tmp_path / "numba-cache").rglob("*.nbc")), "precompile wrote no cached kernel"
    run = subprocess.run([sys.executable, "-c", _RUN_SAMPLE, str(REPO / "sample"), str(tmp_path / "out")],
                         env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1] == "compiled:", run.stdout
    assert (tmp_path / "out" / "documents.jsonl").stat().st_size > 0


def test_the_precompile_corpus_holds_copies_and_reports_of_one_story():
    from storydedup.tasks.precompile import documents

    docs = documents()
    ferry = [name for name in docs if name.startswith("ferry-")]
    assert len(ferry) >= 3 and any(name.endswith(".html") for name in docs)
    assert docs["ferry-truncated.txt"] in docs["ferry-original.txt"]
