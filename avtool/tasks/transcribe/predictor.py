"""A trained AVATAR model at test time: the `Predictor` of ``avtool train transcribe`` and a
`Transcriber` for ``avtool transcribe --model RUN_DIR``.

From media (`AvatarTranscriber.transcribe_file`): the audio is read as every transcriber reads
it (`audio_input.read_speech_audio`: 16 kHz mono, the evaluation noise of
`avtool.tasks.transcribe.noise.apply_noise` applied to the waveform with a generator seeded
with `seed`), then the features are computed with the checkpoint's own
extractors (`avtool.features.extractor_from_info` on the stored FeatureInfo) and normalised
with the training statistics; the A+V model takes its frames around the middle of the input.
Audio longer than the model's window is cut to it (with a warning).

Decoding is beam search (`beam`, default the checkpoint's: 4) with the GNMT length penalty
(`alpha`, default 0.6); ``beam = 1`` is greedy. AVATAR predicts no word timings: a transcript's
``words`` stay empty even when they are asked for.

From a store (`predict(StoreInputs(store, split))`): the stored features as they are (no
noise). `write` gives a Kaldi ``text`` file (``utt_id transcript``) that ``avtool evaluate
transcription`` scores.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_from_dict
from avtool.errors import AvtoolError, MediaError, ModelError
from avtool.tasks.transcribe.config import AvatarConfig
from avtool.tasks.transcribe.noise import DEFAULT_SNR_DB
from avtool.tasks.transcribe.transcript import Transcript

log = logging.getLogger(__name__)

TASK = "transcribe"
MODEL_TAG = "avatar"


@dataclass(frozen=True)
class StoreInputs:
    """Items of a feature store to transcribe: those of `split` ("" or a store without
    splits: all)."""

    store: Path
    split: str = "test"


@dataclass
class Transcriptions:
    ids: list[str]
    texts: list[str]
    model: str = ""
    failed: list[tuple[str, str]] = field(default_factory=list)  # (input, reason)

    def as_dict(self) -> dict[str, str]:
        return dict(zip(self.ids, self.texts, strict=True))


def model_from_spec(spec: dict[str, Any]):
    """An `Avatar` network built from a checkpoint spec (weights not loaded)."""
    from avtool.tasks.transcribe.avatar import Avatar

    return Avatar(config_from_dict(AvatarConfig, spec["model"], MODEL_TAG))


def decode_batch(model, audio, lengths, frames, bos: int, eos: int, max_tokens: int,
                 beam: int = 1, alpha: float = 0.6) -> list[list[int]]:
    """WordPiece ids (no [CLS]/[SEP]) of a prepared batch: greedy for ``beam == 1``, else beam
    search item by item."""
    import torch

    from avtool.tasks.transcribe.decode import beam_search, greedy_search

    memory, pad = model.encode(audio, lengths, frames)

    def step_over(mem, mask):
        def step(prefix):  # prefixes (N, t) of one item (N beams) or of the whole batch
            n = prefix.shape[0]
            logits = model.decode(prefix, mem.expand(n, -1, -1), mask.expand(n, -1),
                                  last_only=True)
            return torch.log_softmax(logits.float(), dim=-1)
        return step

    if beam == 1:
        return greedy_search(step_over(memory, pad), len(memory), bos, eos, max_tokens,
                             memory.device)
    return [beam_search(step_over(memory[i:i + 1], pad[i:i + 1]), bos, eos, max_tokens, beam,
                        alpha, memory.device) for i in range(len(memory))]


class AvatarTranscriber:
    """An AVATAR checkpoint in inference mode on one device (module docstring)."""

    name = "avatar"

    def __init__(self, model, spec: dict[str, Any], tokenizer, device: str = "cpu",
                 source: str = "") -> None:
        import torch

        from avtool.features import extractor_from_info
        from avtool.tasks.transcribe.data import feature_from_dict

        self.model, self.spec, self.tokenizer, self.source = model, spec, tokenizer, source
        self.device = torch.device(str(getattr(device, "value", device)))
        self.model.to(self.device).eval()
        self.cfg: AvatarConfig = model.cfg
        decode = spec.get("decode", {})
        self.beam = int(decode.get("beam", 4))
        self.alpha = float(decode.get("alpha", 0.6))
        self.max_tokens = int(decode.get("max_tokens", self.cfg.max_target_tokens - 1))
        features = spec["features"]
        self.audio_info = feature_from_dict(features["audio"])
        self.video_info = (feature_from_dict(features["video"]) if features.get("video")
                           else None)
        self.audio_extractor = extractor_from_info(self.audio_info, str(self.device))
        self.video_extractor = (extractor_from_info(self.video_info, str(self.device))
                                if self.video_info else None)
        self.mean = np.asarray(spec["normalization"]["mean"], dtype=np.float32)
        self.std = np.asarray(spec["normalization"]["std"], dtype=np.float32)
        self.sample_rate = int(self.audio_extractor.config.sample_rate)

    @classmethod
    def from_checkpoint(cls, checkpoint: dict[str, Any], device: str = "cpu",
                        source: str = "") -> AvatarTranscriber:
        from avtool.tasks.transcribe.wordpiece import bert_wordpiece

        spec = checkpoint["spec"]
        try:
            model = model_from_spec(spec)
        except (KeyError, TypeError, AvtoolError) as err:
            raise ModelError(f"{source or 'checkpoint'}: malformed AVATAR checkpoint spec "
                             f"({err})") from None
        try:
            model.load_state_dict(checkpoint["model_state"])
        except RuntimeError as err:
            raise ModelError(f"{source or 'checkpoint'}: weights do not fit the network of "
                             f"its spec ({str(err).splitlines()[0]})") from None
        tokenizer = bert_wordpiece()
        want = spec.get("tokenizer", {}).get("sha256")
        if want and want != tokenizer.sha256:
            raise ModelError(f"{source or 'checkpoint'}: trained with another WordPiece "
                             f"vocabulary than {tokenizer.source}")
        return cls(model, spec, tokenizer, device, source)

    # -- inference --------------------------------------------------------------------------
    def _window(self, audio: np.ndarray, what: str) -> np.ndarray:
        limit = self.cfg.max_time_patches * self.cfg.audio_patch[0]
        if len(audio) > limit:
            log.warning("%s: %.1f s of audio, longer than the model's %.1f-s window: cut",
                        what, len(audio) / self.audio_info.frame_rate,
                        limit / self.audio_info.frame_rate)
            audio = audio[:limit]
        return audio

    def transcribe_features(self, audio: Sequence[np.ndarray],
                            frames: Sequence[np.ndarray] | None, beam: int | None = None,
                            alpha: float | None = None) -> list[str]:
        """Texts of normalised audio features (T, F) and uint8 frame stacks (K, H, W, 3)."""
        import torch

        from avtool.tasks.transcribe.augment import prepare_frames
        from avtool.tasks.transcribe.data import collate

        samples = [(a, None if frames is None else f, ())
                   for a, f in zip(audio, frames if frames is not None else [None] * len(audio),
                                   strict=True)]
        a, lengths, f, _ = collate(samples)
        with torch.inference_mode():
            a = a.to(self.device)
            if f is not None:
                f = prepare_frames(f.to(self.device), self.cfg.image_size)
            ids = decode_batch(self.model, a, lengths.to(self.device), f,
                               self.tokenizer.bos_id, self.tokenizer.eos_id, self.max_tokens,
                               self.beam if beam is None else beam,
                               self.alpha if alpha is None else alpha)
        return [self.tokenizer.decode(row) for row in ids]

    def media_inputs(self, path: str | Path, start: float | None = None,
                     end: float | None = None, noise: str = "clean", seed: int = 0,
                     snr_db: float = DEFAULT_SNR_DB
                     ) -> tuple[np.ndarray, np.ndarray | None, float]:
        """(normalised audio features, frames or None, seconds of audio) of one media file,
        the noise applied to the waveform first (`audio_input.read_speech_audio`, the same
        checks and noise as every transcriber)."""
        from avtool.media.audio import resample
        from avtool.tasks.transcribe.audio_input import SAMPLE_RATE, read_speech_audio
        from avtool.tasks.transcribe.data import frame_indices

        try:
            wav = read_speech_audio(path, start=start, end=end, noise=noise, seed=seed,
                                    snr_db=snr_db, model=self.name)
        except MediaError as err:
            if str(err).endswith("no audio stream"):
                raise MediaError(f"{err} (AVATAR transcribes speech from the audio)") from None
            raise
        seconds = len(wav) / SAMPLE_RATE
        if self.sample_rate != SAMPLE_RATE:
            wav = resample(wav, SAMPLE_RATE, self.sample_rate)
        if len(wav) < self.audio_extractor.min_samples:
            raise MediaError(f"{path}: audio too short to transcribe ({len(wav)} samples)")
        audio = (self.audio_extractor.compute(wav) - self.mean) / self.std
        audio = self._window(audio.astype(np.float32), str(path))
        frames = None
        if self.video_extractor is not None:
            from avtool.media.video import read_frames

            cfg = self.video_extractor.config
            try:
                stack = self.video_extractor.compute(
                    read_frames(path, fps=cfg.fps, size=tuple(cfg.size), start=start, end=end))
            except MediaError as err:
                raise MediaError(f"{err} (this audio-visual model needs the video's frames; "
                                 "an audio-only model, --modalities a, does not)") from None
            if len(stack) == 0:
                raise MediaError(f"{path}: no video frames decoded (this audio-visual model "
                                 "needs frames)")
            index = frame_indices(len(stack), float(cfg.fps), self.cfg.frames,
                                  self.cfg.frame_gap)
            frames = np.ascontiguousarray(stack[index], dtype=np.uint8)
        return audio, frames, seconds

    def transcribe_file(self, path: Path, item_id: str, *, start: float | None = None,
                        end: float | None = None, word_timestamps: bool = False,
                        noise: str = "clean", seed: int = 0,
                        snr_db: float = DEFAULT_SNR_DB) -> Transcript:
        """One media file (or its `start`..`end` excerpt) -> its `Transcript` (no word
        timings: AVATAR predicts none, so `word_timestamps` changes nothing)."""
        audio, frames, seconds = self.media_inputs(path, start, end, noise, seed, snr_db)
        text = self.transcribe_features([audio], None if frames is None else [frames])[0]
        return Transcript(item_id, text, seconds, (), self.name)

    # -- the Predictor interface (avtool.tasks.interface) -----------------------------------
    def predict(self, inputs: StoreInputs | Sequence[str | Path], batch_size: int = 16,
                strict: bool = False) -> Transcriptions:
        """Transcribe a store's items (`StoreInputs`) or media files and folders (ids as
        `avtool extract-features` names them); a bad file is reported in ``failed`` (or
        raised with `strict`)."""
        if isinstance(inputs, StoreInputs):
            return self._predict_store(inputs, batch_size)
        from avtool.features.pipeline import plan_jobs

        out = Transcriptions([], [], self.source)
        for job in plan_jobs([str(p) for p in inputs]):
            try:
                text = self.transcribe_file(Path(job.path), job.id, start=job.start,
                                            end=job.end).text
            except AvtoolError as err:
                if strict:
                    raise
                out.failed.append((job.path, str(err)))
                continue
            out.ids.append(job.id)
            out.texts.append(text)
        return out

    def _predict_store(self, inputs: StoreInputs, batch_size: int) -> Transcriptions:
        from avtool.store import open_store
        from avtool.tasks.transcribe.data import FeatureReader, check_features, split_items

        store = open_store(inputs.store)
        video = self.video_info.name if self.video_info else None
        infos = check_features(store, self.audio_info.name, video)
        for role, info in infos.items():
            want = self.audio_info if role == "audio" else self.video_info
            if not info.same_recipe(want):
                log.warning("%s: its %s feature %r was made with other parameters than the "
                            "model's (%s vs %s)", inputs.store, role, info.name, info.config,
                            want.config)
        reader = FeatureReader(store, self.audio_info.name, video, self.mean, self.std,
                               self.cfg.frames, self.cfg.frame_gap)
        ids = [it.id for it in split_items(store, inputs.split)]
        texts: list[str] = []
        for lo in range(0, len(ids), batch_size):
            chunk = ids[lo:lo + batch_size]
            audio = [self._window(reader.read_audio(i), i) for i in chunk]
            frames = [reader.read_frames(i) for i in chunk] if video else None
            texts += self.transcribe_features(audio, frames)
        return Transcriptions(ids, texts, self.source)

    def write(self, predictions: Transcriptions, out: Path) -> Path:
        """A Kaldi ``text`` file: ``utt_id transcript`` per line, in prediction order."""
        from avtool.formats.kaldi_text import write_kaldi_text

        return write_kaldi_text(out, dict(zip(predictions.ids, predictions.texts, strict=True)))


def load_transcriber(path: str | Path, device: str = "cpu") -> AvatarTranscriber:
    """The AVATAR model of a RUN_DIR or .pt of ``avtool train transcribe``, on `device`
    (`ModelError` naming the file for a checkpoint of another task)."""
    from avtool.tasks import load_task_checkpoint

    checkpoint = load_task_checkpoint(path, TASK, "an AVATAR transcription model")
    return AvatarTranscriber.from_checkpoint(checkpoint, device, str(path))
