"""A real central scheduler (luigid from the installed luigi) on loopback, for one test module."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _luigid() -> str:
    found = Path(sys.executable).with_name("luigid")
    return str(found) if found.exists() else (shutil.which("luigid") or "")


@pytest.fixture(scope="module")
def luigid(tmp_path_factory):
    """URL of a luigid serving on 127.0.0.1; stopped when the module's tests are done."""
    exe = _luigid()
    if not exe:
        if os.environ.get("CI"):
            pytest.fail("luigid is not installed (it comes with the luigi package)")
        pytest.skip("luigid is not installed")
    state = tmp_path_factory.mktemp("luigid")
    port = free_port()
    proc = subprocess.Popen([exe, "--address", "127.0.0.1", "--port", str(port),
                             "--state-path", str(state / "state.pickle"), "--logdir", str(state)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/api/task_list?data={}", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"luigid exited with code {proc.returncode}")
                time.sleep(0.1)
        else:
            pytest.fail("luigid did not answer within 20 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def task_list(url: str, status: str) -> dict:
    """The scheduler's tasks in ``status`` (its visualiser reads the same API)."""
    query = json.dumps({"status": status, "upstream_status": "", "search": ""})
    with urllib.request.urlopen(f"{url}/api/task_list?data={urllib.parse.quote(query)}", timeout=10) as resp:
        return json.load(resp)["response"]
