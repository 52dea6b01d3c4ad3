"""Make the checkpoint that ships in the package from an `avtool train active-speaker` run:
its best.pt without the optimiser and RNG state (what `load_checkpoint` needs stays).

    python -m avtool.tasks.active_speaker.ship build/asd/run    # -> syncnet.pt beside this

``make asd-model`` runs the whole recipe (corpora, track store, training, this).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from avtool.tasks.active_speaker.predictor import SHIPPED, TASK

KEEP = ("format", "avtool_version", "task", "spec", "model_state", "epoch", "best",
        "history", "train_config")


def ship(run: str | Path, out: str | Path = SHIPPED) -> dict:
    """Write the slim checkpoint of `run` (a RUN_DIR or .pt) to `out`; returns a summary."""
    from avtool.tasks import load_task_checkpoint
    from avtool.train.checkpoints import save_checkpoint

    checkpoint = load_task_checkpoint(run, TASK, "an active-speaker (SyncNet) network")
    slim = {k: checkpoint[k] for k in KEEP if k in checkpoint}
    save_checkpoint(Path(out), slim)
    return {"out": str(out), "bytes": Path(out).stat().st_size, "epoch": slim.get("epoch"),
            "best": slim.get("best")}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="RUN_DIR (its best.pt) or a checkpoint file")
    parser.add_argument("--out", default=str(SHIPPED))
    args = parser.parse_args(argv)
    summary = ship(args.run, args.out)
    print(json.dumps(summary, default=str))
    return summary


if __name__ == "__main__":
    main()
