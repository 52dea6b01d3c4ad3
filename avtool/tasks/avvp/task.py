"""Audio-visual video parsing (AVVP) on LLP: HAN and the Lamba et al. variants (`--task avvp`).

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
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_from_dict, config_to_dict
from avtool.errors import ConfigError, ModelError
from avtool.formats.llp import LLP_CLASSES
from avtool.tasks import reject_unknown, trainers
from avtool.tasks.avvp.data import ClipSet, DenseTruth
from avtool.tasks.avvp.han import HanConfig, canonical_variant, parse_variant

log = logging.getLogger(__name__)

TASK = "avvp"
PROB_EPS = 1e-7
METRIC_KEYS = ("audio", "visual", "av", "type_av", "event_av")


@dataclass(frozen=True)
class AvvpHparams:
    lr: float
    lr_step: int  # epochs between learning-rate decays
    lr_gamma: float
    epochs: int
    batch_size: int
    lambda_g: float  # weight of the modality-guided loss (p_a, p_v)
    lambda_ad: float  # weight of the modality discriminator loss (adv variants only)
    smooth_audio: float = 0.0
    smooth_visual: float = 0.1


_HAN = AvvpHparams(3e-4, 10, 0.1, 40, 16, 1.0, 0.4)
HPARAMS: dict[str, dict[str, AvvpHparams]] = {
    "paper": {"han": _HAN, "base": AvvpHparams(3e-4, 5, 0.5, 40, 64, 0.6, 0.4)},
    "code": {"han": replace(_HAN, lambda_ad=0.3),
             "base": AvvpHparams(6e-4, 6, 0.5, 40, 64, 0.3, 0.3)},
    "han": {"han": _HAN, "base": _HAN},
}


def resolve_hparams(preset: str, variant: str, **overrides: Any) -> AvvpHparams:
    """The preset's values for the variant's family, with the non-None `overrides` applied."""
    if preset not in HPARAMS:
        raise ConfigError(f"--hparams {preset!r}: expected one of {', '.join(HPARAMS)}")
    family = "base" if parse_variant(variant)["separate_self_attn"] else "han"
    return replace(HPARAMS[preset][family], **{k: v for k, v in overrides.items()
                                               if v is not None})


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


def parse_masks(p: np.ndarray, frame_prob: np.ndarray, clip_threshold: float = 0.5,
                segment_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The official inference rule -> (audio, visual) boolean masks (N, C, T).

    Args:
        p: (N, C) video-level probabilities (the fused p, not p_a / p_v).
        frame_prob: (N, T, 2, C) snippet probabilities, modality 0 audio, 1 visual.
    """
    present = (np.asarray(p) >= clip_threshold)[:, :, None]  # (N, C, 1)
    snippets = np.asarray(frame_prob).transpose(0, 2, 3, 1) >= segment_threshold  # (N,2,C,T)
    return snippets[:, 0] & present, snippets[:, 1] & present


def predict_probs(model, clips: ClipSet, device: str = "cpu", batch_size: int = 64
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(p (N, C), frame_prob (N, T, 2, C)) of `clips`, batched, in inference mode."""
    import torch

    model.eval()
    ps, frames = [], []
    with torch.inference_mode():
        for lo in range(0, len(clips), batch_size):
            sl = slice(lo, lo + batch_size)
            out = model(*(torch.from_numpy(x[sl]).to(device)
                          for x in (clips.audio, clips.frame, clips.motion)))
            ps.append(out.p.float().cpu().numpy())
            frames.append(out.frame_prob.float().cpu().numpy())
    n_cls = model.cfg.classes
    if not ps:
        return np.zeros((0, n_cls), np.float32), np.zeros((0, clips.audio.shape[1], 2, n_cls))
    return np.concatenate(ps), np.concatenate(frames)


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
    """The `TrainTask` of `--task avvp` (see `avtool.train`)."""

    name = TASK
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


def model_from_spec(spec: dict[str, Any]):
    """A `HanNet` built from a checkpoint spec of `--task avvp` (weights not loaded)."""
    from avtool.tasks.avvp.han import HanNet

    cfg = dict(spec["model"])
    return HanNet(config_from_dict(HanConfig, cfg, "han"))


def load_parser(path: str | Path, device: str = "cpu"):
    """(model on `device` in eval mode, spec) from a RUN_DIR or .pt of `--task avvp`."""
    from avtool.train import load_checkpoint

    ckpt = load_checkpoint(path)
    if ckpt.get("task") != TASK:
        raise ModelError(f"{path}: a checkpoint of --task {ckpt.get('task')}, not an AVVP "
                         "parser (train one with avtool train --task avvp)")
    model = model_from_spec(ckpt["spec"])
    model.load_state_dict(ckpt["model_state"])
    return model.to(device).eval(), ckpt["spec"]


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
            raise ModelError(f"--init {path}: a checkpoint of --task {task}; expected "
                             "avvp-pretrain or avvp")
    except RuntimeError as err:
        first = str(err).splitlines()[1].strip() if "\n" in str(err) else str(err)
        raise ModelError(f"--init {path}: weights do not fit this model (same --variant, "
                         f"--d-model, --heads, --layers and features needed): {first}") from None
    log.info("initialised from %s (%s)", path, task)


# --------------------------------------------------------------------------- CLI runner

OPTIONS = {"labels", "split", "variant", "hparams", "val_store", "val_labels_dir", "val_clips",
           "val_gt_audio", "val_gt_visual", "lambda_g", "lambda_ad", "smooth_audio",
           "smooth_visual", "lr_step", "lr_gamma", "d_model", "heads", "layers", "dropout",
           "init", "gcaa_compat_bug"}


def preset_may_set(options: dict[str, Any], param: str) -> bool:
    """True when `avtool train` left the common option `param` (epochs, batch_size) at its
    default (listed in ``options["defaulted"]``), so the task's preset chooses the value.
    Callers outside the CLI pass explicit values: False."""
    return param in options.get("defaulted", ())


def model_config_from(options: dict[str, Any]) -> HanConfig:
    fields = {"d_model": options.get("d_model"), "heads": options.get("heads"),
              "layers": options.get("layers"), "dropout": options.get("dropout"),
              "gcaa_time0_bug": options.get("gcaa_compat_bug")}
    cfg = replace(HanConfig(), **{k: v for k, v in fields.items() if v is not None})
    if cfg.d_model % cfg.heads:
        raise ConfigError(f"--d-model {cfg.d_model} is not divisible by --heads {cfg.heads}")
    if cfg.layers < 1:
        raise ConfigError("--layers must be >= 1")
    return cfg


@trainers.register(TASK)
def train(options: dict[str, Any], config, out_dir: Path, resume: bool):
    """`avtool train --task avvp`: see the module docstring and `avtool train --help`."""
    from avtool.tasks.avvp.data import load_clips, load_validation
    from avtool.train import fit

    reject_unknown(TASK, options, OPTIONS)
    variant = options.get("variant") or "base+adv+skip+gcaa"
    preset = options.get("hparams") or "paper"
    hp = resolve_hparams(preset, variant, lr=options.get("lr"),
                         lr_step=options.get("lr_step"), lr_gamma=options.get("lr_gamma"),
                         lambda_g=options.get("lambda_g"), lambda_ad=options.get("lambda_ad"),
                         smooth_audio=options.get("smooth_audio"),
                         smooth_visual=options.get("smooth_visual"))
    # the preset's epochs and batch size apply unless --epochs / --batch-size were typed
    if preset_may_set(options, "epochs"):
        config = replace(config, epochs=hp.epochs)
    if preset_may_set(options, "batch_size"):
        config = replace(config, batch_size=hp.batch_size)
    hp = replace(hp, epochs=config.epochs, batch_size=config.batch_size)
    store = options["store"]
    labels = options.get("labels")
    split = options.get("split", "train")
    clips, features = load_clips(store, split=split, labels_csv=labels)
    val = load_validation(options, store, clips.ids)
    if val is None:
        log.warning("no validation data (--val-labels-dir or --val-gt-audio/--val-gt-visual): "
                    "best.pt will be the last epoch")
    init = options.get("init")
    provenance = {"store": str(store), "labels": str(labels) if labels else "",
                  "split": split, "train_clips": len(clips),
                  "val_clips": len(val[0]) if val else 0, "init": str(init or "")}
    task = AvvpTask(clips, features, variant, hp, model_config_from(options), val, init,
                    preset, provenance=provenance)
    return fit(task, config, out_dir, resume)
