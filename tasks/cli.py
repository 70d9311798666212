"""The ``storydedup`` command: run, rerun, inspect, stats, history, report, evaluate, train-strip,
crossval-strip."""
from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import select
import signal
import sys
import time
from pathlib import Path

import luigi
from luigi.retcodes import retcode

from storydedup.pipeline import resources
from storydedup.pipeline.index.store import IndexLocationError
from storydedup.pipeline.read.inputs import InputError, discover
from storydedup.pipeline.records import read_json, remove_stale_temporaries, write_json
from storydedup.pipeline.resources import ConfigError
from storydedup.pipeline.run_outputs import HISTORY_DIR, HISTORY_FILE

from storydedup.tasks import outputs
from storydedup.tasks.base import (AUTO_MAX_DOCS, AUTO_MAX_SHARDS, AUTO_SHARD_SIZE, DEFAULT_SHARD_SIZE, ENGINES,
                                   SHARD_BYTES, all_upstream, log, resolve_shard_size)
from storydedup.tasks.errors import FAULT, UsageError, fault_line
from storydedup.tasks.lock import AlreadyRunning, run_lock
from storydedup.tasks.scheduling import RunOutcome, Schedulers


INTERRUPTED = 128 + signal.SIGINT  # the shell's code for a process ended by Ctrl-C


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="storydedup", description="Clean scraped news text and group reports of the same story.")
    sub = p.add_subparsers(dest="command", required=True)

    def run_options(sp, inputs_required=True):
        sp.add_argument("--config", help="Luigi config file with settings (read after the packaged storydedup.cfg)")
        sp.add_argument("--rules", action="append", metavar="DIR",
                        help="folder of boilerplate rule files added to the packaged ones (repeatable)")
        sp.add_argument("--workers", type=int, default=1, help="shards processed in parallel (default 1)")
        sp.add_argument("--scheduler-url", help="central luigid, e.g. http://127.0.0.1:8082 (default: local scheduler)")
        sp.add_argument("--quiet", action="store_true", help="only print the summary")
        sp.add_argument("--engine", choices=ENGINES,
                        help="engine of the signature and cluster stages (default: [Engine] name, else local)")
        sp.add_argument("--spark-master", help="with --engine spark: Spark master URL "
                                               "(default: [Engine] spark_master, else local[2])")

    r = sub.add_parser("run", help="run the pipeline")
    r.add_argument("--input", action="append", required=True, help="file or directory (repeatable)")
    r.add_argument("--output", required=True, help="output directory")
    r.add_argument("--shard-size", type=shard_size_arg, default=AUTO_SHARD_SIZE, metavar="N|auto",
                   help=f"documents per shard (default auto: {DEFAULT_SHARD_SIZE}, or more so that a stage has at "
                        f"most {AUTO_MAX_SHARDS} shards, up to {AUTO_MAX_DOCS}; a shard also ends at "
                        f"{SHARD_BYTES >> 20} MB of input)")
    r.add_argument("--batch", metavar="YYYY-MM-DD",
                   help="a daily batch: group against earlier batches under --output (inputs may contain {date})")
    r.add_argument("--index", help="with --batch: index location, a directory (default OUTPUT/index) "
                                   "or redis://host:port/db")
    r.add_argument("--force", action="store_true", help="with --batch: recompute the batch and replace its "
                                                        "effect on the index")
    r.add_argument("--report", action="store_true", help="write the HTML run report (OUTPUT/report/index.html; "
                                                         "with --batch also the history report of OUTPUT)")
    run_options(r)

    rr = sub.add_parser("rerun", help="recompute a stage and everything after it")
    rr.add_argument("--output", required=True)
    rr.add_argument("--from", dest="from_stage", required=True, help="stage name or number, e.g. strip or 50")
    run_options(rr)

    i = sub.add_parser("inspect", help="show one document at every stage")
    i.add_argument("--output", required=True)
    i.add_argument("doc_id")
    i.add_argument("--full", action="store_true", help="print whole texts, not the first lines")

    s = sub.add_parser("stats", help="per-stage counts of the last run")
    s.add_argument("--output", required=True)

    h = sub.add_parser("history", help="run-over-run table of the daily batches")
    h.add_argument("--output", required=True, help="the root directory given to `run --batch`")

    rp = sub.add_parser("report", help="write the HTML report of a finished run or of a daily root")
    rp.add_argument("--output", required=True, help="a run's output directory, or the root of daily batches")

    t = sub.add_parser("train-strip", help="rebuild the strip model from labelled sets")
    t.add_argument("--train", action="append", required=True, metavar="DIR",
                   help="a text set with line labels or an HTML set with gold bodies (repeatable)")
    t.add_argument("--output", required=True, metavar="MODEL", help="model file to write (.json.gz)")
    t.add_argument("--rules", action="append", metavar="DIR", help="rule folders added to the packaged ones")

    cv = sub.add_parser("crossval-strip", help="out-of-fold figures of the strip model against the rules alone")
    cv.add_argument("--train", action="append", required=True, metavar="DIR",
                    help="a labelled set, as for train-strip (repeatable); sets with gold are scored")
    cv.add_argument("--folds", type=int, default=2, help="folds (default 2: two trainings on half the documents)")
    cv.add_argument("--output", required=True, help="folder for the folds, their models and runs (resumable)")
    cv.add_argument("--rules", action="append", metavar="DIR", help="rule folders added to the packaged ones")
    cv.add_argument("--workers", type=int, default=1, help="shards processed in parallel in each run")

    e = sub.add_parser("evaluate", help="run on evaluation sets and print their metrics")
    e.add_argument("--set", dest="sets", action="append", required=True, help="evaluation set directory (repeatable)")
    e.add_argument("--output", required=True, help="directory for the runs (one subdirectory per set)")
    run_options(e)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(getattr(args, "quiet", False))
    try:
        return COMMANDS[args.command](args)
    except (UsageError, InputError, ConfigError, IndexLocationError) as exc:
        print(f"storydedup: error: {exc}", file=sys.stderr)
        return 2
    except AlreadyRunning as exc:
        print(f"storydedup: error: {exc}", file=sys.stderr)
        return retcode().already_running
    except KeyboardInterrupt:  # Ctrl-C reaches the workers too: each stops, writing nothing half-done
        print("storydedup: interrupted; finished stages and shards are kept, and the same command "
              "goes on from them", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:  # outside a task (planning, the run file): same one line as inside
        line = fault_line(exc)
        if line is None:
            raise
        print(f"storydedup: error: {line}", file=sys.stderr)
        return retcode().task_failed


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (it is swapped under test runners)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def _not_a_fault(record: logging.LogRecord) -> bool:
    """Drop Luigi's traceback of a task that failed on a fault of the environment: the run ends
    with one line about it instead (see ``errors.fault_line``)."""
    return not (record.exc_info and record.exc_info[1] is not None and fault_line(record.exc_info[1]))


def _setup_logging(quiet: bool) -> None:
    handler = _CurrentStderr()
    handler.addFilter(_not_a_fault)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    log.setLevel(logging.WARNING if quiet else logging.INFO)


_ADDED_CONFIG: list[str] = []


def load_config(path: str | None, rules: list[str] | None = None) -> None:
    """Read the packaged storydedup.cfg, then the user's file, then ``rules`` (``--rules``
    folders, added to ``[StripBoilerplate] extra_rules``); replaces what an earlier call added.

    Luigi's parser is a process-wide singleton that only ever merges files in, so a second
    run in one process (tests, ``evaluate``) would inherit the first run's settings.
    """
    if path and not Path(path).is_file():
        raise UsageError(f"config file not found: {path} (pass an existing file to --config)")
    parser_cls = luigi.configuration.LuigiConfigParser
    parser_cls._config_paths = [p for p in parser_cls._config_paths if p not in _ADDED_CONFIG]
    _ADDED_CONFIG[:] = [str(resources.default_config())] + ([str(Path(path).resolve())] if path else [])
    parser_cls._config_paths.extend(_ADDED_CONFIG)
    # Same parser object (Luigi modules hold references to it), emptied and re-read.
    parser = parser_cls.instance()
    parser.clear()
    parser_cls.reload()
    if rules:
        configured = json.loads(parser.get("StripBoilerplate", "extra_rules", "[]"))
        parser.set("StripBoilerplate", "extra_rules", json.dumps(configured + rules))
    # Task instances are cached by parameter values; settings may have changed, so drop them.
    luigi.task_register.Register.clear_instance_cache()


def _check_output(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".tmp-probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to output directory {out}: {exc.strerror} (choose a writable --output)")


def shard_size_arg(value: str) -> int:
    """``--shard-size``: a number of documents, or "auto" (AUTO_SHARD_SIZE)."""
    if value == "auto":
        return AUTO_SHARD_SIZE
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(f"must be 'auto' or a number of documents of at least 1, not {value!r}")
    return size


def cmd_run(args) -> int:
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if not args.output.strip():
        raise UsageError("--output is empty: name an output folder (it is created if missing)")
    if (args.index or args.force) and not args.batch:
        raise UsageError("--index and --force need --batch (they apply to daily batches)")
    out = Path(args.output).resolve()
    inputs = [str(Path(p).resolve()) for p in args.input]
    spec = {"inputs": inputs, "output_dir": str(out), "shard_size": args.shard_size,
            "config": str(Path(args.config).resolve()) if args.config else None,
            "rules": _rule_dirs(args)}
    if args.batch:
        spec.update(_batch_spec(args, out))
    batch_inputs = [p.format(date=spec.get("batch", "")) for p in inputs]
    discover(batch_inputs)  # fails early on missing inputs
    spec["shard_size"] = resolve_shard_size(args.shard_size, batch_inputs)
    _check_output(Path(spec["output_dir"]))
    load_config(args.config, spec["rules"])
    spec.update(_engine_spec(args, {}))
    with run_lock(lock_folder(spec)):
        if args.force:
            removed = outputs.remove_from_stage(_publish_task(_top_task(spec)), "10")
            log.info("--force: removed %d stage outputs of batch %s", removed, spec["batch"])
        code = execute(spec, args)
        if code == 0 and args.report:
            for folder in [spec["output_dir"]] + ([spec["root"]] if spec.get("batch") else []):
                print(f"Report: {_write_report(Path(folder))}")
    return code


def _rule_dirs(args) -> list[str]:
    """The ``--rules`` folders, absolute (a run file must still name them from another folder)."""
    return [str(Path(d).resolve()) for d in args.rules or ()]


def lock_folder(spec: dict) -> Path:
    """What one run owns: its output folder, or for a daily batch the whole batch root (the
    batches, the history and the default index)."""
    return Path(spec.get("root") or spec["output_dir"])


def _engine_spec(args, spec: dict) -> dict:
    """Engine and Spark master: the command line, else the earlier run's, else ``[Engine]``."""
    from storydedup.tasks.base import Engine

    configured = Engine()
    engine = args.engine or spec.get("engine") or configured.name
    master = args.spark_master or spec.get("spark_master") or configured.spark_master
    if args.spark_master and engine != "spark":
        raise UsageError("--spark-master needs --engine spark (or [Engine] name = spark)")
    if engine == "spark":
        check_spark()
    return {"engine": engine, "spark_master": master}


def check_spark() -> None:
    """The Spark engine needs pyspark (the [spark] extra) and a Java runtime."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        raise UsageError("the spark engine needs pyspark: pip install 'storydedup[spark]'")
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and Path(java_home, "bin", "java").is_file()):
        raise UsageError("the spark engine needs Java: none on PATH or in JAVA_HOME (scripts/install_spark.sh installs it)")


def _batch_spec(args, root: Path) -> dict:
    import datetime as dt

    from storydedup.tasks.daily import batch_dir, default_index

    try:
        day = dt.date.fromisoformat(args.batch)
    except ValueError:
        raise UsageError(f"--batch must be a date like 2026-11-21, not {args.batch!r}") from None
    index = args.index or default_index(str(root))
    _check_index_location(index, root)
    return {"batch": day.isoformat(), "root": str(root), "output_dir": str(batch_dir(str(root), day)),
            "index": index}


def _check_index_location(index: str, root: Path) -> None:
    """An embedded index may not hold the batch root, nor sit inside its batches or history:
    the two would write (and the index clean up) one another's files."""
    if index.startswith("redis://"):
        return
    where = Path(index).resolve()
    inside = [root / "batches", root / HISTORY_DIR]
    if where == root or root.is_relative_to(where) or any(where.is_relative_to(p) for p in inside):
        raise UsageError(f"--index {index} overlaps the batch root {root} (use a folder of its own, "
                         f"e.g. the default {root / 'index'})")


def _top_task(spec: dict):
    """The task a run builds: Publish, or DailyBatch (publish + history) for a daily batch."""
    if spec.get("batch"):
        import datetime as dt

        from storydedup.tasks.daily import DailyBatch

        return DailyBatch(date=dt.date.fromisoformat(spec["batch"]), inputs=spec["inputs"], root=spec["root"],
                          index=spec["index"], shard_size=spec["shard_size"], **_engine_of(spec))
    from storydedup.tasks.publish import Publish

    return Publish(inputs=spec["inputs"], output_dir=spec["output_dir"], shard_size=spec["shard_size"],
                   **_engine_of(spec))


def _engine_of(spec: dict) -> dict:
    """Engine parameters of a run spec (``_engine_spec`` has filled them in)."""
    return {"engine": spec["engine"], "spark_master": spec["spark_master"]}


def _publish_task(task):
    return task.publish_task() if hasattr(task, "publish_task") else task


def execute(spec: dict, args) -> int:
    out = Path(spec["output_dir"])
    remove_stale_temporaries(out)
    task = _top_task(spec)
    publish = _publish_task(task)
    for stage in {type(t): t for t in all_upstream(publish)}.values():
        stage.check()
    if spec.get("index"):
        from storydedup.tasks.base import index_batches

        index_batches(spec["index"])  # a folder that is not a usable index stops here (exit 2)
    if task.complete():
        outputs.write_run_file(out, spec, publish)
        print(f"Nothing to do: {out} is up to date with these inputs and settings "
              f"({publish.stage_dir().name}). Use `storydedup rerun --from STAGE` to recompute.")
        return 0
    started = time.time()
    reader = read_ahead(publish, args.workers)
    try:
        warm_stages(publish, args.workers)
    except BaseException:
        if reader:
            os.kill(reader[0], signal.SIGTERM)
        raise
    finally:
        if reader:
            os.close(reader[1])
            os.waitpid(reader[0], 0)
    while True:
        result = RunOutcome.of_build(luigi.build(
            [task], workers=args.workers, local_scheduler=not args.scheduler_url, detailed_summary=True,
            worker_scheduler_factory=Schedulers(),
            **({"scheduler_url": args.scheduler_url} if args.scheduler_url else {})))
        # Another invocation of the same batch (under a central scheduler) runs some of the
        # tasks: wait for them, then take whatever is left, instead of leaving it to nobody.
        if not args.scheduler_url or not waiting_for_others(result) or task.complete():
            break
        log.info("waiting for tasks another invocation is running")
        time.sleep(WAIT_SECONDS)
    code = exit_code(result, task.complete())
    if code == 0 and task.complete():
        outputs.write_run_file(out, spec, publish)
        print(outputs.run_summary(out, time.time() - started))
        if spec.get("batch"):
            from storydedup.tasks.daily import history_table

            lines = history_table(Path(spec["root"])).splitlines()
            print("\n".join([lines[0]] + [row for row in lines[1:] if row.startswith(spec["batch"])]))
    else:
        faults = fault_lines(result)
        if faults:
            print("\n".join(f"storydedup: error: {line}" for line in faults), file=sys.stderr)
        else:
            print(result.summary, file=sys.stderr)
            print(f"storydedup: error: the run did not complete (exit {code}); see the summary above",
                  file=sys.stderr)
    return code


def fault_lines(result: RunOutcome) -> list[str]:
    """The distinct one-line reports of the failed tasks when every failure was a fault of the
    environment (``ReportsFaults``); empty when any failure needs its traceback."""
    lines = []
    for error in result.errors:  # decoded as the worker sent them (RunOutcome.of_build)
        if not isinstance(error, str) or not error.startswith(FAULT):
            return []
        lines.append(error[len(FAULT):].strip())
    return sorted(set(lines))


WAIT_SECONDS = 2.0


def read_ahead(publish, workers: int) -> tuple[int, int] | None:
    """With several workers, run the read stage in a forked process while this one warms the
    other stages up: both are one process's work, and each had the machine to itself. After
    the read stage the reader goes on, shard by shard, with the tasks that need no warm-up
    (``runs_unwarmed``) until told to stop. Returns the reader's pid and the pipe end whose
    closing tells it to stop after its current task (None: one worker, or nothing to read).
    Its outcome is not looked at: Luigi runs what it did not complete, as any other task."""
    from storydedup.tasks.base import ShardStage
    from storydedup.tasks.read import ReadInputs

    upstream = all_upstream(publish)
    pending = [t for t in upstream if isinstance(t, ReadInputs) and not t.complete()]
    if workers < 2 or len(pending) != 1:
        return None
    stop_read, stop = os.pipe()
    pid = os.fork()
    if pid:
        os.close(stop_read)
        return pid, stop
    os.close(stop)
    code = 1
    try:  # each stage's directory appears whole or not at all (atomic_dir)
        pending[0].run()
        shards = sorted((t for t in upstream if isinstance(t, ShardStage)), key=lambda t: (t.shard, t.stage))
        for task in shards:
            if select.select([stop_read], [], [], 0)[0]:  # the warm-up is over: Luigi takes it from here
                break
            if not task.complete() and all(u.complete() for u in task.upstream_stages()) and task.runs_unwarmed():
                task.run()
        code = 0
    finally:
        os._exit(code)  # no exit handlers: the lock and the open files stay the parent's


def warm_stages(publish, workers: int) -> None:
    """With several workers each worker process is forked from this one: load what the stages
    with work left need (tables, kernels, rules) once here, before the forks, so that no worker
    rebuilds it. One worker runs the tasks in this process, where it is loaded once anyway."""
    if workers < 2:
        return
    pending = {}
    for stage in all_upstream(publish):
        if hasattr(stage, "warm") and type(stage) not in pending and not stage.complete():
            pending[type(stage)] = stage
    for stage in pending.values():
        stage.warm(workers)
    # The stages keep what they took from wordfreq's lists (stop words, idf table); wordfreq's
    # own caches of the whole lists (~150 MB) would otherwise be copied into every worker.
    import wordfreq

    wordfreq.get_frequency_list.cache_clear()
    wordfreq.get_frequency_dict.cache_clear()
    # What is loaded now is read, never freed, by the forked workers: out of the collector's reach,
    # a collection in a worker does not write to every page of it (each write copies a page).
    gc.collect()
    gc.freeze()


def waiting_for_others(result: RunOutcome) -> bool:
    """Only tasks run (or claimed) by another worker kept this build from finishing."""
    has = result.has
    return bool(has & {"run_by_other_worker", "not_run"}) and not has & {"failed", "scheduling_error",
                                                                         "still_pending_ext"}


def exit_code(result: RunOutcome, done: bool) -> int:
    """Map a Luigi run to the [retcode] exit codes, as `luigi` itself does, except when
    another invocation shared the work under a central scheduler: success once ``done``."""
    codes = retcode()
    has = result.has
    conditions = ((codes.missing_data, "still_pending_ext"), (codes.task_failed, "failed"),
                  (codes.already_running, "run_by_other_worker"), (codes.scheduling_error, "scheduling_error"),
                  (codes.not_run, "not_run"))
    code = max([c for c, key in conditions if key in has] or [0])
    if waiting_for_others(result):
        return 0 if done else codes.already_running
    if code == 0 and not result.succeeded:
        code = codes.not_run or 1
    return code


def _load_run(out: str) -> dict:
    path = Path(out) / outputs.RUN_FILE
    if not path.is_file():
        raise UsageError(f"no finished run in {out} ({outputs.RUN_FILE} missing): run `storydedup run` first")
    return read_json(path)


def cmd_rerun(args) -> int:
    spec = _load_run(args.output)
    if args.rules:
        spec["rules"] = _rule_dirs(args)
    load_config(args.config or spec.get("config"), spec.get("rules"))
    spec.update(_engine_spec(args, spec))
    with run_lock(lock_folder(spec)):
        removed = outputs.remove_from_stage(_publish_task(_top_task(spec)), args.from_stage)
        log.info("removed %d stage outputs from %s on", removed, args.from_stage)
        return execute(spec, args)


def cmd_inspect(args) -> int:
    spec = _load_run(args.output)
    text = outputs.inspect_document(Path(args.output), spec, args.doc_id, full=args.full)
    print(text)
    return 0


def cmd_stats(args) -> int:
    spec = _load_run(args.output)
    print(outputs.stage_table(Path(args.output), spec))
    return 0


def cmd_history(args) -> int:
    from storydedup.tasks.daily import history_table

    print(history_table(Path(args.output)))
    return 0


def _write_report(folder: Path) -> Path:
    try:
        from storydedup.pipeline.report import write_report
    except ImportError as exc:
        raise UsageError(f"the report needs matplotlib ({exc}): pip install 'storydedup[report]'") from None
    try:
        return write_report(folder)
    except OSError as exc:
        raise UsageError(f"cannot write the report of {folder}: {exc}") from None


def cmd_report(args) -> int:
    out = Path(args.output)
    if not (out / outputs.RUN_FILE).is_file() and not (out / HISTORY_FILE).is_file():
        raise UsageError(f"no finished run in {out} ({outputs.RUN_FILE} missing) and no daily history "
                         f"({HISTORY_FILE} missing): run `storydedup run` first")
    print(_write_report(out))
    return 0


def cmd_train_strip(args) -> int:
    from storydedup.pipeline.strip import rule_paths
    from storydedup.pipeline.strip.model import train

    for folder in args.train:
        if not Path(folder).is_dir():
            raise UsageError(f"--train: not a folder: {folder}")
    rules = [str(p) for p in rule_paths(None, tuple(args.rules or ()))]
    return train.main(args.train, args.output, rules, log=lambda msg: print(msg, file=sys.stderr))


def cmd_crossval_strip(args) -> int:
    from storydedup.pipeline.strip import rule_paths
    from storydedup.tasks import crossval

    for folder in args.train:
        if not Path(folder).is_dir():
            raise UsageError(f"--train: not a folder: {folder}")
    if args.folds < 2:
        raise UsageError(f"--folds: at least 2, not {args.folds}")
    rules = [str(p) for p in rule_paths(None, tuple(args.rules or ()))]
    try:
        result = crossval.cross_validate(args.train, args.folds, args.output, rules, args.workers,
                                         log=lambda msg: print(msg, file=sys.stderr))
    except (ValueError, FileNotFoundError) as exc:  # a folder that is no labelled set, too few documents
        raise UsageError(f"--train: {exc}") from exc
    print(crossval.report(result, args.folds))
    return 0


def cmd_evaluate(args) -> int:
    from storydedup.pipeline import evaluation

    worst = 0
    for set_dir in args.sets:
        set_dir = Path(set_dir)
        found = sorted(set_dir.glob("input.jsonl*"))
        if not found:
            raise UsageError(f"{set_dir} has no input.jsonl(.gz): pass an evaluation set directory")
        out = Path(args.output) / set_dir.name
        run_args = argparse.Namespace(**{**vars(args), "input": [str(found[0])], "output": str(out),
                                         "shard_size": DEFAULT_SHARD_SIZE, "batch": None, "index": None,
                                         "force": False, "report": False})
        code = cmd_run(run_args)
        worst = max(worst, code)
        if code:
            continue
        documents, rejects = evaluation.load_output(out)
        metrics = evaluation.score_set(str(set_dir), documents, rejects)
        write_json(out / "metrics.json", metrics)
        print(evaluation.format_report(set_dir.name, metrics))
    return worst


COMMANDS = {"run": cmd_run, "rerun": cmd_rerun, "inspect": cmd_inspect, "stats": cmd_stats,
            "history": cmd_history, "report": cmd_report, "evaluate": cmd_evaluate,
            "train-strip": cmd_train_strip, "crossval-strip": cmd_crossval_strip}

if __name__ == "__main__":
    sys.exit(main())
