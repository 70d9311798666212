"""Clustering time and peak memory at 20k / 100k / 200k documents (both levels).

Signatures of a synthetic corpus (bench/synthetic_news.py: shorter ~150-word documents so the
setup stays quick; clustering cost does not depend on text length) are computed once and saved;
each size is then clustered in a fresh child process that reports its wall time and peak RSS.
Peak RSS is the child's own high-water mark (VmHWM): ``ru_maxrss`` would also carry the parent's
peak across fork/exec. A signatures file given as second argument is reused when it exists
(kept otherwise), so runs of different code can cluster the very same arrays.
Usage: python bench/bench_clustering.py [sizes, comma separated] [signatures.npz]
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np

CHILD = """
import json, resource, sys, time
import numpy as np
sys.path.insert(0, {imports!r})  # this checkout's code, not whichever storydedup is installed
from storydedup.pipeline.cluster.levels import ClusterSettings, cluster

def hwm_mb():
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
n = int(sys.argv[1])
with np.load(sys.argv[2], allow_pickle=False) as z:
    full = {{k: z[k] for k in z.files}}
from storydedup.pipeline.signatures.compute import CSR_GROUPS
offsets_of = {{p: key for key, payload in CSR_GROUPS.items() for p in payload}}
arrays = {{k: (v[:n + 1] if k in CSR_GROUPS else v[:int(full[offsets_of[k]][n])] if k in offsets_of
              else v[:n]) for k, v in full.items()}}
del full
base = hwm_mb()
start = time.perf_counter()
assignments, clusters, stats = cluster(arrays, ClusterSettings())
secs = time.perf_counter() - start
print(json.dumps({{"n": n, "seconds": secs, "peak_mb": hwm_mb(), "input_mb": base,
                  "dup_clusters": stats["dup_clusters"], "story_clusters": stats["story_clusters"],
                  "dup_candidates": stats["dup_candidates"], "story_candidates": stats["story_candidates"],
                  "dup_s": stats["seconds_duplicates"], "story_s": stats["seconds_stories"]}}))
"""


def _reusable(path: Path, n: int, fields: set[str]) -> bool:
    """The saved signatures cover ``n`` rows and hold every field the current code computes."""
    if not path.exists():
        return False
    with np.load(path, allow_pickle=False) as z:
        return set(z.files) == fields and len(z["ids"]) >= n


def main() -> None:
    from synthetic_news import generate

    from storydedup.pipeline.signatures.compute import SignatureSettings, compute_signatures, concat_shards

    sizes = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "20000,100000,200000").split(",")]
    keep = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "arrays.npz"
        s = SignatureSettings()
        fields = set(compute_signatures([{"id": "x", "text": "x"}], s))
        if not _reusable(path, max(sizes), fields):
            start = time.perf_counter()
            recs = generate(max(sizes), words=150, dup_share=0.3, seed=1)
            arrays = concat_shards([compute_signatures(recs[i:i + 20000], s) for i in range(0, len(recs), 20000)])
            del recs
            print(f"setup: {max(sizes)} docs generated and signed in {time.perf_counter() - start:.0f} s")
            np.savez(path, **arrays)
            del arrays
        first = None
        imports = Path(tmp) / "imports"  # the import name over this checkout's folders
        imports.mkdir()
        (imports / "storydedup").symlink_to(ROOT, target_is_directory=True)
        for n in sizes:
            out = subprocess.run([sys.executable, "-c", CHILD.format(imports=str(imports)), str(n), str(path)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            first = first or r
            print(f"n={n:7d} cluster {r['seconds']:6.1f} s ({r['n'] / r['seconds']:8.0f} docs/s)  "
                  f"peak RSS {r['peak_mb']:7.0f} MB (inputs loaded: {r['input_mb']:.0f} MB)  "
                  f"time x{r['seconds'] / first['seconds']:.1f} / docs x{n / first['n']:.0f} vs n={first['n']}  "
                  f"(duplicates {r['dup_s']:.1f} s, stories {r['story_s']:.1f} s)  "
                  f"dup clusters {r['dup_clusters']} story clusters {r['story_clusters']} "
                  f"candidates dup {r['dup_candidates']} story {r['story_candidates']}")
    print(f"parent peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
