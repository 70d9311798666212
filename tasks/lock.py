"""One run at a time per output folder (or per batch root): an OS file lock held for the run.

``fcntl.flock`` is released by the kernel when the holder dies, even by kill -9, so a lock is
never stale in effect; the file's content (pid, host, start time, command) only names the
holder for the error message, and content left by a killed run is reported as taken over.
The lock does not depend on a central scheduler.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from storydedup.tasks.base import log

LOCK_FILE = ".storydedup.lock"


class AlreadyRunning(Exception):
    """Another run holds the lock: one line naming it (exit ``[retcode] already_running``)."""


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        return (f"pid {info['pid']} on {info['host']} since {info['started']} "
                f"({' '.join(info['command'])[:200]})")
    except (ValueError, KeyError, TypeError):
        return "an unknown process"


@contextmanager
def run_lock(folder: Path):
    """Hold the lock of ``folder`` for the block, or raise ``AlreadyRunning``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(os.pread(fd, 65536, 0).decode("utf-8", "replace"))
            raise AlreadyRunning(f"already running: {holder} holds {path}; wait for it to finish") from None
        previous = os.pread(fd, 65536, 0).decode("utf-8", "replace")
        if previous.strip():
            log.warning("taking over the lock %s left by %s, which is no longer running", path, _holder(previous))
        me = {"pid": os.getpid(), "host": socket.gethostname(), "command": sys.argv,
              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
        os.fsync(fd)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # a clean exit leaves an empty lock file
    finally:
        os.close(fd)  # releases the flock
