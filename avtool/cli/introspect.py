"""Every registered command and what its parameters declare, read from the app itself.

The hostile-input suite (tests/hostile/) parametrises over this, so a new command, or a new
option of an existing one, is covered without editing the suite: a number is tried outside
its declared range, an output path in a read-only folder, an input file that is a folder.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avtool.cli.options import InputPathValue, NumberValue, OutputPathValue

OUTPUT_NAMES = ("out", "append", "det", "plot", "cache", "per_video", "per_query")
"""Parameter names (or their prefixes, ``out_audio``) that mean a path the command writes."""


@dataclass(frozen=True)
class Param:
    """One parameter of a command, as the suite needs it."""

    command: tuple[str, ...]  # ("evaluate", "speaker")
    name: str  # the Python name, ``batch_size``
    flag: str  # ``--batch-size``, or the metavar of an argument (``INPUT``)
    argument: bool
    annotation: Any  # its type, ``int | None``
    parser: Any  # NumberValue, InputPathValue, OutputPathValue or None
    required: bool

    @property
    def number(self) -> NumberValue | None:
        return self.parser if isinstance(self.parser, NumberValue) else None

    @property
    def output(self) -> OutputPathValue | None:
        return self.parser if isinstance(self.parser, OutputPathValue) else None

    @property
    def input(self) -> InputPathValue | None:
        return self.parser if isinstance(self.parser, InputPathValue) else None

    @property
    def numeric(self) -> bool:
        """Typed as a number (``int``, ``float``, optional or repeated)."""
        return bool(_leaf_types(self.annotation) & {int, float})

    @property
    def path_typed(self) -> bool:
        return Path in _leaf_types(self.annotation)

    @property
    def looks_like_output(self) -> bool:
        return self.name in OUTPUT_NAMES or self.name.startswith("out_")

    def __str__(self) -> str:
        return f"avtool {' '.join(self.command)} {self.flag}"


def root_command():
    """The click command of the whole app (Typer builds it on demand)."""
    import typer.main

    from avtool.cli.app import app

    return typer.main.get_command(app)


def leaf_commands() -> dict[tuple[str, ...], Any]:
    """{("evaluate", "speaker"): command} for every runnable command, in help order; the
    task commands of ``avtool train`` included (they are built on first use)."""
    found: dict[tuple[str, ...], Any] = {}

    def walk(command, path: tuple[str, ...]) -> None:
        if not hasattr(command, "list_commands"):
            found[path] = command
            return
        for name in command.list_commands(None):
            walk(command.get_command(None, name), (*path, name))

    walk(root_command(), ())
    return found


def parameters(path: tuple[str, ...], command) -> list[Param]:
    """The parameters of a command, help options and bool flags left out."""
    out = []
    for p in command.params:
        descriptor = getattr(p, "type_descriptor", None)
        if descriptor is None or getattr(p, "is_flag", False) or p.name == "help":
            continue
        argument = p.param_type_name == "argument"
        flag = (p.metavar or p.name.upper()) if argument else max(p.opts, key=len)
        out.append(Param(path, p.name, flag, argument, descriptor.annotation,
                         descriptor.parameter_info.parser, bool(p.required)))
    return out


def all_parameters() -> list[Param]:
    return [p for path, command in leaf_commands().items() for p in parameters(path, command)]


def _leaf_types(annotation: Any) -> set[Any]:
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    return set().union(*(_leaf_types(a) for a in args))
