"""Reading evaluation sets and pipeline output folders."""
from __future__ import annotations

import gzip
import json
from pathlib import Path


def read_rows(path: str | Path) -> list[dict]:
    """JSON Lines, gzip when the name ends in .gz; blank lines skipped."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def set_file(set_dir: str | Path, stem: str) -> Path | None:
    """``<stem>.jsonl`` or ``<stem>.jsonl.gz`` inside a set folder, whichever exists."""
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz"):
        p = Path(set_dir) / name
        if p.exists():
            return p
    return None


def read_meta(set_dir: str | Path) -> dict:
    with open(Path(set_dir) / "meta.json", encoding="utf-8") as fh:
        return json.load(fh)


def load_output(output_dir: str | Path) -> tuple[list[dict], list[dict]]:
    """(documents, rejects) from a pipeline output folder; a missing rejects file means none."""
    docs = set_file(output_dir, "documents")
    if docs is None:
        raise FileNotFoundError(f"no documents.jsonl in {output_dir}: did the run finish?")
    rejects = set_file(output_dir, "rejects")
    return read_rows(docs), (read_rows(rejects) if rejects else [])
