"""The two seed documents must come out exactly as their expected clean bodies."""
from __future__ import annotations

from pathlib import Path

import pytest

from storydedup.pipeline.strip import StripSettings
from storydedup.pipeline.strip import build_template
from storydedup.pipeline.strip import rule_paths
from storydedup.pipeline.strip import load_rules
from storydedup.pipeline.strip import strip_record

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed folder {SEEDS} not present")


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else [])
def test_seed_exact(name):
    rec = {"id": name, "text": (SEEDS / name).read_text(encoding="utf-8"), "notes": {}}
    strip_record(rec, StripSettings(), load_rules(rule_paths()), build_template([rec]))
    stem = name.removesuffix(".txt")
    accepted = [norm((SEEDS / "expected" / n).read_text(encoding="utf-8"))
                for n in (name, f"{stem}.alt.txt") if (SEEDS / "expected" / n).exists()]
    assert accepted, "no expected output for this seed"
    assert norm(rec["text"]) in accepted
    assert rec["notes"]["strip"]["removed"], "removals must be recorded"


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else [])
def test_seed_exact_with_model(name):
    """The shipped model decides the seeds (as the strip task does) with the same result."""
    from storydedup.pipeline.strip.model import decide_batch, load_model, packaged_model

    rec = {"id": name, "text": (SEEDS / name).read_text(encoding="utf-8"), "notes": {}}
    rules, template = load_rules(rule_paths()), build_template([rec])
    model, scan = load_model(packaged_model(), rule_paths())
    [decision] = decide_batch([rec], model, scan, StripSettings(), rules, template)
    strip_record(rec, StripSettings(), rules, template, decision)
    stem = name.removesuffix(".txt")
    accepted = [norm((SEEDS / "expected" / n).read_text(encoding="utf-8"))
                for n in (name, f"{stem}.alt.txt") if (SEEDS / "expected" / n).exists()]
    assert norm(rec["text"]) in accepted
    assert rec["notes"]["strip"]["by"] == "model"
