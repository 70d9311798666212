"""The command-line contract: clear one-line errors and non-zero exits for bad invocations."""
from __future__ import annotations

import os

import pytest


def test_missing_input_is_a_clear_error(cli, tmp_path):
    code, _, err = cli("run", "--input", tmp_path / "nope", "--output", tmp_path / "out")
    assert code == 2
    assert err.strip().splitlines() == [f"storydedup: error: input not found: {tmp_path / 'nope'} (check the path)"]


def test_unknown_file_type_names_the_supported_ones(cli, tmp_path):
    bad = tmp_path / "data.csv"
    bad.write_text("a,b\n")
    code, _, err = cli("run", "--input", bad, "--output", tmp_path / "out")
    assert code == 2 and "unknown file type" in err and ".jsonl" in err


def test_directory_without_documents_is_an_error(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = cli("run", "--input", tmp_path / "empty", "--output", tmp_path / "out")
    assert code == 2 and "no input documents" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; use a path under a file instead")
def test_unwritable_output_non_root(cli, corpus, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    code, _, err = cli("run", "--input", corpus, "--output", ro / "out")
    assert code == 2 and "cannot write to output directory" in err


def test_output_path_under_a_file_is_unwritable(cli, corpus, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = cli("run", "--input", corpus, "--output", blocker / "out")
    assert code == 2 and "cannot write to output directory" in err


def test_missing_config_file(cli, corpus, tmp_path):
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out", "--config", tmp_path / "x.cfg")
    assert code == 2 and "config file not found" in err


def test_bad_worker_count(cli, corpus, tmp_path):
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out", "--workers", "0")
    assert code == 2 and "--workers" in err


def test_argparse_errors_exit_non_zero(cli):
    with pytest.raises(SystemExit) as exc:
        cli("run")
    assert exc.value.code == 2


def test_commands_on_a_directory_without_a_run(cli, tmp_path):
    for argv in (("stats", "--output", tmp_path), ("inspect", "--output", tmp_path, "x"),
                 ("rerun", "--output", tmp_path, "--from", "strip")):
        code, _, err = cli(*argv)
        assert code == 2 and "run `storydedup run` first" in err


def test_failed_task_exits_with_retcode(cli, corpus, tmp_path, monkeypatch):
    from storydedup.tasks import stages

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    # A whole task failing (a document that trips a stage is only that document's reject).
    monkeypatch.setattr(stages.StripBoilerplate, "prepare", broken)
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out")
    assert code == 30  # [retcode] task_failed in config/storydedup.cfg
    assert "did not complete" in err
    assert not (tmp_path / "out" / "documents.jsonl").exists()
