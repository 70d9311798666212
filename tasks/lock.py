"""One run at a time per output folder (or per batch root): an OS file lock held for the run.

``fcntl.flock`` is released by the kernel when the holder dies, even by kill -9, so a lock is
never stale in effect; the file's content (pid, host, start time, command) only names the
holder for the error message, and content left by a killed run is reported as taken over.
The lock does not depend on a central scheduler.

The CLI holds the lock around the whole run (``run_lock``). A run started without it (``luigi
--module storydedup.tasks Publish ...``) takes the same lock in the task layer: every task with
a ``lock_folder`` (``LockedTask``) runs only while its process holds that folder's lock (or an
enclosing folder's), taking it for the rest of the process when no one else has it; the worker
takes it already when it schedules the task, so tasks run in forked worker processes share it.
"""
from __future__ import annotations

import atexit
import fcntl
import functools
import json
import logging
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import luigi

from storydedup.tasks.errors import AlreadyRunning

log = logging.getLogger("storydedup")
LOCK_FILE = ".storydedup.lock"
# Folders whose lock this process holds -> the open lock file (forked workers inherit both).
_held: dict[Path, int] = {}


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        return (f"pid {info['pid']} on {info['host']} since {info['started']} "
                f"({' '.join(info['command'])[:200]})")
    except (ValueError, KeyError, TypeError):
        return "an unknown process"


def _covered(folder: Path) -> bool:
    return any(p in _held for p in (folder, *folder.parents))


def _acquire(folder: Path) -> int:
    """Lock ``folder`` and write who holds it; returns the open lock file, or raises ``AlreadyRunning``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(os.pread(fd, 65536, 0).decode("utf-8", "replace"))
        os.close(fd)
        raise AlreadyRunning(f"already running: {holder} holds {path}; wait for it to finish") from None
    previous = os.pread(fd, 65536, 0).decode("utf-8", "replace")
    if previous.strip():
        log.warning("taking over the lock %s left by %s, which is no longer running", path, _holder(previous))
    me = {"pid": os.getpid(), "host": socket.gethostname(), "command": sys.argv,
          "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
    os.fsync(fd)
    return fd


def _release(folder: Path, pid: int) -> None:
    fd = _held.pop(folder, None)
    if fd is not None and os.getpid() == pid:  # never from a forked worker: its parent holds it
        os.ftruncate(fd, 0)  # a clean exit leaves an empty lock file
        os.close(fd)  # releases the flock


@contextmanager
def run_lock(folder: Path):
    """Hold the lock of ``folder`` for the block, or raise ``AlreadyRunning``."""
    folder = folder.resolve()
    if _covered(folder):  # this process holds it already
        yield
        return
    _held[folder] = _acquire(folder)
    try:
        yield
    finally:
        _release(folder, os.getpid())


def hold_for_process(folder: Path) -> None:
    """Hold the lock of ``folder`` until this process ends (unless it holds it, or an enclosing
    folder's, already), or raise ``AlreadyRunning``."""
    folder = folder.resolve()
    if not _covered(folder):
        _held[folder] = _acquire(folder)
        atexit.register(_release, folder, os.getpid())


class LockedTask:
    """Task mixin: ``run`` (of every subclass that defines one) first makes sure this process
    holds the lock of ``lock_folder()``."""

    def lock_folder(self) -> Path:
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        run = cls.__dict__.get("run")
        if run is not None and not getattr(run, "locked", False):
            @functools.wraps(run)
            def locked_run(self, *args, **kw):
                hold_for_process(self.lock_folder())
                return run(self, *args, **kw)

            locked_run.locked = True
            cls.run = locked_run


@luigi.Task.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)
def _lock_when_scheduled(task, _dependency) -> None:
    """Take the lock in the worker's own process when it schedules a task (luigi ignores what a
    handler raises: a task whose lock is taken fails when it runs, see ``LockedTask``)."""
    if isinstance(task, LockedTask):
        try:
            hold_for_process(task.lock_folder())
        except AlreadyRunning:
            pass
