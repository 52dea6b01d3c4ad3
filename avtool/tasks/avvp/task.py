"""Audio-visual video parsing (AVVP) on LLP: HAN and the Lamba et al. variants (`avtool train avvp`).

Training (`AvvpTask`, run by the shared trainer `avtool.train.fit`):

* data: clips of an LLP store (`avtool.tasks.avvp.data`), weak labels only;
* loss (HAN's "individual-guided learning" with label smoothing, plus the paper's weights)::

      L = BCE(p, y) + lambda_g * [BCE(p_a, smooth(y, eps_a)) + BCE(p_v, smooth(y, eps_v))]
          + lambda_ad * BCE(D(GRL_alpha(ReLU(h))), modality)          (adversarial variants)

  with ``smooth(y, eps) = (1 - eps) y + eps / 2`` (eps_a = 0, eps_v = 0.1: 0.9y + 0.05),
  p, p_a, p_v clamped to [1e-7, 1 - 1e-7] (p can exceed 1), the GRL's alpha following the
  DANN schedule ``2 / (1 + exp(-10 q)) - 1``, ``q = (step + steps_per_epoch) / (epochs *
  steps_per_epoch)`` as in the released code, and the discriminator labels audio 0, visual 1;
* Adam, lr decayed by ``lr_gamma`` every ``lr_step`` epochs;
* model selection on the validation clips' segment-level Type@AV (`avtool.metrics.avvp`).

Hyper-parameter presets (`HPARAMS`): ``paper`` (default) is the recipe behind each row of
the paper's tables: the CML paper's stated values for base variants (Adam 3e-4, x0.5 every 5
epochs, 40 epochs, batch 64, lambda_g 0.6, lambda_ad 0.4) and HAN's own recipe for han
variants (3e-4, x0.1 every 10 epochs, 40 epochs, batch 16, weights 1/1; the paper's HAN row is
HAN's published result). ``code`` is the released CML code (6e-4, x0.5 every 6 epochs, batch
64, 0.3/0.3; HAN unchanged, lambda_ad 0.3). ``han`` applies HAN's recipe to any variant.

Inference (`parse_masks`, the official rule): a class is in the clip when p >= 0.5; a
snippet is positive in a modality when its probability is >= 0.5 and the class is in the
clip; audio-visual = audio AND visual.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from avtool.config import config_to_dict
from avtool.errors import ModelError
from avtool.formats.llp import LLP_CLASSES
from avtool.tasks.avvp.config import (
    AvvpHparams,
    HanConfig,
    canonical_variant,
    parse_variant,
    resolve_hparams,
)
from avtool.tasks.avvp.data import ClipSet, DenseTruth
from avtool.tasks.avvp.options import AvvpOptions, model_config
from avtool.tasks.avvp.predictor import TASK, AvvpParser, parse_masks, predict_probs
from avtool.tasks.interface import DebugExample

log = logging.getLogger(__name__)

PROB_EPS = 1e-7
METRIC_KEYS = ("audio", "visual", "av", "type_av", "event_av")


def grl_alpha(step: int, steps_per_epoch: int, epochs: int) -> float:
    """DANN's schedule as released: 2 / (1 + exp(-10 q)) - 1 with 1-indexed epochs in q."""
    q = (step + steps_per_epoch) / max(1, epochs * steps_per_epoch)
    return 2.0 / (1.0 + math.exp(-10.0 * q)) - 1.0


def smooth_targets(y, eps: float):
    """Label smoothing over {0, 1}: (1 - eps) y + eps / 2 (eps = 0.1 -> 0.9 y + 0.05)."""
    return y * (1.0 - eps) + eps / 2.0


def avvp_loss(out, y, hp: AvvpHparams) -> tuple[Any, dict[str, float]]:
    """The training loss (module docstring) in float32, and its parts for logging."""
    import torch
    import torch.nn.functional as F

    with torch.autocast(device_type=y.device.type, enabled=False):
        y = y.float()
        p, p_a, p_v = (t.float().clamp(PROB_EPS, 1 - PROB_EPS)
                       for t in (out.p, out.p_audio, out.p_visual))
        wsl = F.binary_cross_entropy(p, y)
        guided = (F.binary_cross_entropy(p_a, smooth_targets(y, hp.smooth_audio))
                  + F.binary_cross_entropy(p_v, smooth_targets(y, hp.smooth_visual)))
        loss = wsl + hp.lambda_g * guided
        stats = {"wsl": float(wsl.detach()),
                 "acc": float(((p.detach() >= 0.5).float() == y).float().mean())}
        if out.modality_logits is not None:
            logits = out.modality_logits.float()
            target = torch.zeros_like(logits)
            target[..., 1] = 1.0  # audio 0, visual 1
            adv = F.binary_cross_entropy_with_logits(logits, target)
            loss = loss + hp.lambda_ad * adv
            stats["disc_acc"] = float(((logits.detach() > 0).float() == target).float().mean())
    return loss, stats


def score_clips(model, clips: ClipSet, truth: DenseTruth, device: str = "cpu",
                classes: Sequence[str] = LLP_CLASSES) -> dict[str, float]:
    """The ten LLP numbers (``seg_*``, ``evt_*``, percent) of `model` on `clips`."""
    from avtool.metrics.avvp import score_avvp

    p, frame_prob = predict_probs(model, clips, device)
    pred_a, pred_v = parse_masks(p, frame_prob)
    result = score_avvp(pred_a, pred_v, truth.audio, truth.visual, clips.ids, classes)
    out = {f"seg_{k}": float(result.segment[k]) for k in METRIC_KEYS}
    out.update({f"evt_{k}": float(result.event[k]) for k in METRIC_KEYS})
    return out


class AvvpTask:
    """The `Task` of `avtool train avvp` (see `avtool.tasks.interface`)."""

    name = TASK
    summary = "Audio-visual video parsing on LLP: HAN and the Lamba et al. variants."
    example = ("avtool train avvp --store llp.h5 --val-labels-dir labels --variant "
               "base+adv+skip+gcaa --out runs/avvp")
    Options = AvvpOptions
    selection = ("seg_type_av", "max")

    def __init__(self, train: ClipSet, features: dict[str, Any], variant: str,
                 hparams: AvvpHparams, model_config: HanConfig | None = None,
                 val: tuple[ClipSet, DenseTruth] | None = None, init: str | Path | None = None,
                 preset: str = "paper", classes: Sequence[str] = LLP_CLASSES,
                 provenance: dict[str, Any] | None = None) -> None:
        self.train, self.features, self.val, self.init = train, features, val, init
        self.variant, self.hp, self.preset = canonical_variant(variant), hparams, preset
        self.classes = list(classes)
        da, df, dm = train.dims
        base = model_config or HanConfig()
        self.model_config = replace(base, audio_dim=da, frame_dim=df, motion_dim=dm,
                                    classes=len(classes), **parse_variant(variant))
        self.provenance = provenance or {}
        self._scheduler = None
        self._steps, self._epochs = 1, hparams.epochs

    @classmethod
    def from_options(cls, options: AvvpOptions, store: str | Path) -> AvvpTask:
        """Read the training (and validation) clips of `store` and resolve the recipe."""
        from avtool.tasks.avvp.data import load_clips, load_validation

        hp = resolve_hparams(options.hparams, options.variant, lr=options.lr,
                             lr_step=options.lr_step, lr_gamma=options.lr_gamma,
                             lambda_g=options.lambda_g, lambda_ad=options.lambda_ad,
                             smooth_audio=options.smooth_audio,
                             smooth_visual=options.smooth_visual)
        clips, features = load_clips(store, split=options.split, labels_csv=options.labels)
        val = load_validation(options, store, clips.ids)
        if val is None:
            log.warning("no validation data (--val-labels-dir or --val-gt-audio/"
                        "--val-gt-visual): best.pt will be the last epoch")
        provenance = {"store": str(store), "labels": options.labels or "",
                      "split": options.split, "train_clips": len(clips),
                      "val_clips": len(val[0]) if val else 0, "init": options.init or ""}
        return cls(clips, features, options.variant, hp, model_config(options), val,
                   options.init, options.hparams, provenance=provenance)

    def trainer_defaults(self) -> dict[str, int]:
        return {"epochs": self.hp.epochs, "batch_size": self.hp.batch_size}  # the recipe's

    def check_resume(self, checkpoint: dict[str, Any]) -> None:
        if checkpoint.get("spec", {}).get("model") != config_to_dict(self.model_config, "han"):
            raise ModelError("--resume with another network than the checkpoint's (same "
                             "--variant, --d-model, --heads, --layers and features needed)")

    def build_model(self):
        from avtool.tasks.avvp.han import HanNet

        model = HanNet(self.model_config)
        if self.init:
            load_init(model, self.init)
        return model

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int, world: int):
        import torch
        from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

        t = self.train
        data = TensorDataset(*(torch.from_numpy(x) for x in (t.audio, t.frame, t.motion,
                                                              t.labels)))
        sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True,
                                     seed=seed)
        self.hp = replace(self.hp, batch_size=batch_size)  # the spec records what ran
        return DataLoader(data, batch_size=batch_size, sampler=sampler, num_workers=workers)

    def training_step(self, model, batch, device: str):
        audio, frame, motion, y = (x.to(device, non_blocking=True) for x in batch)
        step = self._scheduler.last_epoch if self._scheduler is not None else 0
        alpha = grl_alpha(step, self._steps, self._epochs)
        out = model(audio, frame, motion, grl_alpha=alpha)
        return avvp_loss(out, y, self.hp)

    def configure_optimizers(self, model, steps_per_epoch: int, epochs: int):
        import torch

        hp = self.hp
        optimizer = torch.optim.Adam(model.parameters(), lr=hp.lr)
        self._steps, self._epochs = max(1, steps_per_epoch), epochs
        self.hp = replace(self.hp, epochs=epochs)
        steps = self._steps
        self._scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: hp.lr_gamma ** ((s // steps) // max(1, hp.lr_step)))
        return optimizer, self._scheduler

    def validate(self, model, device: str) -> dict[str, float]:
        if self.val is None:
            return {}
        clips, truth = self.val
        return score_clips(model, clips, truth, device, self.classes)

    def checkpoint_spec(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "model": config_to_dict(self.model_config, "han"),
            "classes": list(self.classes),
            "segments": int(self.train.audio.shape[1]),
            "features": self.features,
            "hparams": {"preset": self.preset, **asdict(self.hp)},
            "thresholds": {"clip": 0.5, "segment": 0.5},
            "data": dict(self.provenance),
        }

    @classmethod
    def load_predictor(cls, checkpoint: dict[str, Any], device: str = "cpu") -> AvvpParser:
        return AvvpParser.from_checkpoint(checkpoint, device)

    @classmethod
    def evaluate_files(cls, predictions: Path, truth: tuple[Path, Path, Path]
                       ) -> dict[str, float]:
        """The ten LLP numbers of `AvvpParser.write`'s folder against (clips file,
        AVVP_eval_audio.csv, AVVP_eval_visual.csv)."""
        from avtool.tasks.avvp.evaluate import evaluate_avvp_files
        from avtool.tasks.avvp.predictor import PREDICTION_FILES

        clips, gt_audio, gt_visual = truth
        result = evaluate_avvp_files(clips, gt_audio, gt_visual,
                                     *(Path(predictions) / name for name in PREDICTION_FILES))
        out = {f"seg_{k}": float(result.segment[k]) for k in METRIC_KEYS}
        out.update({f"evt_{k}": float(result.event[k]) for k in METRIC_KEYS})
        return out

    @classmethod
    def debug_example(cls, workdir: Path) -> DebugExample:
        """24 feature-level synthetic clips; a 1-layer d=16 base+adv+skip+gcaa."""
        from avtool.tasks.avvp.data import load_clips
        from avtool.tasks.avvp.synth_features import SynthFeaturesConfig, write_feature_corpus

        store = write_feature_corpus(workdir, SynthFeaturesConfig(clips=24, dims=(8, 8, 8),
                                                                  frame_rows=1))
        test, _ = load_clips(store, split="test")
        options = AvvpOptions(d_model=16, ffn=16, val_labels_dir=str(workdir))
        truth = (workdir / "AVVP_test_pd.csv", workdir / "AVVP_eval_audio.csv",
                 workdir / "AVVP_eval_visual.csv")
        metrics = tuple(f"{level}_{k}" for level in ("seg", "evt") for k in METRIC_KEYS)
        return DebugExample(options, store, test, truth, metrics,
                            train={"epochs": 1, "batch_size": 8})


def load_init(model, path: str | Path) -> None:
    """Initialise `model` from an `avvp-pretrain` encoder or an `avvp` checkpoint."""
    from avtool.train import load_checkpoint

    ckpt = load_checkpoint(path)
    task, state = ckpt.get("task"), ckpt["model_state"]
    try:
        if task == "avvp-pretrain":
            model.encoder.load_state_dict(state)
        elif task == TASK:
            model.load_state_dict(state)
        else:
            raise ModelError(f"--init {path}: a checkpoint of task {task}; expected "
                             "avvp-pretrain or avvp")
    except RuntimeError as err:
        first = str(err).splitlines()[1].strip() if "\n" in str(err) else str(err)
        raise ModelError(f"--init {path}: weights do not fit this model (same --variant, "
                         f"--d-model, --heads, --layers and features needed): {first}") from None
    log.info("initialised from %s (%s)", path, task)


