"""The Task interface: what one task gives avtool over a model's whole life.

A task lives in one folder, ``avtool/tasks/<name>/``, and is one line in
``avtool.tasks.TASKS``. Its class implements `Task` below:

* **options**: ``Options``, a frozen dataclass holding every option of
  ``avtool train <name>`` with its default (the only place a default lives). Field metadata
  gives the help text and, for a number, its valid range (``option(help, min=...)``); the CLI
  builds its flags from it, and `check_options` refuses a value out of range for every caller;
* **building**: ``from_options(options, store)`` reads the training store and validates the
  options (`ConfigError` naming the option);
* **training**, run by the shared trainer (`avtool.train.fit`): ``build_model``,
  ``train_loader``, ``training_step``, ``configure_optimizers``, ``validate``, ``selection``
  (metric and direction that pick ``best.pt``), ``trainer_defaults`` (the epochs and batch
  size of the task's recipe), ``check_resume``;
* **a self-describing checkpoint**: ``checkpoint_spec()`` is plain data that rebuilds the
  network (configs, label lists, feature parameters); the trainer stores it with the task's
  name, so `avtool.tasks.load_model(path)` serves every task;
* **prediction**: ``load_predictor(checkpoint, device)`` returns a `Predictor` whose
  ``predict`` runs the model and whose ``write`` produces the files that
  ``avtool evaluate <name>`` reads, scored in the library by ``evaluate_files``;
* **a debug example**: ``debug_example(workdir)`` makes a tiny synthetic store and a debug-size
  config. The contract test (tests/tasks/test_task_contract.py) trains one step on it, saves,
  loads through `load_model`, predicts, writes and evaluates, for every registered task.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from avtool.config import check_ranges, ranged


def option(help: str, *, choices: Any = None, panel: str | None = None,
           flag: str | None = None, min: float | None = None, max: float | None = None,
           min_open: bool = False, max_open: bool = False) -> dict[str, Any]:
    """Field metadata of an ``Options`` field: its help text, and optionally its choices (a
    tuple, or a function returning the names of a registry), help panel and flag spelling
    (default ``--field-name``). A numeric field declares its valid range with `min` / `max`
    (`min_open` / `max_open` exclude the bound): ``--help`` shows it, the command line
    refuses a value outside it, and so does `check_options` for library callers."""
    meta: dict[str, Any] = {"help": help}
    if min is not None or max is not None:
        meta.update(ranged(min, max, min_open=min_open, max_open=max_open))
    if choices is not None:
        meta["choices"] = choices
    if panel is not None:
        meta["panel"] = panel
    if flag is not None:
        meta["flag"] = flag
    return meta


def option_flag(field: dataclasses.Field) -> str:
    """The command-line flag of an ``Options`` field (``--batch-size``)."""
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def check_options(options: Any) -> Any:
    """Every numeric option is finite and within its declared range (`ConfigError` naming
    the flag); `avtool.tasks.train_task` calls it before the task sees the options."""
    flags = {f.name: option_flag(f).split("/")[0] for f in dataclasses.fields(options)}
    check_ranges(options, lambda name: flags[name])
    return options


def option_choices(field: dataclasses.Field) -> tuple[str, ...] | None:
    """The allowed values of an ``Options`` field, or None when any value of its type goes."""
    choices = field.metadata.get("choices")
    if choices is None:
        return None
    return tuple(choices() if callable(choices) else choices)


@dataclass(frozen=True)
class DebugExample:
    """A tiny, fast instance of a task, for the contract test and for newcomers to read."""

    options: Any  # an instance of the task's Options, at debug size
    store: Path  # training store
    inputs: Any  # what the predictor's `predict` takes
    truth: Any  # what `evaluate_files` scores the written predictions against
    metrics: tuple[str, ...]  # keys `evaluate_files` must return
    train: dict[str, Any] = dataclasses.field(default_factory=dict)  # TrainConfig overrides


@runtime_checkable
class Predictor(Protocol):
    """A trained model ready to use: ``predict`` then ``write`` what ``evaluate`` reads."""

    spec: dict[str, Any]  # the checkpoint spec it was built from

    def predict(self, inputs: Any) -> Any: ...

    def write(self, predictions: Any, out: Path) -> Path: ...


class Task(Protocol):
    """One task: the whole life of its model (see the module docstring)."""

    name: ClassVar[str]
    summary: ClassVar[str]  # one line for `avtool list tasks` and `avtool train --help`
    example: ClassVar[str]  # a runnable `avtool train <name> ...` line for its --help
    Options: ClassVar[type]  # frozen dataclass of `avtool train <name>` options
    selection: ClassVar[tuple[str, str]]  # (validation metric, "max" | "min")
    # Optional: a task that trains from more than a feature store sets ``store_help``, the
    # help text of `avtool train <name> --store` (default: "Training feature store (.h5).").

    @classmethod
    def from_options(cls, options: Any, store: Path) -> Task: ...

    def trainer_defaults(self) -> dict[str, int]: ...  # {"epochs": ..., "batch_size": ...}

    def check_resume(self, checkpoint: dict[str, Any]) -> None: ...

    # -- training, driven by avtool.train.fit ----------------------------------------------
    def build_model(self) -> Any: ...

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int,
                     world: int) -> Iterable: ...

    def training_step(self, model: Any, batch: Any, device: str
                      ) -> tuple[Any, dict[str, float]]: ...

    def configure_optimizers(self, model: Any, steps_per_epoch: int, epochs: int
                             ) -> tuple[Any, Any | None]: ...

    def validate(self, model: Any, device: str) -> dict[str, float]: ...

    def checkpoint_spec(self) -> dict[str, Any]: ...

    # -- after training ---------------------------------------------------------------------
    @classmethod
    def load_predictor(cls, checkpoint: dict[str, Any], device: str) -> Predictor: ...

    @classmethod
    def evaluate_files(cls, predictions: Path, truth: Any) -> dict[str, float]: ...

    @classmethod
    def debug_example(cls, workdir: Path) -> DebugExample: ...


TASK_MEMBERS = ("name", "summary", "example", "Options", "selection", "from_options", "trainer_defaults",
                "check_resume", "build_model", "train_loader", "training_step",
                "configure_optimizers", "validate", "checkpoint_spec", "load_predictor",
                "evaluate_files", "debug_example")


def missing_members(task_class: type) -> list[str]:
    """The members of `Task` that `task_class` lacks (the contract test asserts none)."""
    missing = [m for m in TASK_MEMBERS if not hasattr(task_class, m)]
    options = getattr(task_class, "Options", None)
    if options is not None and not (dataclasses.is_dataclass(options)
                                    and options.__dataclass_params__.frozen):
        missing.append("Options (a frozen dataclass)")
    return missing
