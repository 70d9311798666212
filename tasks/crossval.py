"""``storydedup crossval-strip``: out-of-fold figures of the strip model on its own training sets.

The evaluation sets' dev split is where settings are chosen, and the rule files were written
looking at it: figures there flatter the rules, and a model that leans on them. Here each fold
of the training sets is stripped by a model trained on the other folds, and by the rules and
detectors alone, and the out-of-fold outputs of all folds are scored together against each
set's gold: how both do on pages neither was fitted to.

Every step writes its own folder (fold sets, ``fold-k/model.json.gz``, one ``evaluate`` run per
fold and system), and a step whose output is there is not redone: an interrupted run resumes.
Each run is a child process: Luigi's configuration is process-wide, and each run has its own file.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storydedup.pipeline import evaluation
from storydedup.pipeline.records import write_json
from storydedup.pipeline.strip.model.folds import write_folds

# (system, its [StripBoilerplate] settings; {model}: the fold's model file)
SYSTEMS = (("model", "model_file = {model}"), ("rules", "use_model = false"))


def train_fold(fold: Path, rule_files: list[str], log, config=None) -> Path:
    """The model of a fold, trained on its ``train`` sets (kept when already written);
    ``config``: a ``TrainConfig`` (default: the shipped model's)."""
    from storydedup.pipeline.strip.model import train

    model = fold / "model.json.gz"
    if not model.is_file():
        sets = sorted((fold / "train").iterdir())
        log(f"{fold.name}: training on {', '.join(p.name for p in sets)}")
        partial = fold / "model.json.gz.partial"
        train.main([str(p) for p in sets], str(partial), rule_files, log=log, config=config)
        partial.replace(model)
    return model


def strip_held(fold: Path, system: str, settings: str, workers: int, log) -> Path:
    """``storydedup evaluate`` of the fold's held-out sets with one system's settings."""
    out = fold / "runs" / system
    config = fold / f"{system}.cfg"
    config.write_text(f"[StripBoilerplate]\n{settings.format(model=fold / 'model.json.gz')}\n", encoding="utf-8")
    sets = sorted((fold / "held").iterdir())
    if all((out / s.name / "metrics.json").is_file() for s in sets):
        return out
    log(f"{fold.name}: stripping the held-out documents ({system})")
    argv = [sys.executable, "-m", "storydedup.tasks.cli", "evaluate", "--quiet", "--config", str(config),
            "--output", str(out), "--workers", str(workers)]
    for s in sets:
        argv += ["--set", str(s)]
    done = subprocess.run(argv, stdout=subprocess.DEVNULL)
    if done.returncode:
        raise RuntimeError(f"{fold.name}: evaluate ({system}) exited with {done.returncode}: {' '.join(argv)}")
    return out


def out_of_fold(set_dir: Path, runs: list[Path]) -> dict:
    """Metrics of one set over the outputs of every fold's run (each document judged once)."""
    documents, rejects = [], []
    for run in runs:
        docs, rej = evaluation.load_output(run / set_dir.name)
        documents += docs
        rejects += rej
    return evaluation.score_set(str(set_dir), documents, rejects)


def cross_validate(set_dirs: list[str], folds: int, output: str, rule_files: list[str], workers: int = 1,
                   log=print, config=None) -> dict:
    """``{set: {system: metrics}}``, also written to ``output/<system>/<set>/metrics.json``;
    ``config``: the ``TrainConfig`` of the folds' models (default: the shipped model's)."""
    out = Path(output)
    fold_dirs = write_folds(set_dirs, folds, out / "folds")
    runs: dict[str, list[Path]] = {system: [] for system, _ in SYSTEMS}
    for fold in fold_dirs:
        train_fold(fold, rule_files, log, config)
        for system, settings in SYSTEMS:
            runs[system].append(strip_held(fold, system, settings, workers, log))
    return summarise(set_dirs, runs, out)


def summarise(set_dirs: list[str], runs: dict[str, list[Path]], out: Path) -> dict:
    """Out-of-fold metrics per set and system, written to ``out/<system>/<set>/metrics.json``."""
    result: dict = {}
    for set_dir in map(Path, set_dirs):
        for system, fold_runs in runs.items():
            metrics = out_of_fold(set_dir, fold_runs)
            (out / system / set_dir.name).mkdir(parents=True, exist_ok=True)
            write_json(out / system / set_dir.name / "metrics.json", metrics)
            result.setdefault(set_dir.name, {})[system] = metrics
    return result


def report(result: dict, folds: int) -> str:
    """Per set: the model's out-of-fold metrics, each change against the rules alone in brackets."""
    blocks = []
    for name, by_system in result.items():
        blocks.append(evaluation.format_report(f"{name}: model, out of fold ({folds} folds); "
                                               f"[change against the rules and detectors alone]",
                                               by_system["model"], by_system["rules"]))
    return "\n\n".join(blocks)
