"""Throughput of the learned strip on one core: documents per second, split by part.

Reads an evaluation set's inputs (e.g. ../shared/eval/text_boilerplate) and times, in shards of
500 documents: the model alone (features, both stages, decisions, explanations) and the
heuristic stripper whose decisions the shipped model reads (``classify``, today's stripper), and the
shipped strip as a whole. Also on "news-size"
documents: each input cut to 45 non-empty lines around its longest line (about a 700-word
article with its nearest chrome), the size the speed target is stated for.
Each part is timed ROUNDS times (each from a fresh start) and the fastest round is reported:
other work on the machine only ever adds time, so the minimum is the least disturbed figure.
Usage: python bench/bench_strip_model.py SET_DIR [ROUNDS]  (default 3)
"""
from __future__ import annotations

import gzip
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from storydedup.pipeline.strip import StripSettings, build_template, load_rules, rule_paths  # noqa: E402
from storydedup.pipeline.strip import lines as strip_lines  # noqa: E402
from storydedup.pipeline.strip.model import decide_batch, load_model, packaged_model  # noqa: E402
from storydedup.pipeline.strip.model.heuristics import old_reasons  # noqa: E402


def read_texts(folder: str) -> list[str]:
    path = Path(folder) / "input.jsonl.gz"
    opener = gzip.open if path.exists() else open
    path = path if path.exists() else Path(folder) / "input.jsonl"
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line).get("text") or "" for line in fh if line.strip()]


def news_size(text: str, n: int = 45) -> str:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    longest = max(range(len(lines)), key=lambda i: len(lines[i]), default=0)
    start = max(0, min(longest - n // 3, len(lines) - n))
    return "\n".join(lines[start:start + n])


def timed(fn, shards: list, rounds: int, scan) -> tuple[float, list]:
    """The fastest of ``rounds`` runs of ``fn`` over ``shards`` (CPU seconds), and its output."""
    best, out = float("inf"), None
    for _ in range(rounds):
        strip_lines._split.cache_clear()  # each round splits and matches lines afresh, as a new shard does
        strip_lines._text_lines.cache_clear()
        RULES.forget()
        scan.cache.clear()
        t = time.process_time()  # CPU time of this process: per-core throughput, whatever else runs
        out = [fn(shard) for shard in shards]
        best = min(best, time.process_time() - t)
    return best, out


RULES = load_rules(rule_paths())


def main(folder: str, rounds: int = 3) -> None:
    settings, rules = StripSettings(), RULES
    model, scan = load_model(packaged_model(), rule_paths())
    for name, texts in (("inputs", read_texts(folder)), ("news-size", [news_size(t) for t in read_texts(folder)])):
        decide_batch([{"id": "w", "text": texts[0]}], model, scan, settings, rules, {})  # warm-up: tables
        lines = sum(1 for t in texts for ln in t.split("\n") if ln.strip())
        words = sum(len(t.split()) for t in texts)
        shards = [[{"id": str(k), "text": x} for k, x in enumerate(texts[i:i + 500])] for i in range(0, len(texts), 500)]
        t_old, heur = timed(lambda recs: old_reasons(recs, settings, rules, build_template(recs)), shards, rounds, scan)
        # the model's own part: features, both stages, decisions, explanations (the heuristics' reasons given)
        t_model, _ = timed(lambda k: decide_batch(shards[k], model, scan, settings, rules, {}, heuristics=heur[k]),
                           range(len(shards)), rounds, scan)
        t_ship, _ = timed(lambda recs: decide_batch(recs, model, scan, settings, rules, build_template(recs)), shards,
                          rounds, scan)
        print(json.dumps({"documents": name, "docs": len(texts), "lines_per_doc": round(lines / len(texts), 1),
                          "words_per_doc": round(words / len(texts)),
                          "model_docs_per_s": round(len(texts) / t_model, 1),
                          "heuristics_docs_per_s": round(len(texts) / t_old, 1),
                          "shipped_docs_per_s": round(len(texts) / t_ship, 1)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
