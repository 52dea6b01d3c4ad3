"""Audio-visual speech recognition with AVATAR (Gabeur thesis ch. 5): ``avtool train transcribe``.

Training (`AvatarTask`, run by the shared trainer `avtool.train.fit`):

* data (`avtool.tasks.transcribe.data`): the ``fbank`` and ``frames`` features and the
  transcript of every item of ``--split``; fbank normalised per bin with the training set's
  statistics;
* training strategies (§5.2.2): word masking (`masking`: none, random or content words, 10 %
  of all words) on the fbank frames of the chosen words, from ``--word-timings``; SpecAugment
  on the fbank and random crop + colour jitter on the frames (`augment`);
* loss: token cross-entropy with teacher forcing, [PAD] ignored (label smoothing optional,
  not in the thesis);
* optimiser: AdamW (default) or SGD with momentum, linear warm-up then linear decay to 0 (the
  thesis's schedule), gradient clipping through the trainer;
* model selection on the greedy WER (%) of the validation items (``selection = ("wer",
  "min")``).

The checkpoint spec holds the network config, the WordPiece vocabulary's checksum, the two
features' FeatureInfo (so the predictor recomputes them from media), the normalisation
statistics and the decoding defaults (beam 4, length penalty 0.6).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_to_dict
from avtool.errors import ConfigError, ModelError
from avtool.tasks.interface import DebugExample
from avtool.tasks.transcribe.config import (
    MODALITIES,
    RECIPES,
    AvatarConfig,
    describe,
    preset_config,
)
from avtool.tasks.transcribe.options import AvatarOptions
from avtool.tasks.transcribe.predictor import MODEL_TAG, TASK, AvatarTranscriber, decode_batch

log = logging.getLogger(__name__)

METRICS = ("wer", "cer")


def lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warm-up over `warmup` steps, then linear decay to 0 at step `total`."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def token_loss(logits, targets, pad_id: int, label_smoothing: float = 0.0):
    """Mean cross-entropy over the non-[PAD] target tokens, and the token accuracy."""
    import torch.nn.functional as F

    flat, gold = logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1)
    loss = F.cross_entropy(flat, gold, ignore_index=pad_id, label_smoothing=label_smoothing)
    keep = gold != pad_id
    acc = float((flat.detach().argmax(-1)[keep] == gold[keep]).float().mean()) if bool(
        keep.any()) else 0.0
    return loss, acc


class AvatarTask:
    """The `Task` of ``avtool train transcribe`` (see `avtool.tasks.interface`)."""

    name = TASK
    summary = ("Audio-visual speech recognition: AVATAR (MBT bottleneck encoder over fbank "
               "patches and RGB tubelets, transformer decoder over BERT's uncased WordPiece "
               "vocabulary).")
    example = ("avtool train transcribe --store avspeech.h5 --size small --word-masking content "
               "--word-timings words.tsv --warmup-steps 200 --epochs 20 --out runs/avatar")
    Options = AvatarOptions
    selection = ("wer", "min")

    def __init__(self, options: AvatarOptions, store_path: str | Path, cfg: AvatarConfig,
                 features: dict[str, Any], utterances: list, val: tuple[Any, list] | None,
                 mean: np.ndarray, std: np.ndarray, masker, provenance: dict[str, Any]) -> None:
        from avtool.tasks.transcribe.wordpiece import bert_wordpiece

        self.options, self.store_path, self.cfg = options, str(store_path), cfg
        self.features, self.utterances, self.val = features, utterances, val
        self.mean, self.std, self.masker = mean, std, masker
        self.tokenizer = bert_wordpiece()
        self.provenance = provenance

    @classmethod
    def from_options(cls, options: AvatarOptions, store: str | Path) -> AvatarTask:
        """Read the training (and validation) utterances of `store` and check the options."""
        from avtool.store import open_store
        from avtool.tasks.transcribe.data import (
            check_features,
            feature_dict,
            load_utterances,
            normalization_stats,
            read_word_timings,
        )
        from avtool.tasks.transcribe.wordpiece import bert_wordpiece

        if options.modalities not in MODALITIES:
            raise ConfigError(f"--modalities {options.modalities!r}: choose a or av")
        _check_training_options(options)
        handle = open_store(store)
        video = None if options.modalities == "a" else options.video_feature
        infos = check_features(handle, options.audio_feature, video)
        audio_rate = infos["audio"].frame_rate
        max_seconds = options.max_seconds
        cfg = preset_config(
            options.size, modalities=MODALITIES[options.modalities], d_model=options.d_model,
            layers=options.layers, heads=options.heads, mlp=options.mlp,
            fusion_layer=options.fusion_layer, bottlenecks=options.bottlenecks,
            decoder_layers=options.decoder_layers, decoder_heads=options.decoder_heads,
            decoder_mlp=options.decoder_mlp, dropout=options.dropout,
            image_size=options.image_size, max_target_tokens=options.max_target_tokens,
            mel_bins=int(infos["audio"].frame_shape[0]),
            audio_patch=_audio_patch(options),
            max_audio_frames=None if max_seconds is None else int(round(max_seconds
                                                                         * audio_rate)))
        tokenizer = bert_wordpiece()
        timings = read_word_timings(options.word_timings) if options.word_timings else None
        if options.word_masking != "none" and timings is None:
            raise ConfigError(f"--word-masking {options.word_masking} needs --word-timings "
                              "(a TSV with columns id, word, start, end)")

        def utterances(where, split: str, transcripts):
            return load_utterances(where, split, options.audio_feature, video, tokenizer,
                                   options.text_normalize, cfg.max_target_tokens, transcripts,
                                   timings, cfg.max_time_patches * cfg.audio_patch[0])

        train = utterances(handle, options.split, options.transcripts)
        if not train:
            raise ConfigError(f"{store}: no item of split {options.split!r} to train on")
        val = _validation(options, handle, train, infos, utterances)
        mean, std = normalization_stats(handle, [u.id for u in train], options.audio_feature)
        masker = _masker(options, train, timings, audio_rate)
        features = {"audio": feature_dict(infos["audio"]),
                    "video": feature_dict(infos["video"]) if video else None}
        provenance = {"store": str(store), "split": options.split,
                      "train_items": len(train), "val_items": len(val[1]) if val else 0,
                      "val_store": options.val_store or "", "transcripts":
                      options.transcripts or "", "word_timings": options.word_timings or "",
                      "items_with_timings": sum(bool(u.words) for u in train)}
        log.info("AVATAR %s: %s; %d training, %d validation items", options.modalities.upper(),
                 describe(cfg), len(train), provenance["val_items"])
        return cls(options, store, cfg, features, train, val, mean, std, masker, provenance)

    def trainer_defaults(self) -> dict[str, Any]:
        return {**RECIPES[self.options.size], "grad_clip": float(self.options.grad_clip)}

    def check_resume(self, checkpoint: dict[str, Any]) -> None:
        if checkpoint.get("spec", {}).get("model") != config_to_dict(self.cfg, MODEL_TAG):
            raise ModelError("--resume with another network than the checkpoint's (same "
                             "--size, --modalities and size options needed)")

    # -- training ----------------------------------------------------------------------------
    def build_model(self):
        from avtool.tasks.transcribe.avatar import Avatar

        return Avatar(self.cfg)

    def _reader(self, store):
        from avtool.tasks.transcribe.data import FeatureReader

        video = self.features["video"]["name"] if self.features["video"] else None
        return FeatureReader(store, self.features["audio"]["name"], video, self.mean, self.std,
                             self.cfg.frames, self.cfg.frame_gap)

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int, world: int):
        from avtool.store import open_store
        from avtool.tasks.transcribe.data import EpochLoader, TrainingSet

        dataset = TrainingSet(self._reader(open_store(self.store_path)), self.utterances, seed,
                              self.masker)
        return EpochLoader(dataset, batch_size, workers, seed, rank, world,
                           self.tokenizer.pad_id)

    def training_step(self, model, batch, device: str):
        from avtool.nn.specaugment import SPEC_AUGMENT_POLICIES, spec_augment
        from avtool.tasks.transcribe.augment import prepare_frames

        audio, lengths, frames, tokens = batch
        policy = SPEC_AUGMENT_POLICIES.get(self.options.spec_augment)
        if policy is not None:
            audio = spec_augment(audio, lengths, policy)
        audio, lengths, tokens = (x.to(device, non_blocking=True) for x in (audio, lengths,
                                                                             tokens))
        if frames is not None:
            frames = prepare_frames(frames.to(device, non_blocking=True), self.cfg.image_size,
                                    augment=self.options.frame_augment)
        logits = model(audio, lengths, frames, tokens[:, :-1])
        loss, acc = token_loss(logits, tokens[:, 1:], self.tokenizer.pad_id,
                               self.options.label_smoothing)
        return loss, {"acc": acc}

    def configure_optimizers(self, model, steps_per_epoch: int, epochs: int):
        import torch

        o = self.options
        if o.optimizer == "adamw":
            optimizer = torch.optim.AdamW(model.parameters(), lr=o.lr, betas=(0.9, 0.98),
                                          weight_decay=o.weight_decay)
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=o.lr, momentum=0.9,
                                        weight_decay=o.weight_decay)
        total, warmup = max(1, steps_per_epoch * epochs), o.warmup_steps
        if warmup >= total:
            log.warning("--warmup-steps %d >= the %d steps of the run: the learning rate never "
                        "reaches --lr %g", warmup, total, o.lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: lr_factor(step, warmup, total))
        return optimizer, scheduler

    def validate(self, model, device: str) -> dict[str, float]:
        """Greedy WER and CER (%) of the validation items."""
        if self.val is None:
            return {}
        import torch

        from avtool.metrics.text import error_rates
        from avtool.tasks.transcribe.augment import prepare_frames
        from avtool.tasks.transcribe.data import collate

        store, utterances = self.val
        reader = self._reader(store)
        hyps = {}
        batch = 16
        with torch.no_grad():
            for lo in range(0, len(utterances), batch):
                chunk = utterances[lo:lo + batch]
                samples = [(reader.read_audio(u.id),
                            reader.read_frames(u.id) if reader.video else None, ())
                           for u in chunk]
                audio, lengths, frames, _ = collate(samples)
                if frames is not None:
                    frames = prepare_frames(frames.to(device), self.cfg.image_size)
                ids = decode_batch(model, audio.to(device), lengths.to(device), frames,
                                   self.tokenizer.bos_id, self.tokenizer.eos_id,
                                   self.cfg.max_target_tokens - 1)
                hyps.update({u.id: self.tokenizer.decode(row) for u, row in zip(chunk, ids,
                                                                                strict=True)})
        result = error_rates({u.id: u.text for u in utterances}, hyps)
        return {"wer": float(result.wer), "cer": float(result.cer)}

    def checkpoint_spec(self) -> dict[str, Any]:
        return {
            "model": config_to_dict(self.cfg, MODEL_TAG),
            "modalities": self.options.modalities,
            "tokenizer": {"name": self.tokenizer_name(), "size": len(self.tokenizer),
                          "sha256": self.tokenizer.sha256},
            "features": self.features,
            "normalization": {"mean": [float(x) for x in self.mean],
                              "std": [float(x) for x in self.std]},
            "text_normalize": self.options.text_normalize,
            "decode": {"beam": int(self.options.beam), "alpha": float(self.options.length_penalty),
                       "max_tokens": self.cfg.max_target_tokens - 1},
            "options": dataclasses.asdict(self.options),
            "data": dict(self.provenance),
        }

    @staticmethod
    def tokenizer_name() -> str:
        from avtool.tasks.transcribe.wordpiece import VOCAB_NAME

        return VOCAB_NAME

    # -- after training -----------------------------------------------------------------------
    @classmethod
    def load_predictor(cls, checkpoint: dict[str, Any], device: str = "cpu"
                       ) -> AvatarTranscriber:
        return AvatarTranscriber.from_checkpoint(checkpoint, device)

    @classmethod
    def evaluate_files(cls, predictions: Path, truth: Path) -> dict[str, float]:
        """Corpus WER, CER, MER, WIL (%) of a Kaldi ``text`` file against the references."""
        from avtool.tasks.transcribe.evaluate import evaluate_transcription_files

        scores = evaluate_transcription_files(predictions, truth, fmt="kaldi").to_dict()
        return {k: float(scores[k]) for k in ("wer", "cer", "mer", "wil")}

    @classmethod
    def debug_example(cls, workdir: Path) -> DebugExample:
        """12 espeak clips of sprites (8 train, 2 val, 2 test); a d=32 A+V AVATAR with content
        word masking."""
        from avtool.tasks.transcribe.predictor import StoreInputs
        from avtool.tasks.transcribe.testing import write_tiny_corpus

        corpus = write_tiny_corpus(workdir, clips=12)
        options = AvatarOptions(**DEBUG_SIZES, word_masking="content",
                                word_timings=str(corpus.words), warmup_steps=2)
        return DebugExample(options, corpus.store, StoreInputs(corpus.store, "test"),
                            corpus.references("test"), METRICS,
                            train={"epochs": 1, "batch_size": 4})


#: A network small enough to train a step in well under a second (tests, debug example).
DEBUG_SIZES = dict(size="tiny", d_model=32, layers=2, heads=2, mlp=64, fusion_layer=1,
                   decoder_layers=1, decoder_heads=2, decoder_mlp=64, image_size=32,
                   max_seconds=6.0, max_target_tokens=16)


def _audio_patch(o: AvatarOptions) -> tuple[int, int] | None:
    """(frames, mel bins) of an audio patch from --patch-frames/--patch-mels (None: the
    preset's)."""
    if o.patch_frames is None and o.patch_mels is None:
        return None
    base = preset_config(o.size).audio_patch
    return (o.patch_frames or base[0], o.patch_mels or base[1])


def _check_training_options(o: AvatarOptions) -> None:
    """The choices the command line only shows (ranges are checked by `check_options`)."""
    from avtool.metrics.normalize import get_normalizer
    from avtool.nn.specaugment import SPEC_AUGMENT_POLICIES
    from avtool.tasks.transcribe.masking import WORD_MASKING
    from avtool.tasks.transcribe.options import OPTIMIZERS

    if o.word_masking not in WORD_MASKING:
        raise ConfigError(f"--word-masking {o.word_masking!r}: choose one of "
                          f"{', '.join(WORD_MASKING)}")
    if o.optimizer not in OPTIMIZERS:
        raise ConfigError(f"--optimizer {o.optimizer!r}: choose {' or '.join(OPTIMIZERS)}")
    if o.spec_augment != "none" and o.spec_augment not in SPEC_AUGMENT_POLICIES:
        raise ConfigError(f"--spec-augment {o.spec_augment!r}: choose none or "
                          f"{', '.join(SPEC_AUGMENT_POLICIES)}")
    get_normalizer(o.text_normalize)  # an unknown name is an UnknownNameError


def _validation(options: AvatarOptions, store, train: list, infos, utterances
                ) -> tuple[Any, list] | None:
    """(store, utterances) to validate on, or None (with a warning) when there are none."""
    from avtool.store import open_store
    from avtool.tasks.transcribe.data import check_features

    where = store
    if options.val_store:
        where = open_store(options.val_store)
        video = None if options.modalities == "a" else options.video_feature
        for role, info in check_features(where, options.audio_feature, video).items():
            if not info.same_recipe(infos[role]):
                raise ConfigError(f"{options.val_store}: its {info.name!r} was made with other "
                                  f"parameters than the training store's ({info.config} vs "
                                  f"{infos[role].config})")
    val = utterances(where, options.val_split, None if options.val_store else
                     options.transcripts)
    train_ids = {u.id for u in train}
    if not options.val_store:
        val = [u for u in val if u.id not in train_ids]
    if not val:
        log.warning("no validation items (split %r%s): best.pt will be the last epoch",
                    options.val_split, f" of {options.val_store}" if options.val_store else "")
        return None
    return where, val


def _masker(options: AvatarOptions, train: list, timings, frame_rate: float):
    """The `WordMasker` of the options (None for --word-masking none)."""
    from avtool.tasks.transcribe.masking import (
        STOP_WORDS,
        WordMasker,
        masking_probability,
        read_stop_words,
    )

    stop = read_stop_words(options.stop_words) if options.stop_words else STOP_WORDS
    if options.word_masking == "none":
        return None
    words = [w.word for u in train for w in u.words]
    if not words:
        raise ConfigError(f"{options.word_timings}: no word timings for any training item "
                          "(ids must match the store's item ids)")
    lacking = sum(not u.words for u in train)
    if lacking:
        log.warning("%s: %d of %d training items have no word timings (never masked)",
                    options.word_timings, lacking, len(train))
    probability = masking_probability(options.word_masking, options.mask_rate, words, stop)
    log.info("word masking %s: each %s masked with probability %.3f", options.word_masking,
             "content word" if options.word_masking == "content" else "word", probability)
    return WordMasker(options.word_masking, probability, frame_rate, stop)
