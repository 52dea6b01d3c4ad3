"""Tasks: dataset over a store, loss, training step, prediction. One module per task.

Each task module registers a trainer entry point in `trainers`: a function
`train(options: dict, config: TrainConfig, out_dir: Path, resume: bool) -> TrainResult`
that `avtool train --task NAME` calls with the command-line options.
"""

from avtool.registry import Registry

trainers: Registry = Registry("task")


def load_all() -> None:
    """Import every task module so `trainers` is complete (kept lazy: tasks import torch)."""
    import importlib

    for module in ("speaker.task", "avvp.task", "avvp.pretrain"):
        importlib.import_module(f"avtool.tasks.{module}")


def reject_unknown(task: str, options: dict, known: set[str]) -> None:
    """A task's runner calls this so an option meant for another task is an error."""
    from avtool.errors import ConfigError

    extra = sorted(set(options) - known - {"store", "lr", "defaulted"})
    if extra:
        flags = ", ".join("--" + k.replace("_", "-") for k in extra)
        raise ConfigError(f"option(s) {flags} do not apply to --task {task}")
