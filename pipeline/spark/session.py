"""SparkSession settings shared by the engine's jobs and its tests."""
from __future__ import annotations

import os
import sys

# Few shuffle partitions: the engine's shuffles are small per document, and every partition of a
# stage costs a task; raise it (``spark.sql.shuffle.partitions``) to about 2-3 per core on a cluster.
DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.adaptive.enabled": "false",  # stable plans, and per-stage shuffle metrics
}


def engine_conf(conf: dict | None = None) -> dict:
    """The engine's Spark settings with ``conf`` on top; workers run this interpreter."""
    return {**DEFAULTS, "spark.pyspark.python": sys.executable, **(conf or {})}


def get_session(master: str = "local[2]", app: str = "storydedup", conf: dict | None = None):
    """A SparkSession for ``master`` (reused when one is already running in this process)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app)
    for key, value in engine_conf(conf).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
