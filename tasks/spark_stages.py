"""The Spark engine's stages: signatures and clusters as PySpark jobs launched by Luigi.

Each task is a ``luigi.contrib.spark.PySparkTask``: Luigi pickles it and runs ``spark-submit``
(pyspark's own, unless ``[spark] spark-submit`` names another) against ``spark_master``; the
job's ``main`` runs in that driver and calls ``pipeline.spark``. The tasks have the same stage
names, settings and hashes as the local ones (``stages.Signatures``, ``stages.Clusters``): the
engine is not part of a stage's identity because both engines give identical clusters (the
tests and ``bench/bench_spark.py`` check it). The signature rows go to
``60_signatures-<h>/signatures.parquet`` (beside the local engine's ``shard-*``, so either
engine finds its own); the clusters go to ``70_clusters-<h>/{assignments,clusters}.parquet``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import luigi
from luigi.contrib.spark import PySparkTask

from storydedup.pipeline.cluster import levels as clustering
from storydedup.pipeline.records import atomic_dir, write_json, write_jsonl
from storydedup.pipeline.signatures import compute as signatures
from storydedup.tasks.base import BatchStage, log
from storydedup.tasks.settings import settings_of, with_settings
from storydedup.tasks.stages import Clusters, StripBoilerplate

SIGNATURES_DIR = "signatures.parquet"
OUTPUT_TABLES = ("assignments", "clusters")


class SparkJob(PySparkTask):
    """spark-submit settings shared by the engine's tasks; ``[spark]`` config keys still apply."""

    spark_master = luigi.Parameter(default="local[2]", significant=False,
                                   description="Spark master URL (local[N], spark://host:port, yarn, ...)")

    @property
    def master(self):
        return self.spark_master

    @property
    def spark_submit(self):
        configured = luigi.configuration.get_config().get("spark", "spark-submit", None)
        if configured:
            return configured
        import pyspark

        return str(Path(pyspark.__file__).parent / "bin" / "spark-submit")

    @property
    def pyspark_python(self):
        return sys.executable

    @property
    def pyspark_driver_python(self):
        return sys.executable

    @property
    def conf(self):
        from storydedup.pipeline.spark.session import engine_conf

        return engine_conf(super().conf)

    def get_environment(self):
        env = super().get_environment()
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        return env

    def main(self, sc, *args):
        from pyspark.sql import SparkSession

        sc.setLogLevel("ERROR")
        self.spark_main(SparkSession(sc))

    def spark_main(self, spark):
        raise NotImplementedError


@with_settings(signatures.SignatureSettings, section="Signatures")
class SparkSignatures(SparkJob, BatchStage):
    """``compute_signatures`` per strip shard in Spark; one Parquet table for the batch."""

    stage = "60_signatures"

    def requires(self):
        return self.shards_of(StripBoilerplate)

    def output(self):
        return luigi.LocalTarget(str(self.stage_dir() / SIGNATURES_DIR))

    def run(self):
        # Resolved here, before the task is pickled for the driver (no input re-planning there).
        self.shard_files = [str(Path(t.path) / "docs.jsonl.gz") for t in self.input()]
        self.params_json = self.params_record()
        super().run()

    def spark_main(self, spark):
        from storydedup.pipeline.spark.signatures import signature_frame

        started = time.time()
        frame = signature_frame(spark, self.shard_files, settings_of(self))
        with atomic_dir(self.output().path) as tmp:
            frame.write.mode("overwrite").parquet(str(tmp))
            n = spark.read.parquet(str(tmp)).count()
            write_json(tmp / "_stats.json", {"in": n, "kept": n, "rejected": 0, "shards": len(self.shard_files),
                                             "seconds": round(time.time() - started, 3)})
            write_json(tmp / "_params.json", self.params_json)


@with_settings(clustering.ClusterSettings, section="Clusters")
class SparkClusters(SparkJob, Clusters):
    """Both clustering levels in Spark (see ``pipeline.spark.clusters``). A daily batch is
    matched against the index of earlier batches as in the local engine (the index is local)."""

    def requires(self):
        return self.clone(SparkSignatures)

    def signature_rows(self) -> tuple[dict, list[dict]]:
        from storydedup.pipeline.spark.files import read_signatures

        arrays = read_signatures(self.input().path)
        return arrays, [{"id": str(i)} for i in arrays["ids"]]

    def run(self):
        if self.batch:
            return Clusters.run(self)
        self.params_json = self.params_record()
        return PySparkTask.run(self)

    def spark_main(self, spark):
        from storydedup.pipeline.spark.clusters import cluster_frames

        started = time.time()
        frame = spark.read.parquet(self.input().path)
        assignments, clusters, stats = cluster_frames(spark, frame, settings_of(self))
        with atomic_dir(self.output().path) as tmp:
            assignments.orderBy("id").write.parquet(str(tmp / "assignments.parquet"))
            clusters.orderBy("level", "id").write.parquet(str(tmp / "clusters.parquet"))
            write_jsonl(tmp / "rejects.jsonl.gz", [])  # no per-document isolation in Spark
            write_json(tmp / "_stats.json", {**stats, "engine": "spark", "seconds": round(time.time() - started, 3)})
            write_json(tmp / "_params.json", self.params_json)
        log.info("%s: %d documents (spark)", self.stage, stats["documents"])
