"""The local scheduler of a run: Luigi's own, pruning its task graph at most once a second."""
from __future__ import annotations

import luigi.scheduler

from storydedup.tasks import scheduling


def test_local_scheduler_prunes_at_most_once_a_second(monkeypatch):
    pruned, clock = [], [100.0]
    monkeypatch.setattr(luigi.scheduler.Scheduler, "prune", lambda self: pruned.append(clock[0]))
    monkeypatch.setattr(scheduling.time, "monotonic", lambda: clock[0])
    sch = scheduling.Schedulers().create_local_scheduler()
    sch.prune()
    clock[0] += 0.5
    sch.prune()
    assert pruned == [100.0]
    clock[0] += 0.5
    sch.prune()
    assert pruned == [100.0, 101.0]


def test_local_scheduler_still_hands_out_work_and_counts_what_is_pending():
    sch = scheduling.Schedulers().create_local_scheduler()
    sch.add_task(worker="w", task_id="a", status="PENDING", runnable=True)
    sch.add_task(worker="w", task_id="b", status="PENDING", deps=["a"], runnable=True)
    work = sch.get_work(worker="w")
    assert work["task_id"] == "a" and work["n_pending_tasks"] == 2  # counted before it is handed out
    sch.add_task(worker="w", task_id="a", status="DONE")
    work = sch.get_work(worker="w")
    assert work["task_id"] == "b" and work["n_pending_tasks"] == 1
