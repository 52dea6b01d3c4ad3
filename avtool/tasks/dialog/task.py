"""Audio-visual scene-aware dialog (DSTC7-AVSD): `avtool train dialog`.

Training (`DialogTask`, run by the shared trainer `avtool.train.fit`):

* data: the turns of ``--dialogs`` (DSTC7-AVSD JSON) with disclosed answers, their videos'
  feature streams from the store (`avtool.tasks.dialog.features`), the QA history and,
  for description-reading networks, the caption or summary (`avtool.tasks.dialog.data`);
* networks: ``multimodal-attention`` (Hori et al. 2019) or ``dstc7-baseline``
  (`avtool.tasks.dialog.nets`); the vocabulary of the training questions and answers (count
  >= 4) travels in the checkpoint;
* losses (`avtool.tasks.dialog.losses`): ``ce``, or the student-teacher ``st``, ``st-mse``
  and ``jst`` with a teacher that reads the description (Eqs. 9-11);
* Adam (lr 1e-3), 20 epochs, batch 64; the learning rate halves after an epoch whose
  validation perplexity did not improve, and the best epoch is ``best.pt`` (the answering
  network's perplexity: the student's, without description, for the student-teacher losses).

The checkpoint spec rebuilds the answering network (`avtool.tasks.dialog.predictor`): its
config, vocabulary, streams and their extractor settings, the description it reads.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from avtool.config import config_from_dict, config_to_dict
from avtool.errors import ConfigError, ModelError, StoreError
from avtool.formats.avsd import AvsdDialog, read_avsd_data
from avtool.tasks.dialog.config import (
    DecodingConfig,
    DialogNetConfig,
    net_config,
    parse_projections,
)
from avtool.tasks.dialog.data import TurnText, training_turns, vocabulary_texts
from avtool.tasks.dialog.options import DialogOptions
from avtool.tasks.dialog.predictor import TASK, AnswerReferences
from avtool.tasks.dialog.vocab import Vocabulary
from avtool.tasks.interface import DebugExample

log = logging.getLogger(__name__)

ST_LOSSES = ("st", "st-mse", "jst")
METRICS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr")


class HalveOnPlateau:
    """Halves every learning rate after a reported value that is not below the best so far
    (the paper's schedule). `step` (called per batch by the trainer) does nothing."""

    def __init__(self, optimizer) -> None:
        self.optimizer, self.best, self.halvings = optimizer, math.inf, 0

    def step(self) -> None:
        pass

    def report(self, value: float) -> None:
        if value < self.best:
            self.best = value
            return
        for group in self.optimizer.param_groups:
            group["lr"] *= 0.5
        self.halvings += 1
        log.info("validation perplexity %.3f did not improve on %.3f: learning rate halved",
                 value, self.best)

    def state_dict(self) -> dict[str, float]:
        return {"best": self.best, "halvings": self.halvings}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.best, self.halvings = float(state["best"]), int(state["halvings"])


def _check_features(features, dialogs: list[AvsdDialog], what: str) -> None:
    lacking = [d.image_id for d in dialogs if not features.has(d.image_id)]
    if lacking:
        raise StoreError(f"{features.path}: {len(lacking)} video(s) of the {what} dialogs have "
                         f"no {', '.join(features.streams)} features (first: {lacking[0]!r})")


class DialogTask:
    """The `Task` of `avtool train dialog` (see `avtool.tasks.interface`)."""

    name = TASK
    summary = ("Audio-visual scene-aware dialog (DSTC7-AVSD): the multimodal-attention network "
               "or the DSTC7 baseline, with joint student-teacher learning.")
    example = ("avtool train dialog --store features.h5 --dialogs train_set4DSTC7-AVSD.json "
               "--val-dialogs valid_set4DSTC7-AVSD.json --description summary --out runs/teacher")
    Options = DialogOptions
    selection = ("perplexity", "min")

    def __init__(self, options: DialogOptions, net: DialogNetConfig, vocab: Vocabulary,
                 features, train: list[TurnText], val: list[TurnText],
                 teacher: dict[str, Any] | None, provenance: dict[str, Any]) -> None:
        self.options, self.net, self.vocab, self.features = options, net, vocab, features
        self.train, self.val, self.teacher, self.provenance = train, val, teacher, provenance
        self.loss = options.loss
        # the description the batches carry: the teacher's, or the ce model's own
        self.batch_description = teacher["description"] if teacher else options.description
        self._plateau: HalveOnPlateau | None = None
        self.statistics = None  # per stream (mean, std) of the training features
        if options.standardize:
            from avtool.tasks.dialog.features import feature_statistics

            self.statistics = feature_statistics(features, sorted({t.video_id for t in train}))

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def from_options(cls, options: DialogOptions, store: str | Path) -> DialogTask:
        """Read the dialogs and the store, resolve the streams, vocabulary and teacher."""
        from avtool.tasks.dialog.features import CachedFeatures, open_features, resolve_streams

        if not options.dialogs:
            raise ConfigError("give the training dialogs: --dialogs train_set4DSTC7-AVSD.json")
        train_dialogs = read_avsd_data(options.dialogs)
        val_dialogs = read_avsd_data(options.val_dialogs) if options.val_dialogs else []
        source = open_features(store)
        teacher = _teacher(options)
        if teacher is not None:
            net = replace(config_from_dict(DialogNetConfig, teacher["net"], "dialog_net"),
                          dropout=options.dropout)
            vocab = Vocabulary(teacher["vocab"])
            streams = list(net.streams)
            missing = [s for s in streams if s not in source.available]
            if missing:
                raise ConfigError(f"{store}: lacks the teacher's streams {', '.join(missing)}")
        else:
            vocab = Vocabulary.build(vocabulary_texts(train_dialogs), options.min_count)
            streams = resolve_streams(source.available, options.features, options.model,
                                      str(store))
            net = net_config(options.model, len(vocab),
                             {s: source.available[s] for s in streams},
                             parse_projections(options.projections),
                             embedding=options.embedding, hidden=options.hidden,
                             attention=options.attention, fusion=options.fusion,
                             decoder=options.decoder, decoder_layers=options.decoder_layers,
                             dropout=options.dropout, decoder_init=options.decoder_init)
        source.use(streams)
        _check_features(source, train_dialogs, "training")
        _check_features(source, val_dialogs, "validation")
        description = teacher["description"] if teacher else options.description
        train = training_turns(train_dialogs, vocab, description, options.max_history)
        # validation scores the answering network: a student never reads the description
        val = training_turns(val_dialogs, vocab,
                             "none" if options.loss in ST_LOSSES else description,
                             options.max_history)
        if not train:
            raise ConfigError(f"{options.dialogs}: no turn with a disclosed answer to train on")
        provenance = {"store": str(store), "dialogs": options.dialogs,
                      "val_dialogs": options.val_dialogs or "", "train_turns": len(train),
                      "val_turns": len(val), "train_videos": len(train_dialogs)}
        log.info("dialog: %d training turns, %d validation turns, %d words, streams %s",
                 len(train), len(val), len(vocab), ", ".join(streams))
        return cls(options, net, vocab, CachedFeatures(source), train, val, teacher,
                   provenance)

    def trainer_defaults(self) -> dict[str, int]:
        return {"epochs": 20, "batch_size": 64}  # digest avsd-004 §2.4: up to 20, batch 64

    def check_resume(self, checkpoint: dict[str, Any]) -> None:
        spec = checkpoint.get("spec", {})
        if spec.get("net") != config_to_dict(self.net, "dialog_net") or \
                spec.get("loss") != self.loss:
            raise ModelError("--resume with another network or loss than the checkpoint's "
                             "(same --model, sizes, --features, --loss needed)")

    # -- training ---------------------------------------------------------------------------
    def build_model(self):
        from avtool.tasks.dialog.build import build_net

        def fresh():
            net = build_net(self.net)
            if self.statistics is not None:
                net.set_feature_statistics(self.statistics)
            return net

        if self.teacher is None and self.loss == "ce":
            return fresh()
        from avtool.tasks.dialog.losses import StudentTeacher

        teacher = fresh()
        if self.teacher is not None:
            teacher.load_state_dict(self.teacher["state"])
        return StudentTeacher(fresh(), teacher, joint=self.loss == "jst")

    def _reads_description(self) -> bool:
        return self.batch_description != "none"

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int, world: int):
        from functools import partial

        from torch.utils.data import DataLoader, DistributedSampler

        from avtool.tasks.dialog.batch import collate
        from avtool.tasks.dialog.data import TurnDataset

        data = TurnDataset(self.train, self.features)
        sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True,
                                     seed=seed)
        return DataLoader(data, batch_size=batch_size, sampler=sampler, num_workers=workers,
                          collate_fn=partial(collate, with_description=self._reads_description()))

    def training_step(self, model, batch, device: str):
        from avtool.tasks.dialog.losses import (
            combine,
            cross_entropy,
            student_teacher_terms,
            token_accuracy,
        )

        batch = batch.to(device)
        if self.loss == "ce":
            logits, _ = model(batch.reading_description() if self._reads_description()
                              else batch)
            return cross_entropy(logits, batch.target), {
                "acc": token_accuracy(logits, batch.target)}
        terms = student_teacher_terms(model, batch)
        stats = {k: float(v.detach()) for k, v in terms.items()}
        return combine(terms, self.loss, self.options.lambda_c), stats

    def configure_optimizers(self, model, steps_per_epoch: int, epochs: int):
        import torch

        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(params, lr=self.options.lr)
        use = self.options.halve_lr and bool(self.val)
        self._plateau = HalveOnPlateau(optimizer) if use else None
        return optimizer, self._plateau

    def answering_net(self, model):
        """The network that answers: the student of a student-teacher pair."""
        return getattr(model, "student", model)

    def validate(self, model, device: str) -> dict[str, float]:
        if not self.val:
            return {}
        from avtool.tasks.dialog.perplexity import perplexity

        reads = self.teacher is None and self.loss == "ce" and self._reads_description()
        ppl, acc = perplexity(self.answering_net(model), self.val, self.features, device,
                              reads_description=reads)
        if self._plateau is not None:
            self._plateau.report(ppl)
        return {"perplexity": ppl, "token_acc": acc}

    def checkpoint_spec(self) -> dict[str, Any]:
        reads = "none" if self.loss in ST_LOSSES else self.options.description
        spec = {
            "net": config_to_dict(self.net, "dialog_net"),
            "vocab": list(self.vocab.words),
            "features": self.features.source.infos(),
            "description": reads,
            "max_history": self.options.max_history,
            "standardized": self.options.standardize,
            "loss": self.loss,
            "lambda_c": self.options.lambda_c if self.loss in ("st-mse", "jst") else None,
            "decoding": config_to_dict(DecodingConfig(), "decoding"),
            "hparams": {"lr": self.options.lr, "halve_lr": self.options.halve_lr,
                        "loss_normalisation": "mean over answer tokens",
                        "min_count": self.options.min_count},
            "data": dict(self.provenance),
        }
        if self.loss in ST_LOSSES:
            spec["teacher"] = {"description": self.batch_description,
                               "from": self.options.teacher or "",
                               "joint": self.loss == "jst"}
        return spec

    # -- after training -----------------------------------------------------------------------
    @classmethod
    def load_predictor(cls, checkpoint: dict[str, Any], device: str = "cpu"):
        from avtool.tasks.dialog.predictor import DialogAnswerer

        return DialogAnswerer.from_checkpoint(checkpoint, device)

    @classmethod
    def evaluate_files(cls, predictions: Path, truth: AnswerReferences | Path
                       ) -> dict[str, float]:
        """BLEU-1..4, ROUGE-L, CIDEr (and METEOR when asked and java is present) of a written
        result file against references (a dialogs file or a COCO multiref file)."""
        from avtool.tasks.dialog.evaluate import evaluate_caption_files

        refs = truth if isinstance(truth, AnswerReferences) else AnswerReferences(Path(truth))
        evaluation = evaluate_caption_files(predictions, refs.path, last_only=refs.last_only,
                                            meteor=refs.meteor, stopwords=refs.stopwords)
        out = evaluation.to_dict()
        return {k: float(out[k]) for k in (*METRICS, "METEOR") if out.get(k) is not None}

    @classmethod
    def debug_example(cls, workdir: Path) -> DebugExample:
        """16 feature-level synthetic videos; a tiny multimodal-attention network."""
        from avtool.tasks.dialog.predictor import DialogInputs
        from avtool.tasks.dialog.synth_features import write_feature_corpus

        store = write_feature_corpus(workdir, videos=16, seed=0)
        options = DialogOptions(dialogs=str(workdir / "train_set4DSTC7-AVSD.json"),
                                val_dialogs=str(workdir / "valid_set4DSTC7-AVSD.json"),
                                embedding=8, hidden=8, projections="8,8,8", attention=8,
                                fusion=8, decoder=16, min_count=1)
        inputs = DialogInputs(workdir / "test_set.json", store)
        truth = AnswerReferences(workdir / "test_set.json", meteor=False)
        return DebugExample(options, store, inputs, truth, METRICS,
                            train={"epochs": 1, "batch_size": 16})


def _teacher(options: DialogOptions) -> dict[str, Any] | None:
    """The --teacher's network config, vocabulary, description and weights, checked."""
    if options.loss == "ce":
        if options.teacher:
            raise ConfigError("--teacher is for --loss st, st-mse or jst")
        return None
    if not options.teacher:
        if options.loss != "jst":
            raise ConfigError(f"--loss {options.loss} learns from a fixed teacher: give "
                              "--teacher RUN_DIR (a ce run with --description)")
        if options.description == "none":
            raise ConfigError("--loss jst without --teacher trains a teacher from scratch: "
                              "give the --description it reads (caption or summary)")
        return None
    from avtool.tasks import load_task_checkpoint

    checkpoint = load_task_checkpoint(options.teacher, TASK, "a dialog model")
    spec = checkpoint["spec"]
    if spec.get("loss") != "ce" or spec.get("description", "none") == "none":
        raise ConfigError(f"--teacher {options.teacher}: a teacher is a --loss ce run that read "
                          f"a --description (this one: loss {spec.get('loss')}, description "
                          f"{spec.get('description')})")
    if options.description not in ("none", spec["description"]):
        raise ConfigError(f"--description {options.description}: the teacher read "
                          f"{spec['description']}")
    return {"net": spec["net"], "vocab": spec["vocab"], "description": spec["description"],
            "state": checkpoint["model_state"]}
