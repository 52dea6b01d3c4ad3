"""`avtool train active-speaker`: the SyncNet-architecture network on in-sync face tracks.

Training (run by the shared trainer `avtool.train.fit`):

* data: a store of face tracks speaking in sync (`avtool.tasks.active_speaker.tracks`):
  ``mouth`` (T, 16, 32) and ``mfcc`` (4T, 13); items with meta ``split: val`` validate;
* pairs: every epoch draws ``pairs_per_track`` random 0.2-s windows from each training
  track, paired with the audio under the same frames (in sync, label 1) or shifted by
  ``min_shift``..``max_shift`` frames either way (label 0), with even odds, as SyncNet;
* loss: the contrastive loss (`net.contrastive_loss`); Adam;
* validation: the loss on fixed pairs of the validation tracks (picks ``best.pt``), and
  ``offset_acc``, the fraction of validation tracks whose SyncNet offset search finds the
  true offset (0) within one frame.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_to_dict
from avtool.errors import ConfigError, ModelError, StoreError
from avtool.tasks.active_speaker.net import SyncNetConfig
from avtool.tasks.active_speaker.options import ActiveSpeakerOptions
from avtool.tasks.active_speaker.predictor import TASK
from avtool.tasks.interface import DebugExample

MEDIAN_KERNEL = 9  # frame-wise confidence median filter (syncnet_python)


class SyncPairs:
    """A torch Dataset of random (lips, audio, in-sync?) pairs over tracks, drawn afresh
    every time an index is read (`torch`'s RNG, seeded by the trainer)."""

    def __init__(self, tracks: list[dict], pairs_per_track: int, min_shift: int,
                 max_shift: int) -> None:
        self.tracks, self.per = tracks, pairs_per_track
        self.min_shift, self.max_shift = min_shift, max_shift

    def __len__(self) -> int:
        return len(self.tracks) * self.per

    def __getitem__(self, index: int):
        import torch

        track = self.tracks[index % len(self.tracks)]
        draw = torch.randint(0, 1 << 30, (3,)).tolist()
        return pair(track, draw, self.min_shift, self.max_shift)


def pair(track: dict, draw: list[int], min_shift: int, max_shift: int):
    """One pair of `track` from three random integers: (visual, audio, label) arrays."""
    from avtool.tasks.active_speaker.windows import audio_windows, visual_windows

    lo, hi = track["lo"], track["hi"]  # centres with both windows inside the track
    k = lo + draw[0] % (hi - lo)
    shifts = [s for m in range(min_shift, max_shift + 1) for s in (m, -m)
              if lo <= k + s < hi]
    label = 1 if draw[1] % 2 or not shifts else 0
    a = k if label else k + shifts[draw[2] % len(shifts)]
    centre = np.array([k])
    return (visual_windows(track["mouth"], centre)[0].astype(np.float32),
            audio_windows(track["mfcc"], np.array([a]))[0].astype(np.float32),
            np.int64(label))


def load_tracks(store, ids: list[str]) -> list[dict]:
    """Tracks of `store` ready for pairs: normalised mouths, MFCCs, valid centre range."""
    from avtool.tasks.active_speaker.windows import (
        FRAMES,
        HALF,
        audio_centres,
        normalise_mouths,
    )

    out = []
    for item in ids:
        mouth = np.asarray(store.read(item, "mouth"), np.float32)
        mfcc = np.asarray(store.read(item, "mfcc"), np.float32)
        lo, hi = HALF, min(len(mouth) - HALF, audio_centres(len(mfcc))[1])
        if len(mouth) >= FRAMES and hi - lo >= 2:
            out.append({"id": item, "mouth": normalise_mouths(mouth), "raw": mouth,
                        "mfcc": mfcc, "lo": lo, "hi": hi})
    return out


class ActiveSpeakerTask:
    """The `Task` of `avtool train active-speaker` (see `avtool.tasks.interface`)."""

    name = TASK
    summary = ("Active speaker detection: a SyncNet-architecture two-stream network (mouth "
               "regions, MFCCs) trained with the contrastive loss on in-sync and shifted "
               "pairs; used by avtool curate --asd syncnet.")
    example = ("avtool train active-speaker --store build/asd/tracks.h5 --out runs/asd "
               "--epochs 6")
    Options = ActiveSpeakerOptions
    selection = ("loss", "min")

    def __init__(self, options: ActiveSpeakerOptions, train: list[dict], val: list[dict],
                 provenance: dict[str, Any]) -> None:
        self.options, self.train, self.val, self.provenance = options, train, val, provenance
        self.net = SyncNetConfig(width=options.width, hidden=options.hidden,
                                 embedding=options.embedding)
        self._val_pairs = None

    @classmethod
    def from_options(cls, options: ActiveSpeakerOptions, store: str | Path
                     ) -> ActiveSpeakerTask:
        from avtool.store import open_store

        options.check()
        source = open_store(store)
        missing = [f for f in ("mouth", "mfcc") if f not in source.features]
        if missing:
            raise StoreError(f"{store}: no {', '.join(missing)} feature (write the store with "
                             "python -m avtool.tasks.active_speaker.tracks)")
        splits: dict[str, list[str]] = {"train": [], "val": []}
        for item in source.items():
            split = item.meta.get("split", "train")
            splits["val" if split == "val" else "train"].append(item.id)
        train = load_tracks(source, splits["train"])
        if not train:
            raise ConfigError(f"{store}: no training track of at least 5 frames")
        val = load_tracks(source, splits["val"])
        return cls(options, train, val, {"store": str(store), "train_tracks": len(train),
                                         "val_tracks": len(val)})

    def trainer_defaults(self) -> dict[str, int]:
        # the shipped network's recipe: on 29 synthetic tracks the validation loss is lowest
        # near epoch 3 and rises after (README, "The active speaker network")
        return {"epochs": 6, "batch_size": 64}

    def check_resume(self, checkpoint: dict[str, Any]) -> None:
        if checkpoint.get("spec", {}).get("net") != config_to_dict(self.net, "syncnet"):
            raise ModelError("--resume with another network size than the checkpoint's "
                             "(same --width, --hidden, --embedding needed)")

    def build_model(self):
        from avtool.tasks.active_speaker.net import build_syncnet

        return build_syncnet(self.net)

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int, world: int):
        from torch.utils.data import DataLoader, DistributedSampler

        o = self.options
        data = SyncPairs(self.train, o.pairs_per_track, o.min_shift, o.max_shift)
        sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True,
                                     seed=seed)
        return DataLoader(data, batch_size=batch_size, sampler=sampler, num_workers=workers)

    def training_step(self, model, batch, device: str):
        import torch

        from avtool.tasks.active_speaker.net import contrastive_loss

        visual, audio, label = (t.to(device) for t in batch)
        v, a = model(visual, audio)
        loss = contrastive_loss(v, a, label, self.options.margin)
        with torch.no_grad():
            d = torch.linalg.vector_norm(v - a, dim=1)
            right = ((d < self.options.margin / 2) == label.bool()).float().mean()
        return loss, {"pair_acc": float(right)}

    def configure_optimizers(self, model, steps_per_epoch: int, epochs: int):
        import torch

        return torch.optim.Adam(model.parameters(), lr=self.options.lr), None

    def _fixed_val_pairs(self):
        if self._val_pairs is None:
            rng = np.random.default_rng(0)
            o = self.options
            pairs = [pair(t, rng.integers(0, 1 << 30, 3).tolist(), o.min_shift, o.max_shift)
                     for t in self.val for _ in range(32)]
            self._val_pairs = [np.stack(x) for x in zip(*pairs, strict=True)]
        return self._val_pairs

    def validate(self, model, device: str) -> dict[str, float]:
        if not self.val:
            return {}
        import torch

        from avtool.tasks.active_speaker.net import contrastive_loss
        from avtool.tasks.active_speaker.predictor import score_tracks

        was_training = model.training
        model.eval()
        visual, audio, label = (torch.as_tensor(x).to(device) for x in self._fixed_val_pairs())
        with torch.inference_mode():
            v, a = model(visual, audio)
            loss = float(contrastive_loss(v, a, label, self.options.margin))
        net = model.to("cpu")
        hits = [abs(score_tracks(net, [t["raw"]], [0], t["mfcc"], len(t["mfcc"]) // 4,
                                 self.options.vshift, MEDIAN_KERNEL)[0].offset) <= 1
                for t in self.val]
        model.to(device)
        model.train(was_training)
        return {"loss": loss, "offset_acc": float(np.mean(hits))}

    def checkpoint_spec(self) -> dict[str, Any]:
        return {"net": config_to_dict(self.net, "syncnet"), "vshift": self.options.vshift,
                "median_kernel": MEDIAN_KERNEL, "options": dataclasses.asdict(self.options),
                "provenance": self.provenance}

    @classmethod
    def load_predictor(cls, checkpoint: dict[str, Any], device: str):
        from avtool.tasks.active_speaker.predictor import load_sync_predictor

        return load_sync_predictor(checkpoint, device)

    @classmethod
    def evaluate_files(cls, predictions: Path, truth: list[int]) -> dict[str, float]:
        """`truth`: the true AV offset of each predicted track, frames. Returns
        ``offset_acc`` (found within one frame) and ``mean_confidence``."""
        import json

        from avtool.errors import FormatError

        try:
            tracks = json.loads(Path(predictions).read_text())["tracks"]
        except (OSError, ValueError, KeyError, TypeError):
            raise FormatError(f"{predictions}: not an active-speaker predictions file") from None
        if len(tracks) != len(truth):
            raise FormatError(f"{predictions}: {len(tracks)} tracks, the truth has "
                              f"{len(truth)}")
        hits = [abs(t["offset"] - o) <= 1 for t, o in zip(tracks, truth, strict=True)]
        return {"offset_acc": float(np.mean(hits)) if hits else 0.0,
                "mean_confidence": float(np.mean([t["confidence"] for t in tracks]))
                if tracks else 0.0}

    @classmethod
    def debug_example(cls, workdir: Path) -> DebugExample:
        from avtool.tasks.active_speaker.debug import debug_store

        store, inputs, truth = debug_store(Path(workdir))
        return DebugExample(options=ActiveSpeakerOptions(pairs_per_track=4, width=4, hidden=8,
                                                         embedding=4),
                            store=store, inputs=inputs, truth=truth,
                            metrics=("offset_acc", "mean_confidence"),
                            train={"batch_size": 8})
