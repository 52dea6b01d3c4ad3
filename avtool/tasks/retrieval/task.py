"""Text-video retrieval (Gabeur thesis Ch. 3-4: MMT; Nagrani thesis Ch. 9: CE):
`avtool train retrieval`.

Training (`RetrievalTask`, run by the shared trainer `avtool.train.fit`):

* data: the frozen experts of every training video from the store
  (`avtool.tasks.retrieval.experts`), one random caption of it per step
  (`avtool.tasks.retrieval.data`);
* network (`avtool.tasks.retrieval.model`): MMT or CE video encoder, caption encoder, GEUs,
  mixture weights; the bidirectional max-margin ranking loss (margin 0.05);
* Adam (5e-5; the caption encoder may take its own rate), ×0.95 after every epoch; the
  validation videos' t2v geometric mean of R@1/5/10 picks ``best.pt`` (thesis Ch. 4);
* ``--pretrain-masking p``: no captions; each batch one expert supervises (the speech expert
  with probability p, the others sharing 1 - p), is removed from the video encoder's input
  and encoded by its query encoder instead (thesis Ch. 4). ``--init`` starts fine-tuning from
  such a run.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_to_dict
from avtool.errors import ConfigError, ModelError
from avtool.tasks.interface import DebugExample
from avtool.tasks.retrieval.experts import ExpertSpec
from avtool.tasks.retrieval.model import RetrievalNetConfig
from avtool.tasks.retrieval.options import RetrievalOptions

log = logging.getLogger(__name__)

TASK = "retrieval"
METRICS = ("R@1", "R@5", "R@10", "MdR", "MnR")


def net_config(options: RetrievalOptions, specs: list[ExpertSpec],
               pretrain: bool) -> RetrievalNetConfig:
    from avtool.tasks.retrieval.ce import default_vlad_experts

    d = options.d_model or (512 if options.model == "mmt" else 768)
    return RetrievalNetConfig(
        model=options.model, d_model=d, layers=options.layers, heads=options.heads,
        ff=options.ff, dropout=options.dropout, max_tokens=options.max_tokens,
        text_model=options.text_model, text_pooling=options.text_pooling,
        max_words=options.max_words, geu_batch_norm=options.geu_batch_norm,
        clusters=options.clusters, text_clusters=options.text_clusters, gating=options.gating,
        vlad_experts=tuple(default_vlad_experts(specs)) if options.model == "ce" else (),
        pretrain_query=pretrain, tiny_hidden=options.tiny_hidden)


def _speech_expert(options: RetrievalOptions, specs: list[ExpertSpec]) -> str:
    names = [s.name for s in specs]
    if options.speech_expert != "auto":
        if options.speech_expert not in names:
            raise ConfigError(f"--speech-expert {options.speech_expert}: not among the experts "
                              f"({', '.join(names)})")
        return options.speech_expert
    speech = [s.name for s in specs if s.extractor == "speech_minilm"]
    if not speech:
        raise ConfigError("--pretrain-masking needs a speech expert: extract speech_minilm or "
                          f"name one with --speech-expert ({', '.join(names)})")
    return speech[0]


class RetrievalTask:
    """The `Task` of `avtool train retrieval` (see `avtool.tasks.interface`)."""

    name = TASK
    summary = ("Text-video retrieval: the Multi-Modal Transformer (Gabeur) or Collaborative "
               "Experts (Nagrani) over frozen experts, with modality-masking pretraining.")
    example = ("avtool train retrieval --store experts.h5 --captions MSRVTT_data.json "
               "--train-split MSRVTT_train.7k.csv --model mmt --out runs/mmt")
    Options = RetrievalOptions
    selection = ("geomean", "max")

    def __init__(self, options: RetrievalOptions, net: RetrievalNetConfig,
                 specs: list[ExpertSpec], train, val, speech: str | None,
                 provenance: dict[str, Any]) -> None:
        self.options, self.net, self.specs = options, net, specs
        self.train, self.val, self.speech, self.provenance = train, val, speech, provenance
        self._tokenizer = None
        self._rng = np.random.default_rng(0)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def from_options(cls, options: RetrievalOptions, store: str | Path) -> RetrievalTask:
        from avtool.store import open_store
        from avtool.tasks.retrieval.data import VAL_SPLITS, captioned, split_ids
        from avtool.tasks.retrieval.experts import expert_specs, read_videos

        pretrain = options.pretrain_masking is not None
        if not options.captions and not pretrain:
            raise ConfigError("give the captions: --captions MSRVTT_data.json (or pretrain "
                              "with --pretrain-masking P)")
        source = open_store(store)
        names = None if options.experts == "auto" else [
            e.strip() for e in options.experts.split(",") if e.strip()]
        specs = expert_specs(source, names, str(store))
        speech = _speech_expert(options, specs) if pretrain else None
        if pretrain and len(specs) < 2:
            raise ConfigError("--pretrain-masking needs at least two experts")
        val = None
        if options.captions:
            from avtool.formats.msrvtt import read_msrvtt_data

            data = read_msrvtt_data(options.captions)
            train_ids = split_ids(data, options.train_split, ("train",))
            train = captioned(data, train_ids, options.train_split or options.captions)
            val_ids = split_ids(data, options.val_split, VAL_SPLITS)
            val_c = captioned(data, val_ids, options.val_split or options.captions)
            if val_c.ids:
                val = (val_c, read_videos(source, val_c.ids, specs, str(store)))
            train_ids = train.ids
            captions = train.captions
        else:
            train_ids = list(source.ids) if not options.train_split else \
                split_ids(None, options.train_split, ())
            captions = None
        if len(train_ids) < 2:
            raise ConfigError(f"{options.captions or store}: fewer than two training videos")
        videos = read_videos(source, train_ids, specs, str(store))
        net = net_config(options, specs, pretrain)
        provenance = {"store": str(store), "captions": options.captions,
                      "train_split": options.train_split or "",
                      "val_split": options.val_split or "", "train_videos": len(videos),
                      "val_videos": len(val[0].ids) if val else 0}
        log.info("retrieval: %d training videos, %d validation videos, experts %s",
                 len(videos), provenance["val_videos"], ", ".join(s.name for s in specs))
        return cls(options, net, specs, (videos, captions), val, speech, provenance)

    def trainer_defaults(self) -> dict[str, int]:
        return {"epochs": 20, "batch_size": 32}  # thesis batch 32

    def check_resume(self, checkpoint: dict[str, Any]) -> None:
        if checkpoint.get("spec", {}).get("net") != config_to_dict(self.net, "retrieval_net"):
            raise ModelError("--resume with another network than the checkpoint's")

    # -- training ---------------------------------------------------------------------------
    def build_model(self):
        from avtool.tasks.retrieval.model import RetrievalNet

        net = RetrievalNet(self.net, [(s.name, s.dim) for s in self.specs])
        if self.options.init:
            _load_init(net, self.options.init)
        return net

    def tokenizer(self):
        if self._tokenizer is None:
            from avtool.tasks.retrieval.text import CaptionTokenizer

            self._tokenizer = CaptionTokenizer(self.net.max_words)
        return self._tokenizer

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int, world: int):
        from torch.utils.data import DataLoader, DistributedSampler

        from avtool.tasks.retrieval.data import Collate, VideoDataset

        videos, captions = self.train
        data = VideoDataset(videos)
        sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True,
                                     seed=seed, drop_last=True)
        # the ranking loss needs at least two videos per batch: drop a last batch of one
        return DataLoader(data, batch_size=min(batch_size, len(data)), sampler=sampler,
                          num_workers=workers, drop_last=len(data) // world > batch_size,
                          collate_fn=Collate(self.specs, captions, self.net.max_tokens,
                                             self.net.max_positions))

    def training_step(self, model, batch, device: str):
        from avtool.tasks.retrieval.experts import experts_to
        from avtool.tasks.retrieval.model import ranking_loss, similarity

        experts = experts_to(batch.experts, device)
        if self.speech is not None:
            return self._masking_step(model, experts)
        phi, w = model.encode_text(self.tokenizer()(batch.captions).to(device))
        psi, present = model.encode_video(experts)
        s = similarity(phi, w, psi, present)
        loss = ranking_loss(s, self.options.margin, self.options.loss_normalisation)
        return loss, {"acc": float((s.argmax(1) == _arange(s)).float().mean())}

    def _masking_step(self, model, experts):
        """One batch of alternating modality masking (thesis Ch. 4)."""
        from avtool.tasks.retrieval.model import ranking_loss, similarity

        names = [s.name for s in self.specs]
        p = float(self.options.pretrain_masking)
        others = [n for n in names if n != self.speech]
        probs = np.array([p if n == self.speech else (1 - p) / len(others) for n in names])
        first = int(self._rng.choice(len(names), p=probs / probs.sum()))
        # fewer than two videos with that expert: the next most likely expert supervises
        order = [first] + [k for k in np.argsort(-probs, kind="stable") if k != first]
        for k in order:
            sup = names[int(k)]
            keep = experts[sup]["present"]
            if int(keep.sum()) >= 2:
                break
        else:  # no expert present in two videos: nothing to learn from this batch
            zero = sum(p.sum() for p in model.parameters()) * 0.0
            return zero, {"acc": 0.0}
        sub = {e: {k: v[keep] for k, v in t.items()} for e, t in experts.items()}
        phi, w = model.encode_modality(sub, sup)
        psi, present = model.encode_video(sub, drop=[sup])
        s = similarity(phi, w, psi, present)
        loss = ranking_loss(s, self.options.margin, self.options.loss_normalisation)
        return loss, {"acc": float((s.argmax(1) == _arange(s)).float().mean()),
                      "speech_sup": float(sup == self.speech)}

    def configure_optimizers(self, model, steps_per_epoch: int, epochs: int):
        import torch

        text = [p for p in model.text.parameters() if p.requires_grad]
        text_ids = {id(p) for p in text}
        rest = [p for p in model.parameters() if p.requires_grad and id(p) not in text_ids]
        groups = [{"params": rest, "lr": self.options.lr}]
        if text:
            groups.append({"params": text, "lr": self.options.text_lr or self.options.lr})
        optimizer = torch.optim.Adam(groups)
        decay, steps = self.options.lr_decay, max(1, steps_per_epoch)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: decay ** (step // steps))
        return optimizer, scheduler

    def validate(self, model, device: str) -> dict[str, float]:
        if self.val is None or self.speech is not None:
            return {}
        from avtool.metrics.retrieval import retrieval_metrics
        from avtool.tasks.retrieval.embed import embed_captions, embed_videos, scores

        captions, videos = self.val
        psi, present = embed_videos(model, videos, self.specs, device)
        flat = [c for caps in captions.captions for c in caps]
        owner = np.array([i for i, caps in enumerate(captions.captions) for _ in caps])
        phi, w, _ = embed_captions(model, self.tokenizer(), flat, device)
        result = retrieval_metrics(scores(phi, w, psi, present), owner)
        out = {k: float(v) for k, v in result.t2v.to_dict().items() if k in METRICS}
        out["geomean"] = float(math.prod(max(out[k], 1e-9) for k in ("R@1", "R@5", "R@10"))
                               ** (1 / 3))
        return out

    def checkpoint_spec(self) -> dict[str, Any]:
        o = self.options
        return {
            "net": config_to_dict(self.net, "retrieval_net"),
            "experts": [s.to_dict() for s in self.specs],
            "hparams": {"margin": o.margin, "loss_normalisation": o.loss_normalisation,
                        "lr": o.lr, "text_lr": o.text_lr or o.lr, "lr_decay": o.lr_decay,
                        "pretrain_masking": o.pretrain_masking, "speech_expert": self.speech,
                        "init": o.init or "", "missing_experts": "zero [AGG], masked tokens, "
                        "mixture weights renormalised over present experts"},
            "data": dict(self.provenance),
        }

    # -- after training -----------------------------------------------------------------------
    @classmethod
    def load_predictor(cls, checkpoint: dict[str, Any], device: str = "cpu"):
        from avtool.tasks.retrieval.predictor import RetrievalPredictor

        return RetrievalPredictor.from_checkpoint(checkpoint, device)

    @classmethod
    def evaluate_files(cls, predictions: Path, truth: Any = None) -> dict[str, float]:
        """t2v R@1/5/10, MdR, MnR of a written rankings folder (`RetrievalPredictor.write`)."""
        from avtool.tasks.retrieval.evaluate import evaluate_retrieval_files

        folder = Path(predictions)
        gt = Path(truth) if truth else folder / "gt.tsv"
        summary = evaluate_retrieval_files([str(folder / "sims.npy")], folder / "queries.txt",
                                           folder / "videos.txt", gt)
        return {k: float(v) for k, v in summary.mean["t2v"].items() if k in METRICS}

    @classmethod
    def debug_example(cls, workdir: Path) -> DebugExample:
        """24 feature-level synthetic videos; a tiny MMT and a tiny caption encoder."""
        from avtool.tasks.retrieval.predictor import RetrievalInputs
        from avtool.tasks.retrieval.synth_features import write_feature_corpus

        corpus = write_feature_corpus(workdir, videos=24, seed=0)
        options = RetrievalOptions(captions=str(corpus.captions), d_model=16, layers=1,
                                   heads=2, ff=32, text_model="tiny", tiny_hidden=16, lr=1e-3)
        inputs = RetrievalInputs(corpus.store, corpus.test_queries, corpus.test_videos)
        return DebugExample(options, corpus.store, inputs, None, METRICS,
                            train={"epochs": 1, "batch_size": 8})


def _arange(s):
    import torch

    return torch.arange(len(s), device=s.device)


def _load_init(net, path: str) -> None:
    """Weights of the same name and shape from another retrieval run (fine-tuning)."""
    from avtool.tasks import load_task_checkpoint

    checkpoint = load_task_checkpoint(path, TASK, "a retrieval model")
    own = net.state_dict()
    taken = {k: v for k, v in checkpoint["model_state"].items()
             if k in own and own[k].shape == v.shape}
    if not any(k.startswith("video.") for k in taken):
        raise ModelError(f"--init {path}: no video-encoder weight fits this network (same "
                         "--model, sizes and experts needed)")
    net.load_state_dict(taken, strict=False)
    log.info("--init %s: %d of %d tensors taken", path, len(taken), len(own))

