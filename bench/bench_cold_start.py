"""Cold start: the pipeline time of the first run on the bundled sample, with and without the
install step's kernel compilation (``python -m storydedup.tasks.precompile``).

An empty numba cache stands for a fresh install (``NUMBA_CACHE_DIR`` points at a new temporary
folder, so the installed package's own cache is left alone). Prints, per case, the pipeline
seconds the run reports ("Done in ...") and the whole process's wall seconds:
  cold            first run, nothing compiled yet (kernels compile during the run)
  precompile      the install step itself
  after install   first run after the install step (target: <= 3 s of pipeline time)
  warm            a second run (for reference)
Usage: python bench/bench_cold_start.py [--workers 2] [--input sample]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "storydedup.tasks.cli"]


def timed(cmd: list[str], env: dict) -> tuple[float, float | None]:
    """(wall seconds, pipeline seconds from the run's summary line or None)."""
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    done = re.search(r"Done in ([0-9.]+)s", out.stdout + out.stderr)
    return wall, float(done.group(1)) if done else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", default=str(ROOT / "sample"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        work = Path(tmp)

        def run(name: str, cache: str) -> tuple[float, float | None]:
            env = {**os.environ, "NUMBA_CACHE_DIR": str(work / cache)}
            return timed(CLI + ["run", "--input", args.input, "--output", str(work / name),
                                "--workers", str(args.workers)], env)

        rows = [("cold (no precompile)", run("cold", "cache-cold"))]
        env = {**os.environ, "NUMBA_CACHE_DIR": str(work / "cache")}
        compile_wall, _ = timed([sys.executable, "-m", "storydedup.tasks.precompile"], env)
        rows.append(("precompile (install step)", (compile_wall, None)))
        rows.append(("first run after install", run("first", "cache")))
        rows.append(("warm (second run)", run("second", "cache")))
    print(f"input {args.input}, --workers {args.workers}, load average {os.getloadavg()[0]:.1f}")
    for name, (wall, pipeline) in rows:
        shown = f"{pipeline:5.1f} s" if pipeline is not None else "    -  "
        print(f"  {name:28s} pipeline {shown}   process wall {wall:5.1f} s")


if __name__ == "__main__":
    main()
