"""Every registered task keeps the Task interface (avtool/tasks/interface.py), end to end:
its debug example trains one step, saves, loads through `load_model`, predicts, writes and
evaluates. A task that does not pass cannot be registered."""

import dataclasses
import math

import pytest

from avtool.tasks import get_task, load_model, task_names, train_task
from avtool.tasks.interface import Predictor, missing_members, option_choices
from avtool.train import load_checkpoint


@pytest.mark.parametrize("name", task_names())
def test_task_has_the_whole_interface(name):
    task_class = get_task(name)
    assert missing_members(task_class) == []
    assert task_class.name == name
    assert task_class.example.startswith(f"avtool train {name} ")
    for field in dataclasses.fields(task_class.Options):
        assert field.metadata.get("help"), f"{name}: option {field.name} has no help text"
        choices = option_choices(field)
        assert choices is None or field.default is None or field.default in choices


@pytest.mark.parametrize("name", task_names())
def test_debug_example_trains_saves_loads_predicts_writes_and_evaluates(name, tmp_path):
    task_class = get_task(name)
    example = task_class.debug_example(tmp_path / "data")
    assert isinstance(example.options, task_class.Options)
    run = tmp_path / "run"
    result = train_task(name, example.options, example.store, run, quiet=True, seed=0,
                        device="cpu", **{"epochs": 1, **example.train})
    assert (run / "best.pt").exists() and (run / "last.pt").exists()
    checkpoint = load_checkpoint(run)
    assert checkpoint["task"] == name and checkpoint["spec"] == load_checkpoint(
        run / "last.pt")["spec"]
    assert len(result.history) == 1

    predictor = load_model(run)
    assert isinstance(predictor, Predictor)
    assert predictor.spec == checkpoint["spec"]
    written = predictor.write(predictor.predict(example.inputs), tmp_path / "predictions")
    assert written.exists()
    scores = task_class.evaluate_files(written, example.truth)
    assert set(example.metrics) <= set(scores)
    assert all(math.isfinite(scores[k]) for k in example.metrics)
