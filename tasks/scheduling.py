"""The scheduler and the worker a run uses, and what the run's outcome was.

The local scheduler is Luigi's own, pruning its task graph at most once a second.

Luigi's local scheduler prunes the whole task graph (dead workers, failed tasks due for a
retry, finished tasks nobody waits for) on every request for work. Each prune walks every
task, so a run's scheduling cost grows with the square of its tasks: a million documents in
500-document shards are 10,000 tasks, and pruning took more of the run than most stages.
Pruning once a second keeps what it is for (its delays are minutes) at a cost that grows
with the run's length instead.

With ``--workers N`` (N > 1) the run's one Luigi worker runs its tasks in N long-lived
processes (``executors.ExecutorWorker``), under the local or a central scheduler.
"""
from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass

import luigi.interface
import luigi.scheduler

from storydedup.tasks.executors import ExecutorWorker

PRUNE_EVERY = 1.0  # seconds


class PacedScheduler(luigi.scheduler.Scheduler):
    _pruned_at = float("-inf")

    def prune(self):
        now = time.monotonic()
        if now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            super().prune()


class Schedulers(luigi.interface._WorkerSchedulerFactory):
    """``luigi.build``'s ``worker_scheduler_factory``: Luigi's default one (its remote scheduler
    as it is), with ``PacedScheduler`` as the local scheduler and ``ExecutorWorker`` as the
    worker of several processes."""

    def create_local_scheduler(self):
        return PacedScheduler(prune_on_get_work=True, record_task_history=False)

    def create_worker(self, scheduler, worker_processes, assistant=False):
        if worker_processes > 1:  # its tasks run in long-lived processes, not one process each
            return ExecutorWorker(scheduler=scheduler, worker_processes=worker_processes, assistant=assistant)
        return super().create_worker(scheduler, worker_processes, assistant)


@dataclass
class RunOutcome:
    """What the workers of a run did, as the CLI reports it: the outcome keys of Luigi's
    execution summary that occurred ("failed", "not_run", ...), the error recorded for each
    failed task, whether Luigi counts the run a success, and a summary for people."""
    has: set[str]
    errors: list  # each failed task's error as its worker sent it (JSON-decoded when it was JSON)
    succeeded: bool
    summary: str

    @classmethod
    def of_build(cls, result) -> RunOutcome:
        """From ``luigi.build(..., detailed_summary=True)``: its one worker's summary, with a
        line for each failed task (its error's last line) and for what was not run."""
        from luigi.execution_summary import _summary_dict

        found = _summary_dict(result.worker)
        failed = sorted(found.get("failed", ()), key=str)
        fetched = [result.worker._scheduler.fetch_error(t.task_id) or {} for t in failed]
        errors = [_decoded(found_error.get("error") or "") for found_error in fetched]
        lines = [f"failed: {t}: {_last_line(error)}" for t, error in zip(failed, errors)]
        lines += [f"could not be scheduled: {t}" for t in sorted(found.get("scheduling_error", ()), key=str)]
        left = len(found.get("still_pending_not_ext", ()))  # upstream_failure, not_run, ...: parts of it
        lines += [f"{left} tasks not run"] if left else []
        return cls({k for k, v in found.items() if v}, errors,
                   result.status.name in ("SUCCESS", "SUCCESS_WITH_RETRY"),
                   "\n".join(lines) if lines else result.summary_text)


def _decoded(error: str):
    """A task's error as its worker sent it: Luigi's worker JSON-encodes the explanation."""
    with contextlib.suppress(ValueError):
        return json.loads(error)
    return error


def _last_line(error) -> str:
    """The last line of a task's error (of a traceback: the exception)."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no error recorded"


