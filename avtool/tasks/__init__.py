"""Tasks: one folder per task, each implementing `avtool.tasks.interface.Task`.

Adding a task is one folder, ``avtool/tasks/<folder>/``, and one line in `TASKS` below
(README, "Adding a task"). Its commands, if any, live in ``avtool/tasks/<folder>/cli``
(a module or package with a ``COMMANDS`` list the CLI mounts); ``avtool train <name>`` is
built from its ``Options``. Folders without a `TASKS` line hold what needs no training
(curate).
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from avtool.errors import ModelError, UnknownNameError

# name -> "module:Class". Imported on first use, so `avtool --help` loads no task (nor torch).
TASKS: dict[str, str] = {
    "speaker": "avtool.tasks.speaker.task:SpeakerTask",
    "avvp": "avtool.tasks.avvp.task:AvvpTask",
    "avvp-pretrain": "avtool.tasks.avvp.pretrain:AvvpPretrainTask",
    "transcribe": "avtool.tasks.transcribe.task:AvatarTask",
    "dialog": "avtool.tasks.dialog.task:DialogTask",
    "retrieval": "avtool.tasks.retrieval.task:RetrievalTask",
    "grounding": "avtool.tasks.grounding.task:GroundingTask",
    "active-speaker": "avtool.tasks.active_speaker.task:ActiveSpeakerTask",
}


def task_names() -> list[str]:
    """Registered task names, in registry order."""
    return list(TASKS)


def get_task(name: str) -> type:
    """The Task class registered as `name` (`UnknownNameError` lists the valid names)."""
    if name not in TASKS:
        raise UnknownNameError(f"unknown task {name!r}; valid names: {', '.join(TASKS)}")
    module, _, attr = TASKS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def task_folders() -> list[str]:
    """Every task folder as a package (``avtool.tasks.speaker``...): the registered tasks'
    first, in registry order, then folders without a TASKS line (curate)."""
    import pkgutil

    registered = list(dict.fromkeys(".".join(t.split(":")[0].split(".")[:3])
                                    for t in TASKS.values()))
    on_disk = sorted(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if m.ispkg)
    return registered + [p for p in on_disk if p not in registered]


def train_task(name: str, options: Any, store: str | Path, out: str | Path, *,
               resume: bool = False, overwrite: bool = False, quiet: bool = False,
               **trainer: Any):
    """Train task `name` with its `options` on `store` into the run folder `out`.

    `trainer` holds `avtool.train.TrainConfig` fields; ``epochs`` and ``batch_size`` left out
    (or None) take the task's recipe (``trainer_defaults``), else the trainer's defaults.
    The options' ranges are checked first (`check_options`), and `out` before the store is
    read: a folder holding a run is refused unless `resume` or `overwrite`.
    """
    from avtool.tasks.interface import check_options
    from avtool.train import TrainConfig, check_run_dir, fit

    check_run_dir(out, resume=resume, overwrite=overwrite)
    task = get_task(name).from_options(check_options(options), Path(store))
    given = {k: v for k, v in trainer.items() if v is not None}
    config = replace(TrainConfig(), **{**task.trainer_defaults(), **given})
    return fit(task, config, out, resume=resume, overwrite=overwrite, quiet=quiet)


def load_model(path: str | Path, device: str = "cpu"):
    """The predictor of any task's checkpoint (a RUN_DIR means its best.pt)."""
    from avtool.train import load_checkpoint

    checkpoint = load_checkpoint(path)
    name = checkpoint.get("task")
    if name not in TASKS:
        raise ModelError(f"{path}: a checkpoint of task {name!r}, which this avtool does not "
                         f"know (tasks: {', '.join(TASKS)})")
    return get_task(name).load_predictor(checkpoint, device)


def load_task_checkpoint(path: str | Path, task: str, what: str) -> dict[str, Any]:
    """A checkpoint that must be of `task`, `what` it holds in words (`ModelError` naming the
    file otherwise)."""
    from avtool.train import load_checkpoint

    checkpoint = load_checkpoint(path)
    if checkpoint.get("task") != task:
        raise ModelError(f"{path}: a checkpoint of task {checkpoint.get('task')}, not {what} "
                         f"(train one with avtool train {task})")
    return checkpoint
