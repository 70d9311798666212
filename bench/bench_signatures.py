"""Signature throughput on ~700-word documents, 128 permutations, one core.

Prints docs/s of: datasketch MinHash with one update() per shingle, datasketch update_batch,
the project's duplicate-signature path (batch shingling + batch MinHash), and the whole
compute_signatures (adds the story vectors), with ratios against the per-shingle loop; then the
story vectors alone: the readable per-document definition against the batch path.
Usage: python bench/bench_signatures.py [n_docs]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from datasketch import MinHash
from synthetic_news import generate

from storydedup.pipeline.signatures.minhash import batch_minhash
from storydedup.pipeline.signatures.shingles import batch_shingle_hashes, reference_shingle_hashes
from storydedup.pipeline.signatures.compute import SignatureSettings, compute_signatures
from storydedup.pipeline.signatures.story import reference_story_features, story_features


def rate(n: int, fn) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    s = SignatureSettings()
    recs = generate(n, words=700, dup_share=0.3)
    texts = [r["text"] for r in recs]
    small = texts[: max(20, n // 50)]
    # the datasketch baselines get the same shingle hashes, precomputed (their hashing is free)
    shingles = [reference_shingle_hashes(t, s.shingle_words, s.min_line_words, s.min_kept_words) for t in small]

    def loop():
        for sh in shingles:
            m = MinHash(num_perm=s.num_perm, seed=s.seed, hashfunc=int)
            for h in sh:
                m.update(h)

    def batch():
        for sh in shingles:
            m = MinHash(num_perm=s.num_perm, seed=s.seed, hashfunc=int)
            m.update_batch(sh)

    def project():
        h, o = batch_shingle_hashes(texts, s.shingle_words, s.min_line_words, s.min_kept_words)
        batch_minhash(h, o, s.num_perm, s.seed)

    compute_signatures(recs[:10], s)  # compile kernels, load tables
    r_loop, r_batch = rate(len(small), loop), rate(len(small), batch)
    r_project = rate(n, project)
    r_full = rate(n, lambda: compute_signatures(recs, s))
    story_args = (tuple(s.story_languages), s.story_stem_chars, s.story_vector_terms, s.story_lsh_terms,
                  s.story_num_perm, s.seed)
    r_story_ref = rate(len(small), lambda: reference_story_features(recs[:len(small)], *story_args))
    r_story = rate(n, lambda: story_features(recs, *story_args))
    words = np.mean([len(t.split()) for t in texts])
    print(f"docs={n} mean_words={words:.0f} num_perm={s.num_perm} shingle_words={s.shingle_words}")
    for name, r in (("datasketch update() per shingle", r_loop), ("datasketch update_batch", r_batch),
                    ("project dup signatures", r_project), ("project compute_signatures (dup+story)", r_full)):
        print(f"{name:42s} {r:10.0f} docs/s  x{r / r_loop:7.1f} vs per-shingle loop")
    for name, r in (("story vectors, per-document reference", r_story_ref), ("story vectors, batch path", r_story)):
        print(f"{name:42s} {r:10.0f} docs/s  x{r / r_story_ref:7.1f} vs per-document reference")


if __name__ == "__main__":
    main()
