"""Speaker checkpoints of ``avtool train speaker`` at test time.

* :func:`load_checkpoint_embedder`: a checkpoint (``best.pt``, ``last.pt`` or a run directory)
  as an :class:`~avtool.tasks.speaker.embedders.Embedder` for ``avtool verify-speaker``: the
  spectrogram with the parameters stored in the checkpoint, the network rebuilt from its config,
  the calibrated threshold from its validation.
* :func:`embed_spectrograms`: whole-utterance embeddings (the thesis's test-time baseline:
  pooling over the full length, so any length works).
* :func:`score_embedding_pairs`: cosine, or for relation models the mean of the cosine and the
  relation module's same-speaker probability.
* :func:`load_net_weights`: ``--init`` from another speaker checkpoint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_from_dict
from avtool.errors import ConfigError, MediaError, ModelError
from avtool.tasks.speaker.speech_input import check_speech_input
from avtool.tasks.speaker.zoo import SpeakerModelConfig

log = logging.getLogger(__name__)

MODEL_TAG = "speaker-model"


def embed_spectrograms(net, spectrograms, device) -> np.ndarray:
    """Whole-utterance embeddings ``(n, dim)`` (unit norm) of ``(T, F)`` spectrograms.

    Aggregation pools over the whole utterance (variable-length pooling, the thesis's test-time
    baseline); an utterance shorter than the trunk's minimum is loop-padded to it. Relation
    models append their unit-norm relation embedding (used by :func:`score_embedding_pairs`).
    """
    import torch
    import torch.nn.functional as F

    was_training = net.training
    net.eval()
    out = []
    with torch.inference_mode():
        for spec in spectrograms:
            spec = np.asarray(spec, dtype=np.float32)
            if len(spec) < net.min_frames:
                spec = np.concatenate([spec] * -(-net.min_frames // max(1, len(spec))))
            x = torch.from_numpy(np.ascontiguousarray(spec)).unsqueeze(0).to(device)
            frames = net.trunk(x)
            vec = F.normalize(net.embed_frames(frames), dim=1)
            if net.relation is not None:
                vec = torch.cat([vec, net.relation.embed_frames(frames)], dim=1)
            out.append(vec[0].float().cpu().numpy())
    net.train(was_training)
    return np.stack(out)


def score_embedding_pairs(net, emb: np.ndarray, a: np.ndarray, b: np.ndarray,
                          device) -> np.ndarray:
    """Trial scores from :func:`embed_spectrograms` rows: cosine, or for relation models the
    thesis's mean of the cosine and the relation module's same-speaker probability."""
    from avtool.tasks.speaker.scoring import score_trials

    dim = net.dim
    cos = score_trials(a, b, emb[:, :dim]).astype(np.float64)
    if net.relation is None:
        return cos
    import torch

    with torch.inference_mode():
        rel = torch.from_numpy(emb[:, dim:]).to(device)
        prob = torch.cat([net.relation.same_probability(rel[a[i: i + 4096]], rel[b[i: i + 4096]])
                          for i in range(0, len(a), 4096)]).cpu().numpy()
    return 0.5 * (cos + prob.astype(np.float64))


def load_net_weights(net, source: str | Path, config: SpeakerModelConfig) -> None:
    """Copy the ``net.*`` weights of another speaker checkpoint into ``net`` (``--init``)."""
    from avtool.train import load_checkpoint

    ckpt = load_checkpoint(source)
    if ckpt.get("task") != "speaker":
        raise ModelError(f"{source}: --init needs a speaker checkpoint, got {ckpt.get('task')!r}")
    theirs = {k[4:]: v for k, v in ckpt["model_state"].items() if k.startswith("net.")}
    mine = net.state_dict()
    bad = [k for k, v in theirs.items() if k in mine and tuple(v.shape) != tuple(mine[k].shape)]
    if bad:
        raise ModelError(f"{source}: --init weights do not fit --model {config.model} "
                         f"--pool {config.pool} (e.g. {bad[0]}: {tuple(theirs[bad[0]].shape)} vs "
                         f"{tuple(mine[bad[0]].shape)})")
    shared = {k: v for k, v in theirs.items() if k in mine}
    net.load_state_dict(shared, strict=False)
    log.info("--init: %d of %d tensors from %s", len(shared), len(mine), source)


class SpeakerEmbedder:
    """A trained VGGVox-family checkpoint as an :class:`~avtool.tasks.speaker.embedders.Embedder`.

    ``embed(wav)`` computes the checkpoint's spectrogram (same parameters as training) and
    pools over the whole utterance. ``score(wav_a, wav_b)`` gives the pair score the model was
    validated with (relation models: mean of cosine and relation probability).

    For batch scoring, ``embed_rows(wavs)`` gives the rows of :func:`embed_spectrograms`
    (``dim + relation_dim`` wide; ``relation_dim`` is 0 without a relation module) and
    ``score_rows(rows, a, b)`` scores trials from them with :func:`score_embedding_pairs`.
    """

    sample_rate = 16_000
    min_seconds = 0.5

    def __init__(self, net, extractor, spec: dict[str, Any], checksum: str, device) -> None:
        self.net, self.extractor, self.spec, self.device = net, extractor, spec, device
        model = spec["model"]
        self.name = f"vggvox-{model['model']}-{model['pool']}-{model['loss']}"
        self.dim = int(model["emb_dim"])
        self.threshold = spec.get("threshold")
        self.relation_dim = int(net.relation.emb_dim) if net.relation is not None else 0
        self.checksum = checksum
        self.sample_rate = int(extractor.config.sample_rate)
        self.config = {"model": model, "feature": spec["feature"],
                       "threshold": spec.get("threshold")}

    def _spectrogram(self, wav: np.ndarray) -> np.ndarray:
        wav = np.asarray(wav, dtype=np.float32)
        if wav.ndim != 1:
            raise MediaError(f"expected a mono waveform, got shape {wav.shape}")
        check_speech_input(wav, self.sample_rate, self.min_seconds, self.name)
        return self.extractor.compute(wav)

    def _vectors(self, wavs) -> np.ndarray:
        return embed_spectrograms(self.net, [self._spectrogram(w) for w in wavs], self.device)

    def embed(self, wav: np.ndarray) -> np.ndarray:
        return self._vectors([wav])[0, : self.dim]

    def embed_many(self, wavs) -> np.ndarray:
        return self._vectors(wavs)[:, : self.dim]

    def embed_rows(self, wavs) -> np.ndarray:
        return self._vectors(wavs)

    def score_rows(self, rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return score_embedding_pairs(self.net, rows, np.asarray(a), np.asarray(b), self.device)

    def score(self, wav_a: np.ndarray, wav_b: np.ndarray) -> float:
        return float(self.score_rows(self.embed_rows([wav_a, wav_b]), [0], [1])[0])

    # -- the Predictor interface (avtool.tasks.interface) -----------------------------------
    def predict(self, trials: TrialFiles) -> ScoredTrials:
        """Score every trial of a VoxCeleb-format list, each file read and embedded once.
        (``avtool verify-speaker --trials`` adds a cache, workers, TTA and AS-norm.)"""
        from avtool.formats.voxceleb import read_trials
        from avtool.tasks.speaker.speech_input import read_speech

        listed = read_trials(trials.trials)
        files = sorted(set(listed.path1) | set(listed.path2))
        rows = self.embed_rows([read_speech(Path(trials.audio_root) / f, self.sample_rate)
                                for f in files])
        index = {f: i for i, f in enumerate(files)}
        scores = self.score_rows(rows, [index[f] for f in listed.path1],
                                 [index[f] for f in listed.path2])
        return ScoredTrials(list(listed.path1), list(listed.path2), scores)

    def write(self, scored: ScoredTrials, out: Path) -> Path:
        """A score file (``path1 path2 score`` lines), read by `avtool evaluate speaker`."""
        from avtool.formats.voxceleb import write_scores

        write_scores(out, scored.path1, scored.path2, scored.scores)
        return Path(out)

    @classmethod
    def from_checkpoint(cls, ckpt: dict[str, Any], device: Any = "cpu", source: str = "",
                        checksum: str | None = None) -> SpeakerEmbedder:
        """The embedder of a loaded checkpoint (`source` names it in errors; `checksum`
        defaults to a digest of its weights)."""
        import torch

        from avtool.features import extractor_from_info
        from avtool.store import FeatureInfo
        from avtool.tasks.speaker.network import build_speaker_net

        spec = ckpt["spec"]
        try:
            config = config_from_dict(SpeakerModelConfig, spec["model"], MODEL_TAG)
            info = FeatureInfo(**{**spec["feature"], "frame_shape": tuple(spec["feature"]
                                                                           ["frame_shape"])})
        except (KeyError, TypeError, ConfigError) as err:
            raise ModelError(f"{source}: malformed speaker checkpoint spec ({err})") from None
        net = build_speaker_net(config)
        state = {k[4:]: v for k, v in ckpt["model_state"].items() if k.startswith("net.")}
        try:
            net.load_state_dict(state)
        except RuntimeError as err:
            raise ModelError(f"{source}: weights do not fit the model in its spec "
                             f"({str(err).splitlines()[0]})") from None
        dev = torch.device(str(getattr(device, "value", device)))
        net.to(dev).eval()
        if checksum is None:
            from avtool.train.checkpoints import state_sha256

            checksum = state_sha256(state)
        return cls(net, extractor_from_info(info), spec, checksum, dev)


@dataclass(frozen=True)
class TrialFiles:
    """What `SpeakerEmbedder.predict` scores: a trial list and the folder its paths are in."""

    trials: Path
    audio_root: Path


@dataclass(frozen=True)
class ScoredTrials:
    path1: list[str]
    path2: list[str]
    scores: np.ndarray


def load_checkpoint_embedder(path: str | Path, device: Any = "cpu") -> SpeakerEmbedder:
    """Load a checkpoint (``best.pt``, ``last.pt`` or a run directory) of ``avtool train speaker``.

    Raises:
        ModelError: not a readable speaker checkpoint, or its weights do not fit its spec.
    """
    from avtool.train import load_checkpoint

    path = Path(path)
    file = path / "best.pt" if path.is_dir() else path
    ckpt = load_checkpoint(file)
    if ckpt.get("task") != "speaker":
        raise ModelError(f"{file}: a {ckpt.get('task')!r} checkpoint, not a speaker model")
    from avtool.io import file_sha256

    return SpeakerEmbedder.from_checkpoint(ckpt, device, str(file), file_sha256(file))
