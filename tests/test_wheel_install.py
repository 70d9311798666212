"""Installed as users install it: a wheel in a fresh venv, run from a folder outside the checkout,
gives byte-identical outputs to the editable install, and puts only ``storydedup`` into
site-packages."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, SHARED

pytestmark = pytest.mark.slow


def _run(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, REPO])
    (found,) = out.glob("storydedup-*.whl")
    return found


@pytest.fixture(scope="module")
def wheel_venv(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", venv])
    _run([venv / "bin/python", "-m", "pip", "install", "-q", wheel])
    return venv


def test_wheel_holds_config_rules_and_only_the_storydedup_namespace(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"storydedup", wheel.name.split("-py")[0] + ".dist-info"}
    assert "storydedup/config/storydedup.cfg" in names
    assert any(n.startswith("storydedup/config/rules/") and n.endswith(".toml") for n in names)
    # every module of the checkout is in the wheel (the package list in setup.cfg is complete)
    for folder in ("pipeline", "tasks"):
        for path in (REPO / folder).rglob("*.py"):
            assert f"storydedup/{path.relative_to(REPO)}" in names, path


def test_installed_files_are_storydedup_and_its_dist_info(wheel_venv):
    site = next((wheel_venv / "lib").glob("python3*/site-packages"))
    (record,) = site.glob("storydedup-*.dist-info/RECORD")
    tops = {line.split(",")[0].split("/")[0] for line in record.read_text().splitlines()}
    tops = {t for t in tops if t != ".."}  # console scripts live in the venv's bin/
    assert tops == {"storydedup", record.parent.name}


@pytest.mark.parametrize("inputs", ["seeds", "text_boilerplate"])
def test_wheel_run_is_byte_identical_to_the_editable_install(inputs, wheel_venv, seeds_dir, tmp_path):
    source = seeds_dir if inputs == "seeds" else SHARED / "eval" / "text_boilerplate" / "input.jsonl.gz"
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for name, python in (("wheel", wheel_venv / "bin/python"), ("editable", Path(sys.executable))):
        _run([python, "-m", "storydedup.tasks.cli", "run", "--input", source, "--output", work / name,
              "--workers", "2", "--quiet"], cwd=work, env=env)
    for name in ("documents.jsonl", "clusters.jsonl"):
        assert (work / "wheel" / name).read_bytes() == (work / "editable" / name).read_bytes(), name
    assert (work / "wheel" / "documents.jsonl").stat().st_size > 0


def test_wheel_uses_packaged_rules_not_the_checkout(wheel_venv, tmp_path):
    code = "from storydedup.pipeline import resources; print(resources.rules_dir())"
    out = _run([wheel_venv / "bin/python", "-c", code], cwd=tmp_path).stdout.strip()
    assert out.startswith(str(wheel_venv)) and Path(out, "en.toml").is_file()


def test_sdist_installs_config_and_rules_too(tmp_path):
    code = "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))"
    name = _run([sys.executable, "-c", code, tmp_path], cwd=REPO).stdout.strip().splitlines()[-1]
    target = tmp_path / "site"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target,
          tmp_path / name])
    assert (target / "storydedup" / "config" / "storydedup.cfg").is_file()
    assert sorted(p.name for p in (target / "storydedup" / "config" / "rules").glob("*.toml")) == \
        sorted(p.name for p in (REPO / "config" / "rules").glob("*.toml"))
    assert {p.name for p in target.iterdir()} - {"bin"} == {"storydedup", name.replace(".tar.gz", ".dist-info")}
