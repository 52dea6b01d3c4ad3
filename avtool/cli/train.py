"""`avtool train TASK`: one subcommand per registered task, its flags built from the task's
``Options`` dataclass (`avtool.tasks.interface.option` metadata gives help, choices, panel and
the valid range of a number, shown in --help and checked while the command line is parsed).

``avtool train --task TASK ...`` (the spelling before per-task subcommands) still works: the
group turns it into ``avtool train TASK ...``.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperCommand, TyperGroup

from avtool.cli.options import (
    Device,
    DeviceOpt,
    NumberValue,
    SeedOpt,
    input_path,
    number_option,
    output_path,
    range_help,
)
from avtool.config import Range

COMMON = "Common options"


class TrainGroup(TyperGroup):
    """Lists the tasks without importing them; `--task NAME` means the subcommand NAME."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _task_flag_to_subcommand(args))

    def list_commands(self, ctx: click.Context) -> list[str]:
        from avtool.tasks import task_names

        return task_names()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from avtool.tasks import TASKS

        if name not in TASKS:
            return None
        if name not in self.commands:  # built on first use: it imports the task's options
            self.add_command(_task_command(name), name)
        return self.commands[name]


class TaskCommand(TyperCommand):
    """`avtool train TASK`: an option of another task is one line naming it, exit 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from avtool.errors import ConfigError

        known = {o for p in self.params for o in (*p.opts, *p.secondary_opts)}
        known.update(ctx.help_option_names)
        unknown = sorted({a.split("=", 1)[0] for a in args
                          if a.startswith("--") and a.split("=", 1)[0] not in known})
        if unknown:
            raise ConfigError(f"option(s) {', '.join(unknown)} do not apply to --task "
                              f"{self.name} (avtool train {self.name} --help lists its options)")
        return super().parse_args(ctx, args)


def _task_flag_to_subcommand(args: list[str]) -> list[str]:
    """``--task NAME rest`` or ``--task=NAME rest`` -> ``NAME rest`` (anywhere in args)."""
    for i, arg in enumerate(args):
        if arg == "--task" and i + 1 < len(args):
            return [args[i + 1], *args[:i], *args[i + 2:]]
        if arg.startswith("--task="):
            return [arg.split("=", 1)[1], *args[:i], *args[i + 1:]]
    return args


app = typer.Typer(
    cls=TrainGroup,
    help="Train a task's model on a feature store with the shared trainer (DDP under torchrun: "
    "gloo on the CPU, NCCL on GPUs). `avtool train TASK --help` lists the task's options.",
    no_args_is_help=True,
)


def _task_command(name: str) -> click.Command:
    """A Typer command for task `name`: the common options, then the task's ``Options``."""
    from avtool.tasks import get_task

    task_class = get_task(name)
    options_type = task_class.Options
    fields = dataclasses.fields(options_type)
    hints = typing.get_type_hints(options_type)
    annotations = typing.get_type_hints(_common, include_extras=True)
    store_help = getattr(task_class, "store_help", None)
    if store_help:  # a task that trains from more than a store says so (speaker: wav folders)
        annotations["store"] = Annotated[Path, input_path(
            "--store", kind="any", must_exist=False, help=store_help, rich_help_panel=COMMON)]
    params = [p.replace(annotation=annotations[p.name])
              for p in inspect.signature(_common).parameters.values()]
    for field in fields:
        annotation = Annotated[hints[field.name], _typer_option(field, hints[field.name])]
        params.append(inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY,
                                        default=field.default, annotation=annotation))
        annotations[field.name] = annotation

    def command(**values: Any) -> None:
        task_values = {f.name: _plain(values.pop(f.name)) for f in fields}
        _run(name, options_type(**task_values), **values)

    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = annotations
    command.__doc__ = (f"{task_class.summary}\n\nOptions come from the task's Options "
                       f"dataclass; defaults are the papers' values.\n\nExample: "
                       f"{task_class.example}\n\nThe same: avtool train --task {name} ...")
    single = typer.Typer(add_completion=False)
    single.command(name, cls=TaskCommand)(command)
    return typer.main.get_command(single)


def _common(
    store: Annotated[Path, input_path("--store", kind="any", must_exist=False,
                                      help="Training feature store (.h5).",
                                      rich_help_panel=COMMON)],
    out: Annotated[Path, output_path("--out", kind="dir", help="Run directory for "
                                     "checkpoints (created with the first one).",
                                     rich_help_panel=COMMON)],
    epochs: Annotated[int | None, number_option(
        "--epochs", kind=int, valid=Range(min=1), help="Epochs (default: the task's recipe, "
        "else 10).", rich_help_panel=COMMON, show_default=False)] = None,
    batch_size: Annotated[int | None, number_option(
        "--batch-size", kind=int, valid=Range(min=1), help="Batch size (default: the task's "
        "recipe, else 32).", rich_help_panel=COMMON, show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from RUN_DIR/last.pt.",
                                         rich_help_panel=COMMON)] = False,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace the run RUN_DIR holds (without it, a folder holding a "
        "run is refused unless --resume).", rich_help_panel=COMMON)] = False,
    no_amp: Annotated[bool, typer.Option("--no-amp", help="Disable mixed precision on CUDA.",
                                         rich_help_panel=COMMON)] = False,
    seed: SeedOpt = 0,
    device: DeviceOpt = Device.auto,
    workers: Annotated[int, number_option(
        "--workers", kind=int, valid=Range(min=0), help="DataLoader worker processes (0: "
        "load in the main process).", rich_help_panel=COMMON)] = 0,
) -> None:
    """The options every task shares (their signature is copied into each task command)."""


def _run(name: str, options: Any, *, store: Path, out: Path, epochs: int | None,
         batch_size: int | None, resume: bool, overwrite: bool, no_amp: bool, seed: int,
         device: Device, workers: int) -> None:
    from avtool.console import print_json
    from avtool.tasks import train_task

    result = train_task(name, options, store, out, resume=resume, overwrite=overwrite,
                        epochs=epochs, batch_size=batch_size, seed=seed, device=device.value,
                        workers=workers, amp=not no_amp)
    print_json({"out": str(result.out_dir), "best": result.best,
                "last": result.history[-1] if result.history else None})


def _typer_option(field: dataclasses.Field, annotation: Any) -> Any:
    """The field as a Typer option. Choices only show in the help: the task checks them, so
    a bad value gets the library's one-line error (with the valid names) like any caller. A
    number is parsed within its declared range, which the help shows."""
    from avtool.config import field_range
    from avtool.tasks.interface import option_choices, option_flag

    meta = field.metadata
    flag = option_flag(field)
    choices = option_choices(field)
    help_text = meta.get("help")
    number = _number_kind(annotation)
    parser = None
    if number is not None:
        valid = field_range(field) or Range()
        parser = NumberValue(flag, number, valid)
        help_text = range_help(help_text, valid)
    return typer.Option(flag, help=help_text, rich_help_panel=meta.get("panel"),
                        show_default=field.default is not None, parser=parser,
                        metavar=None if choices is None else "|".join(choices))


def _number_kind(annotation: Any) -> type | None:
    """int or float for a numeric annotation (``float | None`` too), else None."""
    kinds = [a for a in typing.get_args(annotation) or (annotation,) if a is not type(None)]
    return kinds[0] if len(kinds) == 1 and kinds[0] in (int, float) else None


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value
