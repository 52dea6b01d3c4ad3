"""`avtool list features|tasks`: every registered component, with its parameters."""

from __future__ import annotations

import dataclasses

import typer

from avtool.cli.options import JsonOpt

app = typer.Typer(help="List registered components (features, tasks).", no_args_is_help=True)


@app.command("features")
def features(as_json: JsonOpt = False) -> None:
    """Feature extractors with their output shape, frame rate, default parameters and the
    valid range of each numeric parameter (a value outside it is refused before any work).

    Example:
      avtool list features --json
    """
    from avtool.config import config_ranges
    from avtool.console import print_json, print_table
    from avtool.features import build_extractor, extractors

    rows = []
    for name in extractors.names():
        ex = build_extractor(name)
        params = {f.name: getattr(ex.config, f.name) for f in dataclasses.fields(ex.config)}
        ranges = {k: str(v) for k, v in config_ranges(type(ex.config)).items()}
        rows.append({"name": name, "modality": ex.modality, "frame_rate": ex.frame_rate,
                     "frame_shape": list(ex.frame_shape), "dtype": ex.dtype,
                     "parameters": params, "ranges": ranges})
    if as_json:
        print_json(rows)
        return
    print_table([[r["name"], r["modality"], f"{r['frame_rate']:g}",
                  "x".join(map(str, r["frame_shape"])),
                  ", ".join(f"{k}={v}" + (f" ({r['ranges'][k]})" if k in r["ranges"] else "")
                            for k, v in r["parameters"].items())] for r in rows],
                ["feature", "modality", "fps", "frame", "parameters: default (valid range)"])


@app.command("tasks")
def tasks_(as_json: JsonOpt = False) -> None:
    """Tasks that `avtool train TASK` trains, with a one-line summary each.

    Example:
      avtool list tasks
    """
    from avtool.console import print_json, print_table
    from avtool.tasks import get_task, task_names

    if as_json:
        print_json(sorted(task_names()))
    else:
        print_table([(name, get_task(name).summary) for name in task_names()],
                    ["task", "summary"])
