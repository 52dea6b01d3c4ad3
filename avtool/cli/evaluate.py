"""`avtool evaluate <task>`: the group; each task folder adds its command (`cli.COMMANDS`)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Score predictions against ground truth: a rich table, --json, or --append to a TSV.",
    no_args_is_help=True,
)

# Each task folder adds its command through its cli.COMMANDS (avtool/cli/commands.py).
