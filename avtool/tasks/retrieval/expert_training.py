"""Train the networks behind retrieval's audio, appearance and motion experts and write the
weights that ship in the package (`avtool.features.expert_nets`).

    python -m avtool.tasks.retrieval.expert_training --out avtool/features/weights

(``make expert-nets``.) Each network is a multi-label classifier trained with binary
cross-entropy (Adam, cosine schedule) on labelled examples of `expert_data`, drawn from seeds
the retrieval corpus never uses; the epoch with the best validation mAP (macro average
precision over classes) is kept. One torch thread: the result is the same on any machine.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from avtool.features import expert_nets
from avtool.tasks.retrieval import expert_data

SEED = 7_000_000  # far from the seeds of ``synth retrieval`` corpora


@dataclass(frozen=True)
class Recipe:
    train: int
    val: int
    epochs: int
    batch: int = 64
    lr: float = 2e-3


RECIPES = {"audio": Recipe(12_000, 1_000, 8), "appearance": Recipe(12_000, 1_000, 8),
           "motion": Recipe(5_000, 600, 8)}


def examples(kind: str, count: int, seed: int, voices=None
             ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(network inputs float32, labels, class names) of `count` examples of `kind`."""
    if kind == "audio":
        x, y = expert_data.audio_examples(count, seed, voices)
        return x, y, expert_data.audio_classes()
    if kind == "appearance":
        x, y = expert_data.appearance_examples(count, seed)
        return expert_nets.frames_to_input(x), y, expert_data.appearance_classes()
    x, y = expert_data.motion_examples(count, seed)  # (N, T, H, W, 3) -> (N, 3, T, H, W)
    clips = np.ascontiguousarray(expert_nets.frames_to_input(x).swapaxes(1, 2))
    return clips, y, expert_data.motion_classes()


def mean_average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Macro mAP over the classes that have a positive example."""
    from sklearn.metrics import average_precision_score

    keep = labels.sum(axis=0) > 0
    return float(average_precision_score(labels[:, keep], scores[:, keep], average="macro"))


def predict(net, x: np.ndarray, batch: int = 256) -> np.ndarray:
    import torch

    net.eval()
    with torch.no_grad():
        return np.concatenate([torch.sigmoid(net(torch.from_numpy(x[k:k + batch]))).numpy()
                               for k in range(0, len(x), batch)])


def train_one(kind: str, recipe: Recipe, out: Path, seed: int = SEED, log=None) -> dict:
    """Train the `kind` network with `recipe`; writes ``out/<kind>_net.pt``, returns a summary."""
    import torch

    log = log or (lambda message: print(message, flush=True))
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    voices = expert_data.speech_pool(150, seed) if kind == "audio" else None
    x, y, classes = examples(kind, recipe.train, seed + 1, voices)
    vx, vy, _ = examples(kind, recipe.val, seed + 2, voices)
    log(f"{kind}: {len(x)} training and {len(vx)} validation examples in "
        f"{time.perf_counter() - t0:.0f} s")
    net = expert_nets.build_net(kind, len(classes))
    steps = recipe.epochs * math.ceil(len(x) / recipe.batch)
    opt = torch.optim.Adam(net.parameters(), lr=recipe.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    rng = np.random.default_rng(seed)
    best, history, best_state = -1.0, [], None
    for epoch in range(1, recipe.epochs + 1):
        net.train()
        order, total = rng.permutation(len(x)), 0.0
        for k in range(0, len(x), recipe.batch):
            idx = order[k:k + recipe.batch]
            loss = loss_fn(net(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        val_map = mean_average_precision(predict(net, vx), vy)
        history.append({"epoch": epoch, "loss": round(total / len(x), 4),
                        "val_map": round(val_map, 4)})
        log(f"{kind}: epoch {epoch} loss {total / len(x):.4f} val mAP {val_map:.4f} "
            f"({time.perf_counter() - t0:.0f} s)")
        if val_map > best:
            best, best_epoch = val_map, epoch
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    out.mkdir(parents=True, exist_ok=True)
    path = out / expert_nets.weights_path(kind).name
    expert_nets.save_net(net, kind, classes, {"recipe": asdict(recipe), "seed": seed,
                                              "history": history, "epoch": best_epoch,
                                              "val_map": best}, path)
    return {"kind": kind, "out": str(path), "epoch": best_epoch, "val_map": round(best, 4),
            "seconds": round(time.perf_counter() - t0, 1)}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(expert_nets.WEIGHTS_DIR))
    parser.add_argument("--kinds", default=",".join(expert_nets.KINDS),
                        help="comma-separated subset of audio,appearance,motion")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the examples per set (a quick check: 0.05)")
    parser.add_argument("--epochs", type=int, default=0, help="override the recipe's epochs")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    summaries = []
    for kind in args.kinds.split(","):
        r = RECIPES[kind]
        recipe = Recipe(max(64, int(r.train * args.scale)), max(32, int(r.val * args.scale)),
                        args.epochs or r.epochs, r.batch, r.lr)
        summaries.append(train_one(kind, recipe, Path(args.out)))
        print(json.dumps(summaries[-1]), flush=True)
    return summaries


if __name__ == "__main__":
    main()
