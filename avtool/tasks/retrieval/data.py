"""Training and validation data of the retrieval task: videos, their captions, batches.

Captions come from an MSR-VTT ``MSRVTT_data.json`` (`avtool.formats.msrvtt`); splits from a
``video_id`` CSV or the JSON's ``split`` field. Training batches take **one random caption
per video** per step (MMT's ``shufk1``); validation scores every caption of every validation
video (t2v: each caption ranks the videos; v2t: a video's rank is its best caption's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avtool.errors import ConfigError
from avtool.tasks.retrieval.experts import ExpertSpec, VideoExperts, collate_experts

VAL_SPLITS = ("validate", "val")


@dataclass
class CaptionedVideos:
    ids: list[str]
    captions: list[list[str]]  # per video


def split_ids(data, split_csv: str | None, names: Sequence[str]) -> list[str]:
    """The videos of a split: those of the list (an MSR-VTT CSV or CE's one-id-per-line
    ``.txt``), else the JSON's whose split is in `names`."""
    if split_csv:
        from avtool.formats.ce_features import read_split_list

        return read_split_list(split_csv)
    return [v.video_id for v in data.videos if v.split in names]


def captioned(data, ids: Sequence[str], where: str) -> CaptionedVideos:
    by_video = data.captions_of()
    unknown = [i for i in ids if i not in by_video]
    if unknown:
        raise ConfigError(f"{where}: {len(unknown)} split video(s) are not in the captions file "
                          f"(first: {unknown[0]!r})")
    kept = [i for i in ids if by_video[i]]
    return CaptionedVideos(kept, [[s.caption for s in by_video[i]] for i in kept])


class VideoDataset:
    """Item i: (index, video experts)."""

    def __init__(self, videos: Sequence[VideoExperts]) -> None:
        self.videos = list(videos)

    def __len__(self) -> int:
        return len(self.videos)

    def __getitem__(self, i: int):
        return i, self.videos[i]


@dataclass
class Batch:
    experts: dict  # expert -> padded tensors (`collate_experts`)
    captions: list[str]  # one per video ("" when pretraining)


class Collate:
    """Pads experts and draws one caption per video (numpy's global stream: seeded by the
    trainer)."""

    def __init__(self, specs: Sequence[ExpertSpec], captions: list[list[str]] | None,
                 max_tokens: int, max_positions: int) -> None:
        self.specs, self.captions = list(specs), captions
        self.max_tokens, self.max_positions = max_tokens, max_positions

    def __call__(self, items) -> Batch:
        rng = np.random.default_rng(int(np.random.randint(2**31)))
        videos = [v for _, v in items]
        caps = []
        if self.captions is not None:
            for i, _ in items:
                options = self.captions[i]
                caps.append(options[int(rng.integers(len(options)))])
        return Batch(collate_experts(videos, self.specs, self.max_tokens, self.max_positions,
                                     rng), caps)

