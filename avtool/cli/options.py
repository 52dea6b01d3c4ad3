"""Options shared by every subcommand, declared once so they mean the same everywhere."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


DeviceOpt = Annotated[
    Device, typer.Option("--device", help="Where models run: auto picks CUDA when present.")
]
WorkersOpt = Annotated[
    int, typer.Option("--workers", "-j", min=1, help="Parallel worker processes.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (Python, NumPy, torch).")]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON object on stdout instead of a table.")
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Stop at the first bad item instead of reporting all.")
]
AppendOpt = Annotated[
    str | None,
    typer.Option("--append", help="Append one row of results to this TSV (created with a header)."),
]
NameOpt = Annotated[
    str | None, typer.Option("--name", help="Row name used with --append (default: the inputs).")
]
