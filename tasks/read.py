"""10_read: the one task that reads every input and cuts the stream into shards."""
from __future__ import annotations

import time


from storydedup.pipeline.read import inputs as input_files
from storydedup.pipeline.read.items import read_units

from storydedup.tasks.base import SHARD_BYTES, BatchStage, log, write_shard


class ReadInputs(BatchStage):
    """Reads and decodes all inputs in a stable order into the shards ``plan`` laid out.

    Input ids that repeat get a ``#2``, ``#3``... suffix in reading order (the next free one, see
    ``items.read_units``), and the record says which id it had, so nothing is dropped and the
    outcome does not depend on worker timing.
    """

    stage = "10_read"

    def significant(self) -> dict:
        return {**super().significant(), "inputs": self.input_fingerprint(), "shard_size": self.shard_size,
                "shard_bytes": SHARD_BYTES}

    def requires(self):
        return []

    def run(self):
        started = time.time()
        total, starts = self.shard_starts()
        n_shards = len(starts)
        buffer_docs, buffer_rejects, seq = [], [], 0
        totals = {"in": 0, "kept": 0, "rejected": 0, "reject_reasons": {}, "counters": {}}
        shard = 0

        def flush(tmp, shard_no):
            reasons = {}
            for r in buffer_rejects:
                reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
            stats = {"in": len(buffer_docs) + len(buffer_rejects), "kept": len(buffer_docs),
                     "rejected": len(buffer_rejects), "reject_reasons": reasons,
                     "html": sum("html" in rec for rec in buffer_docs)}  # none: extract copies the shard
            write_shard(str(tmp / f"shard-{shard_no:05d}"), buffer_docs, buffer_rejects,
                        stats, self.params_record())
            buffer_docs.clear()
            buffer_rejects.clear()

        from storydedup.pipeline.records import atomic_dir, write_json

        with atomic_dir(self.output().path) as tmp:
            for rec, kept, counters in read_units(input_files.discover(list(self.inputs)), self.stage):
                # Documents beyond the plan (an input grew while we read) join the last shard.
                while shard < n_shards - 1 and seq >= starts[shard + 1]:
                    flush(tmp, shard)
                    shard += 1
                (buffer_docs if kept else buffer_rejects).append(rec)
                for k, v in counters.items():
                    totals["counters"][k] = totals["counters"].get(k, 0) + v
                if not kept:
                    totals["reject_reasons"][rec["reason"]] = totals["reject_reasons"].get(rec["reason"], 0) + 1
                seq += 1
                if seq % 500 == 0:
                    self.progress(seq, total)
            totals["kept"] = seq - sum(totals["reject_reasons"].values())
            while shard < n_shards:
                flush(tmp, shard)
                shard += 1
            totals.update({"in": seq, "rejected": seq - totals["kept"], "shards": n_shards,
                           "seconds": round(time.time() - started, 3)})
            write_json(tmp / "_stats.json", totals)
            write_json(tmp / "_params.json", self.params_record())
        log.info("%s: %d documents read into %d shards, %d rejected (%.1fs)", self.stage, seq,
                 n_shards, totals["rejected"], totals["seconds"])
