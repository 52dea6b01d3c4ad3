"""The list of registered subcommands, in pipeline order. A subcommand is listed when it works."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from avtool.cli import evaluate, extract_features, list_names, store, synth, train

    app.add_typer(synth.app, name="synth")
    app.command("extract-features")(extract_features.extract_features)
    from avtool.tasks.speaker.cli import verify
    app.command("verify-speaker")(verify.verify_speaker)
    from avtool.tasks.avvp.cli import parse_events
    app.command("parse-events")(parse_events.parse_events)
    from avtool.cli import import_data
    app.add_typer(import_data.app, name="import")
    app.add_typer(store.app, name="store")
    app.command("train")(train.train)
    app.add_typer(evaluate.app, name="evaluate")
    app.add_typer(list_names.app, name="list")
