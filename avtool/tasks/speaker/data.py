"""Data for ``avtool train speaker``: speaker labels, P×K batches of random crops, trials.

Conventions (documented in the README section "Training speaker models"):

* **Speaker label of an item**: its ``speaker`` label (``meta["speaker"]``, which a manifest
  column named ``speaker`` gives), or else the first path component of a VoxCeleb-style item id
  ``idNNNNN/<video>/<utt>`` (what ``avtool extract-features wav/`` gives on a VoxCeleb tree).
  An id without ``/`` and no ``speaker`` label is an error.
* **Crops**: a random window of ``crop_frames`` frames of the stored spectrogram per sample;
  an item shorter than that is loop-padded (repeated) to the crop length.
* **Batches**: P speakers × K utterances (``batch_size = P·K``). Each epoch visits every item
  once (items are grouped by speaker in groups of K, the last group of a speaker topped up with
  its other items), so an epoch has ``len(items) // batch_size`` batches. Sampling is
  deterministic from the seed and the epoch, and the crop offsets are drawn by the sampler, so
  results do not depend on the number of DataLoader workers. Under DDP each rank takes every
  ``world``-th batch.
* **Trial paths -> store ids**: the path without its extension
  (``id10270/x6uYqmx31kE/00001.wav`` -> ``id10270/x6uYqmx31kE/00001``), which is the id
  ``avtool extract-features`` gives when run on the folder holding the speaker folders.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from avtool.errors import ConfigError, FormatError, StoreError
from avtool.store import FeatureStore, ItemInfo

FEATURE = "spectrogram"
_OPEN_BATCHES = 8


def speaker_of(item: ItemInfo, store_path: str = "") -> str:
    """The speaker label of a store item (see the module docstring)."""
    return speaker_label(item.id, item.meta, store_path)


def speaker_label(item_id: str, meta: dict | None, source: str = "") -> str:
    """The ``speaker`` entry of ``meta``, else the first component of a VoxCeleb-style id."""
    label = meta.get("speaker") if meta else None
    if label not in (None, ""):
        return str(label)
    if "/" in item_id:
        return item_id.split("/", 1)[0]
    raise FormatError(f"{source}: item {item_id!r} has no 'speaker' label and its id is not "
                      "VoxCeleb-style 'speaker/video/utterance'; give a manifest with a "
                      "speaker column")


def trial_path_to_id(path: str) -> str:
    """A trial-list path -> the store item id: the path without its extension."""
    p = PurePosixPath(path)
    return str(p.with_suffix("")) if p.suffix else str(p)


@dataclass
class TrainingItems:
    """Items of a training store with their speaker indices."""

    store: FeatureStore
    ids: list[str]
    labels: np.ndarray      # (N,) int64 index into speakers
    lengths: np.ndarray     # (N,) frames
    speakers: list[str]

    @classmethod
    def from_store(cls, store: FeatureStore, feature: str = FEATURE) -> TrainingItems:
        if feature not in store.features:
            raise StoreError(f"{store.path}: no {feature!r} feature (have: "
                             f"{', '.join(store.features) or 'none'}); run avtool "
                             f"extract-features ... --feature {feature}")
        items = [it for it in store.items() if store.has(it.id, feature)]
        if not items:
            raise StoreError(f"{store.path}: no item has the {feature!r} feature")
        names = [speaker_of(it, str(store.path)) for it in items]
        speakers = sorted(set(names))
        if len(speakers) < 2:
            raise StoreError(f"{store.path}: training needs at least 2 speakers, found "
                             f"{len(speakers)}")
        index = {s: i for i, s in enumerate(speakers)}
        return cls(store, [it.id for it in items],
                   np.array([index[n] for n in names], dtype=np.int64),
                   np.array([store.num_frames(it.id, feature) for it in items], dtype=np.int64),
                   speakers)


def read_crop(store: FeatureStore, item_id: str, offset: int, crop: int, length: int,
              feature: str = FEATURE) -> np.ndarray:
    """``crop`` frames from ``offset``; loop-padded when the item is shorter than ``crop``."""
    if length >= crop:
        return store.read(item_id, feature, offset, offset + crop)
    data = store.read(item_id, feature)
    reps = -(-crop // max(1, len(data)))
    return np.concatenate([data] * reps)[:crop]


class PKBatchSampler:
    """Batches of P speakers × K utterances as lists of ``(item index, crop offset)``."""

    def __init__(self, labels: np.ndarray, lengths: np.ndarray, batch_size: int, k: int,
                 crop: int, seed: int = 0, rank: int = 0, world: int = 1) -> None:
        if k < 1 or batch_size % k:
            raise ConfigError(f"--batch-size {batch_size} must be a multiple of "
                              f"--utts-per-speaker {k}")
        self.p = batch_size // k
        n_speakers = int(labels.max()) + 1 if len(labels) else 0
        if self.p > n_speakers:
            raise ConfigError(f"a batch of {batch_size} with {k} utterances per speaker needs "
                              f"{self.p} speakers; the store has {n_speakers} (lower "
                              "--batch-size or raise --utts-per-speaker)")
        self.labels, self.lengths = labels, lengths
        self.batch_size, self.k, self.crop = batch_size, k, crop
        self.seed, self.rank, self.world = seed, rank, world
        self.epoch = 0
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        self._by_speaker = np.split(order, bounds)
        self._cache: tuple[int, list[list[int]]] | None = None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _all_batches(self) -> list[list[int]]:
        if self._cache is not None and self._cache[0] == self.epoch:
            return self._cache[1]
        rng = np.random.default_rng([self.seed, self.epoch])
        queue: list[tuple[int, list[int]]] = []
        for spk, members in enumerate(self._by_speaker):
            items = rng.permutation(members).tolist()
            for start in range(0, len(items), self.k):
                group = items[start: start + self.k]
                while len(group) < self.k:  # top up from the speaker's other items
                    group.append(items[int(rng.integers(len(items)))])
                queue.append((spk, group))
        queue = [queue[i] for i in rng.permutation(len(queue))]
        # Greedy packing into a few open batches: O(groups), each batch P distinct speakers.
        batches: list[list[int]] = []
        n_full = len(self.labels) // self.batch_size
        for _ in range(2):  # a second pass places groups deferred by the first
            open_batches: list[tuple[set[int], list[tuple[int, list[int]]]]] = []
            deferred = []
            for spk, group in queue:
                for used, members in open_batches:
                    if spk not in used:
                        used.add(spk)
                        members.append((spk, group))
                        break
                else:
                    if len(open_batches) >= _OPEN_BATCHES:
                        deferred.append((spk, group))
                        continue
                    open_batches.append(({spk}, [(spk, group)]))
                if any(len(members) == self.p for _, members in open_batches):
                    batches += [[i for _, g in members for i in g]
                                for _, members in open_batches if len(members) == self.p]
                    open_batches = [b for b in open_batches if len(b[1]) < self.p]
            queue = deferred + [m for _, members in open_batches for m in members]
        self._cache = (self.epoch, batches[:n_full])
        return self._cache[1]

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        rng = np.random.default_rng([self.seed, self.epoch, 1])
        for number, batch in enumerate(self._all_batches()):
            room = np.maximum(1, self.lengths[batch] - self.crop + 1)
            offsets = rng.integers(0, room).tolist()
            if number % self.world == self.rank:
                yield list(zip(batch, offsets, strict=True))

    def __len__(self) -> int:
        n = len(self._all_batches())
        return n // self.world + (1 if self.rank < n % self.world else 0)


class CropDataset:
    """Map-style dataset: ``(index, offset) -> (crop (crop, F) float32, speaker index)``."""

    def __init__(self, items: TrainingItems, crop: int, feature: str = FEATURE) -> None:
        self.store, self.ids = items.store, items.ids
        self.labels, self.lengths = items.labels, items.lengths
        self.crop, self.feature = crop, feature

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, key: tuple[int, int]):
        import torch

        index, offset = key
        data = read_crop(self.store, self.ids[index], offset, self.crop,
                         int(self.lengths[index]), self.feature)
        return torch.from_numpy(np.ascontiguousarray(data, dtype=np.float32)), int(
            self.labels[index])


def val_ids(store: FeatureStore, path1: Sequence[str], path2: Sequence[str],
            trials_path: str, feature: str = FEATURE) -> dict[str, str]:
    """Trial path -> store id for every path of a trial list; a missing id is an error."""
    mapping: dict[str, str] = {}
    for path in sorted(set(path1).union(path2)):
        item_id = trial_path_to_id(path)
        if not store.has(item_id, feature):
            raise StoreError(f"{store.path}: no {feature!r} for {item_id!r}, which "
                             f"{trials_path} uses as {path!r} (trial paths map to store ids "
                             "by dropping the extension)")
        mapping[path] = item_id
    return mapping
