"""`avtool synth media`: a few example wav and mp4 files with a JSON description."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from avtool.cli.options import JsonOpt, SeedOpt, output_path
from avtool.cli.synth import app


@app.command("media")
def media(
    out: Annotated[Path, output_path("--out", "-o", kind="dir", help="Folder to write into.")],
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Write example speech (English, Marathi), sound events and two mp4 videos (moving sprites with sound; a real face with speech), plus media.json describing what is in each.

    Example:
      avtool synth media --out examples/media --seed 0
    """
    from avtool.console import print_json, print_table
    from avtool.synth.examples import make_example_media

    description = make_example_media(out, seed)
    if as_json:
        print_json(description)
        return
    print_table([[f["path"], f["kind"], f"{f['duration']:.2f}"] for f in description["files"]],
                ["file", "content", "seconds"], title=f"{out} (described in media.json)")
