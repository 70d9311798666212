"""The per-document stages (one task per shard) and the batch-level stages.

10_read -> 20_extract -> 30_repair -> 40_template, 45_recurrence (batch) -> 50_strip -> 60_signatures
-> 70_clusters (batch) -> 90_publish (batch)
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from pathlib import Path

import luigi

from storydedup.pipeline import strip
from storydedup.pipeline.strip import lines as strip_lines
from storydedup.pipeline.strip import model as strip_model
from storydedup.pipeline.cluster import levels as clustering
from storydedup.pipeline.decode import repair
from storydedup.pipeline.extract import html as extract
from storydedup.pipeline.read import inputs as input_files
from storydedup.pipeline.records import atomic_dir, read_json, read_jsonl, write_json, write_jsonl
from storydedup.pipeline.signatures import compute as signatures
from storydedup.tasks.base import (BatchStage, DailyParams, ShardStage, index_batches, log, shard_stats, warm_record,
                                   write_shard)
from storydedup.tasks.read import ReadInputs
from storydedup.tasks.settings import settings_of, with_settings


@with_settings(extract.ExtractSettings)
class ExtractHTML(ShardStage):
    """HTML pages -> main text with trafilatura; plain-text documents pass through."""

    stage = "20_extract"
    upstream_cls = ReadInputs
    unchanged_counter = "passthrough"

    def input_docs_path(self) -> Path:
        return Path(self.input().path) / f"shard-{self.shard:05d}" / "docs.jsonl.gz"

    def apply(self, rec, settings):
        return extract.extract_record(rec, settings)

    def read_stats(self) -> dict:
        """The read stage's counts for this shard."""
        return read_json(self.input_docs_path().parent / "_stats.json")

    @staticmethod
    def passes_through(read: dict) -> bool:
        """The read shard holds no HTML page (a read stage that did not count them: unknown)."""
        return read.get("html") == 0

    def runs_unwarmed(self) -> bool:
        return self.passes_through(self.read_stats())

    def run(self):
        """A shard without HTML pages is copied: its records pass through unchanged, and
        parsing and writing them again cost ~50 ms a shard of 500 (a twentieth of a text run)."""
        started = time.time()
        read = self.read_stats()
        if not self.passes_through(read):  # pages to extract
            return super().run()
        n = read["kept"]
        stats = shard_stats(n, n, {}, {"passthrough": n} if n else {}, started)
        write_shard(self.output().path, self.input_docs_path(), [], stats, self.params_record())

    def warm(self, workers: int) -> None:
        super().warm(workers)
        # The fallbacks' tables cost ~1.2 s and only pages that need them build them: built
        # before the workers fork, they are built once instead of once in every worker; with a
        # task per worker it would only delay the start.
        if self.n_shards > workers and input_files.may_hold_html(input_files.discover(list(self.inputs))):
            extract.warm_fallbacks()

    def warm_input(self) -> dict:
        rec = warm_record()
        paragraphs = "".join(f"<p>{p}</p>" for p in rec.pop("text").split("\n\n"))
        return {**rec, "format": "html", "html": f"<html><body><article>{paragraphs}</article></body></html>"}


@with_settings(repair.RepairSettings)
class RepairText(ShardStage):
    """Mojibake, entities, control and zero-width characters, Unicode form, whitespace."""

    stage = "30_repair"
    upstream_cls = ExtractHTML
    unchanged_counter = "unchanged"

    def runs_unwarmed(self) -> bool:
        return True  # its warm-up takes no measurable time: it has nothing to share

    def apply(self, rec, settings):
        return repair.repair_record(rec, settings)


class SiteTemplate(BatchStage):
    """Batch-level: lines that repeat across many documents of one site (its page template)."""

    stage = "40_template"
    rejects_documents = True

    def requires(self):
        return self.shards_of(RepairText)

    def run(self):
        started = time.time()
        shards = self.input()  # once: each call builds the task of every shard anew

        def records():
            for n, target in enumerate(shards):
                self.progress(n, len(shards), "shards")
                yield from read_jsonl(Path(target.path) / "docs.jsonl.gz")

        rejects, failed = [], None
        try:
            template = strip.build_template(records())
        except Exception as exc:  # a document that trips the template code is rejected, see reject_failing
            failed = exc
        if failed is not None:
            docs = list(records())
            rejects, keep = self.reject_failing(failed, lambda rows: strip.build_template(docs[i] for i in rows), docs)
            template = strip.build_template(docs[i] for i in keep)
        self.progress(len(shards), len(shards), "shards")
        with atomic_dir(self.output().path) as tmp:
            write_json(tmp / "template.json", template)
            write_jsonl(tmp / "rejects.jsonl.gz", rejects)
            write_json(tmp / "_stats.json", {"seconds": round(time.time() - started, 3),
                                             "sites": len(template.get("sites", template))})
            write_json(tmp / "_params.json", self.params_record())


RECURRENCE_FILE = "recurrence.npz"


@with_settings(strip.StripSettings, section="StripBoilerplate")
class LineRecurrence(BatchStage):
    """Batch-level: how many of the documents the strip model judges hold each short line.
    The model's ``rep_batch`` feature reads it, so that a document's features do not depend on
    the other documents of its shard (results do not change with ``--shard-size``). Its
    settings are the strip stage's: they decide which documents the model judges."""

    stage = "45_recurrence"

    def requires(self):
        return self.shards_of(RepairText)

    def run(self):
        started = time.time()
        settings, shards = settings_of(self), self.input()

        def judged():
            if not settings.use_model:  # nothing to count: the rules decide alone
                return
            for n, target in enumerate(shards):
                self.progress(n, len(shards), "shards")
                docs = read_jsonl(Path(target.path) / "docs.jsonl.gz")
                yield [rec["text"] for rec in docs if strip_model.eligible(rec, settings)]

        recurrence = strip_model.Recurrence.count(judged())
        with atomic_dir(self.output().path) as tmp:
            recurrence.save(tmp / RECURRENCE_FILE)
            write_json(tmp / "_stats.json", {"seconds": round(time.time() - started, 3), "documents": recurrence.n_docs,
                                             "recurring_lines": len(recurrence.hashes)})
            write_json(tmp / "_params.json", self.params_record())


_PARSED_RULES: dict = {}
_RULE_SCANS: dict = {}
_MODELS: dict = {}


@with_settings(strip.StripSettings)
class StripBoilerplate(ShardStage):
    """Comment threads, widget chrome, newsletter boxes, share bars... each removal recorded."""

    stage = "50_strip"
    rules_dir = luigi.Parameter(default="", description="rule folder used instead of the packaged rules")
    model_file = luigi.Parameter(default="", description="strip model used instead of the packaged one")
    extra_rules = luigi.ListParameter(default=(), description="rule folders added to the rules (--rules DIR)")

    def rule_files(self) -> list[str]:
        return strip.rule_paths(self.rules_dir or None, tuple(self.extra_rules))

    def rule_digests(self) -> list[dict]:
        return [{"file": path, "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}
                for path in self.rule_files()]

    def model_path(self) -> Path:
        return Path(self.model_file) if self.model_file else strip_model.packaged_model()

    def significant(self) -> dict:
        # The rules' and model's content, not their path, decides the result: editing a file re-runs the stage.
        digest = hashlib.sha256()
        for path in self.rule_files():
            digest.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes() + b"\0")
        out = {**super().significant(), "rules": digest.hexdigest()[:16]}
        if settings_of(self).use_model:
            out["model"] = hashlib.sha256(self.model_path().read_bytes()).hexdigest()[:16]
        return out

    def params_record(self) -> dict:
        return {**super().params_record(), "rule_files": self.rule_digests()}

    def check(self) -> None:
        strip.check_disabled(self.rules(), settings_of(self).disabled_groups)

    def requires(self):
        return {"docs": self.clone(RepairText), "template": self.clone(SiteTemplate),
                "recurrence": self.clone(LineRecurrence)}

    def input_docs_path(self) -> Path:
        return Path(self.input()["docs"].path) / "docs.jsonl.gz"

    def _per_rules(self, cache: dict, build):
        """``build(rule files)`` once per process for the same files and content."""
        key = tuple((d["file"], d["sha256"]) for d in self.rule_digests())
        if key not in cache:
            cache[key] = build([path for path, _ in key])
        return cache[key]

    def rules(self):
        """The parsed rules (parsing and compiling them took a good part of a small shard's time
        in every task). Their match caches are built by the warm-up, or on first use."""
        return self._per_rules(_PARSED_RULES, strip.load_rules)

    def rule_scan(self):
        """The model's one-regex-per-line view of the same rules, built in the warm-up, before
        Luigi forks (plain regexes, unlike the model's OpenMP pool)."""
        return self._per_rules(_RULE_SCANS, strip_model.RuleScan)

    def model(self):
        """The strip model and its rule scan, once per process for the same file content and
        rules: loaded in the warm-up, before Luigi forks, so no task parses it again (serving
        it starts no thread pool: see ``strip.model.forest``)."""
        path = self.model_path()
        key = (str(path), hashlib.sha256(path.read_bytes()).hexdigest(),
               tuple((d["file"], d["sha256"]) for d in self.rule_digests()))
        if key not in _MODELS:
            _MODELS[key] = strip_model.load_model(path, scan=self.rule_scan())
        return _MODELS[key]

    def prepare(self):
        template = read_json(Path(self.input()["template"].path) / "template.json")
        settings, rules = settings_of(self), self.rules()
        strip.check_disabled(rules, settings.disabled_groups)
        model = self.model() if settings.use_model else None
        recurrence = strip_model.Recurrence.load(Path(self.input()["recurrence"].path) / RECURRENCE_FILE) \
            if model is not None else None
        return settings, rules, template, (model, recurrence), {}

    def prepare_shard(self, docs, context):
        """The model featurises and scores the shard's documents as one batch."""
        settings, rules, template, (model, recurrence), _ = context
        if model is None:
            return context
        found = strip_model.decide_batch(docs, *model, settings, rules, template, recurrence=recurrence)
        return settings, rules, template, (model, recurrence), {id(rec): dec for rec, dec in zip(docs, found)}

    def warm(self, workers: int) -> None:
        # Built here, not in ``check`` before the run starts: the read stage runs beside the
        # warm-up, while checking is all the process does.
        self.rules().prepare()
        super().warm(workers)
        # The warm-up document is judged with the heuristics; a document the model decides
        # alone has its lines split by a compiled kernel of its own, loaded here too.
        strip_lines.line_words(self.warm_input()["text"])

    def warm_context(self):
        settings = settings_of(self)
        return settings, self.rules(), strip.build_template([]), (self.model() if settings.use_model else None, None), {}

    def warm_input(self) -> dict:
        """Long enough for the model to judge it: its features and trees are warmed too."""
        rec = warm_record()
        return {**rec, "text": "\n".join([rec["title"], *rec["text"].split("\n\n") * 3, "Share this article"])}

    def apply(self, rec, context):
        settings, rules, template, _, decisions = context
        return strip.strip_record(rec, settings, rules, template, decisions.get(id(rec)))


@with_settings(signatures.SignatureSettings)
class Signatures(ShardStage):
    """Per-shard signatures for both grouping levels, saved as NumPy arrays."""

    stage = "60_signatures"
    upstream_cls = StripBoilerplate

    def warm(self, workers: int) -> None:
        signatures.compute_signatures([warm_record()], settings_of(self))

    def run(self):
        import numpy as np

        started = time.time()
        docs = list(read_jsonl(self.input_docs_path()))
        arrays = signatures.compute_signatures(docs, settings_of(self))
        with atomic_dir(self.output().path) as tmp:
            # Uncompressed: MinHash values do not compress (1.5 MB -> 0.9 MB a 500-document
            # shard) and compressing took longer than computing them.
            np.savez(tmp / "signatures.npz", **arrays)
            write_jsonl(tmp / "docs.jsonl.gz", ({"id": d["id"], "seq": d["seq"]} for d in docs))
            write_jsonl(tmp / "rejects.jsonl.gz", [])
            write_json(tmp / "_stats.json", {"in": len(docs), "kept": len(docs), "rejected": 0,
                                             "seconds": round(time.time() - started, 3)})
            write_json(tmp / "_params.json", self.params_record())
        log.info("%s shard %d/%d: %d signatures", self.stage, self.shard + 1, self.n_shards, len(docs))


@with_settings(clustering.ClusterSettings)
class Clusters(DailyParams, BatchStage):
    """Batch-level: near-duplicate clusters, then story clusters over them. In a daily batch
    (``batch`` set) the documents are matched against the index of earlier batches instead."""

    stage = "70_clusters"
    rejects_documents = True

    def requires(self):
        return self.shards_of(Signatures)

    def significant(self) -> dict:
        out = super().significant()
        if self.batch:
            out["daily"] = {"batch": self.batch, "window_days": self.window_days}
        return out

    def complete(self) -> bool:
        # The index is the other half of this stage's output: a batch it lost (or rolled
        # back after a crash) must be grouped again.
        if not super().complete():
            return False
        return not self.batch or self.batch in index_batches(self.index)

    def group(self, arrays: dict):
        if not self.batch:
            return clustering.cluster(arrays, settings_of(self))
        from storydedup.pipeline.dates import day_number
        from storydedup.pipeline.index import open_index

        index = open_index(self.index)
        try:
            return index.group_batch(self.batch, day_number(self.batch), arrays, settings_of(self),
                                     self.window_days)
        finally:
            index.close()

    def signature_rows(self) -> tuple[Mapping, list[dict]]:
        """The signature columns of every shard as one set, and the documents (id, seq) of its rows."""
        docs = []
        for target in self.input():
            docs.extend(read_jsonl(Path(target.path) / "docs.jsonl.gz"))
        return signatures.ShardColumns([Path(t.path) / "signatures.npz" for t in self.input()]), docs

    def load_arrays(self) -> tuple[dict, list[dict]]:
        """``signature_rows`` without the documents the site template stage rejected, read
        straight into id order (the order clustering works in, so it makes no second copy)."""
        import numpy as np

        columns, docs = self.signature_rows()
        dropped = self.clone(SiteTemplate).rejected_ids()
        keep = np.array([i for i, d in enumerate(docs) if d["id"] not in dropped], dtype=np.int64)
        rows = keep[np.argsort(columns["ids"][keep], kind="stable")]
        return signatures.take_documents(columns, rows), [docs[i] for i in rows]

    def run(self):
        started = time.time()
        arrays, docs = self.load_arrays()
        self.set_status_message(f"{self.stage}: clustering {len(arrays['ids'])} documents")
        rejects, failed = [], None
        try:
            assignments, clusters, stats = self.group(arrays)
        except Exception as exc:  # a document that trips the clustering code is rejected, see reject_failing
            failed = exc
        if failed is not None:
            # Probed with the one-off clustering, which commits nothing to an index.
            rejects, keep = self.reject_failing(
                failed, lambda rows: clustering.cluster(signatures.take_documents(arrays, rows), settings_of(self)), docs)
            assignments, clusters, stats = self.group(signatures.take_documents(arrays, keep))
        stats = {**stats, "documents": len(assignments), "seconds": round(time.time() - started, 3)}
        with atomic_dir(self.output().path) as tmp:
            write_jsonl(tmp / "assignments.jsonl.gz", ({"id": k, **v} for k, v in sorted(assignments.items())))
            write_jsonl(tmp / "clusters.jsonl.gz", clusters)
            write_jsonl(tmp / "rejects.jsonl.gz", rejects)
            write_json(tmp / "_stats.json", stats)
            write_json(tmp / "_params.json", self.params_record())
        log.info("%s: %d documents, %s", self.stage, len(assignments),
                 ", ".join(f"{k}={v}" for k, v in stats.items() if isinstance(v, int)))
