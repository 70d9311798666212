"""Do two installs group the same documents identically? (speed work must not change results)

Runs ``compute_signatures`` (shards of 500) and ``cluster`` with each interpreter (a venv with one
checkout installed, e.g. ``pip install -e``) in its own child process on the same records, then compares every signature array, every assignment
and the clustering counters. Records come from ``documents.jsonl`` files (e.g. the output of
``storydedup evaluate``): fields id, text, title, published.
Usage: python bench/compare_grouping.py OLD_VENV/bin/python NEW_VENV/bin/python documents.jsonl [...]
"""
from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = """
import json, pickle, sys
from storydedup.pipeline.signatures.compute import SignatureSettings, compute_signatures, concat_shards
from storydedup.pipeline.cluster.levels import ClusterSettings, cluster
out = {}
for path in sys.argv[3:]:
    with open(path, encoding="utf-8") as f:
        recs = [json.loads(line) for line in f]
    recs = [{k: r.get(k) for k in ("id", "text", "title", "published")} for r in recs]
    s = SignatureSettings()
    arrays = concat_shards([compute_signatures(recs[i:i + 500], s) for i in range(0, len(recs), 500)])
    assignments, _, stats = cluster(arrays, ClusterSettings())
    out[path] = (arrays, assignments, {k: v for k, v in stats.items() if not k.startswith("seconds")})
with open(sys.argv[2], "wb") as f:
    pickle.dump(out, f)
"""


def run(python: str, files: list[str], dest: Path) -> dict:
    subprocess.run([python, "-c", CHILD, "-", str(dest), *files], check=True)
    with open(dest, "rb") as f:
        return pickle.load(f)


def main() -> None:
    old_root, new_root, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    with tempfile.TemporaryDirectory() as tmp:
        old, new = run(old_root, files, Path(tmp) / "old.pkl"), run(new_root, files, Path(tmp) / "new.pkl")
    same_everywhere = True
    for path in files:
        (a_arr, a_asg, a_st), (b_arr, b_asg, b_st) = old[path], new[path]
        arrays = a_arr.keys() == b_arr.keys() and all(np.array_equal(a_arr[k], b_arr[k]) for k in a_arr)
        same = arrays and a_asg == b_asg and a_st == b_st
        same_everywhere &= same
        print(f"{path}: {len(a_asg)} docs  signatures equal {arrays}  assignments equal {a_asg == b_asg}  "
              f"counters equal {a_st == b_st}")
    print("IDENTICAL" if same_everywhere else "DIFFERENT")


if __name__ == "__main__":
    main()
