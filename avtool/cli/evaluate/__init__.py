"""`avtool evaluate <task>`: score predictions against ground truth, one module per task."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Score predictions against ground truth: a rich table, --json, or --append to a TSV.",
    no_args_is_help=True,
)

# One import per evaluation without a task folder yet; each module adds its command to `app`.
# Task folders add theirs through their cli.COMMANDS (avtool/cli/commands.py).
from avtool.cli.evaluate import captioning, grounding, retrieval, transcription  # noqa: E402,F401
