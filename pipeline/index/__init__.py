"""Persistent index of earlier batches for daily incremental grouping.

    index = open_index("/var/lib/storydedup/index")          # embedded on-disk backend
    index = open_index("redis://127.0.0.1:6379/0?prefix=news")  # Redis backend
    assignments, clusters, stats = index.group_batch("2026-03-02", day, arrays, settings, 7)

Both backends store the same things and answer candidate queries identically, so they give the
same clusters. See ``incremental`` for the grouping rules and the id/member naming.
"""
from __future__ import annotations

from typing import Self
from urllib.parse import parse_qs, urlparse

import numpy as np

from storydedup.pipeline.cluster.levels import ClusterSettings
from storydedup.pipeline.index.embedded import EmbeddedStore
from storydedup.pipeline.index.incremental import group_batch
from storydedup.pipeline.index.store import Store


class Index:
    """A store plus the daily grouping operation."""

    def __init__(self, store: Store):
        self.store = store

    def group_batch(self, batch: str, batch_day: int, arrays: dict[str, np.ndarray],
                    settings: ClusterSettings, window_days: int):
        """Group ``batch`` (documents' signature arrays, as ``clustering.cluster`` takes them)
        with the stored batches and commit it; re-running a batch replaces its earlier run.

        Window: stored batches whose ``batch_day`` is more than ``window_days`` before this one
        are evicted first; a new document is matched only with stored documents whose day
        (publication day, else their batch day) is within ``window_days`` of its own.
        -> (assignments, clusters, stats) shaped like ``clustering.cluster``'s, see
        ``incremental`` for naming. Raises ``store.ConcurrentUpdate`` if another process
        committed to the same Redis index meanwhile (the embedded backend makes writers wait)."""
        return group_batch(self.store, batch, batch_day, arrays, settings, window_days)

    def batches(self) -> list[str]:
        """Committed batches, sorted."""
        return sorted(self.store.manifest()["batches"])

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_index(location: str) -> Index:
    """``redis://host:port/db[?prefix=name]`` -> Redis backend (prefix default "storydedup");
    anything else is a directory for the embedded backend (created if missing)."""
    if location.startswith("redis://"):
        from storydedup.pipeline.index.redis_store import RedisStore

        url = urlparse(location)
        db = int(url.path.strip("/") or 0)
        prefix = parse_qs(url.query).get("prefix", ["storydedup"])[0]
        return Index(RedisStore(url.hostname or "127.0.0.1", url.port or 6379, db, prefix))
    return Index(EmbeddedStore(location))
