"""Speaker verification task (VGGVox family): ``avtool train speaker``.

Checkpoints it writes are loaded by
:func:`avtool.tasks.speaker.predictor.load_checkpoint_embedder`, through which ``avtool
verify-speaker --model RUN_DIR`` uses them.

Training (see :mod:`avtool.tasks.speaker.data` for labels, crops, batches and trial mapping):

* model = trunk (``--model``) + aggregation (``--pool``) + embedding layer + loss head
  (``--loss``), from :mod:`avtool.tasks.speaker.zoo`;
* Adam, lr 1e-3. ``--lr-schedule thesis`` (default): divide by 10 every 36 epochs (§2.6.3).
  ``--lr-schedule code``: the released Keras code's ``step_decay`` (two cycles of ×1, ×0.1, ×0.01
  over the two halves of the run, switching at 50% and 80% of each half) with L2 weight decay
  1e-4. ``--lr-schedule cosine`` (not the thesis's): ``0.5·(1 + cos(π·epoch/epochs))``;
* validation (``--val-trials`` + ``--val-store``): whole-utterance embeddings of the trial files,
  cosine scores (relation models: the mean of the cosine and the relation probability), EER and
  minDCF (P_target 0.01) after every epoch; the best EER is kept as ``best.pt`` and its EER
  threshold is stored in the checkpoint for ``verify-speaker``;
* data: a spectrogram store, or audio (a wav folder or a manifest as ``--store``; features
  computed on the fly by the same extractor, see :mod:`avtool.tasks.speaker.audio_data`), with
  optional on-line augmentation (``--augment``: waveform kinds on the audio route,
  SpecAugment on either);
* two-stage recipes (softmax pre-training, then contrastive or relation training):
  ``--init RUN_DIR`` starts from another speaker checkpoint's network weights (the new
  projection / relation branch start fresh); with ``--loss relation`` the trunk up to conv4 is
  then frozen, as in the thesis.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_to_dict
from avtool.errors import ConfigError, ModelError
from avtool.tasks.interface import DebugExample
from avtool.tasks.speaker.data import FEATURE
from avtool.tasks.speaker.options import LR_SCHEDULES, SpeakerOptions
from avtool.tasks.speaker.predictor import (
    MODEL_TAG,
    SpeakerEmbedder,
    TrialFiles,
    embed_spectrograms,
    load_net_weights,
    score_embedding_pairs,
)
from avtool.tasks.speaker.zoo import PAIR_LOSSES, SpeakerModelConfig, trunks

__all__ = ["SpeakerTask", "lr_factor"]

log = logging.getLogger(__name__)

MODEL_OPTIONS = ("model", "pool", "loss", "emb_dim", "clusters", "ghost_clusters", "width",
                 "am_margin", "am_scale", "contrastive_margin", "embedding", "aam_margin",
                 "aam_scale")
SPEC_AUGMENT_POLICY = "ss"  # Park et al.'s SS: 2 freq masks F=27, 2 time masks T=70, p=0.2


@dataclass(frozen=True)
class SpeakerTrainConfig:
    """The resolved training part of `SpeakerOptions` (trunk defaults filled in), as stored in
    checkpoints."""

    crop_seconds: float
    utts_per_speaker: int
    lr: float
    lr_schedule: str
    val_trials: str | None
    val_store: str | None
    init: str | None
    augment: tuple[str, ...] = ()


def lr_factor(schedule: str, epoch: int, epochs: int) -> float:
    """Learning-rate multiplier for a 0-based ``epoch`` of ``epochs``."""
    if schedule == "thesis":
        return 0.1 ** (epoch // 36)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(epoch, epochs) / max(1, epochs)))
    half = epochs // 2
    s1, s2 = int(half * 0.5), int(half * 0.8)
    s4 = half + s1
    milestones = (s1, s2, half, s4, s4 + (s2 - s1), epochs)
    for milestone, gamma in zip(milestones, (1.0, 0.1, 0.01, 1.0, 0.1, 0.01), strict=True):
        if epoch < milestone:
            return gamma
    return 0.01


def _feature_dict(info) -> dict[str, Any]:
    return {"name": info.name, "extractor": info.extractor, "config": dict(info.config),
            "frame_rate": float(info.frame_rate), "frame_shape": [int(x) for x in info.frame_shape],
            "dtype": info.dtype, "model_checksum": info.model_checksum}


class SpeakerTask:
    """The `Task` of ``avtool train speaker`` (see `avtool.tasks.interface`)."""

    name = "speaker"
    summary = "Speaker verification: VGGVox / Thin-ResNet + GhostVLAD on spectrograms."
    example = ("avtool train speaker --store train.h5 --model thin-resnet34 --pool ghostvlad "
               "--loss amsoftmax --epochs 5 --out runs/tr34")
    Options = SpeakerOptions
    selection = ("eer", "min")
    store_help = ("Training data: a feature store (.h5), or a wav folder (<id>/<video>/*.wav) "
                  "or a csv/tsv/jsonl/json manifest, whose features are computed on the fly "
                  "(needed for --augment).")

    def __init__(self, store: str | Path, model: SpeakerModelConfig,
                 train: SpeakerTrainConfig) -> None:
        from avtool.tasks.speaker.audio_data import is_audio_source, speed_class_names

        self.store_path = str(store)
        self.config = train
        self.audio = is_audio_source(store)
        wave_kinds = [k for k in train.augment if k not in ("specaugment",)]
        if wave_kinds and not self.audio:
            raise ConfigError(f"--augment {','.join(wave_kinds)} works on audio: give a wav "
                              f"folder or a manifest as --store (not the store {store})")
        if self.audio:
            from avtool.features import build_extractor
            from avtool.tasks.speaker.audio_data import AudioItems

            self.extractor = build_extractor(trunks.get(model.model).feature)
            info = self.extractor.info(FEATURE)
            self.items = AudioItems.from_source(store, 1.0 / info.frame_rate)
        else:
            from avtool.store import open_store
            from avtool.tasks.speaker.data import TrainingItems

            self.items = TrainingItems.from_store(open_store(store))
            info = self.items.store.feature_info(FEATURE)
        self.classes = speed_class_names(self.items.speakers, train.augment)
        if len(info.frame_shape) != 1:
            raise ConfigError(f"{store}: {FEATURE!r} frames have shape {info.frame_shape}; "
                              "expected one spectrogram column per frame")
        self.feature = info
        self.model_config = dataclasses.replace(model, n_bins=int(info.frame_shape[0]))
        self.crop = max(1, int(round(train.crop_seconds * info.frame_rate)))
        wanted = trunks.get(model.model).feature
        variant = "vgg-m" if "vgg-m" in wanted else "thin-resnet"
        if info.config.get("variant", variant) != variant:
            log.warning("%s: the store's spectrogram is variant=%s; %s was designed for %s",
                        store, info.config.get("variant"), model.model, wanted)
        if model.loss in PAIR_LOSSES and train.utts_per_speaker < 2:
            raise ConfigError(f"--loss {model.loss} needs --utts-per-speaker of at least 2")
        self.threshold: float | None = None
        self._val = self._load_val() if train.val_trials or train.val_store else None

    # -- data -------------------------------------------------------------------------------
    def _load_val(self):
        from avtool.formats.voxceleb import read_trials
        from avtool.store import open_store
        from avtool.tasks.speaker.audio_data import is_audio_source
        from avtool.tasks.speaker.data import val_ids

        if not (self.config.val_trials and self.config.val_store):
            raise ConfigError("give both --val-trials and --val-store (or neither)")
        trials = read_trials(self.config.val_trials)
        if trials.n_target == 0 or trials.n_nontarget == 0:
            raise ConfigError(f"{trials.path}: validation needs target and non-target trials")
        if is_audio_source(self.config.val_store):
            return trials, self._val_from_audio(trials)
        store = open_store(self.config.val_store)
        info = store.feature_info(FEATURE)
        if not info.same_recipe(self.feature):
            raise ConfigError(f"{self.config.val_store}: its {FEATURE!r} was made with other "
                              f"parameters than the training store's ({info.config} vs "
                              f"{self.feature.config})")
        mapping = val_ids(store, trials.path1, trials.path2, str(trials.path))
        return trials, {path: store.read(item, FEATURE) for path, item in mapping.items()}

    def _val_from_audio(self, trials) -> dict[str, np.ndarray]:
        """Spectrograms of the trial files under the ``--val-store`` folder, by the training
        feature's extractor."""
        from avtool.features import extractor_from_info
        from avtool.tasks.speaker.speech_input import read_speech

        root = Path(str(self.config.val_store))
        if not root.is_dir():
            raise ConfigError(f"--val-store {root}: give a store or the folder the paths of "
                              f"{trials.path} are relative to")
        extractor = extractor_from_info(self.feature)
        rate = int(extractor.config.sample_rate)
        out = {}
        for path in sorted(set(trials.path1) | set(trials.path2)):
            out[path] = extractor.compute(read_speech(root / path, rate))
        return out

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int, world: int):
        from avtool.tasks.speaker.data import CropDataset, PKBatchSampler

        sampler = PKBatchSampler(self.items.labels, self.items.lengths, batch_size,
                                 self.config.utts_per_speaker, self.crop, seed, rank, world)
        if self.audio:
            from avtool.tasks.speaker.audio_data import AudioCropDataset

            dataset = AudioCropDataset(self.items, self.crop, self.extractor,
                                       self.config.augment, seed)
        else:
            dataset = CropDataset(self.items, self.crop)
        return _Loader(dataset, sampler, workers)

    # -- model ------------------------------------------------------------------------------
    def build_model(self):
        from avtool.tasks.speaker.network import SpeakerTrainModel

        freeze = self.model_config.loss == "relation" and self.config.init is not None
        model = SpeakerTrainModel(self.model_config, len(self.classes), freeze)
        if self.config.init:
            load_net_weights(model.net, self.config.init, self.model_config)
        return model

    def training_step(self, model, batch, device: str):
        x, y = batch
        if "specaugment" in self.config.augment:
            from avtool.nn.specaugment import SPEC_AUGMENT_POLICIES, spec_augment

            x = spec_augment(x, None, SPEC_AUGMENT_POLICIES[SPEC_AUGMENT_POLICY])
        loss, acc = model(x.to(device, non_blocking=True), y.to(device, non_blocking=True))
        return loss, {"acc": float(acc)}

    def configure_optimizers(self, model, steps_per_epoch: int, epochs: int):
        import torch

        params = [p for p in model.parameters() if p.requires_grad]
        decay = 1e-4 if self.config.lr_schedule == "code" else 0.0
        optimizer = torch.optim.Adam(params, lr=self.config.lr, weight_decay=decay)
        schedule, per_epoch = self.config.lr_schedule, max(1, steps_per_epoch)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: lr_factor(schedule, step // per_epoch, epochs))
        return optimizer, scheduler

    def validate(self, model, device: str) -> dict[str, float]:
        if self._val is None:
            return {}
        from avtool.metrics.verification import verification_metrics

        trials, spectrograms = self._val
        keys = sorted(spectrograms)
        net = model.net
        emb = embed_spectrograms(net, [spectrograms[k] for k in keys], device)
        row = {k: i for i, k in enumerate(keys)}
        a = np.array([row[p] for p in trials.path1])
        b = np.array([row[p] for p in trials.path2])
        scores = score_embedding_pairs(net, emb, a, b, device)
        result = verification_metrics(scores, trials.labels, trial_list_sha256=trials.sha256)
        thr = result.eer_threshold
        self.threshold = float(thr) if math.isfinite(thr) else None
        return {"eer": float(result.eer), "min_dcf": float(result.min_dcf[0].min_dcf)}

    def checkpoint_spec(self) -> dict[str, Any]:
        train = {k: (list(v) if isinstance(v, tuple) else v)
                 for k, v in dataclasses.asdict(self.config).items()}
        return {
            "model": config_to_dict(self.model_config, MODEL_TAG),
            "feature": _feature_dict(self.feature),
            "speakers": list(self.classes),
            "crop_frames": int(self.crop),
            "train": train,
            "train_store": self.store_path,
            "threshold": self.threshold,
            "threshold_source": (f"EER threshold on {self.config.val_trials}"
                                 if self.threshold is not None else None),
        }

    @classmethod
    def load_predictor(cls, checkpoint: dict[str, Any], device: str = "cpu") -> SpeakerEmbedder:
        return SpeakerEmbedder.from_checkpoint(checkpoint, device, "speaker checkpoint")

    @classmethod
    def evaluate_files(cls, predictions: Path, truth: Path) -> dict[str, float]:
        """EER (%) and minDCF (P_target 0.01) of a score file on a trial list."""
        from avtool.tasks.speaker.scoring import evaluate_trials

        result = evaluate_trials(predictions, truth).result
        return {"eer": float(result.eer), "min_dcf": float(result.min_dcf[0].min_dcf)}

    @classmethod
    def debug_example(cls, workdir: Path) -> DebugExample:
        """4 buzz voices x 4 utterances to train the debug trunk; 3 unseen voices to verify."""
        from avtool.media.audio import write_wav
        from avtool.tasks.speaker.testing import SR, make_speaker_store, speaker_wave, write_trials

        workdir.mkdir(parents=True, exist_ok=True)
        store = workdir / "train.h5"
        make_speaker_store(store, speakers=4, utterances=4, seed=0)
        rng = np.random.default_rng(1)
        ids = [f"id{10010 + s}/vid/{u:05d}" for s in range(3) for u in range(1, 3)]
        for item in ids:
            speaker = int(item[2:7]) - 10001
            write_wav(workdir / "wav" / f"{item}.wav", speaker_wave(speaker, 1.5, rng), SR)
        trials = write_trials(workdir / "trials.txt", ids)
        options = SpeakerOptions(model="debug", pool="tap", loss="softmax")
        return DebugExample(options, store, TrialFiles(trials, workdir / "wav"), trials,
                            ("eer", "min_dcf"), train={"epochs": 1, "batch_size": 8})

    @classmethod
    def from_options(cls, options: SpeakerOptions, store: str | Path) -> SpeakerTask:
        """Resolve `options` (trunk defaults for the ones left None) into a task on `store`."""
        entry = trunks.get(options.model)
        model_kw = {k: getattr(options, k) for k in MODEL_OPTIONS
                    if getattr(options, k) is not None}
        model_kw.setdefault("emb_dim", entry.emb_dim)
        if options.ghost_clusters is not None and options.pool != "ghostvlad":
            raise ConfigError(f"--ghost-clusters applies to --pool ghostvlad, not {options.pool}")
        if options.clusters is not None and options.pool == "tap":
            raise ConfigError("--clusters applies to --pool netvlad or ghostvlad, not tap")
        if options.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"--lr-schedule {options.lr_schedule!r}: choose "
                              f"{' or '.join(LR_SCHEDULES)}")
        crop = entry.crop_seconds if options.crop_seconds is None else options.crop_seconds
        if options.utts_per_speaker < 1 or crop <= 0:
            raise ConfigError("--utts-per-speaker and --crop-seconds must be positive")
        from avtool.augment.speech import parse_augment

        train = SpeakerTrainConfig(crop, options.utts_per_speaker, float(options.lr),
                                   options.lr_schedule, _text(options.val_trials),
                                   _text(options.val_store), _text(options.init),
                                   parse_augment(options.augment))
        return cls(store, SpeakerModelConfig(**model_kw), train)

    def trainer_defaults(self) -> dict[str, int]:
        return {}  # the trainer's: 10 epochs of batch 32

    def check_resume(self, checkpoint: dict[str, Any]) -> None:
        """A resumed run must have the model and speakers of the checkpoint it continues."""
        spec = checkpoint.get("spec", {})
        mine = self.checkpoint_spec()
        for key in ("model", "speakers"):
            if spec.get(key) != mine[key]:
                raise ModelError(f"--resume with a different {key} than the checkpoint "
                                 f"(checkpoint: {_short(spec.get(key))}; now: {_short(mine[key])})")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) < 160 else text[:157] + "..."


class _Loader:
    """DataLoader over P×K batches with ``set_epoch`` and ``len``."""

    def __init__(self, dataset, sampler, workers: int) -> None:
        self.dataset, self.sampler, self.workers = dataset, sampler, workers

    def set_epoch(self, epoch: int) -> None:
        self.sampler.set_epoch(epoch)
        if hasattr(self.dataset, "set_epoch"):  # audio: augmentation draws per epoch
            self.dataset.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self):
        from torch.utils.data import DataLoader

        return iter(DataLoader(self.dataset, batch_sampler=self.sampler,
                               num_workers=self.workers))
