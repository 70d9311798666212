"""Reading the Spark engine's Parquet stage outputs without Spark (pyarrow only)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from storydedup.pipeline.spark import columns


def read_rows(path: str | Path) -> list[dict]:
    """Rows of a Parquet directory written by Spark, as dicts (file order)."""
    import pyarrow.parquet as pq

    return pq.read_table(str(path)).to_pylist()


def read_signatures(path: str | Path) -> dict[str, np.ndarray]:
    """The signature arrays of a ``signatures.parquet`` directory (``compute_signatures`` form)."""
    import pyarrow.parquet as pq

    return columns.to_arrays(pq.read_table(str(path)).to_pandas())
