"""Signature arrays (``compute_signatures`` output) as one Parquet row per document, and back.

Vectors are stored as the raw little-endian bytes of their NumPy dtype (binary columns): one
value per document, no per-element overhead, and ``np.frombuffer`` reads them back unchanged.
"""
from __future__ import annotations

import numpy as np

from storydedup.pipeline.signatures.compute import CSR_GROUPS

# column -> dtype of its per-document bytes; scalar columns are plain Parquet integers.
VECTORS = {"dup_sig": np.uint32, "story_sig": np.uint32, "story_terms": np.uint64,
           "story_weights": np.float32, "line_hashes": np.uint64, "line_words": np.int32}
SCALARS = {"dup_size": np.int32, "length": np.int64, "day": np.int32}
_ROW_MATRICES = ("dup_sig", "story_sig")
_OFFSETS_OF = {payload: offsets for offsets, payloads in CSR_GROUPS.items() for payload in payloads}


def spark_schema():
    """The Parquet/Spark schema of a signature row."""
    from pyspark.sql import types as T

    kinds = {np.int32: T.IntegerType(), np.int64: T.LongType()}
    fields = [T.StructField("id", T.StringType(), False)]
    fields += [T.StructField(name, kinds[dtype], False) for name, dtype in SCALARS.items()]
    fields += [T.StructField(name, T.BinaryType(), False) for name in VECTORS]
    return T.StructType(fields)


def to_rows(arrays: dict[str, np.ndarray]):
    """pandas DataFrame, one row per document, from one shard's arrays."""
    import pandas as pd

    out = {"id": [str(x) for x in arrays["ids"]]}
    for name, dtype in SCALARS.items():
        out[name] = arrays[name].astype(dtype)
    for name, dtype in VECTORS.items():
        values = np.ascontiguousarray(arrays[name], dtype=dtype)
        if name in _ROW_MATRICES:
            out[name] = [row.tobytes() for row in values]
        else:
            offsets = arrays[_OFFSETS_OF[name]]
            out[name] = [values[lo:hi].tobytes() for lo, hi in zip(offsets[:-1], offsets[1:])]
    return pd.DataFrame(out)


def vector(blobs, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, CSR offsets) of a binary column's per-row vectors."""
    dtype = np.dtype(VECTORS[name])
    lengths = np.fromiter((len(b) // dtype.itemsize for b in blobs), dtype=np.int64, count=len(blobs))
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = np.frombuffer(b"".join(blobs), dtype=dtype) if len(blobs) else np.zeros(0, dtype)
    return values, offsets


def matrix(blobs, name: str) -> np.ndarray:
    """(rows, width) matrix of a fixed-width binary column (signatures)."""
    values, offsets = vector(blobs, name)
    width = int(offsets[1]) if len(blobs) else 0
    return values.reshape(len(blobs), width)


def to_arrays(frame, columns=None) -> dict[str, np.ndarray]:
    """``compute_signatures``-style arrays from a pandas frame of signature rows (in its order);
    ``columns`` restricts the conversion to those present."""
    names = set(frame.columns) if columns is None else set(columns)
    out: dict[str, np.ndarray] = {}
    if "id" in names:
        out["ids"] = np.array(frame["id"].tolist(), dtype=str)
    for name, dtype in SCALARS.items():
        if name in names:
            out[name] = frame[name].to_numpy().astype(dtype)
    for name in VECTORS:
        if name not in names:
            continue
        blobs = frame[name].tolist()
        if name in _ROW_MATRICES:
            out[name] = matrix(blobs, name)
        else:
            out[name], out[_OFFSETS_OF[name]] = vector(blobs, name)
    return out
