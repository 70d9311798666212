"""Rule files are never silently missing: a missing, empty or unreadable rules folder and a rule
file that does not parse are one-line errors (exit 2) naming the path; ``--rules DIR`` adds rule
files, and the strip stage's ``_params.json`` records which files (and digests) were used."""
from __future__ import annotations

import hashlib
import json
import pytest

from storydedup.pipeline import resources
from storydedup.pipeline.resources import ConfigError
from storydedup.pipeline.strip import rule_paths

from conftest import ARTICLE, read_rows


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_missing_rules_folder_is_an_error_naming_it(cli, corpus, tmp_path):
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out", "--rules", tmp_path / "nope")
    assert code == 2
    assert _one_error_line(err) == f"storydedup: error: rules folder not found: {tmp_path / 'nope'}"


def test_empty_rules_folder_is_an_error(cli, corpus, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out", "--rules", tmp_path / "empty")
    assert code == 2 and str(tmp_path / "empty") in _one_error_line(err) and "no *.toml" in err


def test_configured_rules_dir_replacing_the_packaged_one_must_exist(cli, corpus, tmp_path):
    cfg = tmp_path / "my.cfg"
    cfg.write_text(f"[StripBoilerplate]\nrules_dir = {tmp_path / 'gone'}\n")
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out", "--config", cfg)
    assert code == 2 and f"rules folder not found: {tmp_path / 'gone'}" in _one_error_line(err)


def test_rule_file_that_does_not_parse_is_an_error(cli, corpus, tmp_path):
    extra = tmp_path / "rules"
    extra.mkdir()
    (extra / "broken.toml").write_text("[group.x\nlines = [")
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out", "--rules", extra)
    assert code == 2 and f"rule file unusable: {extra / 'broken.toml'}" in _one_error_line(err)


def test_unreadable_rule_file_is_an_error(tmp_path):
    (tmp_path / "a.toml").symlink_to(tmp_path / "moved-away.toml")  # unreadable even for root
    with pytest.raises(ConfigError, match=f"rules folder unreadable: {tmp_path / 'a.toml'}"):
        rule_paths(tmp_path)


def test_user_rules_are_added_and_recorded_with_digests(cli, corpus, tmp_path):
    extra = tmp_path / "rules"
    extra.mkdir()
    mine = extra / "mine.toml"
    mine.write_text('[group.harbour_promo]\naction = "drop"\nlines = ["visit our harbour shop"]\n')
    paragraphs = ARTICLE.split("\n\n")
    (corpus / "wire" / "promo.txt").write_text("\n\n".join(["Port strike halts cranes", *paragraphs[:2],
                                                            "Visit our harbour shop", paragraphs[2]]))
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out", "--rules", extra)
    assert code == 0, err
    docs = {d["id"]: d for d in read_rows(tmp_path / "out" / "documents.jsonl")}
    assert "harbour shop" not in docs["wire/promo.txt"]["text"]
    (params,) = (tmp_path / "out").glob("50_strip-*/shard-00000/_params.json")
    used = json.loads(params.read_text())["rule_files"]
    assert {"file": str(mine), "sha256": hashlib.sha256(mine.read_bytes()).hexdigest()} in used
    packaged = {u["file"] for u in used} - {str(mine)}
    assert packaged == {str(p) for p in resources.rules_dir().glob("*.toml")}
    # rerun keeps the run's rule folders
    code, _, err = cli("rerun", "--output", tmp_path / "out", "--from", "strip")
    assert code == 0, err
    docs = {d["id"]: d for d in read_rows(tmp_path / "out" / "documents.jsonl")}
    assert "harbour shop" not in docs["wire/promo.txt"]["text"]


def test_rule_files_name_their_language_and_a_bad_code_is_an_error(tmp_path):
    from storydedup.pipeline.strip import load_rules

    assert load_rules(rule_paths()).languages == {"en", "de", "fr", "es"}
    bad = tmp_path / "x.toml"
    bad.write_text('language = "English"\n[group.share]\nlines = ["share"]\n')
    with pytest.raises(ConfigError, match=f"{bad}: language must be a language code"):
        load_rules([str(bad)])
    theme = tmp_path / "theme.toml"  # a theme file names no language and adds none
    theme.write_text('[group.share]\nlines = ["share"]\n')
    assert load_rules([str(theme)]).languages == frozenset()
