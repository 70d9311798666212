"""Which documents a batch computation fails on, by themselves.

A batch stage (the site template, the clusters) computes one result over all documents, so a
bug that one document trips fails the whole computation. ``failing_items`` finds such
documents by bisection: the computation is probed on halves of the failing set, a half that
succeeds is cleared whole, and a single document that still fails is a culprit. k culprits
among n documents cost about 2k·log2(n) probes on ever smaller subsets. A failure that only a
combination of documents causes leaves no culprit (and is the caller's to raise), and so does
one that every document trips (bad settings, a bug on the common path): it is found first,
cheaply, by probing a few documents spread over the batch alone.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

SPREAD = 3


def failing_items(probe: Callable[[np.ndarray], object], failed: np.ndarray,
                  is_bug: Callable[[Exception], bool]) -> dict[int, Exception]:
    """Items of ``failed`` (indices on which ``probe`` is known to raise as a whole) on which
    ``probe`` raises alone, with the exception; none when ``SPREAD`` items spread over ``failed``
    (or all of them, if fewer) all fail alone. An exception ``is_bug`` rejects is raised."""
    spread = np.unique(np.linspace(0, len(failed) - 1, min(SPREAD, len(failed))).astype(np.int64))
    if all(_error_of(probe, failed[[i]], is_bug) is not None for i in spread):
        return {}
    found: dict[int, Exception] = {}
    todo = [failed]
    while todo:
        part = todo.pop()
        halves = [part] if len(part) == 1 else [part[len(part) // 2:], part[: len(part) // 2]]
        for half in halves:
            exc = _error_of(probe, half, is_bug)
            if exc is None:
                continue
            if len(half) == 1:
                found[int(half[0])] = exc
            else:
                todo.append(half)
    return dict(sorted(found.items()))


def _error_of(probe, part: np.ndarray, is_bug) -> Exception | None:
    try:
        probe(part)
    except Exception as exc:  # noqa: BLE001 - what the probe raises is the finding
        if not is_bug(exc):
            raise
        return exc
    return None
