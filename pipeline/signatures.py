"""Signature stage (first implementation: datasketch MinHash over word 5-shingles)."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash


@dataclass(frozen=True)
class SignatureSettings:
    num_perm: int = 128
    shingle_words: int = 5
    seed: int = 1


def compute_signatures(records: list[dict], settings: SignatureSettings) -> dict[str, np.ndarray]:
    sigs = np.zeros((len(records), settings.num_perm), dtype=np.uint64)
    for i, rec in enumerate(records):
        words = re.findall(r"\w+", rec["text"].lower())
        k = settings.shingle_words
        shingles = {" ".join(words[j:j + k]).encode() for j in range(max(1, len(words) - k + 1))}
        m = MinHash(num_perm=settings.num_perm, seed=settings.seed)
        m.update_batch(list(shingles))
        sigs[i] = m.hashvalues
    return {
        "ids": np.array([r["id"] for r in records], dtype=str),
        "dup": sigs,
        "length": np.array([len(r["text"]) for r in records], dtype=np.int64),
    }
