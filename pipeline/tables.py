"""Tables derived from installed libraries' data, kept on disk between runs.

Some tables cost a process far more to build than to read: the word frequencies of the story
vectors (wordfreq's lists of 11 languages, ~0.4 s) and datasketch's MinHash permutations
(importing datasketch loads SciPy, ~0.5 s). Every run paid both once, a large part of a small
run's time. ``cached(name, key, build)`` returns the arrays of ``build()`` and keeps them in
``<cache folder>/<name>-<digest of key>.npz``; the key names everything the table depends on
(the library's version and the arguments), so other versions or arguments make another file.

The cache folder is ``$STORYDEDUP_CACHE_DIR``, else ``$XDG_CACHE_HOME/storydedup``, else
``~/.cache/storydedup``. A file that cannot be read is built again and replaced; when the folder
cannot be written, the table is built, used and reported (once per table and process).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from functools import cache
from pathlib import Path
from typing import Callable

import numpy as np

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    if os.environ.get("STORYDEDUP_CACHE_DIR"):
        return Path(os.environ["STORYDEDUP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "storydedup"


@cache
def version(package: str) -> str:
    from importlib.metadata import version as installed

    return installed(package)


def table_path(name: str, key: dict) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir() / f"{name}-{digest}.npz"


def cached(name: str, key: dict, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """``build()`` (a dict of arrays), read from the cache when an earlier process kept it."""
    path = table_path(name, key)
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {k: stored[k] for k in stored.files}
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.info("rebuilding the cached table %s: %s", path, exc)
    arrays = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}.", suffix=".npz",
                                         delete=False) as tmp:
            np.savez(tmp, **arrays)
        os.chmod(tmp.name, 0o644)  # as a plain file would be: a shared cache folder stays readable
        os.replace(tmp.name, path)  # whole or not at all: another process may be reading it
    except OSError as exc:
        log.warning("cannot keep the table %s for later runs (%s); each run builds it again", path, exc)
    return arrays
