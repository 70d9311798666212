"""The local scheduler a run uses and the worker processes that share it.

The scheduler is Luigi's own, pruning its task graph at most once a second.

Luigi's local scheduler prunes the whole task graph (dead workers, failed tasks due for a
retry, finished tasks nobody waits for) on every request for work. Each prune walks every
task, so a run's scheduling cost grows with the square of its tasks: a million documents in
500-document shards are 10,000 tasks, and pruning took more of the run than most stages.
Pruning once a second keeps what it is for (its delays are minutes) at a cost that grows
with the run's length instead.

With ``--workers N`` (N > 1) a run has N long-lived worker processes (``WorkerPool``): each is
a Luigi worker running one task at a time in its own process, asking this process's
scheduler for work over a pipe. Luigi's multi-process worker forks a process per task instead.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing import connection as mp_connection

import luigi.interface
import luigi.scheduler
import luigi.worker

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


@dataclass
class RunOutcome:
    """What the workers of a run did, as the CLI reports it: the outcome keys of Luigi's
    execution summary that occurred ("failed", "not_run", ...), the error recorded for each
    failed task, whether Luigi counts the run a success, and a summary for people."""
    has: set[str]
    errors: list[str]
    succeeded: bool
    summary: str

    @classmethod
    def of_build(cls, result) -> RunOutcome:
        """From ``luigi.build(..., detailed_summary=True)``: its one worker's summary."""
        from luigi.execution_summary import _summary_dict

        found = _summary_dict(result.worker)
        errors = [(result.worker._scheduler.fetch_error(t.task_id) or {}).get("error") or ""
                  for t in found.get("failed", ())]
        return cls({k for k, v in found.items() if v}, errors,
                   result.status.name in ("SUCCESS", "SUCCESS_WITH_RETRY"), result.summary_text)


class SchedulerClient:
    """The scheduler as a pooled worker sees it: each call goes over a pipe to the process that
    holds the scheduler (``WorkerPool.serve``), and its answer or exception comes back."""

    def __init__(self, conn):
        self._conn = conn
        self._lock = threading.Lock()  # the worker's keep-alive thread calls it too

    def __getattr__(self, name: str):
        def call(*args, **kwargs):
            with self._lock:
                self._conn.send((name, args, kwargs))
                ok, value = self._conn.recv()
            if not ok:
                raise value
            return value

        return call


POLL_SECONDS = 0.01  # an idle worker asks again this often (each ask is one pipe round trip)


class PoolScheduler(PacedScheduler):
    """The scheduler a ``WorkerPool`` shares. Its workers are assistants: any of them may run
    any task of the run, including those another worker's task yielded as dynamic dependencies
    (a daily batch yields its whole pipeline), which Luigi otherwise gives only to the worker
    that yielded them. So a worker's "running elsewhere" is every task another worker runs."""

    def count_pending(self, worker):
        reply = super().count_pending(worker)
        reply["running_tasks"] = [{"task_id": task.id, "worker": task.worker_running}
                                  for task in self._state.get_active_tasks_by_status(luigi.scheduler.RUNNING)
                                  if task.worker_running != worker]
        return reply


class PoolWorker(luigi.worker.Worker):
    """One of several long-lived workers that share a ``PoolScheduler``, running their tasks in
    their own process. It waits while another worker runs a task (which may free or yield more
    work) and stops when nothing runs anywhere and nothing was given to it: a task that only
    failed work holds back does not keep it (Luigi's keep_alive would wait for the retry)."""

    def __init__(self, scheduler):
        super().__init__(scheduler=scheduler, worker_processes=1, assistant=True)

    def _keep_alive(self, get_work_response) -> bool:
        return bool(get_work_response.running_tasks)

    def _sleeper(self):
        while True:
            time.sleep(POLL_SECONDS)
            yield


PR_SET_PDEATHSIG = 1


class WorkerPool:
    """``workers`` Luigi workers, each in a process forked once from this one (after the
    warm-up, so each starts with what it loaded), sharing a local scheduler that this
    process holds and serves. Luigi's own multi-process worker forks a process per task
    instead: with hundreds of shard tasks, the forks and the copy-on-write faults that follow
    cost about a quarter of a run's CPU time. A worker process that dies (kill -9, out of
    memory) ends the run: the others are stopped, and the next run redoes what did not finish."""

    def __init__(self, workers: int):
        self.workers = workers
        self.scheduler = PoolScheduler(prune_on_get_work=True, record_task_history=False)
        self.died: list[str] = []

    def run(self, task) -> RunOutcome:
        ends: dict = {}
        for _ in range(self.workers):
            parent_end, child_end = mp_connection.Pipe()
            pid = os.fork()
            if pid == 0:
                parent_end.close()
                for other in ends:
                    other.close()
                self._work(task, child_end)  # never returns
            child_end.close()
            ends[parent_end] = pid
        self.serve(ends)
        return self.outcome(task)

    @staticmethod
    def _work(task, conn) -> None:
        code = 1
        try:
            _die_with_parent()
            with PoolWorker(SchedulerClient(conn)) as worker:
                worker.add(task)
                code = 0 if worker.run() else 1
        finally:
            os._exit(code)  # no exit handlers: the lock and the open files stay the parent's

    def serve(self, ends: dict) -> None:
        """Answer the workers' calls until every worker has gone."""
        while ends:
            for conn in mp_connection.wait(list(ends)):
                try:
                    name, args, kwargs = conn.recv()
                except (EOFError, OSError):  # the worker's process ended
                    self._ended(ends.pop(conn), ends)
                    continue
                try:
                    answer = (True, getattr(self.scheduler, name)(*args, **kwargs))
                except Exception as exc:  # raised in the worker, as a remote scheduler's error is
                    answer = (False, exc)
                with contextlib.suppress(OSError):
                    conn.send(answer)

    def _ended(self, pid: int, ends: dict) -> None:
        status = os.waitpid(pid, 0)[1]
        if os.WIFSIGNALED(status):
            self.died.append(f"worker process {pid} died ({signal.Signals(os.WTERMSIG(status)).name})")
            for other in ends.values():  # its task stays claimed: the others would wait for it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(other, signal.SIGKILL)

    def outcome(self, task) -> RunOutcome:
        """From the scheduler's view of every task (the workers' own summaries each see part)."""
        listed = {status: self.scheduler.task_list(status, "", limit=False)
                  for status in (luigi.scheduler.FAILED, luigi.scheduler.UNKNOWN, luigi.scheduler.PENDING,
                                 luigi.scheduler.RUNNING)}
        failed, unknown = listed[luigi.scheduler.FAILED], listed[luigi.scheduler.UNKNOWN]
        left = len(listed[luigi.scheduler.PENDING]) + len(listed[luigi.scheduler.RUNNING])
        has = {key for key, found in (("failed", failed or self.died), ("scheduling_error", unknown),
                                      ("not_run", left)) if found}
        errors = [(self.scheduler.fetch_error(tid) or {}).get("error") or "" for tid in failed]
        lines = [f"failed: {info.get('display_name', tid)}: {_last_line(error)}"
                 for (tid, info), error in zip(failed.items(), errors)]
        lines += [f"could not be scheduled: {info.get('display_name', tid)}" for tid, info in unknown.items()]
        errors += self.died
        lines += self.died + ([f"{left} tasks not run"] if left else [])
        done = task.complete()
        return RunOutcome(has, errors, done and not has, "\n".join(lines) or "all tasks done")


def _last_line(error: str) -> str:
    """The last line of a task's error (of a traceback: the exception), JSON-encoded or not."""
    with contextlib.suppress(ValueError):
        error = json.loads(error)
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no error recorded"


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the one that forked it dies (a killed run leaves
    no worker behind, writing on)."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)
