"""`avtool evaluate <task>`: score predictions against ground truth, one module per task."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Score predictions against ground truth: a rich table, --json, or --append to a TSV.",
    no_args_is_help=True,
)

# One import per task; each module adds its command to `app`.
from avtool.cli.evaluate import captioning, grounding, retrieval, transcription  # noqa: E402,F401
from avtool.tasks.avvp.cli import evaluate as _avvp  # noqa: E402,F401
from avtool.tasks.speaker.cli import evaluate as _speaker  # noqa: E402,F401
