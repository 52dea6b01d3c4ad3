"""`avtool synth <corpus>`: deterministic synthetic corpora with known ground truth."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Generate synthetic corpora (media, speakers, avvp...) with known ground truth.",
    no_args_is_help=True,
)

# One import per corpus; each module adds its command to `app`.
from avtool.cli.synth import (  # noqa: E402,F401
    avspeech,
    avvp,
    captions,
    dialogs,
    media,
    retrieval,
    speakers,
    talking_heads,
)
