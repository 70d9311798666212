"""The naive reference: one process, ftfy.fix_text, datasketch MinHash (update_batch) over word
4-shingles, MinHashLSH, union of every candidate pair; no stripping and no verification.
Usage: python naive.py CORPUS_DIR CLUSTERS_OUT"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import ftfy
from datasketch import MinHash, MinHashLSH

NUM_PERM, SHINGLE_WORDS, THRESHOLD = 128, 4, 0.5


def shingles(text: str) -> list[bytes]:
    words = text.lower().split()
    return [" ".join(words[i:i + SHINGLE_WORDS]).encode() for i in range(max(1, len(words) - SHINGLE_WORDS + 1))]


def main(corpus: str, out: str) -> None:
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    ids, parent = [], {}
    for path in sorted(Path(corpus).glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                m = MinHash(num_perm=NUM_PERM)
                m.update_batch(shingles(ftfy.fix_text(rec["text"])))
                for other in lsh.query(m):  # earlier documents only: link to their root
                    a, b = find(parent, rec["id"]), find(parent, other)
                    if a != b:
                        parent[a] = b
                lsh.insert(rec["id"], m)
                ids.append(rec["id"])
    with open(out, "w", encoding="utf-8") as fh:
        for doc_id in ids:
            fh.write(json.dumps({"id": doc_id, "cluster": find(parent, doc_id)}) + "\n")


def find(parent: dict, x: str) -> str:
    while parent.get(x, x) != x:
        parent[x] = parent.get(parent[x], parent[x])
        x = parent[x]
    return x


if __name__ == "__main__":
    main(*sys.argv[1:3])
