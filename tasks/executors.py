"""A Luigi worker whose tasks run in long-lived processes (``--workers N``).

Luigi's multi-process worker forks a new process for every task; with hundreds of shard tasks
the forks and the copy-on-write faults that follow cost about a quarter of a run's CPU time.
``ExecutorWorker`` is one Luigi worker as far as the scheduler can tell (one worker id, the
stakeholder of every task it added or that its tasks yielded), so a central scheduler gives it
exactly the work Luigi's own worker would get, dynamic dependencies included. Its tasks run
in ``N`` processes forked once, after the run's warm-up, each running one task at a time and
sending its results back over its own pipe. A thread of the worker's process puts them on the
worker's result queue: the executors share no lock, so one killed while it reports a result
cannot leave the others unable to report theirs (a queue shared across processes would).
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import traceback
from multiprocessing import connection as mp_connection

import luigi.worker
from luigi.task_register import load_task


class Executors:
    """``n`` processes forked from this one, each running the tasks sent to it, one at a time."""

    def __init__(self, worker: luigi.worker.Worker, n: int):
        self.conns: list = []
        self.pids: list[int] = []
        for _ in range(n):
            parent_end, child_end = mp_connection.Pipe()
            pid = os.fork()
            if pid == 0:
                parent_end.close()
                for other in self.conns:
                    other.close()
                _serve(worker, child_end)  # never returns
            child_end.close()
            self.conns.append(parent_end)
            self.pids.append(pid)
        self.exitcodes: list[int | None] = [None] * n
        self.relay = threading.Thread(target=self._relay, args=(worker._task_result_queue,), daemon=True)
        self.relay.start()

    def _relay(self, results) -> None:
        """Put each result an executor sends on the worker's result queue as it comes, until
        every executor has gone (a pipe an executor died writing to is dropped)."""
        live = list(self.conns)
        while live:
            for conn in mp_connection.wait(live):
                try:
                    results.put(conn.recv())
                except Exception:  # EOF, or a message cut short by the sender's death
                    live.remove(conn)

    def send(self, slot: int, task) -> None:
        self.conns[slot].send((task.task_module, task.task_family, task.to_str_params()))

    def exitcode(self, slot: int, wait: bool = False) -> int | None:
        """None while the process lives, else its exit status (a signal as its negative number)."""
        if self.exitcodes[slot] is None:
            pid, status = os.waitpid(self.pids[slot], 0 if wait else os.WNOHANG)
            if pid:
                self.exitcodes[slot] = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        return self.exitcodes[slot]

    def kill(self) -> None:
        for slot, pid in enumerate(self.pids):
            if self.exitcode(slot) is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send(None)
        for slot in range(len(self.pids)):
            self.exitcode(slot, wait=True)
        self.relay.join()  # every pipe has ended with its executor
        for conn in self.conns:
            conn.close()


def _serve(worker: luigi.worker.Worker, conn) -> None:
    """An executor: run each task sent as Luigi's forked task process runs it, until told to stop."""
    code = 0
    try:
        die_with_parent()
        while True:
            sent = conn.recv()
            if sent is None:
                break
            # the task process Luigi's worker would fork (its reporter, settings and context), run here
            process = luigi.worker.Worker._create_task_process(worker, load_task(*sent))
            process.result_queue = _Reply(conn)
            process.run()
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the run reports it once
        code = 130
    except EOFError:  # the worker's process is gone
        code = 1
    except Exception:  # not the task's (its errors are its result): this executor's own
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


class _Reply:
    """A task process's result queue in an executor: its one result goes back over the pipe."""

    def __init__(self, conn):
        self.conn = conn

    def put(self, result) -> None:
        self.conn.send(result)


class _Dispatched:
    """What ``luigi.worker.Worker`` keeps of a running task (a ``TaskProcess``'s attributes that it
    reads), for a task sent to an executor instead of a process of its own."""

    use_multiprocessing = True  # start() is called, run() is not
    timeout_time = None
    worker_timeout = 0

    def __init__(self, worker: ExecutorWorker, task):
        self.worker, self.task, self.slot = worker, task, -1
        self.reported = False  # its executor's death has been reported as the task's failure

    def start(self) -> None:
        executors = self.worker.executors
        busy = {p.slot for p in self.worker._running_tasks.values() if isinstance(p, _Dispatched) and p is not self}
        free = [s for s in range(len(executors.pids)) if s not in busy]
        live = [s for s in free if executors.exitcode(s) is None]
        self.slot = (live or free)[0]  # no live one: a dead one, and the task fails as it would there
        if live:
            with contextlib.suppress(OSError):
                executors.send(self.slot, self.task)

    def is_alive(self) -> bool:
        return self.exitcode is None

    @property
    def exitcode(self) -> int | None:
        code = self.worker.executors.exitcode(self.slot)
        return None if code is None else (code or 1)  # any end while running a task is a failure

    def terminate(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.worker.executors.pids[self.slot], signal.SIGTERM)


class ExecutorWorker(luigi.worker.Worker):
    """A Luigi worker running up to ``worker_processes`` tasks at once in as many executors. A
    task with a timeout (``worker_timeout``) gets a process of its own, as Luigi's worker gives
    it: ending it ends the process. An executor that dies (kill -9, out of memory) fails the
    task it ran, and the worker stops: what is left is done by the next run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Forked here, before ``__enter__`` starts the worker's keep-alive thread: a fork copies
        # only the thread that calls it, and a lock another thread held (logging's, a
        # connection pool's) would stay held in the child for good.
        self.executors = Executors(self, self.worker_processes)

    def __exit__(self, kind, value, traceback):
        try:
            if kind is not None:  # Ctrl-C, a scheduler error: what the executors run is abandoned
                self.executors.kill()
            return super().__exit__(kind, value, traceback)
        finally:
            self.executors.close()

    def _create_task_process(self, task):
        if task.worker_timeout or self._config.timeout:
            return super()._create_task_process(task)
        return _Dispatched(self, task)

    def _purge_children(self):
        """A task whose executor died fails with a line saying so, and no more work is asked for
        (its slot is gone; the other executors finish what they run). Tasks in a process of
        their own get Luigi's checks."""
        forked = {}
        for task_id, p in self._running_tasks.items():
            if not isinstance(p, _Dispatched):
                forked[task_id] = p
            elif not p.is_alive() and not p.reported:
                p.reported = True
                code = self.executors.exitcode(p.slot)
                how = f"({signal.Signals(-code).name})" if code < 0 else f"with exit code {code}"
                error = f"worker process {self.executors.pids[p.slot]} died {how} running {task_id}"
                p.task.trigger_event(luigi.worker.Event.PROCESS_FAILURE, p.task, error)
                self._task_result_queue.put((task_id, luigi.worker.FAILED, error, [], []))
                self._stop_requesting_work = True
        if forked:  # Luigi's checks read the running tasks: only these
            everything, self._running_tasks = self._running_tasks, forked
            try:
                super()._purge_children()
            finally:
                self._running_tasks = everything


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the one that forked it dies (a killed run leaves
    no worker behind, writing on)."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)
