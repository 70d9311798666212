"""Quality floor: run the whole pipeline on every evaluation set and hold each metric to its floor.

``tests/quality_floor.json`` maps set name -> dotted metric path (as returned by
``pipeline.evaluation.score_set``) -> ``{"min": x}`` (higher is better) or ``{"max": x}`` (lower is
better, e.g. leak and body-loss rates). Floors start at what the pipeline measured when they were
set, with a 0.005 margin, and may only rise (or, for ``max``, only fall) as quality improves:
never loosen a floor to make a change pass; fix the change or argue the metric is wrong.

The end-to-end test is marked ``slow`` and skips when ``../shared/eval`` is not beside the
checkout. The floor file's own shape is checked on every run.
"""
import json
from pathlib import Path

import pytest

from pipeline.evaluation import format_report, load_output, lookup, score_set, set_file

FLOOR_FILE = Path(__file__).with_name("quality_floor.json")
EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
needs_eval = pytest.mark.skipif(not EVAL.is_dir(), reason=f"evaluation sets not found at {EVAL}")


def load_floors() -> dict[str, dict[str, dict]]:
    data = json.loads(FLOOR_FILE.read_text(encoding="utf-8"))
    return {name: floors for name, floors in data.items() if not name.startswith("_")}


def violations(metrics: dict, floors: dict[str, dict]) -> list[str]:
    """One line per metric below its ``min`` or above its ``max`` (or absent)."""
    found = []
    for path, bound in floors.items():
        try:
            value = lookup(metrics, path)
        except KeyError as exc:
            found.append(str(exc))
            continue
        if value is None:
            found.append(f"{path}: no value (nothing to score?)")
        elif "min" in bound and value < bound["min"]:
            found.append(f"{path} = {value} fell below its floor {bound['min']}")
        elif "max" in bound and value > bound["max"]:
            found.append(f"{path} = {value} rose above its ceiling {bound['max']}")
    return found


def test_floor_file_is_well_formed():
    floors = load_floors()
    assert floors, "quality_floor.json lists no sets"
    for name, metrics in floors.items():
        for path, bound in metrics.items():
            assert len(bound) == 1 and set(bound) <= {"min", "max"}, f"{name}/{path}: want one of min/max"
            assert isinstance(next(iter(bound.values())), (int, float)), f"{name}/{path}: not a number"


def test_violations_reports_each_direction():
    metrics = {"a": {"f1": 0.5, "leak": 0.2, "none": None}}
    floors = {"a.f1": {"min": 0.6}, "a.leak": {"max": 0.1}, "a.none": {"min": 0.0}, "a.gone": {"max": 1}}
    assert len(violations(metrics, floors)) == 4
    assert violations(metrics, {"a.f1": {"min": 0.5}, "a.leak": {"max": 0.2}}) == []


@needs_eval
@pytest.mark.parametrize("set_name", sorted(load_floors()))
def test_floor_paths_name_real_metrics(set_name):
    """Every floor path exists in what score_set returns (cheap: scores an empty output)."""
    metrics = score_set(str(EVAL / set_name), [], [])
    for path in load_floors()[set_name]:
        lookup(metrics, path)


@pytest.mark.slow
@needs_eval
@pytest.mark.parametrize("set_name", sorted(load_floors()))
def test_pipeline_meets_quality_floor(set_name, tmp_path):
    from tasks.cli import main

    set_dir = EVAL / set_name
    out = tmp_path / "out"
    assert main(["run", "--input", str(set_file(set_dir, "input")), "--output", str(out), "--quiet"]) == 0
    metrics = score_set(str(set_dir), *load_output(out))
    problems = violations(metrics, load_floors()[set_name])
    assert not problems, "\n".join(problems) + "\n\n" + format_report(set_name, metrics)
