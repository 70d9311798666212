"""Local engine vs Spark engine on generated news: time, peak memory, identity, shuffle bytes.

For each size a synthetic corpus (bench/synthetic_news.py, ~150-word documents) is written as
strip-stage shards (500 documents each, gzip JSONL). Each engine then runs the signature and
cluster stages in a fresh child process: the local engine calls ``compute_signatures`` per
shard and ``levels.cluster``; the Spark engine runs ``pipeline.spark`` on a SparkSession
(``local[2]`` unless SPARK_MASTER says otherwise) and writes its Parquet outputs. The parent
samples the summed RSS of the child's whole process tree (Python driver, JVM, Python workers)
every 0.2 s for the peak. Both engines' assignments and clusters are compared after sorting.
Shuffle bytes come from the Spark UI's REST API (loopback): the sum of the completed stages'
shuffle write bytes, divided by the number of documents.
Usage: python bench/bench_spark.py [sizes, comma separated] [--work DIR]   e.g. 100000,1000000
With ``--work DIR`` the corpus, both engines' outputs and each child's stderr stay in DIR/<size>/
(a corpus already there is reused).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
SHARD = 500

LOCAL = """
import json, sys, glob
from storydedup.pipeline.records import read_jsonl
from storydedup.pipeline.signatures.compute import SignatureSettings, compute_signatures, concat_shards
from storydedup.pipeline.cluster.levels import ClusterSettings, cluster
files, out = sorted(glob.glob(sys.argv[1] + "/shard-*.jsonl.gz")), sys.argv[2]
arrays = concat_shards([compute_signatures(list(read_jsonl(f)), SignatureSettings()) for f in files])
assignments, clusters, stats = cluster(arrays, ClusterSettings())
json.dump({"assignments": assignments, "clusters": clusters, "stats": stats}, open(out, "w"))
"""

SPARK = """
import json, sys, glob, os, urllib.request
from storydedup.pipeline.signatures.compute import SignatureSettings
from storydedup.pipeline.cluster.levels import ClusterSettings
from storydedup.pipeline.spark.session import get_session
from storydedup.pipeline.spark.signatures import signature_frame
from storydedup.pipeline.spark.clusters import cluster_frames
files, out = sorted(glob.glob(sys.argv[1] + "/shard-*.jsonl.gz")), sys.argv[2]
spark = get_session(os.environ.get("SPARK_MASTER", "local[2]"), "bench", {"spark.ui.enabled": "true",
                    "spark.ui.port": "0", "spark.ui.retainedStages": "100000"})
signature_frame(spark, files, SignatureSettings()).write.mode("overwrite").parquet(out + ".sig.parquet")
assignments, clusters, stats = cluster_frames(spark, spark.read.parquet(out + ".sig.parquet"), ClusterSettings())
assignments.write.mode("overwrite").parquet(out + ".assignments.parquet")
clusters.write.mode("overwrite").parquet(out + ".clusters.parquet")
sc = spark.sparkContext
url = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/stages?status=complete"
stages = json.load(urllib.request.urlopen(url))
stats["shuffle_write_bytes"] = sum(s.get("shuffleWriteBytes", 0) for s in stages)
stats["stages"] = len(stages)
json.dump({"stats": stats}, open(out, "w"))
"""


def tree_rss_mb(pid: int) -> float:
    """Summed RSS of ``pid`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total / 2**20


def run_child(code: str, *args: str) -> tuple[float, float]:
    """(seconds, peak MB of the process tree) of one child run; its stderr goes to ``args[-1]``.err."""
    start = time.perf_counter()
    err_path = f"{args[-1]}.err"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stderr=open(err_path, "w"), text=True)
    peak = [0.0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    proc.wait()
    watcher.join()
    if proc.returncode:
        raise SystemExit(f"child failed (full stderr in {err_path}):\n{Path(err_path).read_text()[-3000:]}")
    return time.perf_counter() - start, peak[0]


def read_parquet(path: str) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def main() -> None:
    from synthetic_news import generate

    from storydedup.pipeline.records import write_jsonl

    args = sys.argv[1:]
    work = args.pop(args.index("--work") + 1) if "--work" in args else None
    args = [a for a in args if a != "--work"]
    sizes = [int(x) for x in (args[0] if args else "100000,1000000").split(",")]
    for n in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            tmp = Path(work, str(n)) if work else Path(scratch)
            shards = tmp / "shards"
            if not (shards / "_complete").exists():
                shards.mkdir(parents=True, exist_ok=True)
                recs = generate(n, words=150, dup_share=0.3, seed=1)
                for k in range(0, n, SHARD):
                    write_jsonl(shards / f"shard-{k // SHARD:05d}.jsonl.gz", recs[k:k + SHARD])
                del recs
                (shards / "_complete").touch()
            local_s, local_mb = run_child(LOCAL, str(shards), f"{tmp}/local.json")
            spark_s, spark_mb = run_child(SPARK, str(shards), f"{tmp}/spark.json")
            local = json.load(open(f"{tmp}/local.json"))
            spark = json.load(open(f"{tmp}/spark.json"))["stats"]
            got = {r.pop("id"): r for r in read_parquet(f"{tmp}/spark.json.assignments.parquet")}
            clusters = sorted(read_parquet(f"{tmp}/spark.json.clusters.parquet"), key=lambda c: (c["level"], c["id"]))
            same = got == local["assignments"] and clusters == sorted(local["clusters"], key=lambda c: (c["level"], c["id"]))
            per_doc = spark["shuffle_write_bytes"] / n
            print(f"n={n:8d}  local {local_s:7.1f} s  peak {local_mb:6.0f} MB  |  spark "
                  f"{os.environ.get('SPARK_MASTER', 'local[2]')} {spark_s:7.1f} s  peak {spark_mb:6.0f} MB  "
                  f"(x{spark_s / local_s:.1f} time)  shuffle write {spark['shuffle_write_bytes'] / 2**20:.1f} MB "
                  f"= {per_doc:.0f} B/doc over {spark['stages']} stages  identical: {same}  "
                  f"(dup clusters {local['stats']['dup_clusters']}, story clusters {local['stats']['story_clusters']}, "
                  f"candidates dup {spark['dup_candidates']} story {spark['story_candidates']})", flush=True)


if __name__ == "__main__":
    main()
