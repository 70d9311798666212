"""The error types of the task layer and the one-line reports of faults of the environment, so
every module can use them without importing the CLI."""
from __future__ import annotations

import errno

# The prefix that marks a task failure's explanation as one line for the user (see on_failure).
FAULT = "storydedup-fault: "


class AlreadyRunning(Exception):
    """Another run holds the lock: one line naming it (exit ``[retcode] already_running``)."""


class UsageError(Exception):
    """Bad arguments or environment: one line saying what is wrong and what to do (exit 2)."""


def fault_line(exc: BaseException) -> str | None:
    """One line for a fault of the machine rather than of the code or the data (disk full, lost
    permission, index server gone), saying what to do; None for anything else, which keeps its
    traceback. Stages write atomically, so after any of these the same command finishes the work."""
    again = "then run the same command again"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"disk full writing {exc.filename or 'the output'}: free some space, {again}"
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied on {exc.filename or 'an output file'} ({exc.strerror}): restore access, {again}"
    if any(c.__module__.startswith("redis") and c.__name__ in ("ConnectionError", "TimeoutError")
           for c in type(exc).__mro__):
        return f"index server unreachable ({exc}): start it or check --index, {again}"
    return None


class ReportsFaults:
    """Task mixin: a fault of the environment is reported as one line, not a traceback."""

    def on_failure(self, exception):
        line = str(exception) if isinstance(exception, AlreadyRunning) else fault_line(exception)
        return FAULT + line if line else super().on_failure(exception)
