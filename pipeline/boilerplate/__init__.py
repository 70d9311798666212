"""Text-level boilerplate stripping (first implementation: named regex rule groups on whole lines)."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StripSettings:
    disabled_groups: tuple[str, ...] = ()
    min_chars_kept: int = 1


@dataclass
class RuleSet:
    groups: dict[str, list[re.Pattern]] = field(default_factory=dict)


def load_rules(paths: list[str]) -> RuleSet:
    rules = RuleSet()
    for path in sorted(paths):
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        for name, group in data.get("groups", {}).items():
            pats = [re.compile(p, re.I) for p in group.get("line", [])]
            rules.groups.setdefault(name, []).extend(pats)
    return rules


def build_template(records) -> dict:
    return {}


def strip_record(rec: dict, settings: StripSettings, rules: RuleSet, template: dict) -> dict:
    lines = rec["text"].split("\n")
    kept, removed, counters = [], [], {}
    for i, line in enumerate(lines):
        hit = next((g for g, pats in rules.groups.items() if g not in settings.disabled_groups
                    and any(p.fullmatch(line.strip()) for p in pats)), None)
        if hit:
            removed.append({"line": i, "text": line, "rule": hit})
            counters[f"rule:{hit}"] = counters.get(f"rule:{hit}", 0) + 1
        else:
            kept.append(line)
    rec["text"] = "\n".join(kept).strip()
    if removed:
        rec.setdefault("notes", {})["strip"] = {"removed": removed}
    return counters
