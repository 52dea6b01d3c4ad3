"""Rendering results: JSON or TSV on stdout for pipes, rich tables for people, logs on stderr."""

from __future__ import annotations

import contextlib
import csv
import json
import math
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from avtool.errors import FormatError

# Pipes get wide, unwrapped lines; terminals keep their own width.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True, soft_wrap=True)


def _clean(obj: Any) -> Any:
    """Make numpy scalars/arrays and NaN JSON-safe."""
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "tolist"):
        return _clean(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(_clean(obj), indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


def print_table(
    rows: Sequence[Sequence[Any]], columns: Sequence[str], title: str | None = None,
    caption: str | None = None,
) -> None:
    table = Table(title=title, caption=caption)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*[_fmt(v) for v in row])
    stdout.print(table)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1000 else f"{v:.1f}"
    return str(v)


def append_row(path: str | Path, name: str, values: Mapping[str, Any]) -> None:
    """Append one named row to a TSV of results, writing the header when the file is new.

    Makefile table targets assemble paper tables from many `avtool evaluate ... --append` runs.
    A file whose header differs from `values` gets the new columns appended in order.
    """
    path = Path(path)
    flat = {"name": name, **_flatten(_clean(values))}
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        with path.open(newline="") as fh:
            header = next(csv.reader(fh, delimiter="\t"))
        if header != list(flat):
            raise FormatError(
                f"{path}: columns {header} differ from this result's {list(flat)}; "
                "use another --append file"
            )
    with path.open("a", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        if not exists:
            writer.writerow(list(flat))
        writer.writerow(["" if v is None else v for v in flat.values()])


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """{"t2v": {"R@1": 3}} -> {"t2v.R@1": 3}; lists stay single cells."""
    if not isinstance(obj, Mapping):
        return {prefix: obj}
    out: dict[str, Any] = {}
    for key, value in obj.items():
        out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


@contextlib.contextmanager
def counting_bar(label: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A transient rich bar on stderr counting done/total; yields the `progress(done, total)`
    callback that the corpus generators and batch jobs call."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, total: bar.update(task, completed=done, total=total)
