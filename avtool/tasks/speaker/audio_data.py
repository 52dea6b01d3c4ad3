"""Training from audio: ``avtool train speaker --store`` given a wav tree or a manifest.

The spectrogram is computed on the fly by the same extractor (:mod:`avtool.features`) that
``avtool extract-features`` and ``verify-speaker`` use, on the whole (augmented) utterance, and
the crop is then taken from it, exactly as a crop of a stored spectrogram would be: a
checkpoint trained either way behaves the same at test time.

* **Which route**: ``--store`` is audio when it is a folder holding no ``*.h5`` store shard
  (a wav tree: item id = the path below the folder without its extension, as
  ``extract-features`` names it) or a ``.csv``/``.tsv``/``.jsonl``/``.json`` manifest
  (``id,path[,start,end][,speaker]``, the ``extract-features --manifest`` format).
* **Speaker label**: the manifest's ``speaker`` column, else the first component of the id
  (VoxCeleb layout), as for stores (:func:`avtool.tasks.speaker.data.speaker_label`).
* **Lengths** (for crop offsets) come from the file headers: frames = samples // hop + 1.
* **Augmentation** (:mod:`avtool.augment.speech`): ``noise``/``babble``/``reverb`` on the
  waveform before the spectrogram; ``speed`` makes every training speaker three classes
  (x1, x0.9, x1.1), the factor drawn per speaker and epoch so the K utterances of a speaker in a
  P×K batch share it; ``specaugment`` masks the batch's spectrograms (the task does it, for
  either route). Random draws depend on the seed, the epoch and the item, not on the workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError, StoreError

MANIFEST_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus")
BABBLE_BANK = 200  # utterances kept in memory to draw babble from


def is_audio_source(path: str | Path) -> bool:
    """True when ``--store`` names a wav tree or a manifest rather than a feature store."""
    p = Path(path)
    if p.is_dir():
        return not any(p.glob("*.h5"))
    return p.suffix.lower() in MANIFEST_SUFFIXES


@dataclass
class AudioItems:
    """Audio items with speaker indices (the `TrainingItems` of the audio route)."""

    source: str
    ids: list[str]
    paths: list[str]
    spans: list[tuple[float | None, float | None]]
    labels: np.ndarray      # (N,) speaker index (before speed classes)
    lengths: np.ndarray     # (N,) spectrogram frames
    speakers: list[str]

    @classmethod
    def from_source(cls, source: str | Path, hop_s: float) -> AudioItems:
        import soundfile as sf

        from avtool.features.pipeline import plan_jobs
        from avtool.tasks.speaker.data import speaker_label

        p = Path(source)
        if p.is_dir():
            jobs = plan_jobs([p], extensions=AUDIO_SUFFIXES)
        else:
            jobs = plan_jobs([], manifest=p)
        names = [speaker_label(job.id, job.labels, str(source)) for job in jobs]
        speakers = sorted(set(names))
        if len(speakers) < 2:
            raise StoreError(f"{source}: training needs at least 2 speakers, found "
                             f"{len(speakers)}")
        lengths = []
        for job in jobs:
            try:
                info = sf.info(job.path)
            except Exception as err:
                raise StoreError(f"{job.path}: cannot read audio ({str(err).splitlines()[0]})"
                                 ) from None
            seconds = info.frames / info.samplerate
            if job.end is not None:
                seconds = min(seconds, job.end)
            seconds -= job.start or 0.0
            if seconds <= 0:
                raise StoreError(f"{job.path}: no audio in the span of item {job.id!r}")
            lengths.append(int(seconds / hop_s) + 1)
        index = {s: i for i, s in enumerate(speakers)}
        return cls(str(source), [j.id for j in jobs], [j.path for j in jobs],
                   [(j.start, j.end) for j in jobs],
                   np.array([index[n] for n in names], dtype=np.int64),
                   np.array(lengths, dtype=np.int64), speakers)

    def read(self, index: int, sample_rate: int) -> np.ndarray:
        from avtool.media.audio import read_audio

        start, end = self.spans[index]
        wav, _ = read_audio(self.paths[index], sample_rate=sample_rate, start=start, end=end)
        return np.asarray(wav, dtype=np.float32)


class AudioCropDataset:
    """``(index, offset) -> (crop (crop, F) float32, class)`` computed from the audio."""

    def __init__(self, items: AudioItems, crop: int, extractor, kinds: tuple[str, ...] = (),
                 seed: int = 0) -> None:
        from avtool.augment.speech import SPEED_FACTORS, SpeechAugmentConfig, SpeechAugmenter

        self.items, self.crop, self.extractor = items, crop, extractor
        self.sample_rate = int(extractor.config.sample_rate)
        self.seed, self.epoch = seed, 0
        self.speeds = SPEED_FACTORS if "speed" in kinds else (1.0,)
        bank = []
        if "babble" in kinds:
            rng = np.random.default_rng([seed, 23])
            pick = rng.permutation(len(items.ids))[:BABBLE_BANK]
            bank = [(items.read(int(i), self.sample_rate), int(items.labels[i])) for i in pick]
        self.augmenter = SpeechAugmenter(SpeechAugmentConfig(kinds=kinds), self.sample_rate,
                                         bank, seed)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def speed_class(self, speaker: int) -> int:
        """Index into the speed factors for ``speaker`` this epoch (0 = unchanged)."""
        if len(self.speeds) == 1:
            return 0
        return int(np.random.default_rng([self.seed, self.epoch, 31, speaker]).integers(
            len(self.speeds)))

    def __len__(self) -> int:
        return len(self.items.ids)

    def __getitem__(self, key: tuple[int, int]):
        import torch

        from avtool.augment.speech import change_speed

        index, offset = key
        speaker = int(self.items.labels[index])
        rng = np.random.default_rng([self.seed, self.epoch, 37, index, offset])
        wav = self.items.read(index, self.sample_rate)
        k = self.speed_class(speaker)
        wav = change_speed(wav, self.speeds[k], self.sample_rate)
        if self.augmenter.active:
            wav, _ = self.augmenter(wav, speaker, rng)
        spec = self.extractor.compute(np.ascontiguousarray(wav, dtype=np.float32))
        data = crop_frames(spec, offset, self.crop)
        return (torch.from_numpy(np.ascontiguousarray(data, dtype=np.float32)),
                speaker * len(self.speeds) + k)


def crop_frames(spec: np.ndarray, offset: int, crop: int) -> np.ndarray:
    """``crop`` frames from ``offset`` (moved back when the spectrogram ended up shorter than
    the header promised, e.g. after a speed change); loop-padded when it is shorter than
    ``crop``."""
    if len(spec) >= crop:
        start = min(offset, len(spec) - crop)
        return spec[start:start + crop]
    if len(spec) == 0:
        raise ConfigError("an empty spectrogram cannot be cropped")
    return np.concatenate([spec] * -(-crop // len(spec)))[:crop]


def speed_class_names(speakers: list[str], kinds: tuple[str, ...]) -> list[str]:
    """The classes of the classifier: speakers, or speaker@factor for each speed factor."""
    from avtool.augment.speech import SPEED_FACTORS

    if "speed" not in kinds:
        return list(speakers)
    return [s if f == 1.0 else f"{s}@x{f:g}" for s in speakers for f in SPEED_FACTORS]
