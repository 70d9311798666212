"""Coverage-guided fuzzing (atheris, `pip install -e '.[fuzz]'`) of the code that sees raw input:
the readers, the decoder, the extractor wrapper and the boilerplate stripper. Not run in CI.

    nice -n 15 .venv/bin/python bench/fuzz_campaign.py --runs 250000          # every target, 250k cases each
    nice -n 15 .venv/bin/python bench/fuzz_campaign.py --runs readers=400000,stripper=100000 --parallel 2
    nice -n 15 .venv/bin/python bench/fuzz_campaign.py --no-coverage --seconds 600 --runs 100000000
    .venv/bin/python bench/fuzz_campaign.py --summarize          # summary.json over every run in --out

Two modes share one corpus per target (``--out/corpus/<target>``): coverage-guided libFuzzer runs
(atheris) learn inputs that reach new code; ``--no-coverage`` runs edit those inputs at random
without instrumentation, several times faster, to spend many more cases on what was learned.

Every case calls the library in memory on the fuzzed bytes (a reader source holds its bytes, see
``inputs.Source.data``): nothing per case touches the disk, starts a process or imports. Coverage
comes from instrumenting the functions of each target's modules (ours, and warcio's parser for
the readers) except a few per-character scoring kernels, whose branches are arithmetic rather
than control flow and which would otherwise cost most of the time (instrumented, the decoder ran
at ~100 cases/s instead of ~1,500).

A "crash" is any exception other than the documented reject (``RejectDocument``; for the
readers, a reject record that is not a ``stage error``), or a broken invariant: for the readers,
the pre-count of a source differs from its units, a unit's id is not unique or its ``seq`` is
out of order; for the stripper, a line neither kept nor recorded as removed; for all, a record
``write_jsonl`` could not write. Crashing inputs are saved under ``--out/crashes/<target>/`` and
the campaign goes on. Case and crash counts per target go to ``--out/summary.json``.
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import importlib
import inspect
import io
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUFFIXES = (".jsonl", ".jsonl.gz", ".warc", ".warc.gz", ".txt", ".html")
_P = "storydedup.pipeline."
# Modules whose functions are instrumented for coverage, per target.
INSTRUMENTED = {
    "readers": [_P + "read.inputs", _P + "read.ids", _P + "read.items", _P + "decode.charset",
                "warcio.archiveiterator", "warcio.recordloader", "warcio.statusandheaders"],
    "decoder": [_P + "read.items", _P + "decode.charset", _P + "decode.repair", _P + "decode.badness"],
    "extractor": [_P + "extract.html"],
    "stripper": [_P + m for m in ("strip.strip", "strip.template", "strip.detectors.boxes", "strip.detectors.core",
                                  "strip.detectors.headline", "strip.detectors.links", "strip.detectors.sections",
                                  "strip.detectors.tables", "strip.detectors.thread")],
}
# Per-character or per-rule scoring loops left uninstrumented (arithmetic, not control flow).
HOT = {"implausibility", "_script", "matches", "_match", "line_features"}
DONE = re.compile(r"^Done (\d+) runs in (\d+) second", re.M)
EXECUTED = re.compile(r"^stat::number_of_executed_units: (\d+)", re.M)  # -print_final_stats, also on SIGTERM
PROGRESS = re.compile(r"^#(\d+)\s", re.M)  # libFuzzer's progress lines: a lower bound
STOPPED = re.compile(r"libFuzzer: run interrupted", re.M)  # SIGTERM/SIGINT: a clean stop, not a crash


def seeds() -> list[bytes]:
    """Small valid inputs of every kind to start mutating from (first byte: reader suffix)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    page = (REPO / "sample" / "pages" / "rivenford-flood-harrowbymercury.html").read_bytes()[:3000]
    text = (REPO / "sample" / "wire" / "esmora-strike-meridian.txt").read_bytes()[:3000]
    lines = b"".join(json.dumps({"id": f"d{i}", "text": text.decode("utf-8", "replace")[:400],
                                 "title": "T", "published": "2026-01-02"}).encode() + b"\n" for i in range(3))
    warcs = []
    for gz in (False, True):
        out = io.BytesIO()
        writer = WARCWriter(out, gzip=gz)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.org/a", "response",
                                                      payload=io.BytesIO(page), http_headers=headers))
        warcs.append(out.getvalue())
    return [bytes([0]) + lines, bytes([1]) + gzip.compress(lines, mtime=0), bytes([2]) + warcs[0],
            bytes([3]) + warcs[1], bytes([4]) + text, bytes([5]) + page, text, page]


def instrument(modules: list[str]) -> int:
    """Add coverage counters to every function and method defined in ``modules``, except HOT."""
    import atheris

    done = 0
    for name in modules:
        module = importlib.import_module(name)
        for obj in list(vars(module).values()):
            members = vars(obj).values() if inspect.isclass(obj) and obj.__module__ == name else [obj]
            for fn in members:
                fn = getattr(fn, "fget", fn)  # properties
                if inspect.isfunction(fn) and fn.__module__ == name and fn.__name__ not in HOT:
                    atheris.instrument_func(fn)
                    done += 1
    return done


def writable(rec: dict) -> None:
    """What ``records.write_jsonl`` does to a row: raises if the record cannot be written."""
    from storydedup.pipeline.records import dumps

    dumps(rec).encode("utf-8")


PLAIN = "-plain"  # run name suffix: no coverage instrumentation (see --no-coverage)


class Harness:
    def __init__(self, target: str, out: Path, name: str):
        from storydedup.pipeline.extract.html import ExtractSettings
        from storydedup.pipeline.strip import StripSettings, load_rules, rule_paths

        self.target, self.cases, self.crashes = target, 0, 0
        self.crash_dir = out / "crashes" / target
        self.report = out / f"{name}.json"
        self.started = time.time()
        self.run = getattr(self, target)
        self.extract_settings, self.strip_settings = ExtractSettings(), StripSettings()
        self.rules = load_rules(rule_paths())
        self.quiet = open(os.devnull, "w")  # warcio writes a warning per damaged record to stderr

    def save(self) -> None:
        self.report.write_text(json.dumps({"target": self.target, "cases": self.cases, "crashes": self.crashes,
                                           "seconds": round(time.time() - self.started, 1)}))

    def __call__(self, data: bytes) -> None:
        from storydedup.pipeline.records import RejectDocument

        self.cases += 1
        try:
            with contextlib.redirect_stderr(self.quiet):
                self.run(data)
        except RejectDocument:
            pass
        except Exception as exc:  # noqa: BLE001 - every other exception is a finding
            self.crashes += 1
            self.crash_dir.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha1(data).hexdigest()[:16]
            (self.crash_dir / f"{name}.bin").write_bytes(data)
            (self.crash_dir / f"{name}.txt").write_text(f"{type(exc).__name__}: {exc}\n")
            self.save()
        if self.cases % 5000 == 0:
            self.save()

    def readers(self, data: bytes) -> None:
        """The read stage's loop over one source held in memory."""
        from storydedup.pipeline.read import inputs
        from storydedup.pipeline.read.items import STAGE_ERROR, read_units

        suffix = SUFFIXES[data[0] % len(SUFFIXES)] if data else ".txt"
        source = inputs.Source(f"/fuzz/in{suffix}", "/fuzz", inputs.kind_of(suffix), data=data[1:])
        units = list(read_units([source]))
        expected = inputs.count_documents(source)
        if expected != len(units):
            raise AssertionError(f"{suffix}: counted {expected}, read {len(units)}")
        ids = [rec["id"] for rec, _, _ in units]
        if len(set(ids)) != len(ids) or not all(isinstance(i, str) for i in ids):
            raise AssertionError(f"ids not unique text: {ids!r}")
        for seq, (rec, kept, _) in enumerate(units):
            if rec["seq"] != seq:
                raise AssertionError(f"unit {seq} has seq {rec['seq']}")
            if not kept and rec["reason"] == STAGE_ERROR:
                raise AssertionError(f"stage error: {rec.get('detail')}")
            writable(rec)

    def decoder(self, data: bytes) -> None:
        """Charset decoding of a file's bytes, then text repair."""
        from storydedup.pipeline.decode.repair import RepairSettings, repair_record
        from storydedup.pipeline.read.items import read_item

        rec, _ = read_item({"id": "x", "format": "html" if data[:1] == b"<" else "txt", "origin": "x", "data": data})
        if rec["format"] == "txt":
            repair_record(rec, RepairSettings())
            if not isinstance(rec["text"], str):
                raise AssertionError("repaired text is not text")
        writable(rec)

    def extractor(self, data: bytes) -> None:
        from storydedup.pipeline.extract.html import extract_record

        rec = {"id": "x", "format": "html", "html": data.decode("utf-8", "replace")}
        extract_record(rec, self.extract_settings)
        if "html" in rec or not isinstance(rec.get("text"), str) or not rec["text"].strip():
            raise AssertionError("no text after extraction, and no reject")
        writable(rec)

    def stripper(self, data: bytes) -> None:
        """The public entry point; for inputs starting with "t", with a site template built from
        enough copies of the document that its lines are template lines. Every non-empty line must
        be kept or recorded as removed with its reason."""
        from storydedup.pipeline.strip import build_template, strip_record

        text = data.decode("utf-8", "replace")
        rec = {"id": "x", "format": "txt", "text": text, "url": "https://example.org/a"}
        copies = self.strip_settings.template_min_docs
        template = build_template([dict(rec)] * copies) if data[:1] == b"t" else {}
        counters = strip_record(rec, self.strip_settings, self.rules, template)
        writable(rec)
        if "strip" not in rec.get("notes", {}):
            return  # passed through unchanged (short document)
        removed = [t for span in rec["notes"]["strip"]["removed"] for t in span["text"].split("\n")]
        by_reason = sum(n for why, n in counters.items() if why.startswith(("rule:", "detector:")))
        if by_reason != len(removed):
            raise AssertionError(f"{by_reason} lines removed by reason, {len(removed)} recorded")
        lines_in = sum(1 for line in text.split("\n") if line.strip())
        kept = sum(1 for line in rec["text"].split("\n") if line.strip())
        if kept + sum(1 for t in removed if t) != lines_in:
            raise AssertionError(f"{lines_in} lines in, {kept} kept, {sum(1 for t in removed if t)} removed")


INTERESTING = (0, 0xFF, 0x7F, 0x80, ord("\n"), ord("\r"), ord('"'), ord("<"), ord(">"), ord("{"), ord("\\"))


def mutate(rnd: random.Random, data: bytes, corpus: list[bytes], max_len: int) -> bytes:
    """One to eight byte-level edits of ``data``: flips, interesting bytes, inserts, deletions,
    duplicated runs, a splice with another corpus input, a cut."""
    b = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        op, i = rnd.randrange(7), rnd.randrange(len(b) + 1)
        j = min(len(b), i + rnd.randint(1, 64))
        if op == 0 and i < len(b):
            b[i] ^= 1 << rnd.randrange(8)
        elif op == 1 and i < len(b):
            b[i] = rnd.choice(INTERESTING)
        elif op == 2:
            b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
        elif op == 3:
            del b[i:j]
        elif op == 4:
            b[i:i] = b[i:j] * rnd.randint(1, 4)
        elif op == 5:
            other = rnd.choice(corpus)
            b = b[:i] + other[rnd.randrange(len(other) + 1):]
        else:
            del b[i:]
    return bytes(b[:max_len])


def mutate_corpus(harness: "Harness", corpus: Path, runs: int, seconds: int, max_len: int, seed: int) -> None:
    """The fast mode (--no-coverage): random edits of the corpus inputs, no instrumentation."""
    rnd = random.Random(seed)
    inputs = [p.read_bytes()[:max_len] for p in sorted(corpus.iterdir())]
    started = time.time()
    while harness.cases < runs and not (seconds and time.time() - started > seconds):
        harness(mutate(rnd, rnd.choice(inputs), inputs, max_len))
    harness.save()
    print(f"Done {harness.cases} runs in {round(time.time() - started)} second(s)", flush=True)


def child(target: str, runs: int, seconds: int, max_len: int, out: Path, coverage: bool, seed: int) -> None:
    import atheris

    harness = Harness(target, out, target + ("" if coverage else PLAIN))
    functions = instrument(INSTRUMENTED[target]) if coverage else 0
    print(f"{target}: {functions} functions instrumented", flush=True)
    corpus = out / "corpus" / target  # shared by both modes: a plain run mutates what coverage found
    corpus.mkdir(parents=True, exist_ok=True)
    for n, start in enumerate(seeds()):
        (corpus / f"seed-{n}").write_bytes(start)
    if not coverage:  # libFuzzer would drop every input that adds no coverage: it would have none
        return mutate_corpus(harness, corpus, runs, seconds, max_len, seed)
    argv = [sys.argv[0], f"-runs={runs}", f"-max_len={max_len}", "-rss_limit_mb=4096", "-timeout=300",
            "-print_final_stats=1", f"-artifact_prefix={out}/", str(corpus)]  # slow-unit files go with the reports
    if seconds:
        argv.insert(2, f"-max_total_time={seconds}")
    atheris.Setup(argv, harness)
    atheris.Fuzz()  # libFuzzer ends the process: its own count ("Done N runs") is read from the log


def result(name: str, out: Path) -> dict:
    """Cases (libFuzzer's own count at its end, or stopped by SIGTERM; else the last count it
    logged) and crashes of one target's run."""
    report = json.loads((out / f"{name}.json").read_text()) if (out / f"{name}.json").exists() else {}
    log = (out / f"{name}.log").read_text(errors="replace")
    done, executed, progress = DONE.search(log), EXECUTED.search(log), PROGRESS.findall(log)
    cases = int(done.group(1)) if done else int(executed.group(1)) if executed else \
        max([report.get("cases", 0)] + [int(n) for n in progress])
    seconds = int(done.group(2)) if done else round(report.get("seconds", 0))
    return {"cases": cases, "crashes": report.get("crashes", 0), "seconds": seconds,
            "cases_per_second": round(cases / max(seconds, 1)), "finished": bool(done or executed or STOPPED.search(log)),
            "coverage": not name.endswith(PLAIN)}


def parse_runs(text: str, targets: list[str]) -> dict[str, int]:
    if "=" not in text:
        return {t: int(text) for t in targets}
    runs = {k: int(v) for k, v in (part.split("=") for part in text.split(","))}
    unknown = set(runs) - set(INSTRUMENTED)
    if unknown:
        raise SystemExit(f"unknown target(s): {', '.join(sorted(unknown))} (known: {', '.join(INSTRUMENTED)})")
    return runs


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--targets", default=",".join(INSTRUMENTED))
    p.add_argument("--runs", default="250000", help="cases per target: N, or target=N,target=N")
    p.add_argument("--seconds", type=int, default=0, help="time limit per target (0: none)")
    p.add_argument("--max-len", type=int, default=2048, help="longest input libFuzzer makes, in bytes")
    p.add_argument("--parallel", type=int, choices=(1, 2), default=1, help="targets fuzzed at once")
    p.add_argument("--out", default="fuzz-out", help="reports, corpus and crashing inputs")
    p.add_argument("--no-coverage", action="store_true",
                   help="no instrumentation: random edits of the corpus (seeds and what coverage runs kept), "
                        "several times faster, without learning new inputs; reported as <target>-plain")
    p.add_argument("--seed", type=int, default=0, help="of the --no-coverage edits (another seed, other cases)")
    p.add_argument("--summarize", action="store_true",
                   help="only write summary.json from every target's log in --out (a campaign run in parts)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args.child, int(args.runs), args.seconds, args.max_len, out, not args.no_coverage, args.seed)
        return 0
    if args.summarize:
        names = [t + suffix for t in INSTRUMENTED for suffix in ("", PLAIN)]
        return summarize(out, {n: result(n, out) for n in names if (out / f"{n}.log").exists()})
    runs = parse_runs(args.runs, args.targets.split(","))
    pending, running, results = list(runs), {}, {}
    while pending or running:
        while pending and len(running) < args.parallel:
            target = pending.pop(0)
            name = target + (PLAIN if args.no_coverage else "")
            (out / f"{name}.json").unlink(missing_ok=True)
            log = open(out / f"{name}.log", "w")
            running[name] = (subprocess.Popen(
                [sys.executable, __file__, "--child", target, "--runs", str(runs[target]), "--seconds",
                 str(args.seconds), "--max-len", str(args.max_len), "--out", str(out), "--seed", str(args.seed)]
                + (["--no-coverage"] if args.no_coverage else []), stdout=log, stderr=log), log)
        for name, (proc, log) in list(running.items()):
            if proc.poll() is not None:
                log.close()
                del running[name]
                results[name] = result(name, out)
                print(row(name, results[name]), flush=True)
        time.sleep(1)
    return summarize(out, results, printed=True)


def row(target: str, r: dict) -> str:
    return (f"{target:10s} cases {r['cases']:>9,d}  crashes {r['crashes']:>4d}  ({r['seconds']}s, "
            f"{r['cases_per_second']:,d}/s){'' if r['finished'] else '  NOT FINISHED, see log'}")


def summarize(out: Path, results: dict[str, dict], printed: bool = False) -> int:
    """Write ``summary.json`` and print the table; exit status 1 on any crash or unfinished target."""
    if not printed:
        for target, r in results.items():
            print(row(target, r))
    total = {"cases": sum(r["cases"] for r in results.values()), "crashes": sum(r["crashes"] for r in results.values())}
    per_target = {}
    for name, r in results.items():
        t = per_target.setdefault(name.removesuffix(PLAIN), {"cases": 0, "crashes": 0})
        t["cases"] += r["cases"]
        t["crashes"] += r["crashes"]
    for target, t in per_target.items():
        print(f"  {target:10s} cases {t['cases']:>9,d}  crashes {t['crashes']:>4d}  (both modes)")
    (out / "summary.json").write_text(json.dumps({"runs": results, "targets": per_target, "total": total},
                                                 indent=2) + "\n")
    print(f"{'total':10s} cases {total['cases']:>9,d}  crashes {total['crashes']:>4d}  ({out / 'summary.json'})")
    return 1 if total["crashes"] or not all(r["finished"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
