"""AVATAR's data: utterances of a feature store, their transcripts and word timings, and the
batches the network reads.

A training store holds per item the audio feature (``fbank``: 80-bin Kaldi fbank at 100 fps)
and, for the A+V model, the video feature (``frames``: uint8 RGB frames), made by ``avtool
extract-features``. Conventions:

* **Split**: an item's ``split`` label; a store whose items record no split is all one split.
* **Transcript**: the item's ``text`` label (a ``text`` column of the extract-features
  manifest), or the line of a Kaldi ``text`` file (``--transcripts``); normalised
  (``--text-normalize``), then WordPiece ids between [CLS] and [SEP].
* **Word timings** (``--word-timings``): TSV with a header naming at least the columns
  ``id``, ``word``, ``start``, ``end`` (seconds from the item's start, as extracted; other
  columns ignored), one row per word.
* **Audio**: the whole item, normalised with the training set's per-bin mean and standard
  deviation (stored in the checkpoint); items longer than the model's window are skipped when
  training.
* **Frames**: `FRAMES` frames ``frame_gap`` seconds apart (0.4 s: 2.5 fps), at a random
  position when training and around the middle otherwise; a clip with too few frames repeats
  its last one.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import ConfigError, FormatError, StoreError
from avtool.store import FeatureInfo
from avtool.tasks.transcribe.masking import WordSpan

log = logging.getLogger(__name__)

TIMING_COLUMNS = ("id", "word", "start", "end")
STATS_ITEMS = 500  # items the normalisation statistics are computed from (at most)


@dataclass
class Utterance:
    id: str
    text: str  # normalised transcript
    tokens: list[int]  # [CLS] pieces [SEP]
    words: list[WordSpan] = field(default_factory=list)  # timings, [] when none


def feature_dict(info: FeatureInfo) -> dict[str, Any]:
    """A store feature's provenance as plain data (kept in checkpoints)."""
    return {"name": info.name, "extractor": info.extractor, "config": dict(info.config),
            "frame_rate": float(info.frame_rate),
            "frame_shape": [int(x) for x in info.frame_shape], "dtype": info.dtype,
            "model_checksum": info.model_checksum}


def feature_from_dict(data: dict[str, Any]) -> FeatureInfo:
    return FeatureInfo(data["name"], data["extractor"], dict(data["config"]),
                       float(data["frame_rate"]), tuple(data["frame_shape"]), data["dtype"],
                       model_checksum=data.get("model_checksum", ""))


def read_word_timings(path: str | Path) -> dict[str, list[WordSpan]]:
    """``--word-timings`` TSV -> {item id: words sorted by start} (module docstring)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t"))
    except (OSError, UnicodeDecodeError) as err:
        raise FormatError(f"{path}: cannot read word timings ({err})") from None
    if not rows:
        raise FormatError(f"{path}: empty word-timings file")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in TIMING_COLUMNS if c not in header]
    if missing:
        raise FormatError(f"{path}:1: the header lacks column(s) {', '.join(missing)} (needs "
                          f"{', '.join(TIMING_COLUMNS)}, tab-separated)")
    col = {c: header.index(c) for c in TIMING_COLUMNS}
    out: dict[str, list[WordSpan]] = {}
    for lineno, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            item, word = row[col["id"]].strip(), row[col["word"]].strip()
            start, end = float(row[col["start"]]), float(row[col["end"]])
        except (IndexError, ValueError):
            raise FormatError(f"{path}:{lineno}: expected id, word, start and end in the "
                              "header's columns") from None
        if not (0 <= start <= end):
            raise FormatError(f"{path}:{lineno}: word {word!r} has start {start} and end {end}")
        out.setdefault(item, []).append(WordSpan(word, start, end))
    for words in out.values():
        words.sort(key=lambda w: w.start)
    return out


def split_items(store, split: str) -> list:
    """The store's items of `split` (all items when none records a split, or split is "")."""
    items = store.items()
    if split and any(str(it.meta.get("split", "")) for it in items):
        items = [it for it in items if str(it.meta.get("split", "")) == split]
    return items


def check_features(store, audio: str, video: str | None) -> dict[str, FeatureInfo]:
    """The audio (and video) feature infos; `StoreError` when absent or misshapen."""
    have = store.features
    out = {}
    for role, name in (("audio", audio), ("video", video)):
        if name is None:
            continue
        if name not in have:
            hint = ("--feature fbank" if role == "audio" else "--feature frames:fps=5")
            raise StoreError(f"{store.path}: no {name!r} feature for the {role} (has: "
                             f"{', '.join(have) or 'none'}); extract it with avtool "
                             f"extract-features ... {hint}")
        info = have[name]
        if role == "audio" and len(info.frame_shape) != 1:
            raise StoreError(f"{store.path}: {name!r} has frames of shape {info.frame_shape}; "
                             "expected one filterbank vector per frame")
        if role == "video" and (len(info.frame_shape) != 3 or info.frame_shape[2] != 3):
            raise StoreError(f"{store.path}: {name!r} has frames of shape {info.frame_shape}; "
                             "expected RGB images (height, width, 3)")
        out[role] = info
    return out


def load_utterances(store, split: str, audio: str, video: str | None, tokenizer,
                    normalize: str, max_tokens: int, transcripts: str | Path | None = None,
                    timings: dict[str, list[WordSpan]] | None = None,
                    max_frames: int | None = None) -> list[Utterance]:
    """The utterances of `split` that have their features and a transcript, tokenised.

    Items lacking a feature or a transcript are an error; items longer than `max_frames` are
    skipped and transcripts longer than `max_tokens` cut, both with a warning.
    """
    from avtool.formats.kaldi_text import read_kaldi_text
    from avtool.metrics.normalize import get_normalizer

    norm = get_normalizer(normalize)
    items = split_items(store, split)
    texts = read_kaldi_text(transcripts) if transcripts is not None else None
    out, too_long, cut = [], 0, 0
    for item in items:
        for name in filter(None, (audio, video)):
            if not store.has(item.id, name):
                raise StoreError(f"{store.path}: item {item.id!r} lacks feature {name!r}")
        if texts is not None:
            if item.id not in texts:
                raise FormatError(f"{transcripts}: no transcript for item {item.id!r} of "
                                  f"{store.path}")
            text = texts[item.id]
        elif "text" in item.meta:
            text = str(item.meta["text"])
        else:
            raise StoreError(f"{store.path}: item {item.id!r} has no 'text' label; give a "
                             "manifest with a text column to extract-features, or --transcripts")
        if max_frames is not None and store.num_frames(item.id, audio) > max_frames:
            too_long += 1
            continue
        text = norm(text)
        pieces = tokenizer.encode(text)
        if len(pieces) > max_tokens - 2:
            cut += 1
            pieces = pieces[: max_tokens - 2]
        tokens = [tokenizer.bos_id, *pieces, tokenizer.eos_id]
        out.append(Utterance(item.id, text, tokens, list((timings or {}).get(item.id, []))))
    if too_long:
        log.warning("%s: %d item(s) of split %r are longer than the audio window and are "
                    "left out", store.path, too_long, split)
    if cut:
        log.warning("%s: %d transcript(s) of split %r are longer than %d tokens and are cut",
                    store.path, cut, split, max_tokens)
    return out


def normalization_stats(store, ids: Sequence[str], feature: str,
                        max_items: int = STATS_ITEMS) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin mean and standard deviation of `feature` over (at most `max_items` of) `ids`,
    evenly spaced so the result does not depend on a seed."""
    if not ids:
        raise ConfigError(f"{store.path}: no training item to compute statistics from")
    pick = [ids[i] for i in np.linspace(0, len(ids) - 1, min(len(ids), max_items)).astype(int)]
    total = sq = None
    count = 0
    for item in dict.fromkeys(pick):
        x = np.asarray(store.read(item, feature), dtype=np.float64)
        total = x.sum(0) if total is None else total + x.sum(0)
        sq = (x ** 2).sum(0) if sq is None else sq + (x ** 2).sum(0)
        count += len(x)
    mean = total / max(count, 1)
    std = np.sqrt(np.maximum(sq / max(count, 1) - mean ** 2, 1e-8))
    return mean.astype(np.float32), std.astype(np.float32)


def frame_indices(total: int, fps: float, count: int, gap: float,
                  rng: np.random.Generator | None = None) -> list[int]:
    """`count` frame indices `gap` seconds apart: random position with `rng`, else centred;
    indices past the clip repeat its last frame."""
    step = max(1, int(round(gap * fps)))
    span = step * (count - 1) + 1
    room = max(0, total - span)
    first = int(rng.integers(0, room + 1)) if rng is not None else room // 2
    return [min(total - 1, first + k * step) for k in range(count)]


@dataclass
class FeatureReader:
    """Reads one item's model inputs from a store: normalised audio, sampled frames."""

    store: Any
    audio: str
    video: str | None
    mean: np.ndarray
    std: np.ndarray
    frames: int = 2
    frame_gap: float = 0.4

    def read_audio(self, item_id: str) -> np.ndarray:
        x = np.asarray(self.store.read(item_id, self.audio), dtype=np.float32)
        return (x - self.mean) / self.std

    def read_frames(self, item_id: str, rng: np.random.Generator | None = None) -> np.ndarray:
        total = self.store.num_frames(item_id, self.video)
        fps = self.store.feature_info(self.video).frame_rate
        index = frame_indices(total, fps, self.frames, self.frame_gap, rng)
        block = self.store.read(item_id, self.video, index[0], index[-1] + 1)
        return np.ascontiguousarray(block[[i - index[0] for i in index]], dtype=np.uint8)


def collate(samples: Sequence[tuple[np.ndarray, np.ndarray | None, Sequence[int]]],
            pad_id: int = 0):
    """(audio, frames, tokens) samples -> tensors: audio (B, T, F) zero-padded, lengths (B,),
    frames (B, K, H, W, 3) uint8 or None, tokens (B, L) padded with `pad_id`."""
    import torch

    lengths = torch.tensor([len(a) for a, _, _ in samples], dtype=torch.long)
    audio = torch.zeros(len(samples), int(lengths.max()), samples[0][0].shape[1])
    for i, (a, _, _) in enumerate(samples):
        audio[i, : len(a)] = torch.from_numpy(a)
    frames = (None if samples[0][1] is None
              else torch.from_numpy(np.stack([f for _, f, _ in samples])))
    width = max(len(t) for _, _, t in samples)
    tokens = torch.full((len(samples), width), pad_id, dtype=torch.long)
    for i, (_, _, t) in enumerate(samples):
        tokens[i, : len(t)] = torch.as_tensor(list(t), dtype=torch.long)
    return audio, lengths, frames, tokens


class TrainingSet:
    """Map-style dataset of training utterances, word masking applied per epoch.

    Randomness (word choice, frame position) comes from ``(seed, epoch, index)``, so a run
    does not depend on the number of DataLoader workers.
    """

    def __init__(self, reader: FeatureReader, utterances: Sequence[Utterance], seed: int,
                 masker=None) -> None:
        self.reader, self.utterances, self.seed = reader, list(utterances), seed
        self.masker = masker  # a masking.WordMasker, or None
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.utterances)

    def __getitem__(self, index: int):
        utt = self.utterances[index]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        audio = self.reader.read_audio(utt.id)
        if self.masker is not None and utt.words:
            audio = self.masker(audio, utt.words, rng)
        frames = self.reader.read_frames(utt.id, rng) if self.reader.video else None
        return audio, frames, utt.tokens


class EpochLoader:
    """A DataLoader over a `TrainingSet` that knows its epoch (for the trainer's set_epoch)."""

    def __init__(self, dataset: TrainingSet, batch_size: int, workers: int, seed: int,
                 rank: int, world: int, pad_id: int) -> None:
        from torch.utils.data import DistributedSampler

        self.dataset, self.batch_size, self.workers, self.pad_id = (dataset, batch_size,
                                                                   workers, pad_id)
        self.sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True,
                                          seed=seed, drop_last=False)

    def set_epoch(self, epoch: int) -> None:
        self.dataset.set_epoch(epoch)
        self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return -(-len(self.sampler) // self.batch_size)

    def __iter__(self) -> Iterator:
        from functools import partial

        from torch.utils.data import DataLoader

        return iter(DataLoader(self.dataset, batch_size=self.batch_size, sampler=self.sampler,
                               num_workers=self.workers,
                               collate_fn=partial(collate, pad_id=self.pad_id)))
