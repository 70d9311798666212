"""Boilerplate stripping: time per line as documents grow, for the shapes that stress it.

Each shape is a generated document (an article followed by a long comment thread, an article
whose paragraphs alternate with newsletter boxes, a long article without chrome) built at a
base size and at 4x and 16x that size. Stripping cost should grow with the number of lines, so
the printed ratio ``time(16x) / (16 * time(1x))`` stays near 1; a pass that scans the whole
document once per box or per line shows up as a ratio far above 1. Best of three runs each.
Usage: python bench/bench_strip.py [base lines, default 3000]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storydedup.pipeline.strip import StripSettings
from storydedup.pipeline.strip import rule_paths
from storydedup.pipeline.strip import load_rules
from storydedup.pipeline.strip import strip_record

PARAGRAPHS = [
    "The harbour board voted on Tuesday to raise the sea wall by forty centimetres along the ferry terminal.",
    "Engineers said the work would start in spring and take two summers, with the footpath closed in stages.",
    "Residents of the old district asked for the marsh paths to be raised at the same time, which the board will consider.",
    "The cost, about four million, will be shared between the port and the regional flood fund, officials said.",
]


def thread(lines: int) -> list[str]:
    out = ["Article headline about the sea wall", *PARAGRAPHS, "Comments"]
    for k in range(lines // 4):
        out += [f"reader{k}", f"{k % 50 + 1} minutes ago",
                f"Comment {k}: the wall by the ferry floods at every spring tide, raise it now.", "Reply"]
    return out


def boxes(lines: int) -> list[str]:
    out = ["Article headline about the sea wall"]
    for k in range(lines // 3):
        out += ["Sign up for our newsletter", "Enter your email", PARAGRAPHS[k % 4]]
    return out


def prose(lines: int) -> list[str]:
    return ["Article headline about the sea wall"] + [PARAGRAPHS[k % 4] for k in range(lines)]


def strip_seconds(text: str, rules, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        rec = {"id": "bench", "text": text, "notes": {}}
        start = time.perf_counter()
        strip_record(rec, StripSettings(), rules, {})
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    base = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rules = load_rules(rule_paths())
    print(f"{'shape':8s} {'lines':>8s} {'seconds':>9s} {'us/line':>8s}")
    for name, build in (("thread", thread), ("boxes", boxes), ("prose", prose)):
        times = {}
        for factor in (1, 4, 16):
            text = "\n".join(build(base * factor))
            times[factor] = strip_seconds(text, rules)
            n = text.count("\n") + 1
            print(f"{name:8s} {n:8d} {times[factor]:9.3f} {1e6 * times[factor] / n:8.1f}")
        print(f"{name:8s} scaling ratio time(16x) / (16 * time(1x)) = {times[16] / (16 * times[1]):.2f}")


if __name__ == "__main__":
    main()
