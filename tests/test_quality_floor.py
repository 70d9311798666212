"""Quality floor: run the whole pipeline on every evaluation set and hold each metric to its floor.

``tests/quality_floor.json`` maps set name -> dotted metric path (as returned by
``pipeline.evaluation.score_set``) -> ``{"min": x}`` (higher is better) or ``{"max": x}`` (lower is
better, e.g. leak and body-loss rates). Floors start at what the pipeline measured when they were
set, with a 0.005 margin, and may only rise (ceilings only fall) as quality improves: never loosen
a bound to make a change pass; fix the change or argue the metric is wrong. To tighten after an
improvement: ``storydedup evaluate --set ../shared/eval/<set> ... --output OUT`` then
``python -m pipeline.evaluation.floors --floors tests/quality_floor.json --metrics OUT --write``.

The end-to-end test is marked ``slow`` and skips a set of ``../shared/eval`` when that folder is
not beside the checkout. Sets of the project's own (``eval/strip_multilingual``, ``eval/strip_fresh``) are held
to floors the same way. The floor file's shape and the floor tooling are checked on every run.
"""
from pathlib import Path

import pytest

from storydedup.pipeline.evaluation import format_report, load_output, lookup, score_set, set_file
from storydedup.pipeline.evaluation.floors import dumps_floors, load_floors, sets_of, tightened, violations

FLOOR_FILE = Path(__file__).with_name("quality_floor.json")
FLOORS = sets_of(load_floors(FLOOR_FILE))
EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
OWN = Path(__file__).resolve().parents[1] / "eval"  # the project's own sets, shipped in the checkout


def set_dir(name: str) -> Path:
    """A set of the project's own (eval/NAME) or of ../shared/eval; the test is skipped when it
    is in neither (../shared not beside the checkout)."""
    folder = OWN / name if (OWN / name).is_dir() else EVAL / name
    if not folder.is_dir():
        pytest.skip(f"evaluation set {name} found neither in {OWN} nor in {EVAL}")
    return folder


def test_floor_file_is_well_formed():
    assert FLOORS, "quality_floor.json lists no sets"
    for name, bounds in FLOORS.items():
        for path, bound in bounds.items():
            assert len(bound) == 1 and set(bound) <= {"min", "max"}, f"{name}/{path}: want one of min/max"
            assert isinstance(next(iter(bound.values())), (int, float)), f"{name}/{path}: not a number"
    assert dumps_floors(load_floors(FLOOR_FILE)) == FLOOR_FILE.read_text(encoding="utf-8"), \
        "keep the file in dumps_floors layout (one metric per line) so diffs stay readable"


def test_violations_reports_each_direction():
    metrics = {"a": {"f1": 0.5, "leak": 0.2, "none": None}}
    bounds = {"a.f1": {"min": 0.6}, "a.leak": {"max": 0.1}, "a.none": {"min": 0.0}, "a.gone": {"max": 1}}
    assert len(violations(metrics, bounds)) == 4
    assert violations(metrics, {"a.f1": {"min": 0.5}, "a.leak": {"max": 0.2}}) == []


def test_tightening_only_moves_in_the_strict_direction():
    bounds = {"s.f1": {"min": 0.8}, "s.leak": {"max": 0.1}, "s.missing": {"max": 0}}
    better = tightened(bounds, {"s": {"f1": 0.9, "leak": 0.02, "missing": 0}})
    assert better == {"s.f1": {"min": 0.895}, "s.leak": {"max": 0.025}, "s.missing": {"max": 0}}
    worse = tightened(bounds, {"s": {"f1": 0.5, "leak": 0.5, "missing": 3}})
    assert worse == bounds


@pytest.mark.parametrize("set_name", sorted(FLOORS))
def test_floor_paths_name_real_metrics(set_name):
    """Every floor path exists in what score_set returns (cheap: scores an empty output)."""
    metrics = score_set(str(set_dir(set_name)), [], [])
    for path in FLOORS[set_name]:
        lookup(metrics, path)


@pytest.mark.slow
@pytest.mark.parametrize("set_name", sorted(FLOORS))
def test_pipeline_meets_quality_floor(set_name, tmp_path):
    from storydedup.tasks.cli import main

    folder = set_dir(set_name)
    out = tmp_path / "out"
    assert main(["run", "--input", str(set_file(folder, "input")), "--output", str(out), "--quiet"]) == 0
    metrics = score_set(str(folder), *load_output(out))
    problems = violations(metrics, FLOORS[set_name])
    assert not problems, "\n".join(problems) + "\n\n" + format_report(set_name, metrics)
    if "encoding_ftfy_alone" in metrics:  # the repair stage never loses a kind of case ftfy gets right
        ours, ftfy_only = metrics["encoding"]["by_subset"], metrics["encoding_ftfy_alone"]["by_subset"]
        assert not {k: (v, ours[k]) for k, v in ftfy_only.items() if ours[k] < v}, format_report(set_name, metrics)
