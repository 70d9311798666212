"""Text repair stage (first implementation: ftfy.fix_text)."""
from __future__ import annotations

from dataclasses import dataclass

import ftfy


@dataclass(frozen=True)
class RepairSettings:
    uncurl_quotes: bool = False


def repair_record(rec: dict, settings: RepairSettings) -> dict:
    if rec.get("text") is None:
        return {}
    before = rec["text"]
    cfg = ftfy.TextFixerConfig(uncurl_quotes=settings.uncurl_quotes, explain=True)
    fixed, explanation = ftfy.fix_and_explain(before, config=cfg)
    rec["text"] = fixed
    counters = {}
    if fixed != before:
        rec.setdefault("notes", {})["repair"] = {"ftfy": [list(step) for step in (explanation or [])]}
        counters["changed"] = 1
    return counters
