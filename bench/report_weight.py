"""Page weight of the run report for a generated run: bytes and files of DIR/report.

    .venv/bin/python bench/report_weight.py 20000 [WORKDIR]

Generates a synthetic corpus of N documents (``synthetic_news``, with boilerplate lines added
to every third document so the strip stage has removals to report), runs the pipeline on it
into WORKDIR/run-N (reused when it is up to date), writes the report and prints its weight:
total bytes, number of files, the bytes of index.html and of each kind of page. The report's
limits (``ReportLimits``) bound the number of pages, so the weight of a larger run is the
weight of the capped parts plus the parts that grow with it (none at present: histograms and
top-N tables have a fixed size).
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_news import generate  # noqa: E402

BOILERPLATE = ["Share this article: Facebook Twitter Email", "Sign up for our newsletter",
               "Comments (3)", "Read more: related stories", "We use cookies. Accept all | Settings"]


def corpus(path: Path, n: int) -> None:
    if path.is_file():
        return
    with path.open("w", encoding="utf-8") as fh:
        for i, rec in enumerate(generate(n)):
            text = rec["text"]
            if i % 3 == 0:
                text += "\n" + "\n".join(BOILERPLATE[: 1 + i % len(BOILERPLATE)])
            fh.write(json.dumps({"id": rec["id"], "text": text, "published": rec["published"],
                                 "source": f"site{i % 40}"}) + "\n")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    work = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/storydedup-report-bench")
    work.mkdir(parents=True, exist_ok=True)
    corpus(work / f"input-{n}.jsonl", n)
    run = work / f"run-{n}"
    exe = Path(sys.executable).parent / "storydedup"
    subprocess.run([str(exe), "run", "--input", str(work / f"input-{n}.jsonl"), "--output", str(run),
                    "--quiet"], check=True)
    from storydedup.pipeline.report import write_report

    started = time.perf_counter()
    report = write_report(run).parent
    seconds = time.perf_counter() - started
    sizes: Counter = Counter()
    files: Counter = Counter()
    for path in report.rglob("*"):
        if path.is_file():
            kind = path.relative_to(report).parts[0] if len(path.relative_to(report).parts) > 1 else path.name
            sizes[kind] += path.stat().st_size
            files[kind] += 1
    print(f"{n} documents: report written in {seconds:.1f}s, {sum(sizes.values()) / 1e6:.2f} MB "
          f"in {sum(files.values())} files")
    for kind in sorted(sizes):
        print(f"  {kind:<16} {sizes[kind] / 1e3:9.1f} kB  {files[kind]:5d} files")


if __name__ == "__main__":
    main()
