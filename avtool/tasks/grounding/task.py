"""Temporal caption alignment (MALTA, ABLR): `avtool train grounding`.

Training (`GroundingTask`, run by the shared trainer `avtool.train.fit`):

* data: the queries of ``--queries`` (Charades-STA, ActivityNet Captions or MALTA JSON,
  `avtool.tasks.grounding.data`), their videos' features from a store or released feature
  files pooled on the M-segment grid (`avtool.tasks.grounding.features`), standardised with
  the training videos' statistics; the vocabulary of the training captions;
* network (`avtool.tasks.grounding.network`): ABLR (V-ONLY), A-ONLY, MALTA, or the Table 6
  skylines (video+transcript, hard-attention), sizes and choices from the options;
* loss (`avtool.tasks.grounding.losses`): smooth-L1 regression plus attention calibration;
  Adam, lr 1e-3; ABLR's recipe of 200 epochs in batches of 100.
* validation: R@1 at IoU .1/.3/.5/.7 and mIoU of ``--val-queries``; the best mIoU is best.pt.

The checkpoint spec rebuilds the network and its inputs (`avtool.tasks.grounding.predictor`):
net config, vocabulary, streams with their extractor settings, standardisation, M, the
prediction choices (grid flooring).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_to_dict
from avtool.errors import ConfigError, ModelError
from avtool.tasks.grounding.config import MaltaNetConfig
from avtool.tasks.grounding.data import (
    Example,
    QuerySet,
    Standardizer,
    make_example,
    read_queries,
    read_transcripts,
    transcript_ids,
)
from avtool.tasks.grounding.options import MODELS, GroundingOptions
from avtool.tasks.grounding.text import Vocabulary, initial_vectors
from avtool.tasks.interface import DebugExample

log = logging.getLogger(__name__)

TASK = "grounding"
METRICS = ("R@1,IoU=0.1", "R@1,IoU=0.3", "R@1,IoU=0.5", "R@1,IoU=0.7", "mIoU")


def parse_streams(options: GroundingOptions) -> dict[str, list[str]]:
    """{modality: store streams} of the chosen --model (transcript needs no stream)."""
    def names(text: str, flag: str) -> list[str]:
        out = [n.strip() for n in text.split(",") if n.strip()]
        if not out:
            raise ConfigError(f"{flag}: no stream named")
        return out

    out = {}
    for modality in MODELS[options.model]:
        if modality == "video":
            out["video"] = names(options.video_features, "--video-features")
        elif modality == "audio":
            out["audio"] = names(options.audio_features, "--audio-features")
    return out


class VideoCache:
    """Pooled (and standardised) features per video, computed once."""

    def __init__(self, source, streams, m: int, durations, transcripts=None, vocab=None):
        self.source, self.streams, self.m = source, streams, m
        self.durations, self.transcripts, self.vocab = durations, transcripts, vocab
        self.videos: dict[str, tuple[dict[str, np.ndarray], float]] = {}

    def get(self, video_id: str) -> tuple[dict[str, np.ndarray], float]:
        from avtool.tasks.grounding.features import segment_features, video_duration

        if video_id not in self.videos:
            names = [n for v in self.streams.values() for n in v]
            duration = video_duration(self.source, video_id, names, self.durations)
            feats = segment_features(self.source, video_id, self.streams, duration, self.m)
            if self.transcripts is not None:
                feats["transcript"] = transcript_ids(self.transcripts.get(video_id, []),
                                                     self.vocab, duration, self.m)
            self.videos[video_id] = (feats, duration)
        return self.videos[video_id]


def build_examples(qs: QuerySet, cache: VideoCache, vocab: Vocabulary, m: int,
                   standardize=None) -> list[Example]:
    out = []
    for q in qs.queries:
        feats, duration = cache.get(q.video_id)
        if standardize is not None:
            feats = standardize(feats)
        ids = vocab.encode(q.sentence) or [1]
        out.append(make_example(q, ids, feats, duration, m))
    return out


class GroundingTask:
    """The `Task` of `avtool train grounding` (see `avtool.tasks.interface`)."""

    name = TASK
    summary = ("Temporal caption alignment: MALTA (audio-visual co-attention) and ABLR "
               "(V-ONLY), with the Table 6 skylines.")
    example = ("avtool train grounding --store feats.h5 --queries MALTA/TFT_av/train.json "
               "--val-queries MALTA/TFT_av/val.json --model malta --audio-features "
               "whisper_encoder --out runs/malta")
    Options = GroundingOptions
    selection = ("mIoU", "max")

    def __init__(self, options, net: MaltaNetConfig, vocab: Vocabulary, streams, infos,
                 train: list[Example], val: list[Example], standardizer, embeddings,
                 provenance) -> None:
        self.options, self.net, self.vocab, self.streams = options, net, vocab, streams
        self.infos, self.train, self.val = infos, train, val
        self.standardizer, self.embeddings, self.provenance = standardizer, embeddings, provenance

    @classmethod
    def from_options(cls, options: GroundingOptions, store: str | Path) -> GroundingTask:
        from avtool.formats.moments import read_durations
        from avtool.tasks.grounding.features import open_source

        if not options.queries:
            raise ConfigError("give the training queries: --queries charades_sta_train.txt "
                              "(or ActivityNet Captions / MALTA JSON)")
        if options.model == "video+transcript" and not options.transcripts:
            raise ConfigError("--model video+transcript reads the spoken words: give "
                              "--transcripts transcripts.jsonl")
        train_q = read_queries(options.queries, options.queries_format)
        val_q = read_queries(options.val_queries, options.queries_format) \
            if options.val_queries else None
        source = open_source(store)
        streams = parse_streams(options)
        missing = [n for names in streams.values() for n in names if n not in source.available]
        if missing:
            raise ConfigError(f"{store}: has no {', '.join(missing)} features (has: "
                              f"{', '.join(source.available) or 'none'}); extract them or "
                              "choose --video-features/--audio-features")
        durations = dict(train_q.durations or {})
        if val_q is not None:
            durations.update(val_q.durations or {})
        if options.durations:
            durations.update(read_durations(options.durations))
        vocab = Vocabulary.build((q.sentence for q in train_q.queries), options.min_count)
        transcripts = read_transcripts(options.transcripts) if options.transcripts else None
        m = options.segments
        cache = VideoCache(source, streams, m, durations, transcripts, vocab)
        raw = [cache.get(v)[0] for v in dict.fromkeys(q.video_id for q in train_q.queries)]
        standardizer = Standardizer.fit(raw) if options.standardize else None
        train = build_examples(train_q, cache, vocab, m, standardizer)
        val = build_examples(val_q, cache, vocab, m, standardizer) if val_q else []
        source_emb = options.embeddings
        matrix, found = initial_vectors(vocab, source_emb, options.embedding)
        dims = {k: int(raw[0][k].shape[1]) for k in streams}
        net = MaltaNetConfig(
            vocab_size=len(vocab), embedding=int(matrix.shape[1]), hidden=options.hidden,
            attention=options.attention, segments=m, modalities=MODELS[options.model],
            video_dim=dims.get("video", 0), audio_dim=dims.get("audio", 0),
            sentence=options.sentence, share_steps=options.share_steps, head=options.head,
            attention_source="hard" if options.model == "hard-attention" else "soft",
            dropout=options.dropout)
        net.check()
        provenance = {"store": str(store), "queries": options.queries,
                      "queries_format": train_q.format, "val_queries": options.val_queries or "",
                      "train_queries": len(train), "val_queries_count": len(val),
                      "train_videos": len(raw), "embeddings": source_emb,
                      "embeddings_found": found}
        log.info("grounding: %d training queries (%d videos), %d validation, %d words "
                 "(%d initialised from %s), model %s", len(train), len(raw), len(val),
                 len(vocab), found["found"], source_emb, options.model)
        return cls(options, net, vocab, streams, source.infos(
            [n for v in streams.values() for n in v]), train, val, standardizer, matrix,
            provenance)

    def trainer_defaults(self) -> dict[str, int]:
        return {"epochs": 200, "batch_size": 100}  # ABLR's released recipe

    def check_resume(self, checkpoint: dict[str, Any]) -> None:
        spec = checkpoint.get("spec", {})
        if spec.get("net") != config_to_dict(self.net, "malta_net"):
            raise ModelError("--resume with another network than the checkpoint's (same "
                             "--model, sizes and features needed)")

    def build_model(self):
        from avtool.tasks.grounding.network import MaltaNet

        net = MaltaNet(self.net)
        net.set_embeddings(self.embeddings)
        return net

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int, world: int):
        from torch.utils.data import DataLoader, DistributedSampler

        from avtool.tasks.grounding.data import collate

        sampler = DistributedSampler(self.train, num_replicas=world, rank=rank, shuffle=True,
                                     seed=seed)
        return DataLoader(self.train, batch_size=batch_size, sampler=sampler,
                          num_workers=workers, collate_fn=collate)

    def training_step(self, model, batch, device: str):
        from avtool.tasks.grounding.losses import malta_loss

        tokens, feats, weights, target = batch
        tokens, weights, target = tokens.to(device), weights.to(device), target.to(device)
        feats = {k: v.to(device) for k, v in feats.items()}
        pred, att, _ = model(tokens, feats, hard=weights)
        o = self.options
        return malta_loss(pred, target, att, weights, o.lambda_reg, o.lambda_cal,
                          o.loss_reduction)

    def configure_optimizers(self, model, steps_per_epoch: int, epochs: int):
        import torch

        params = [p for p in model.parameters() if p.requires_grad]
        return torch.optim.Adam(params, lr=self.options.lr), None

    def validate(self, model, device: str) -> dict[str, float]:
        if not self.val:
            return {}
        from avtool.metrics.temporal import grounding_metrics
        from avtool.tasks.grounding.predictor import run_batches

        pred, _ = run_batches(model, self.val, device, self.net.segments,
                              self.options.grid_floor)
        gt = np.array([[e.target[0] * e.duration, e.target[1] * e.duration] for e in self.val])
        dur = np.array([e.duration for e in self.val])
        res = grounding_metrics(gt, pred, np.arange(len(pred)), None, duration=dur)
        return metrics_dict(res)

    def checkpoint_spec(self) -> dict[str, Any]:
        return {
            "net": config_to_dict(self.net, "malta_net"),
            "model": self.options.model,
            "vocab": list(self.vocab.words),
            "streams": {k: list(v) for k, v in self.streams.items()},
            "features": self.infos,
            "standardizer": self.standardizer.to_dict() if self.standardizer else None,
            "grid_floor": self.options.grid_floor,
            "transcripts": self.options.model == "video+transcript",
            "hparams": {k: getattr(self.options, k) for k in (
                "lr", "lambda_reg", "lambda_cal", "loss_reduction", "embeddings", "min_count")},
            "data": dict(self.provenance),
        }

    @classmethod
    def load_predictor(cls, checkpoint: dict[str, Any], device: str = "cpu"):
        from avtool.tasks.grounding.predictor import CaptionAligner

        return CaptionAligner.from_checkpoint(checkpoint, device)

    @classmethod
    def evaluate_files(cls, predictions: Path, truth: Any) -> dict[str, float]:
        from avtool.tasks.grounding.evaluate import evaluate_grounding_files

        gt, durations = (truth if isinstance(truth, tuple) else (truth, None))
        fmt = "activitynet" if Path(gt).suffix.lower() == ".json" else "charades-sta"
        evaluation = evaluate_grounding_files(predictions, gt, gt_format=fmt,
                                              durations=durations)
        return metrics_dict(evaluation.result)

    @classmethod
    def debug_example(cls, workdir: Path) -> DebugExample:
        """Eight feature-level videos in a store; a tiny MALTA."""
        from avtool.tasks.grounding.predictor import AlignInputs
        from avtool.tasks.grounding.testing import write_feature_corpus

        paths = write_feature_corpus(workdir, videos=8, seed=0)
        options = GroundingOptions(queries=str(paths["train"]), val_queries=str(paths["test"]),
                                   model="malta", video_features="vis", audio_features="aud",
                                   embeddings="random", embedding=8, hidden=8, attention=8,
                                   segments=8)
        inputs = AlignInputs(paths["test"], paths["store"])
        return DebugExample(options, paths["store"], inputs, paths["test"], METRICS,
                            train={"epochs": 1, "batch_size": 8})


def metrics_dict(result) -> dict[str, float]:
    """R@1 at each IoU threshold and mIoU, keyed as `METRICS`."""
    out = {f"R@1,IoU={m:g}": float(result.recall[0][j])
           for j, m in enumerate(result.thresholds)}
    out["mIoU"] = float(result.miou)
    return out
