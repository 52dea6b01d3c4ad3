"""Every number declares its valid range and every path says whether it is read or written,
on every registered command, extractor and task: the other hostile-input tests find what to
try through these declarations, so an undeclared option would escape them."""

from __future__ import annotations

import dataclasses

import pytest

from avtool.cli.introspect import all_parameters
from avtool.config import field_range, is_numeric
from avtool.features import extractors
from avtool.tasks import get_task, task_names

PARAMS = all_parameters()


@pytest.mark.parametrize("param", [p for p in PARAMS if p.numeric], ids=str)
def test_every_numeric_option_declares_its_range(param):
    assert param.number is not None, (
        f"{param}: declare it with avtool.cli.options.number_option(valid=Range(...))")


@pytest.mark.parametrize("param", [p for p in PARAMS if p.path_typed or p.looks_like_output],
                         ids=str)
def test_every_path_option_says_read_or_written(param):
    assert param.input is not None or param.output is not None, (
        f"{param}: declare it with avtool.cli.options.input_path or output_path")
    if param.looks_like_output:
        assert param.output is not None, f"{param}: an output declared as an input"


def _numeric_fields(config_type):
    defaults = config_type()
    return [f for f in dataclasses.fields(config_type)
            if any(is_numeric(v) for v in (lambda v: v if isinstance(v, tuple) else (v,))(
                getattr(defaults, f.name)))
            or f.type in ("int", "float", "int | None", "float | None")]


EXTRACTOR_FIELDS = [(name, f) for name in extractors.names()
                    for f in _numeric_fields(extractors.get(name).config_type)]


@pytest.mark.parametrize(("extractor", "field"), EXTRACTOR_FIELDS,
                         ids=[f"{n}:{f.name}" for n, f in EXTRACTOR_FIELDS])
def test_every_extractor_parameter_declares_its_range(extractor, field):
    assert field_range(field) is not None, (
        f"{extractor}: {field.name} needs metadata=ranged(...) (avtool.config)")


TASK_FIELDS = [(name, f) for name in task_names()
               for f in _numeric_fields(get_task(name).Options)]


@pytest.mark.parametrize(("task", "field"), TASK_FIELDS,
                         ids=[f"{n}:{f.name}" for n, f in TASK_FIELDS])
def test_every_task_option_declares_its_range(task, field):
    assert field_range(field) is not None, (
        f"train {task}: {field.name} needs option(..., min=..., max=...)")
