"""Files that ship inside the package: the default Luigi config, rule files, models.

They are found through ``importlib.resources`` in the ``storydedup.config`` package, so an
editable install, a wheel and an sdist install read the same files. A missing file is an
error that names it, never a silent fallback: a stage without its rules or model would still
run and quietly give worse results.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE = "storydedup.config"


class ConfigError(Exception):
    """A configuration file, rule folder or model that is missing or unusable (exit 2)."""


def packaged(name: str) -> Path:
    """Filesystem path of a packaged file or folder, e.g. ``packaged("rules")``."""
    path = Path(str(resources.files(PACKAGE).joinpath(name)))
    if not path.exists():
        raise ConfigError(f"packaged resource missing: {path} (reinstall storydedup)")
    return path


def default_config() -> Path:
    return packaged("storydedup.cfg")


def rules_dir() -> Path:
    return packaged("rules")


def files_in(folder: str | Path, pattern: str) -> list[Path]:
    """The files matching ``pattern`` in ``folder``, sorted; an error if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"rules folder not found: {folder}")
    try:
        found = sorted(folder.glob(pattern))
        for p in found:
            with p.open("rb"):
                pass
    except OSError as exc:
        raise ConfigError(f"rules folder unreadable: {exc.filename or folder} ({exc.strerror})") from None
    if not found:
        raise ConfigError(f"rules folder has no {pattern} files: {folder}")
    return found
