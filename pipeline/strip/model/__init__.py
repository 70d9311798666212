"""The learned line classifier of the strip stage.

``load_model(path, rule_files)`` gives ``(StripModel, RuleScan)``; ``decide_batch(docs, model,
scan, settings, rules, template)`` decides a shard; ``train.main`` rebuilds the shipped model
(``storydedup train-strip``). See features.py (what a line looks like), model.py (two stages),
decide.py (thresholds, safety, explanations).
"""
from __future__ import annotations

from pathlib import Path

from storydedup.pipeline.strip.model.decide import Decision, decide_batch, eligible
from storydedup.pipeline.strip.model.features import Recurrence
from storydedup.pipeline.strip.model.model import StripModel
from storydedup.pipeline.strip.model.rulescan import RuleScan

MODEL_NAME = "models/strip.json.gz"


def packaged_model() -> Path:
    from storydedup.pipeline.resources import packaged

    return packaged(MODEL_NAME)


def load_model(path: str | Path, rule_files: list[str] = (), scan: RuleScan | None = None) -> tuple[StripModel, RuleScan]:
    """The model and the rule scan it reads (``scan`` when already built from the same rules)."""
    from storydedup.pipeline.resources import ConfigError

    try:
        model = StripModel.load(str(path))
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"strip model unusable: {path} ({exc})") from None
    return model, scan if scan is not None else RuleScan([str(p) for p in rule_files])


__all__ = ["Decision", "Recurrence", "RuleScan", "StripModel", "decide_batch", "eligible", "load_model", "packaged_model"]
