"""What every stage task shares: run-wide parameters, stage directories named by a hash of
their significant settings and upstream hashes, atomic shard output, stats and progress."""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from functools import lru_cache
from pathlib import Path

import luigi

from storydedup.pipeline.read import inputs as input_files
from storydedup.pipeline.read.items import STAGE_ERROR
from storydedup.pipeline.records import atomic_dir, read_jsonl, reject_record, write_json, write_jsonl
from storydedup.tasks.errors import ReportsFaults, fault_line
from storydedup.tasks.lock import LockedTask

log = logging.getLogger("storydedup")
# Bump when a stage's code changes its results, so old directories are not reused.
CODE_VERSION = "1"
DEFAULT_SHARD_SIZE = 500


# A shard also ends once it holds this many bytes of input: pages of HTML are ~50x the size
# of their text, and 500 of them made one task a worker waited on while the other sat idle
# (and held them all in memory).
SHARD_BYTES = 16 << 20


@lru_cache(maxsize=8)
def unit_sizes(inputs: tuple[str, ...], fingerprint: str) -> tuple[int, ...]:
    """Bytes of every input unit, in order (``input_files.unit_sizes``): one pass over the
    inputs, shared by ``plan`` and ``resolve_shard_size``."""
    return tuple(n for source in input_files.discover(list(inputs)) for n in input_files.unit_sizes(source))


@lru_cache(maxsize=8)
def plan(inputs: tuple[str, ...], shard_size: int, shard_bytes: int, fingerprint: str) -> tuple[int, tuple[int, ...]]:
    """(documents, the first document of each shard) for the inputs; keyed by their
    fingerprint so edits re-plan. A shard ends after ``shard_size`` documents or before the
    document that would take it past ``shard_bytes`` (a document bigger than that is a shard)."""
    starts, total, in_shard, size = [0], 0, 0, 0
    for n_bytes in unit_sizes(inputs, fingerprint):
        if in_shard == shard_size or (in_shard and size + n_bytes > shard_bytes):
            starts.append(total)
            in_shard, size = 0, 0
        in_shard, size, total = in_shard + 1, size + n_bytes, total + 1
    return total, tuple(starts)


# Unless a shard size is asked for, a run's shards hold DEFAULT_SHARD_SIZE documents, or more
# where that would make over AUTO_MAX_SHARDS of them: each task has a fixed cost (~15 ms of
# CPU with the long-lived worker processes: 10k documents in 100 shards a stage instead of 20
# took 1.46x the CPU; ~0.1 s where Luigi forks a process per task), and Luigi's
# scheduling work per task grows with their number (100k documents in 64 shards instead of
# 200: 0.87 of the wall time, measured with a process forked per task). At most AUTO_MAX_DOCS,
# as a worker holds a shard (the strip stage ~0.14 GB per 1,000 documents).
AUTO_SHARD_SIZE = 0
AUTO_MAX_SHARDS = 64
AUTO_MAX_DOCS = 2_500


def resolve_shard_size(shard_size: int, inputs: list[str]) -> int:
    """``shard_size``, or for AUTO_SHARD_SIZE the size the inputs' document count calls for."""
    if shard_size != AUTO_SHARD_SIZE:
        return shard_size
    documents = len(unit_sizes(tuple(inputs), fingerprint_now(inputs)))
    return min(AUTO_MAX_DOCS, max(DEFAULT_SHARD_SIZE, -(-documents // AUTO_MAX_SHARDS)))


@lru_cache(maxsize=8)
def _input_fingerprint(inputs: tuple[str, ...], _tick: int) -> str:
    fp = input_files.fingerprint(input_files.discover(list(inputs)))
    return short_hash(fp)


def fingerprint_now(inputs) -> str:
    """The inputs' fingerprint, cached for a few seconds: a long-lived scheduler process still
    notices edited inputs."""
    return _input_fingerprint(tuple(inputs), int(time.time() // 5))


def short_hash(obj) -> str:
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:10]


class StageTask(LockedTask, ReportsFaults, luigi.Task):
    """Base of all stages. Subclasses set ``stage`` (e.g. "30_repair") and ``settings_cls``."""

    inputs = luigi.ListParameter(description="input files or directories, in order")
    output_dir = luigi.Parameter(description="the run's output directory")
    shard_size = luigi.IntParameter(default=DEFAULT_SHARD_SIZE, description="documents per shard")

    stage: str = ""
    settings_cls = None
    accepts_messages = True

    # -- identity -------------------------------------------------------------------------
    def input_fingerprint(self) -> str:
        return fingerprint_now(self.inputs)

    def planned(self) -> tuple[int, int]:
        """(documents, shards) of the inputs."""
        total, starts = self.shard_starts()
        return total, len(starts)

    def shard_starts(self) -> tuple[int, tuple[int, ...]]:
        """(documents, the first document of each shard): see ``plan``."""
        return plan(tuple(self.inputs), self.shard_size, SHARD_BYTES, self.input_fingerprint())

    @property
    def n_shards(self) -> int:
        return self.planned()[1]

    def significant(self) -> dict:
        """Everything that changes this stage's result (besides upstream stages)."""
        from storydedup.tasks.settings import settings_of

        out = {"stage": self.stage, "code": CODE_VERSION}
        if self.settings_cls is not None:
            import dataclasses

            out["settings"] = dataclasses.asdict(settings_of(self))
        return out

    def lock_folder(self) -> Path:
        """What a run of this task owns: its output folder, or the batch root for the stages
        of a daily batch that know the batch (its output folder is ROOT/batches/DATE)."""
        out = Path(self.output_dir)
        return out.parents[1] if getattr(self, "batch", "") else out

    def check(self) -> None:
        """Raise ``ConfigError`` for a missing or unusable resource (rules, model) before any
        work starts; stages that read such files override it."""

    def runs_unwarmed(self) -> bool:
        """May this task run before the warm-up is over (beside it, see ``cli.read_ahead``)?
        Only when it loads nothing the warm-up would have loaded for it."""
        return False

    def upstream_stages(self) -> list["StageTask"]:
        # Kept on the instance: a task's requirements follow from its parameters alone, and
        # building them again (a Luigi clone per shard) cost about 1 s per 10k-document run.
        if not hasattr(self, "_upstream_stages"):
            reqs = self.requires()
            reqs = reqs if isinstance(reqs, (list, tuple)) else [reqs]
            self._upstream_stages = [r for r in luigi.task.flatten(reqs) if isinstance(r, StageTask)]
        return self._upstream_stages

    def stage_hash(self) -> str:
        if not hasattr(self, "_stage_hash"):
            ups = sorted({u.stage: u.stage_hash() for u in self.upstream_stages()}.items())
            self._stage_hash = short_hash({"own": self.significant(), "upstream": ups})
        return self._stage_hash

    def stage_dir(self) -> Path:
        return Path(self.output_dir) / f"{self.stage}-{self.stage_hash()}"

    def params_record(self) -> dict:
        return {
            "stage": self.stage,
            "hash": self.stage_hash(),
            "significant": self.significant(),
            "upstream": {u.stage: u.stage_dir().name for u in self.upstream_stages()},
            "shard_size": self.shard_size,
        }

    # -- progress ---------------------------------------------------------------------------
    def progress(self, done: int, total: int, what: str = "documents") -> None:
        if self.set_status_message is None:  # run outside a Luigi worker (see cli.read_ahead)
            return
        self.set_status_message(f"{self.stage}: {done}/{total} {what}")
        self.set_progress_percentage(int(100 * done / total) if total else 100)


def all_upstream(task) -> list[StageTask]:
    """Every stage task ``task`` depends on, directly or not, each once."""
    seen, todo, out = set(), [task], []
    while todo:
        t = todo.pop()
        for up in t.upstream_stages():
            if up.task_id not in seen:
                seen.add(up.task_id)
                out.append(up)
                todo.append(up)
    return out


ENGINES = ("local", "spark")


class Engine(luigi.Config):
    """``[Engine]`` config section: which engine runs the signature and cluster stages."""

    name = luigi.ChoiceParameter(choices=ENGINES, default="local",
                                 description="local (processes on this machine) or spark (PySpark jobs)")
    spark_master = luigi.Parameter(default="local[2]", description="Spark master URL for the spark engine")


class EngineParams:
    """Run-wide engine choice, passed down to the stage that picks its tasks. Not significant:
    both engines give identical results, so they share stage directories."""

    # Not positional: Luigi's range tools pass a DailyBatch its date as the first positional value.
    engine = luigi.ChoiceParameter(choices=ENGINES, default="local", significant=False, positional=False,
                                   description="engine of the signature and cluster stages")
    spark_master = luigi.Parameter(default="local[2]", significant=False, positional=False,
                                   description="Spark master URL")


class DailyParams:
    """Parameters of a daily batch, passed from Publish to Clusters (empty batch: a one-off run)."""

    batch = luigi.Parameter(default="", description="daily batch date YYYY-MM-DD; empty for a one-off run")
    index = luigi.Parameter(default="", significant=False,
                            description="index of earlier batches: a directory or redis://host:port/db")
    window_days = luigi.IntParameter(default=30, description="earlier documents matched, in days")


def index_batches(location: str) -> list[str]:
    """Batches committed to the index at ``location``."""
    from storydedup.pipeline.index import open_index

    index = open_index(location)
    try:
        return index.batches()
    finally:
        index.close()


def is_bug(exc: BaseException) -> bool:
    """An exception of the code on some data, not a fault of the machine: such an exception on
    one document rejects that document ('stage error') instead of failing the run."""
    return not (isinstance(exc, MemoryError) or fault_line(exc))


class BatchStage(StageTask):
    """A stage run once per batch; its whole directory is its output."""

    # Stages whose computation over all documents can reject some write ``rejects.jsonl.gz``.
    rejects_documents = False

    def output(self):
        return luigi.LocalTarget(str(self.stage_dir()))

    def rejects_file(self) -> Path | None:
        """This (finished) stage's rejects, if it writes any (a stage directory written before
        batch stages could reject has none)."""
        path = Path(self.output().path) / "rejects.jsonl.gz"
        return path if self.rejects_documents and path.is_file() else None

    def rejected_ids(self) -> set[str]:
        path = self.rejects_file()
        return {r["id"] for r in read_jsonl(path)} if path else set()

    def reject_failing(self, error: Exception, probe, docs: list[dict]) -> tuple[list[dict], "np.ndarray"]:
        """After ``error`` from this stage's computation over ``docs`` (dicts with ``id``, and
        ``seq``/``origin`` when known): (reject records ('stage error') of the documents on which
        ``probe(indices)`` fails alone (see ``pipeline.isolate``), indices of the others) for the
        stage to compute again. ``error`` itself is raised when it is a fault of the machine or
        no single document explains it."""
        import numpy as np

        from storydedup.pipeline.isolate import failing_items

        if not is_bug(error):
            raise error
        failing = failing_items(probe, np.arange(len(docs)), is_bug)
        if not failing:
            raise error
        rejects = []
        for i, exc in failing.items():
            doc = docs[i]
            log.warning("%s: document %r rejected: %s: %s", self.stage, doc["id"], type(exc).__name__, exc)
            rejects.append(reject_record(doc["id"], self.stage, STAGE_ERROR, f"{type(exc).__name__}: {exc}",
                                         seq=doc.get("seq"), origin=doc.get("origin")))
        return rejects, np.array([i for i in range(len(docs)) if i not in failing], dtype=np.int64)

    def shards_of(self, cls) -> list["ShardStage"]:
        return [self.clone(cls, shard=i) for i in range(self.n_shards)]


class ShardStage(StageTask):
    """A per-document stage run on one shard: read upstream shard, apply, write this shard."""

    shard = luigi.IntParameter()
    upstream_cls = None
    # The counter ``apply`` returns for a record it leaves exactly as it was: a shard whose
    # records all come out so (none rejected) is written by copying its input file, which holds
    # the same bytes (every stage writes with ``write_jsonl``), instead of serialising them again.
    unchanged_counter: str | None = None

    def requires(self):
        return self.clone(self.upstream_cls)

    def output(self):
        return luigi.LocalTarget(str(self.stage_dir() / f"shard-{self.shard:05d}"))

    def input_docs_path(self) -> Path:
        return Path(self.input().path) / "docs.jsonl.gz"

    def prepare(self):
        """Per-run context passed to ``apply`` (e.g. loaded rules); default: the settings."""
        from storydedup.tasks.settings import settings_of

        return settings_of(self)

    def apply(self, rec: dict, context) -> dict:
        raise NotImplementedError

    def warm(self, workers: int) -> None:
        """Apply the stage once to a small record in this process, so that what its tasks load
        on first use (tables, compiled kernels, rules) is loaded before the ``workers`` fork and
        is shared by every task instead of being rebuilt in each one."""
        from storydedup.pipeline.records import RejectDocument

        rec = self.warm_input()
        try:
            self.apply(rec, self.prepare_shard([rec], self.warm_context()))
        except RejectDocument:
            pass

    def warm_input(self) -> dict:
        return warm_record()

    def warm_context(self):
        return self.prepare()

    def prepare_shard(self, docs: list[dict], context):
        """Work done once for the whole shard before ``apply`` runs per document (e.g. a
        model's batch prediction); returns the context ``apply`` gets. Default: unchanged."""
        return context

    def run(self):
        from storydedup.pipeline.records import RejectDocument

        started = time.time()
        context = self.prepare()
        docs = list(read_jsonl(self.input_docs_path()))
        context = self.prepare_shard(docs, context)
        kept, rejects, counters, reasons = [], [], {}, {}
        changed = self.unchanged_counter is None
        for n, rec in enumerate(docs, 1):
            try:
                for key, value in self.apply(rec, context).items():
                    counters[key] = counters.get(key, 0) + value
                    changed = changed or key != self.unchanged_counter
                kept.append(rec)
            except RejectDocument as exc:
                rejects.append(reject_record(rec["id"], self.stage, exc.reason, exc.detail,
                                             seq=rec.get("seq"), origin=rec.get("origin")))
                reasons[exc.reason] = reasons.get(exc.reason, 0) + 1
            except Exception as exc:  # one document that trips a stage must not fail the run
                if not is_bug(exc):
                    raise
                log.warning("%s: document %r rejected: %s: %s", self.stage, rec["id"], type(exc).__name__, exc)
                rejects.append(reject_record(rec["id"], self.stage, STAGE_ERROR, f"{type(exc).__name__}: {exc}",
                                             seq=rec.get("seq"), origin=rec.get("origin")))
                reasons[STAGE_ERROR] = reasons.get(STAGE_ERROR, 0) + 1
            if n % 100 == 0 or n == len(docs):
                self.progress(n, len(docs))
        stats = shard_stats(len(docs), len(kept), reasons, counters, started)
        write_shard(self.output().path, kept if changed or rejects else self.input_docs_path(), rejects, stats,
                    self.params_record())
        log.info("%s shard %d/%d: %d in, %d kept, %d rejected (%.1fs)", self.stage, self.shard + 1,
                 self.n_shards, stats["in"], stats["kept"], stats["rejected"], stats["seconds"])


def warm_record() -> dict:
    """A small document that takes the usual path through every stage."""
    para = ("The council said on Tuesday that the new bridge across the river would open next spring, "
            "after two years of work and a dispute over its cost.")
    text = "\n\n".join([para] * 4)
    return {"id": "warm-up", "seq": 0, "text": text, "title": "Bridge to open in spring", "format": "text",
            "published": "2024-01-02", "source": "example.org"}


def shard_stats(n_in: int, n_kept: int, reasons: dict, counters: dict, started: float) -> dict:
    """A shard stage's ``_stats.json``: every record read is kept or rejected."""
    return {"in": n_in, "kept": n_kept, "rejected": n_in - n_kept, "reject_reasons": reasons,
            "counters": dict(sorted(counters.items())), "seconds": round(time.time() - started, 3)}


def write_shard(path: str, kept: list[dict] | Path, rejects: list[dict], stats: dict, params: dict) -> None:
    """Write one shard directory atomically: docs, rejects, _stats.json, _params.json. ``kept``
    may be a docs file to copy as it is (a stage that changes no record of the shard)."""
    with atomic_dir(path) as tmp:
        if isinstance(kept, Path):
            shutil.copyfile(kept, tmp / "docs.jsonl.gz")
        else:
            write_jsonl(tmp / "docs.jsonl.gz", kept)
        write_jsonl(tmp / "rejects.jsonl.gz", rejects)
        write_json(tmp / "_stats.json", stats)
        write_json(tmp / "_params.json", params)
