"""Quality floors: per-set metric bounds that may only tighten.

A floor file maps set name -> dotted metric path -> ``{"min": x}`` (higher is better) or
``{"max": x}`` (lower is better); keys starting with ``_`` are comments. After an improvement,
raise the floors from the metrics ``storydedup evaluate`` wrote (``OUT/<set>/metrics.json``):

    python -m pipeline.evaluation.floors --floors tests/quality_floor.json --metrics OUT [--write]

Bounds move only in the stricter direction, to the measured value minus (plus, for ``max``)
``margin``, so run-to-run noise does not make the test flaky.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from storydedup.pipeline.evaluation.scoring import lookup

MARGIN = 0.005


def load_floors(path: str | Path) -> dict:
    """The whole file, comments included (``sets_of`` drops them)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def sets_of(floors: dict) -> dict[str, dict]:
    return {name: bounds for name, bounds in floors.items() if not name.startswith("_")}


def violations(metrics: dict, bounds: dict[str, dict]) -> list[str]:
    """One line per metric below its ``min``, above its ``max``, absent, or without a value."""
    found = []
    for path, bound in bounds.items():
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


def tightened(bounds: dict[str, dict], metrics: dict, margin: float = MARGIN) -> dict[str, dict]:
    """Bounds moved towards the measured metrics by at most value -/+ margin; never loosened.
    Values are kept to 3 decimals, rounded in the lenient direction."""
    out = {}
    for path, bound in bounds.items():
        value = lookup(metrics, path)
        if value is None:
            out[path] = dict(bound)
        elif "min" in bound:
            candidate = math.floor(round((value - margin) * 1000, 6)) / 1000
            out[path] = {"min": max(bound["min"], candidate)}
        else:
            candidate = math.ceil(round((value + margin) * 1000, 6)) / 1000
            out[path] = {"max": min(bound["max"], candidate)}
    return out


def dumps_floors(floors: dict) -> str:
    """Stable JSON with one metric per line, so diffs show exactly which bound moved."""
    lines = ["{"]
    names = list(floors)
    for i, name in enumerate(names):
        end = "," if i < len(names) - 1 else ""
        body = floors[name]
        if not isinstance(body, dict):
            lines.append(f"  {json.dumps(name)}: {json.dumps(body, ensure_ascii=False)}{end}")
            continue
        lines.append(f"  {json.dumps(name)}: {{")
        items = list(body.items())
        for j, (path, bound) in enumerate(items):
            lines.append(f"    {json.dumps(path)}: {json.dumps(bound)}" + ("," if j < len(items) - 1 else ""))
        lines.append("  }" + end)
    return "\n".join(lines + ["}"]) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline.evaluation.floors",
                                 description="Tighten quality floors from measured metrics.")
    ap.add_argument("--floors", required=True, help="floor file, e.g. tests/quality_floor.json")
    ap.add_argument("--metrics", required=True, help="evaluate output dir holding <set>/metrics.json")
    ap.add_argument("--margin", type=float, default=MARGIN)
    ap.add_argument("--write", action="store_true", help="rewrite the floor file (default: print only)")
    args = ap.parse_args(argv)
    floors = load_floors(args.floors)
    for name, bounds in sets_of(floors).items():
        metrics_file = Path(args.metrics) / name / "metrics.json"
        if not metrics_file.exists():
            print(f"{name}: no {metrics_file}, left as is", file=sys.stderr)
            continue
        new = tightened(bounds, json.loads(metrics_file.read_text(encoding="utf-8")), args.margin)
        for path in bounds:
            if new[path] != bounds[path]:
                print(f"{name}  {path}: {bounds[path]} -> {new[path]}")
        floors[name] = new
    if args.write:
        Path(args.floors).write_text(dumps_floors(floors), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
