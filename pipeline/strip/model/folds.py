"""Cross-validation folds of labelled sets, written as sets of their own.

Every document of a set lands in exactly one fold; each source is spread evenly over the
folds (documents of a source ordered by id, shuffled with a fixed seed, dealt in turn), so a
fold's figures are not one source's. Fold ``k`` is written twice: ``fold-k/held/<set>`` holds its
documents, ``fold-k/train/<set>`` all the others, each with the set's ``input``, ``gold`` and
``meta.json``, so training and evaluation read them like any set.
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path

from storydedup.pipeline.evaluation.sets import read_rows, set_file
from storydedup.pipeline.records import atomic_dir, write_jsonl

SEED = 20261207


def assign_folds(gold: list[dict], folds: int, seed: int = SEED) -> dict[str, int]:
    """Fold of each gold document's id, dealt per source."""
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {folds}")
    by_source: dict[str, list[str]] = {}
    for row in gold:
        by_source.setdefault(row.get("source") or "?", []).append(row["id"])
    fold_of, dealt = {}, 0
    for source in sorted(by_source):
        ids = sorted(by_source[source])
        random.Random(f"{seed}:{source}").shuffle(ids)
        for ident in ids:  # continue the deal across sources: small sources do not all start in fold 0
            fold_of[ident] = dealt % folds
            dealt += 1
    return fold_of


def write_folds(set_dirs: list[str | Path], folds: int, out: str | Path, seed: int = SEED) -> list[Path]:
    """``out/fold-k`` for each fold (see the module docstring); returns them in order. A fold
    folder already complete is kept (folds depend only on the sets, ``folds`` and ``seed``)."""
    out = Path(out)
    finals = [out / f"fold-{k}" for k in range(folds)]
    if all(f.is_dir() for f in finals):  # a resumed run: the sets are not read again
        return finals
    names = [Path(d).name for d in set_dirs]
    if len(set(names)) != len(names):
        raise ValueError(f"sets must have distinct folder names: {names}")
    loaded = []
    for d in set_dirs:
        inputs, gold = set_file(d, "input"), set_file(d, "gold")
        if inputs is None or gold is None or not (Path(d) / "meta.json").is_file():
            raise FileNotFoundError(f"{d}: a set needs input.jsonl(.gz), gold.jsonl(.gz) and meta.json")
        gold_rows = read_rows(gold)
        if len(gold_rows) < folds:  # a fold with nothing held out has nothing to score
            raise ValueError(f"{d}: {len(gold_rows)} labelled documents, fewer than the {folds} folds")
        loaded.append((Path(d), read_rows(inputs), gold_rows, assign_folds(gold_rows, folds, seed)))
    for k, final in enumerate(finals):
        if not final.is_dir():
            with atomic_dir(final) as tmp:
                # an input without gold goes to every fold's training part, where it is skipped (no labels)
                for set_dir, inputs, gold_rows, fold_of in loaded:
                    for part, keep in (("held", lambda i: fold_of.get(i) == k),
                                       ("train", lambda i: fold_of.get(i) != k)):
                        dest = tmp / part / set_dir.name
                        dest.mkdir(parents=True)
                        write_jsonl(dest / "input.jsonl.gz", (r for r in inputs if keep(r["id"])))
                        write_jsonl(dest / "gold.jsonl.gz", (g for g in gold_rows if keep(g["id"])))
                        shutil.copy(set_dir / "meta.json", dest / "meta.json")
    return finals
