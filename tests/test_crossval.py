"""Cross-validation of the strip model: folds of labelled sets, out-of-fold scoring, the command."""
from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from storydedup.pipeline.evaluation import score_set
from storydedup.pipeline.strip import rule_paths
from storydedup.pipeline.strip.model.folds import assign_folds, write_folds
from storydedup.pipeline.strip.model.train import TrainConfig
from storydedup.tasks import crossval
from storydedup.tasks.cli import main

from conftest import document


def labelled_set(folder: Path, sources: dict[str, int]) -> list[dict]:
    """A text set of ``n`` documents per source: body lines, then a comment line."""
    folder.mkdir(parents=True)
    gold, inputs = [], []
    for source, n in sources.items():
        for i in range(n):
            ident = f"{source}-{i:02d}"
            body = f"Report {i} from {source} on the harbour works and what they cost the town."
            inputs.append({"id": ident, "text": f"{body}\nGreat piece, thanks {i}!"})
            gold.append({"id": ident, "source": source, "body": body, "lines": ["body", "comment"],
                         "leak": [{"text": f"Great piece, thanks {i}!", "kind": "comment"}]})
    for name, rows in (("input", inputs), ("gold", gold)):
        with gzip.open(folder / f"{name}.jsonl.gz", "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
    (folder / "meta.json").write_text(json.dumps({"set": folder.name, "tasks": ["boilerplate"]}))
    return gold


def ids_in(folder: Path, stem: str = "input") -> set[str]:
    with gzip.open(folder / f"{stem}.jsonl.gz", "rt", encoding="utf-8") as fh:
        return {json.loads(line)["id"] for line in fh}


def test_every_document_is_in_one_fold_and_each_source_is_spread_evenly(tmp_path):
    gold = labelled_set(tmp_path / "s", {"big": 9, "small": 4, "one": 1})
    folds = assign_folds(gold, 3)
    assert set(folds) == {g["id"] for g in gold} and set(folds.values()) == {0, 1, 2}
    for source in ("big", "small"):
        per_fold = Counter(k for ident, k in folds.items() if ident.startswith(source))
        assert max(per_fold.values()) - min(per_fold.values()) <= 1, per_fold
    assert assign_folds(list(reversed(gold)), 3) == folds  # the order of the file does not matter
    assert assign_folds(gold, 3, seed=1) != folds
    with pytest.raises(ValueError):
        assign_folds(gold, 1)


def test_fold_sets_hold_the_documents_out_and_train_on_the_rest(tmp_path):
    gold = labelled_set(tmp_path / "sets" / "text", {"a": 5, "b": 4})
    folders = write_folds([tmp_path / "sets" / "text"], 2, tmp_path / "cv")
    held = [ids_in(f / "held" / "text") for f in folders]
    assert held[0] | held[1] == {g["id"] for g in gold} and not held[0] & held[1]
    for k, fold in enumerate(folders):
        assert ids_in(fold / "train" / "text") == held[1 - k]
        assert ids_in(fold / "held" / "text", "gold") == held[k]
        assert json.loads((fold / "held" / "text" / "meta.json").read_text())["tasks"] == ["boilerplate"]
    marker = folders[0] / "held" / "text" / "kept"
    marker.write_text("")
    write_folds([tmp_path / "sets" / "text"], 2, tmp_path / "cv")  # complete folds are not rewritten
    assert marker.exists()


def test_out_of_fold_scores_are_those_of_all_folds_outputs_together(tmp_path):
    gold = labelled_set(tmp_path / "text", {"a": 3, "b": 3})
    outputs = {g["id"]: g["body"] if k % 2 else f"{g['body']}\n{g['leak'][0]['text']}" for k, g in enumerate(gold)}
    runs = []
    for k in range(2):  # fold k's run holds its documents; one of them rejected
        run = tmp_path / f"run{k}" / "text"
        run.mkdir(parents=True)
        ids = [g["id"] for g in gold[k * 3:(k + 1) * 3]]
        (run / "documents.jsonl").write_text("".join(json.dumps({"id": i, "text": outputs[i]}) + "\n" for i in ids[1:]))
        (run / "rejects.jsonl").write_text(json.dumps({"id": ids[0], "reason": "empty"}) + "\n")
        runs.append(run.parent)
    oof = crossval.summarise([str(tmp_path / "text")], {"model": runs}, tmp_path / "cv")["text"]["model"]
    assert json.loads((tmp_path / "cv" / "model" / "text" / "metrics.json").read_text()) == oof
    docs = [{"id": g["id"], "text": outputs[g["id"]]} for k, g in enumerate(gold) if k % 3]
    together = score_set(str(tmp_path / "text"), docs, [{"id": gold[0]["id"]}, {"id": gold[3]["id"]}])
    assert oof["boilerplate"] == together["boilerplate"]
    assert oof["coverage"]["rejects"] == 2 and oof["coverage"]["missing"] == 0
    assert 0 < oof["boilerplate"]["comment_leak_rate"] < 1


def test_the_command_refuses_one_fold_and_missing_folders(tmp_path, capsys):
    labelled_set(tmp_path / "text", {"a": 2})
    one_fold = ["crossval-strip", "--train", str(tmp_path / "text"), "--folds", "1", "--output", str(tmp_path / "o")]
    assert main(one_fold) == 2
    assert "--folds" in capsys.readouterr().err
    assert main(["crossval-strip", "--train", str(tmp_path / "nope"), "--output", str(tmp_path / "o")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["crossval-strip", "--train", str(tmp_path / "text"), "--folds", "3", "--output", str(tmp_path / "o")]) == 2
    assert "fewer than the 3 folds" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["crossval-strip", "--train", str(tmp_path / "empty"), "--output", str(tmp_path / "o")]) == 2
    assert "input.jsonl(.gz), gold.jsonl(.gz) and meta.json" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_held_out_documents_are_stripped_by_a_run_of_their_own_and_not_twice(tmp_path):
    labelled_set(tmp_path / "sets" / "text", {"a": 4})
    fold = write_folds([tmp_path / "sets" / "text"], 2, tmp_path / "cv")[0]
    out = crossval.strip_held(fold, "rules", "use_model = false", 1, log=lambda _msg: None)
    assert (fold / "rules.cfg").read_text() == "[StripBoilerplate]\nuse_model = false\n"
    metrics = json.loads((out / "text" / "metrics.json").read_text())
    assert metrics["coverage"]["gold"] == 2 and metrics["coverage"]["missing"] == 0
    stamp = (out / "text" / "metrics.json").stat().st_mtime_ns
    logged = []
    crossval.strip_held(fold, "rules", "use_model = false", 1, log=logged.append)
    assert not logged and (out / "text" / "metrics.json").stat().st_mtime_ns == stamp


def test_each_fold_is_judged_by_a_model_that_never_saw_it_and_a_second_call_redoes_nothing(tmp_path):
    rng = random.Random(3)
    pages = [document(rng, i) for i in range(40)]
    folder = tmp_path / "pages"
    folder.mkdir()
    gold = [{"id": p["id"], "source": p["source"], "lines": p["lines"],
             "body": "\n".join(t for t, lab in zip(p["text"].split("\n"), p["lines"]) if lab == "body"),
             "leak": [{"text": t, "kind": "comment"} for t, lab in zip(p["text"].split("\n"), p["lines"])
                      if lab == "comment"]} for p in pages]
    for name, rows in (("input", [{"id": p["id"], "text": p["text"]} for p in pages]), ("gold", gold)):
        with gzip.open(folder / f"{name}.jsonl.gz", "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
    (folder / "meta.json").write_text(json.dumps({"set": "pages", "tasks": ["boilerplate"]}))
    tiny = TrainConfig(rounds={"stage1": 10, "comment": 6, "stage2": 6}, folds=2, batch=20, min_data_in_leaf=5,
                       synthetic=10, members=1, unreached=False)
    logged = []
    result = crossval.cross_validate([str(folder)], 2, str(tmp_path / "cv"), rule_paths(), log=logged.append,
                                     config=tiny)
    for fold in ("fold-0", "fold-1"):
        assert (tmp_path / "cv" / "folds" / fold / "model.json.gz").is_file()
        assert not ids_in(tmp_path / "cv" / "folds" / fold / "held" / "pages") & \
            ids_in(tmp_path / "cv" / "folds" / fold / "train" / "pages")
    for system in ("model", "rules"):
        metrics = result["pages"][system]
        assert metrics["coverage"]["gold"] == 40 and metrics["coverage"]["missing"] == 0
        assert metrics["boilerplate"]["token_f1_mean"] > 0.5  # menus and threads around the prose come off
        assert json.loads((tmp_path / "cv" / system / "pages" / "metrics.json").read_text()) == metrics
    assert sum("training" in m for m in logged) == 2 and sum("stripping" in m for m in logged) == 4
    logged.clear()
    assert crossval.cross_validate([str(folder)], 2, str(tmp_path / "cv"), rule_paths(), log=logged.append,
                                   config=tiny) == result
    assert logged == []
    assert "[change against the rules and detectors alone]" in crossval.report(result, 2)
