"""Invented articles with page chrome around them (tests/cases/boilerplate/*.toml): every
must_contain snippet survives stripping, no must_not_contain snippet does."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from storydedup.pipeline.strip import StripSettings
from storydedup.pipeline.strip import build_template
from storydedup.pipeline.strip import rule_paths
from storydedup.pipeline.strip import load_rules
from storydedup.pipeline.strip import strip_record

CASES = sorted((Path(__file__).parent / "cases" / "boilerplate").glob("*.toml"))


def strip_text(text: str, settings: StripSettings = StripSettings()) -> tuple[str, dict]:
    rec = {"id": "case", "text": text, "notes": {}}
    rules = load_rules(rule_paths())
    strip_record(rec, settings, rules, build_template([rec]))
    return rec["text"], rec["notes"]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path):
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    out, notes = strip_text(case["input"])
    missing = [s for s in case["must_contain"] if s not in out]
    leaked = [s for s in case["must_not_contain"] if s in out]
    assert not missing, f"body lost: {missing}\n--- output ---\n{out}\n--- notes ---\n{notes}"
    assert not leaked, f"chrome kept: {leaked}\n--- output ---\n{out}"


def test_cases_cover_every_language():
    langs = {p.stem.split("_")[0] for p in CASES}
    assert {"en", "de", "fr", "es"} <= langs
