"""Coverage-guided fuzzing (atheris, `pip install -e '.[fuzz]'`) of the code that sees raw input:
the readers, the decoder, the extractor wrapper and the boilerplate stripper. Not run in CI.

    .venv/bin/python bench/fuzz_campaign.py --runs 250000             # every target, 250k cases each
    .venv/bin/python bench/fuzz_campaign.py --targets readers --seconds 600

Each target runs in its own process (libFuzzer ends the process when it is done). A "crash" is
any exception other than the per-document rejection the pipeline expects (``RejectDocument``), or
for the readers, a source whose pre-count differs from the units it yields (the accounting that
lets every input appear once in documents or rejects). Crashing inputs are saved under
``--out/crashes/<target>/`` and the campaign goes on. Prints cases run and crashes per target.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = ("readers", "decoder", "extractor", "stripper")
SUFFIXES = (".jsonl", ".jsonl.gz", ".warc", ".warc.gz", ".txt", ".html")


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


class Harness:
    def __init__(self, target: str, out: Path):
        self.target, self.cases, self.crashes = target, 0, 0
        self.crash_dir = out / "crashes" / target
        self.report = out / f"{target}.json"
        self.started = time.time()
        self.scratch = Path(tempfile.mkdtemp(prefix="fuzz-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
        from storydedup.pipeline.extract.html import ExtractSettings
        from storydedup.pipeline.strip import StripSettings, build_template, load_rules, rule_paths

        self.extract_settings, self.strip_settings = ExtractSettings(), StripSettings()
        self.rules, self.template = load_rules(rule_paths()), build_template([])

    def save(self) -> None:
        self.report.write_text(json.dumps({"target": self.target, "cases": self.cases, "crashes": self.crashes,
                                           "seconds": round(time.time() - self.started, 1)}))

    def __call__(self, data: bytes) -> None:
        from storydedup.pipeline.records import RejectDocument

        self.cases += 1
        try:
            getattr(self, self.target)(data)
        except RejectDocument:
            pass
        except Exception as exc:  # noqa: BLE001 - every other exception is a finding
            self.crashes += 1
            self.crash_dir.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha1(data).hexdigest()[:16]
            (self.crash_dir / f"{name}.bin").write_bytes(data)
            (self.crash_dir / f"{name}.txt").write_text(f"{type(exc).__name__}: {exc}\n")
        if self.cases % 1000 == 0:
            self.save()

    def readers(self, data: bytes) -> None:
        from storydedup.pipeline.read import inputs
        from storydedup.pipeline.read.items import read_item
        from storydedup.pipeline.records import RejectDocument

        suffix = SUFFIXES[data[0] % len(SUFFIXES)] if data else ".txt"
        path = self.scratch / f"in{suffix}"
        path.write_bytes(data[1:])
        [source] = inputs.discover([str(path)])
        items = list(inputs.iter_raw(source))
        if inputs.count_documents(source) != len(items):
            raise AssertionError(f"{suffix}: counted {inputs.count_documents(source)}, read {len(items)}")
        for item in items:
            if not isinstance(item["id"], str):
                raise AssertionError("id is not text")
            try:
                rec, _ = read_item(item)
                json.dumps(rec, ensure_ascii=False).encode("utf-8")  # what write_jsonl does
            except RejectDocument:
                pass

    def decoder(self, data: bytes) -> None:
        from storydedup.pipeline.decode.repair import RepairSettings, repair_record
        from storydedup.pipeline.read.items import read_item

        rec, _ = read_item({"id": "x", "format": "html" if data[:1] == b"<" else "txt", "origin": "x", "data": data})
        if rec["format"] == "txt":
            repair_record(rec, RepairSettings())

    def extractor(self, data: bytes) -> None:
        from storydedup.pipeline.extract.html import extract_record

        extract_record({"id": "x", "format": "html", "html": data.decode("utf-8", "replace")}, self.extract_settings)

    def stripper(self, data: bytes) -> None:
        from storydedup.pipeline.strip import strip_record

        strip_record({"id": "x", "format": "txt", "text": data.decode("utf-8", "replace")},
                     self.strip_settings, self.rules, self.template)


def child(target: str, runs: int, seconds: int, max_len: int, out: Path) -> None:
    import atheris

    with atheris.instrument_imports(include=["storydedup"]):
        import storydedup.pipeline.decode.charset  # noqa: F401
        import storydedup.pipeline.decode.repair  # noqa: F401
        import storydedup.pipeline.extract.html  # noqa: F401
        import storydedup.pipeline.read.inputs  # noqa: F401
        import storydedup.pipeline.read.items  # noqa: F401
        import storydedup.pipeline.strip  # noqa: F401
    harness = Harness(target, out)
    corpus = out / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)
    for n, seed in enumerate(seeds()):
        (corpus / f"seed-{n}").write_bytes(seed)
    import atexit

    atexit.register(harness.save)
    argv = [sys.argv[0], f"-runs={runs}", f"-max_len={max_len}", "-rss_limit_mb=4096",
            f"-artifact_prefix={out}/", str(corpus)]  # libFuzzer's slow-unit files go with the reports
    if seconds:
        argv.insert(2, f"-max_total_time={seconds}")
    atheris.Setup(argv, harness)
    try:
        atheris.Fuzz()
    finally:
        harness.save()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--targets", default=",".join(TARGETS))
    p.add_argument("--runs", type=int, default=250_000, help="cases per target")
    p.add_argument("--seconds", type=int, default=0, help="time limit per target (0: none)")
    p.add_argument("--max-len", type=int, default=2048, help="longest input libFuzzer makes, in bytes")
    p.add_argument("--out", default="fuzz-out", help="reports, corpus and crashing inputs")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args.child, args.runs, args.seconds, args.max_len, out)
        return 0
    total_cases = total_crashes = 0
    for target in args.targets.split(","):
        log = out / f"{target}.log"
        with open(log, "w") as fh:
            subprocess.run([sys.executable, __file__, "--child", target, "--runs", str(args.runs),
                            "--seconds", str(args.seconds), "--max-len", str(args.max_len), "--out", str(out)], stdout=fh, stderr=fh, check=False)
        report = json.loads((out / f"{target}.json").read_text())
        total_cases += report["cases"]
        total_crashes += report["crashes"]
        print(f"{target:10s} cases {report['cases']:>9,d}  crashes {report['crashes']:>4d}  "
              f"({report['seconds']:.0f}s, {report['cases'] / max(report['seconds'], 1e-9):,.0f}/s)", flush=True)
    print(f"{'total':10s} cases {total_cases:>9,d}  crashes {total_crashes:>4d}")
    return 1 if total_crashes else 0


if __name__ == "__main__":
    sys.exit(main())
