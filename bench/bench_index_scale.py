"""Daily incremental grouping cost as the index history grows (embedded backend by default).

The index is filled directly with synthetic per-document arrays (numpy, deterministic; no text):
each day has ``--docs`` documents, of which 20% are near-duplicate copies (10% of MinHash slots
changed) and 10% differently worded reports of a story started in the last four days, the rest
unrelated. History days are written straight into the store with their true labels; then one
new day is grouped by ``Index.group_batch`` in a fresh child process at history sizes 0 (empty
index: the one-batch baseline), 1, 10 and 30 days, reporting wall time, peak RSS (ru_maxrss)
and how many stored documents were read as candidates. Ratios are against the empty index.
Usage: python bench/bench_index_scale.py [--docs 50000] [--history 1,10,30] [--redis URL]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np

from storydedup.pipeline.cluster.candidates import lsh_params
from storydedup.pipeline.cluster.levels import ClusterSettings
from storydedup.pipeline.dates import day_number
from storydedup.pipeline.index import open_index
from storydedup.pipeline.index.store import new_generation
from storydedup.pipeline.signatures.minhash import batch_minhash

SEED, TERMS, STORY_TERMS, NEW_STORIES = 7, 60, 80, 500
LINES = 12
START = date(2026, 1, 1)

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from bench_index_scale import batch_name, day_arrays
from storydedup.pipeline.cluster.levels import ClusterSettings
from storydedup.pipeline.dates import day_number
from storydedup.pipeline.index import open_index
location, day, docs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
arrays = {{k: v for k, v in day_arrays(day, docs).items() if not k.startswith("_")}}
index = open_index(location)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
_, clusters, stats = index.group_batch(batch_name(day), day_number(batch_name(day)), arrays, ClusterSettings(), 60)
secs = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": secs, "peak_mb": peak / 1024, "input_mb": base / 1024, **stats}}))
"""


def batch_name(day: int, start: date = START) -> str:
    return (start + timedelta(days=day)).isoformat()


def _story_rows(stories: np.ndarray, seed_base: int, width: int, dtype) -> np.ndarray:
    """One deterministic random row per story number (the story's 'original')."""
    uniq, inv = np.unique(stories, return_inverse=True)
    rows = np.stack([np.random.default_rng([SEED, seed_base, int(s)]).integers(0, 2**32 if dtype == np.uint32 else 2**63,
                                                                               width, dtype=dtype)
                     for s in uniq]) if len(uniq) else np.zeros((0, width), dtype=dtype)
    return rows[inv]


def day_arrays(day: int, n: int, start: date = START) -> dict[str, np.ndarray]:
    """Signature arrays of one synthetic day (same shapes/dtypes as ``compute_signatures``)."""
    rng = np.random.default_rng([SEED, day])
    kind = rng.random(n)
    copy, report = kind < 0.2, (kind >= 0.2) & (kind < 0.3)
    story = (day - rng.integers(0, 4, n)).clip(0) * NEW_STORIES + rng.integers(0, NEW_STORIES, n)
    dup_sig = rng.integers(0, 2**32, (n, 128), dtype=np.uint32)
    base = _story_rows(story[copy], 1, 128, np.uint32)
    keep = rng.random(base.shape) >= 0.1
    dup_sig[copy] = np.where(keep, base, dup_sig[copy])
    terms = rng.integers(1, 2**63, (n, TERMS), dtype=np.uint64)
    told = copy | report
    story_terms = _story_rows(story[told], 2, STORY_TERMS, np.uint64)
    pick = np.argsort(rng.random((int(told.sum()), STORY_TERMS)), axis=1)[:, :50]
    terms[told, :50] = np.take_along_axis(story_terms, pick, axis=1)
    weights = rng.uniform(0.5, 1.0, (n, TERMS)).astype(np.float32)
    weights[told, :50] += 1.0  # the story's own words weigh most
    top = np.argsort(-weights, axis=1)[:, :20]
    lsh_hashes = (np.take_along_axis(terms, top, axis=1) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    story_sig, _ = batch_minhash(lsh_hashes.reshape(-1), np.arange(n + 1, dtype=np.int64) * 20, 256, 1)
    order = np.argsort(terms, axis=1)
    terms = np.take_along_axis(terms, order, axis=1)
    weights = np.take_along_axis(weights, order, axis=1)
    weights /= np.linalg.norm(weights, axis=1, keepdims=True)
    day_no = day_number(batch_name(day, start))
    return {
        "ids": np.array([f"d{day:03d}-{i:06d}" for i in range(n)], dtype=str),
        "dup_sig": dup_sig, "dup_size": rng.integers(50, 1000, n).astype(np.int32),
        "length": rng.integers(500, 8000, n).astype(np.int64),
        "day": np.where(rng.random(n) < 0.03, -1, day_no).astype(np.int32),
        "story_sig": story_sig, "story_terms": terms.reshape(-1), "story_weights": weights.reshape(-1),
        "story_offsets": np.arange(n + 1, dtype=np.int64) * TERMS,
        # per-line hashes of ~12 prose lines a document (the template checks' input)
        "line_hashes": rng.integers(1, 2**63, n * LINES, dtype=np.uint64),
        "line_words": rng.integers(7, 40, n * LINES).astype(np.int32),
        "line_offsets": np.arange(n + 1, dtype=np.int64) * LINES,
        "_story": story, "_copy": copy, "_told": told,
    }


def fill_day(index, day: int, n: int, start: date = START) -> None:
    """Write one history day straight into the store, labelled with the generator's truth."""
    a = day_arrays(day, n, start)
    batch, day_no = batch_name(day, start), day_number(batch_name(day, start))
    own = np.char.add(f"{batch}/", a["ids"])
    payload = {k: v for k, v in a.items() if not k.startswith("_")}
    payload["eff_day"] = np.where(a["day"] >= 0, a["day"], day_no).astype(np.int32)
    tag = np.char.add("s", a["_story"].astype(str))
    payload["dup_label"] = np.where(a["_copy"], np.char.add("dup-", tag), np.char.add("dup-", own))
    payload["story_label"] = np.where(a["_told"], np.char.add("story-", tag), np.char.add("story-", own))
    man = index.store.manifest()
    s = ClusterSettings()
    man["lsh"] = {"duplicate": list(lsh_params(s.dup_lsh_threshold, 128)),
                  "story": list(lsh_params(s.story_lsh_threshold, 256))}
    gen, seq = new_generation(batch), man.get("seq", 0)
    man["seq"] = seq + 1
    man["batches"][batch] = {"gen": gen, "day": day_no, "size": n, "seq": seq + 1}
    index.store.commit(man, gen, payload, [], seq)


def measure(location: str, day: int, docs: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), bench=str(ROOT / "bench")),
                          location, str(day), str(docs)], capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--history", default="1,10,30")
    parser.add_argument("--redis", default="", help="redis://host:port/db?prefix=name instead of a directory")
    args = parser.parse_args()
    targets = [0] + [int(x) for x in args.history.split(",")]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            location = args.redis or str(Path(tmp) / "index")
            filled, base = 0, None
            for history in targets:
                index = open_index(location)
                start = time.perf_counter()
                while filled < history:
                    fill_day(index, filled, args.docs)
                    filled += 1
                    print(f"  filled day {filled}/{history} ({time.perf_counter() - start:.0f} s)", flush=True)
                index.close()
                os.sync()  # the fill's writes must not be flushed during the measured update
                if history == 0:  # baseline on an empty index elsewhere, so the history stays intact
                    r = measure(str(Path(tmp) / "empty") if not args.redis else location + "-empty", 0, args.docs)
                else:
                    r = measure(location, filled, args.docs)
                    filled += 1  # the measured day is now part of the history
                base = base or r
                print(f"history {history:3d} days ({r['index_documents'] - r['documents']:8d} docs): "
                      f"group {args.docs} new in {r['seconds']:6.1f} s (x{r['seconds'] / base['seconds']:.2f}, "
                      f"{args.docs / r['seconds']:.0f} docs/s)  "
                      f"peak RSS {r['peak_mb']:6.0f} MB (x{r['peak_mb'] / base['peak_mb']:.2f})  "
                      f"candidates read {r['candidate_old_documents']}  extended dup {r['extended_dup_clusters']} "
                      f"stories {r['extended_stories']}  new stories {r['new_stories']}  phases (s): candidates "
                      f"{r['seconds_candidates']} links {r['seconds_links']} output {r['seconds_output']} "
                      f"commit {r['seconds_commit']}", flush=True)
    finally:
        if args.redis:
            drop_redis_index(args.redis)


def drop_redis_index(location: str) -> None:
    """Remove every key the benchmark created under its prefix (and the baseline's)."""
    index = open_index(location)
    db, prefix = index.store.db, index.store.prefix
    for key in list(db.scan_iter(match=f"{prefix}*", count=10_000)):
        db.delete(key)
    index.close()


if __name__ == "__main__":
    main()
