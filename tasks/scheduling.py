"""The local scheduler a run uses: Luigi's own, pruning its task graph at most once a second.

Luigi's local scheduler prunes the whole task graph (dead workers, failed tasks due for a
retry, finished tasks nobody waits for) on every request for work. Each prune walks every
task, so a run's scheduling cost grows with the square of its tasks: a million documents in
500-document shards are 10,000 tasks, and pruning took more of the run than most stages.
Pruning once a second keeps what it is for (its delays are minutes) at a cost that grows
with the run's length instead.
"""
from __future__ import annotations

import time

import luigi.interface
import luigi.scheduler

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
    and workers as they are), with ``PacedScheduler`` as the local scheduler."""

    def create_local_scheduler(self):
        return PacedScheduler(prune_on_get_work=True, record_task_history=False)
