"""Compile the numba kernels ahead of the first real run, into numba's on-disk cache.

Compiling every kernel takes 15-30 s of CPU, far more than the pipeline spends on a small input:
left to the first run, a new user's first try on a few dozen documents would take 20 s. Instead
the install step (``scripts/setup_env.sh``) runs ``python -m storydedup.tasks.precompile``: it
runs the pipeline, in this process, on a few generated documents (near-duplicates, reports of one
story, an HTML page) as a plain run and as two daily batches with an index, so that every kernel
is compiled with the argument types the stages pass. Later processes load the cached machine code
(numba checks it against the source files and the CPU, and recompiles only when they change).
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

_LEAD = ("Harbour officials in Lenmark said on Monday that the new ferry line to Ostvik would open "
         "in April after three years of work and a long dispute over its cost.")
_FACTS = ("The council approved 42 million crowns for the terminal, and the operator Nordlys Ferries "
          "will run six crossings a day with two electric boats built in Aalstad.")
_QUOTE = ("Mayor Ingrid Solberg told reporters that the link would cut the journey for commuters "
          "from ninety minutes to thirty-five and bring visitors to the old town.")
_OTHER = ("A rare glass frog was found in the cloud forest above Tarsel by a team of students "
          "who had been counting amphibians along the river for two seasons.")
_OTHER2 = ("The researchers said the animal, no longer than a thumbnail, had not been recorded in "
           "the region for more than forty years and asked visitors to keep to the paths.")


def documents() -> dict[str, str]:
    """File name -> content: an original, an edited and a truncated copy, a second report of the
    same story in other words, an unrelated story, a page with chrome and a comment thread (long
    enough for the strip model to judge), and an HTML page."""
    original = "\n\n".join([_LEAD, _FACTS, _QUOTE, _LEAD.replace("Monday", "Tuesday")])
    report = ("Commuters between Lenmark and Ostvik will take a ferry from April, the harbour "
              "said, after the council approved 42 million crowns for the terminal.\n\n"
              "Nordlys Ferries plans six crossings a day with two electric boats from Aalstad, "
              "and Mayor Ingrid Solberg expects more visitors in the old town.")
    paragraphs = "".join(f"<p>{p}</p>" for p in (_OTHER, _OTHER2, _OTHER))
    return {
        "ferry-original.txt": f"Ferry line to open in April\n\n{original}\n",
        "ferry-edited.txt": "Ferry to Ostvik opens in April\n\n" + original.replace("three years", "four years"),
        "ferry-truncated.txt": original[: len(original) * 2 // 3],
        "ferry-report.txt": f"Ferry link for commuters\n\n{report}\n",
        "frog.txt": f"Glass frog found above Tarsel\n\n{_OTHER}\n\n{_OTHER2}\n",
        "frog-page.txt": f"Home | News | Science\nShare this\n\n{_OTHER}\n\n{_OTHER2}\n\nMost read\nNewsletter\n"
                         "2 comments\nAnna K.\n2 hours ago\nWhat a lovely find, thanks for the report.\nReply\n",
        "frog.html": f"<html><head><title>Glass frog</title></head><body><nav>Home News</nav>"
                     f"<article><h1>Glass frog found</h1>{paragraphs}</article><footer>About</footer></body></html>",
    }


def compile_kernels(work: Path) -> None:
    """Run the pipeline on :func:`documents` inside ``work`` (a plain run with two workers, then
    two daily batches with an embedded index); raises if any run fails."""
    from storydedup.tasks.cli import main

    corpus = work / "corpus"
    corpus.mkdir()
    for name, text in documents().items():
        (corpus / name).write_text(text, encoding="utf-8")
    feed = corpus / "feed.jsonl"
    feed.write_text(json.dumps({"id": "feed-1", "title": "Ferry line", "text": _LEAD + "\n\n" + _FACTS,
                                "published": "2026-01-02"}) + "\n", encoding="utf-8")
    # two workers: the stages' warm-ups run too, and load every kernel their tasks may need,
    # also those only some documents reach (a page the strip model judges alone)
    runs = [["run", "--input", str(corpus), "--output", str(work / "run"), "--workers", "2"]]
    runs += [["run", "--input", str(corpus), "--output", str(work / "daily"), "--batch", day]
             for day in ("2026-01-02", "2026-01-03")]
    for argv in runs:
        code = main(argv + ["--quiet"])
        if code != 0:
            raise RuntimeError(f"precompile run failed with exit code {code}: storydedup {' '.join(argv)}")


def main() -> int:
    from storydedup.pipeline.jit import AVAILABLE

    if not AVAILABLE:
        print("numba is not installed: nothing to compile")
        return 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="storydedup-precompile-") as tmp:
        compile_kernels(Path(tmp))
    print(f"storydedup kernels compiled and cached in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
