"""Turn a pipeline settings dataclass into significant Luigi parameters, and back.

The dataclass in ``pipeline`` is the one place a setting is defined; its fields become task
parameters (so they are part of the task id and of the stage directory hash) and Luigi fills
them from the ``[TaskName]`` section of the config file.
"""
from __future__ import annotations

import dataclasses

import luigi


def _parameter_for(default, **options):
    if isinstance(default, bool):
        return luigi.BoolParameter(default=default, parsing=luigi.BoolParameter.EXPLICIT_PARSING, **options)
    if isinstance(default, int):
        return luigi.IntParameter(default=default, **options)
    if isinstance(default, float):
        return luigi.FloatParameter(default=default, **options)
    if isinstance(default, tuple):
        return luigi.ListParameter(default=default, **options)
    return luigi.Parameter(default=default, **options)


def with_settings(settings_cls, section: str | None = None):
    """Class decorator: add one significant parameter per field of ``settings_cls``. With
    ``section``, a setting missing from the task's own config section is read from that one
    (another engine's task of the same stage shares its settings)."""

    def decorate(task_cls):
        task_cls.settings_cls = settings_cls
        for f in dataclasses.fields(settings_cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            options = {"config_path": {"section": section, "name": f.name}} if section else {}
            param = _parameter_for(default, **options)
            setattr(task_cls, f.name, param)
            if hasattr(param, "__set_name__"):  # descriptors added after class creation
                param.__set_name__(task_cls, f.name)
        return task_cls

    return decorate


def settings_of(task):
    """The task's settings as the pipeline dataclass (lists back to tuples)."""
    cls = task.settings_cls
    values = {}
    for f in dataclasses.fields(cls):
        value = getattr(task, f.name)
        values[f.name] = tuple(value) if isinstance(value, (list, tuple)) else value
    return cls(**values)
