"""Options shared by every subcommand, declared once so they mean the same everywhere, and the
value parsers every command declares its numbers and paths with.

A numeric option declares its valid range (``number_option``); a path option says whether it
is read or written (``input_path`` / ``output_path``). Both are checked while the command line
is parsed, before any work starts, and a bad value is one line naming the option. The
hostile-input suite (tests/hostile/) finds them on every command through these parsers.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from avtool.config import Range
from avtool.errors import AvtoolError, ConfigError, FormatError

INPUT_KINDS = ("file", "dir", "any")


class NumberValue:
    """Parses a numeric option: a finite `kind` within `valid` (ConfigError naming `flag`)."""

    def __init__(self, flag: str, kind: type, valid: Range) -> None:
        self.flag, self.kind, self.valid = flag, kind, valid

    def __call__(self, text: Any) -> int | float:
        try:
            value = self.kind(text)
        except (TypeError, ValueError):
            what = "an integer" if self.kind is int else "a number"
            raise ConfigError(f"{self.flag} {text!r}: not {what}") from None
        problem = self.valid.problem(value)
        if problem:
            raise ConfigError(f"{self.flag} {text}: {problem}")
        return value


class OutputPathValue:
    """Parses an output path: `avtool.io.check_output` before any work (OutputError)."""

    def __init__(self, flag: str, kind: str = "file",
                 suffixes: Collection[str] | None = None) -> None:
        self.flag, self.kind, self.suffixes = flag, kind, suffixes

    def __call__(self, text: Any) -> Path:
        from avtool.io import check_output

        try:
            return check_output(Path(text), self.kind, self.suffixes)
        except AvtoolError as err:
            raise type(err)(f"{self.flag}: {err}") from None


class InputPathValue:
    """Parses an input path: a folder where a file is expected (or the reverse) is refused;
    so is a missing path, unless the library names that better (`must_exist` False: stores,
    checkpoints, shard patterns)."""

    def __init__(self, flag: str, kind: str = "file", must_exist: bool = True) -> None:
        if kind not in INPUT_KINDS:
            raise ValueError(f"kind must be one of {INPUT_KINDS}, not {kind!r}")
        self.flag, self.kind, self.must_exist = flag, kind, must_exist

    def __call__(self, text: Any) -> Path:
        path = Path(text)
        if not path.exists():
            if self.must_exist:
                what = {"file": "file", "dir": "folder", "any": "file or folder"}[self.kind]
                raise FormatError(f"{self.flag}: {path}: no such {what}")
        elif self.kind == "file" and path.is_dir():
            raise FormatError(f"{self.flag}: {path}: is a folder, expected a file")
        elif self.kind == "dir" and not path.is_dir():
            raise FormatError(f"{self.flag}: {path}: is a file, expected a folder")
        return path


def number_option(*flags: str, help: str, valid: Range, kind: type = float,
                  **kwargs: Any) -> Any:
    """A numeric Typer option whose range shows in --help and is checked when parsed."""
    return typer.Option(*flags, parser=NumberValue(flags[0], kind, valid),
                        help=range_help(help, valid), **kwargs)


def range_help(help: str, valid: Range) -> str:
    """Help text ending with the valid range (in words that rich markup leaves alone)."""
    return f"{help} (valid: {valid})"


def input_path(*flags: str, help: str, kind: str = "file", must_exist: bool = True,
               argument: bool = False, **kwargs: Any) -> Any:
    """A Typer option (or, with `argument`, argument named by ``flags[0]``) read by the
    command."""
    parser = InputPathValue(flags[0], kind, must_exist)
    if argument:
        return typer.Argument(parser=parser, help=help, metavar=flags[0], **kwargs)
    return typer.Option(*flags, parser=parser, help=help, **kwargs)


def output_path(*flags: str, help: str, kind: str = "file",
                suffixes: Collection[str] | None = None, argument: bool = False,
                **kwargs: Any) -> Any:
    """A Typer option (or argument) the command writes: checked before any work."""
    parser = OutputPathValue(flags[0], kind, suffixes)
    if argument:
        return typer.Argument(parser=parser, help=help, metavar=flags[0], **kwargs)
    return typer.Option(*flags, parser=parser, help=help, **kwargs)


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


PLOT_SUFFIXES = (".png", ".pdf", ".svg")

DeviceOpt = Annotated[
    Device, typer.Option("--device", help="Where models run: auto picks CUDA when present.")
]
WorkersOpt = Annotated[
    int, number_option("--workers", "-j", kind=int, valid=Range(min=1),
                       help="Parallel worker processes.")
]
SeedOpt = Annotated[int, number_option("--seed", kind=int, valid=Range(0, 2**32 - 1),
                                       help="Random seed (Python, NumPy, torch).")]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON object on stdout instead of a table.")
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Stop at the first bad item instead of reporting all.")
]
AppendOpt = Annotated[
    Path | None,
    output_path("--append", help="Append one row of results to this TSV (created with a "
                "header)."),
]
NameOpt = Annotated[
    str | None, typer.Option("--name", help="Row name used with --append (default: the inputs).")
]
