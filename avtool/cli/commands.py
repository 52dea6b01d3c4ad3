"""The registered subcommands, in pipeline order. A subcommand is listed when it works.

Task commands come from each task folder's ``cli`` module or package (its ``COMMANDS`` list),
in the order of `avtool.tasks.task_folders`; `avtool train TASK` is built from each task's
Options.
"""

from __future__ import annotations

import importlib
import importlib.util

import typer


def register(app: typer.Typer) -> None:
    from avtool.cli import evaluate, extract_features, import_data, list_names, store, synth, train
    from avtool.tasks import task_folders

    app.add_typer(synth.app, name="synth")
    app.command("extract-features")(extract_features.extract_features)
    groups = {"evaluate": evaluate.app}
    for package in task_folders():
        if importlib.util.find_spec(f"{package}.cli") is None:
            continue
        for group, name, function in importlib.import_module(f"{package}.cli").COMMANDS:
            parent = app if group is None else groups[group]
            if isinstance(function, typer.Typer):  # a command group (avtool retrieve ...)
                parent.add_typer(function, name=name)
            else:
                parent.command(name)(function)
    app.add_typer(import_data.app, name="import")
    app.add_typer(store.app, name="store")
    app.add_typer(train.app, name="train")
    app.add_typer(evaluate.app, name="evaluate")
    app.add_typer(list_names.app, name="list")
