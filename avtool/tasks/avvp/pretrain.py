"""Audio-visual grounding (AVG) pretraining of the AVVP encoder (`avtool train avvp-pretrain`).

Lamba et al. pretrain on 29K unlabelled AudioSet clips (not released) with three
self-supervised objectives over snippet embeddings; avtool pretrains the encoder of the chosen
variant (`avtool.tasks.avvp.han.AvvpEncoder`: projections + attention, no MMIL head) on the clips
of a store (no labels used), and ``avtool train avvp --init RUN_DIR`` starts from it.

Pseudo ground truth (per clip, over its own T snippets, fixed before training): snippets i and
j are linked when their per-second features are similar, ``cos(frame_i, frame_j) >
visual_threshold`` and/or ``cos(audio_i, audio_j) > audio_threshold`` (``--avg-edge or``, the
paper's rule, is the default; ``and`` is the released code's; thresholds 0.96 / 0.99 are the
code's); ``G[i, j] = 1`` when i and j are in the same connected component (diagonal 1). The
code's silent-snippet exclusion needs VGGish's silence template and is not reproduced.

Objectives, with a random anchor snippet i per batch, cosine similarity <.,.> of the encoder's
audio (a) and visual (v) snippet embeddings and margins p = n = 0.7 (the code's)::

    hinge(s_j, G_ij) = G_ij [p - s_j]+ + (1 - G_ij) [s_j - n]+     (mean over batch and j)
    uni   = hinge(<a_i, a_j>) + hinge(<v_i, v_j>)
    cross = hinge(<v_i, a_j>) + hinge(<a_i, v_j>)
    multi = uni + cross     (paper eq. 5; --avg-schedule alternate: uni on odd epochs,
                             cross on even ones, as the released code)

Validation (when the store has val clips): the same loss averaged over every anchor; the
checkpoint with the lowest one is best.pt. Adam with a constant learning rate (default 1e-4:
the code's 1e-6 was for a 136M-parameter UNITER), batch 16, 40 epochs unless given.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_from_dict, config_to_dict
from avtool.errors import ConfigError
from avtool.tasks.avvp.config import AvgConfig, HanConfig, canonical_variant, parse_variant
from avtool.tasks.avvp.data import ClipSet
from avtool.tasks.avvp.options import AvvpPretrainOptions, model_config
from avtool.tasks.interface import DebugExample

log = logging.getLogger(__name__)

TASK = "avvp-pretrain"


def _cosine(x: np.ndarray) -> np.ndarray:
    x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
    return x @ np.swapaxes(x, -1, -2)


def pseudo_truth(clips: ClipSet, cfg: AvgConfig) -> np.ndarray:
    """(N, T, T) bool: snippets in the same connected component of the similarity graph."""
    near_a = _cosine(clips.audio.astype(np.float64)) > cfg.audio_threshold
    near_v = _cosine(clips.frame.astype(np.float64)) > cfg.visual_threshold
    edges = (near_a & near_v) if cfg.edge == "and" else (near_a | near_v)
    t = edges.shape[-1]
    reach = edges | edges.transpose(0, 2, 1) | np.eye(t, dtype=bool)
    for _ in range(int(np.ceil(np.log2(max(t, 2))))):  # transitive closure by squaring
        reach = np.einsum("nij,njk->nik", reach.astype(np.int32), reach.astype(np.int32)) > 0
    return reach


def avg_loss(h, truth, anchors, cfg: AvgConfig, objective: str):
    """Mean AVG hinge loss of (B, T, 2, d) embeddings for anchor index tensor (B,)."""
    import torch
    import torch.nn.functional as F

    e = F.normalize(h.float(), dim=-1)
    a, v = e[:, :, 0], e[:, :, 1]
    rows = torch.arange(h.shape[0], device=h.device)
    g = truth[rows, anchors].float()  # (B, T)

    def hinge(anchor, others):
        sim = (anchor[:, None, :] * others).sum(-1)  # (B, T)
        return (g * F.relu(cfg.margin_pos - sim) + (1 - g) * F.relu(sim - cfg.margin_neg)).mean()

    a_i, v_i = a[rows, anchors], v[rows, anchors]
    loss = h.new_zeros((), dtype=torch.float32)
    if objective in ("uni", "multi"):
        loss = loss + hinge(a_i, a) + hinge(v_i, v)
    if objective in ("cross", "multi"):
        loss = loss + hinge(v_i, a) + hinge(a_i, v)
    return loss


def mean_anchor_loss(h, truth, cfg: AvgConfig, objective: str) -> float:
    """The AVG loss of (N, T, 2, d) embeddings averaged over every anchor snippet (the
    validation metric), in batches of 64 clips."""
    import torch

    total, count = 0.0, 0
    for lo in range(0, h.shape[0], 64):
        hb, tb = h[lo: lo + 64], truth[lo: lo + 64]
        for i in range(hb.shape[1]):
            anchors = torch.full((hb.shape[0],), i, dtype=torch.long, device=hb.device)
            total += float(avg_loss(hb, tb, anchors, cfg, objective)) * hb.shape[0]
            count += hb.shape[0]
    return total / max(count, 1)


class AvgEncoder:
    """The `Predictor` of `avtool train avvp-pretrain`: clips -> snippet embeddings."""

    def __init__(self, model, spec: dict[str, Any], device: str = "cpu") -> None:
        self.model, self.spec, self.device = model.to(device).eval(), spec, device

    def predict(self, clips: ClipSet, batch_size: int = 64) -> tuple[list[str], np.ndarray]:
        """(clip ids, (N, T, 2, d) audio and visual snippet embeddings)."""
        import torch

        out = []
        with torch.inference_mode():
            for lo in range(0, len(clips), batch_size):
                sl = slice(lo, lo + batch_size)
                out.append(self.model(*(torch.from_numpy(x[sl]).to(self.device)
                                        for x in (clips.audio, clips.frame, clips.motion)))
                           .float().cpu().numpy())
        return list(clips.ids), np.concatenate(out)

    def write(self, predictions: tuple[list[str], np.ndarray], out: Path) -> Path:
        """An .npz with ``ids`` and ``embeddings`` (N, T, 2, d), read by `evaluate_files`."""
        from avtool.io import atomic_path

        ids, embeddings = predictions
        with atomic_path(out) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, ids=np.array(ids), embeddings=embeddings)
        return Path(out)


class AvvpPretrainTask:
    """The `Task` of `avtool train avvp-pretrain` (see `avtool.tasks.interface`)."""

    name = TASK
    summary = "Audio-visual grounding pretraining of the AVVP encoder (no labels)."
    example = "avtool train avvp-pretrain --store llp.h5 --objective multi --out runs/avg"
    Options = AvvpPretrainOptions
    selection = ("loss", "min")

    def __init__(self, train: ClipSet, features: dict[str, Any], variant: str,
                 avg: AvgConfig, model_config: HanConfig | None = None,
                 val: ClipSet | None = None) -> None:
        avg.check()
        self.train, self.val, self.features, self.avg = train, val, features, avg
        self.variant = canonical_variant(variant)
        da, df, dm = train.dims
        self.model_config = replace(model_config or HanConfig(), audio_dim=da, frame_dim=df,
                                    motion_dim=dm, **parse_variant(variant))
        self.truth = pseudo_truth(train, avg)
        self.val_truth = pseudo_truth(val, avg) if val is not None else None
        self._scheduler, self._steps = None, 1

    @classmethod
    def from_options(cls, options: AvvpPretrainOptions, store: str | Path) -> AvvpPretrainTask:
        """The clips of `options.split` to train on; the store's val split (when it records
        one) to validate on."""
        from avtool.tasks.avvp.data import load_clips

        avg = AvgConfig(objective=options.objective, schedule=options.avg_schedule,
                        margin_pos=options.margin_pos, margin_neg=options.margin_neg,
                        audio_threshold=options.avg_audio_threshold,
                        visual_threshold=options.avg_visual_threshold, edge=options.avg_edge,
                        lr=options.lr)
        clips, features = load_clips(store, split=options.split)
        val = None
        try:
            val, _ = load_clips(store, split="val")
        except ConfigError:
            pass
        if val is not None and set(val.ids) & set(clips.ids):
            val = None  # the store records no split: no held-out clips
        task = cls(clips, features, options.variant, avg, model_config(options), val)
        log.info("pseudo ground truth: %.1f%% of snippet pairs positive",
                 100 * task.truth.mean())
        return task

    def trainer_defaults(self) -> dict[str, int]:
        return {"epochs": 40, "batch_size": 16}

    def check_resume(self, checkpoint: dict[str, Any]) -> None:
        pass  # the trainer's weight loading reports a different network

    def build_model(self):
        from avtool.tasks.avvp.han import AvvpEncoder

        return AvvpEncoder(self.model_config)

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int, world: int):
        import torch
        from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

        t = self.train
        data = TensorDataset(*(torch.from_numpy(x) for x in (t.audio, t.frame, t.motion,
                                                              self.truth)))
        sampler = DistributedSampler(data, num_replicas=world, rank=rank, seed=seed)
        return DataLoader(data, batch_size=batch_size, sampler=sampler, num_workers=workers)

    def _objective(self) -> str:
        if self.avg.objective != "multi" or self.avg.schedule == "sum":
            return self.avg.objective
        step = self._scheduler.last_epoch if self._scheduler is not None else 0
        epoch = step // self._steps + 1  # 1-indexed, as the released loop
        return "uni" if epoch % 2 else "cross"

    def training_step(self, model, batch, device: str):
        import torch

        audio, frame, motion, truth = (x.to(device) for x in batch)
        h = model(audio, frame, motion)
        anchor = torch.randint(0, h.shape[1], (1,)).item()  # one anchor for the batch
        anchors = torch.full((h.shape[0],), anchor, dtype=torch.long, device=h.device)
        return avg_loss(h, truth, anchors, self.avg, self._objective()), {}

    def configure_optimizers(self, model, steps_per_epoch: int, epochs: int):
        import torch

        optimizer = torch.optim.Adam(model.parameters(), lr=self.avg.lr)
        self._steps = max(1, steps_per_epoch)
        self._scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
        return optimizer, self._scheduler

    def validate(self, model, device: str) -> dict[str, float]:
        import torch

        if self.val is None:
            return {}
        v = self.val
        h = torch.cat([model(*(torch.from_numpy(x[lo: lo + 64]).to(device)
                               for x in (v.audio, v.frame, v.motion)))
                       for lo in range(0, len(v), 64)])
        truth = torch.from_numpy(self.val_truth).to(device)
        return {"loss": mean_anchor_loss(h, truth, self.avg, self.avg.objective)}

    def checkpoint_spec(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"variant": self.variant, "model": config_to_dict(self.model_config, "han"),
                "features": self.features, "avg": asdict(self.avg),
                "positive_pairs": float(self.truth.mean())}

    @classmethod
    def load_predictor(cls, checkpoint: dict[str, Any], device: str = "cpu") -> AvgEncoder:
        from avtool.tasks.avvp.han import AvvpEncoder

        model = AvvpEncoder(config_from_dict(HanConfig, checkpoint["spec"]["model"], "han"))
        model.load_state_dict(checkpoint["model_state"])
        return AvgEncoder(model, checkpoint["spec"], device)

    @classmethod
    def evaluate_files(cls, predictions: Path, truth: tuple[Path, AvgConfig]
                       ) -> dict[str, float]:
        """The AVG losses (uni, cross, multi; lower is better) of `AvgEncoder.write`'s
        embeddings against the pseudo ground truth of the same clips in a store."""
        import torch

        from avtool.tasks.avvp.data import load_clips

        store, avg = truth
        with np.load(predictions) as data:
            ids, h = [str(x) for x in data["ids"]], torch.from_numpy(data["embeddings"])
        clips, _ = load_clips(store, ids=ids)
        g = torch.from_numpy(pseudo_truth(clips, avg))
        return {objective: mean_anchor_loss(h, g, avg, objective)
                for objective in ("uni", "cross", "multi")}

    @classmethod
    def debug_example(cls, workdir: Path) -> DebugExample:
        """24 feature-level synthetic clips; a d=16 encoder."""
        from avtool.tasks.avvp.data import load_clips
        from avtool.tasks.avvp.synth_features import SynthFeaturesConfig, write_feature_corpus

        store = write_feature_corpus(workdir, SynthFeaturesConfig(clips=24, dims=(8, 8, 8),
                                                                  frame_rows=1))
        test, _ = load_clips(store, split="test")
        options = AvvpPretrainOptions(d_model=16, ffn=16)
        return DebugExample(options, store, test, (store, AvgConfig()),
                            ("uni", "cross", "multi"), train={"epochs": 1, "batch_size": 8})
