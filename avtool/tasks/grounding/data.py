"""Grounding data: queries in any supported format, transcripts, and model-ready examples.

Query files (`read_queries`, ``--queries-format``): Charades-STA text, ActivityNet Captions
JSON, or the MALTA layout's JSON (ActivityNet's with caption kinds, `avtool.formats.malta`);
``auto`` takes a ``.json`` as MALTA when it lists kinds, else ActivityNet, anything else as
Charades-STA. Query ids are each format's (`avtool.formats.moments`).

An `Example` is one query on the M-segment grid: caption token ids, the video's pooled
features per modality, the ground-truth weights and the normalised (start, end) target.
Moments are clipped to the video; one that starts at or after the video's end is an error
naming its line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError, FormatError
from avtool.formats.moments import MomentQuery, read_text_lines
from avtool.tasks.grounding.segments import segment_weights
from avtool.tasks.grounding.text import Vocabulary, tokenize

QUERY_FORMATS = ("auto", "charades-sta", "activitynet", "malta")
TRANSCRIPT_WORDS = 12  # words kept per segment


@dataclass(frozen=True)
class QuerySet:
    queries: list[MomentQuery]
    durations: dict[str, float] | None
    kinds: dict[str, str]
    format: str
    path: str


def resolve_query_format(path: str | Path, fmt: str = "auto") -> str:
    if fmt not in QUERY_FORMATS:
        raise ConfigError(f"--queries-format {fmt!r}: choose one of {', '.join(QUERY_FORMATS)}")
    if fmt != "auto":
        return fmt
    if Path(path).suffix.lower() != ".json":
        return "charades-sta"
    from avtool.formats.malta import malta_kinds

    try:
        kinds = malta_kinds(path)
    except (FormatError, json.JSONDecodeError, AttributeError):
        return "activitynet"  # the ActivityNet reader names the problem
    return "malta" if any(kinds.values()) else "activitynet"


def read_queries(path: str | Path, fmt: str = "auto") -> QuerySet:
    from avtool.formats.activitynet_captions import read_activitynet_captions
    from avtool.formats.charades_sta import read_charades_sta
    from avtool.formats.malta import read_malta

    fmt = resolve_query_format(path, fmt)
    if fmt == "charades-sta":
        return QuerySet(read_charades_sta(path), None, {}, fmt, str(path))
    if fmt == "activitynet":
        queries, durations = read_activitynet_captions(path)
        return QuerySet(queries, durations, {}, fmt, str(path))
    queries, durations, kinds = read_malta(path)
    return QuerySet(queries, durations, kinds, fmt, str(path))


def read_transcripts(path: str | Path) -> dict[str, list[tuple[str, float, float]]]:
    """``transcripts.jsonl``: ``{"video_id": ..., "words": [[word, onset, offset], ...]}``
    per line (what `avtool synth captions` writes; an ASR's word times fit the same)."""
    out: dict[str, list[tuple[str, float, float]]] = {}
    for lineno, raw in enumerate(read_text_lines(path), 1):
        if not raw.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(raw)
            words = [(str(w), float(a), float(b)) for w, a, b in row["words"]]
            out[str(row["video_id"])] = words
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise FormatError(f"{where}: expected {{\"video_id\": ..., \"words\": "
                              "[[word, onset, offset], ...]}") from None
    return out


def transcript_ids(words: Sequence[tuple[str, float, float]], vocab: Vocabulary,
                   duration: float, m: int) -> np.ndarray:
    """(M, TRANSCRIPT_WORDS) word ids of the words spoken in each segment (by midpoint)."""
    out = np.zeros((m, TRANSCRIPT_WORDS), np.int64)
    fill = np.zeros(m, np.int64)
    for word, a, b in words:
        j = min(max(int((a + b) / 2 / duration * m), 0), m - 1)
        for token in tokenize(word):
            if fill[j] < TRANSCRIPT_WORDS:
                out[j, fill[j]] = vocab.index.get(token, 1)
                fill[j] += 1
    return out


def check_moment(q: MomentQuery, duration: float) -> tuple[float, float]:
    """The moment clipped to [0, duration]; FormatError when it starts at or after the end."""
    if q.start >= duration:
        raise FormatError(f"{q.where}: the moment {q.start:g}-{q.end:g} s lies outside video "
                          f"{q.video_id!r} ({duration:g} s long)")
    return max(q.start, 0.0), min(q.end, duration)


def check_caption(sentence: str, vocab: Vocabulary, where: str) -> list[int]:
    """Token ids of a caption; FormatError for an empty one or one without a known word."""
    if not tokenize(sentence):
        raise FormatError(f"{where}: empty caption")
    ids = vocab.encode(sentence)
    if not any(i > 1 for i in ids):
        raise FormatError(f"{where}: no word of the caption {sentence[:60]!r} is in the "
                          "model's vocabulary")
    return ids


@dataclass
class Example:
    query: MomentQuery
    tokens: np.ndarray
    feats: dict[str, np.ndarray]
    weights: np.ndarray
    target: np.ndarray
    duration: float


def make_example(q: MomentQuery, tokens: Sequence[int], feats: Mapping[str, np.ndarray],
                 duration: float, m: int) -> Example:
    start, end = check_moment(q, duration)
    return Example(q, np.asarray(tokens, np.int64), dict(feats),
                   segment_weights(start, end, duration, m),
                   np.array([start / duration, end / duration], np.float32), duration)


def collate(examples: Sequence[Example]):
    """A batch: tokens (B, L) padded with 0, feats {modality: (B, M, D)}, weights, targets."""
    import torch

    length = max(len(e.tokens) for e in examples)
    tokens = np.zeros((len(examples), max(length, 1)), np.int64)
    for i, e in enumerate(examples):
        tokens[i, :len(e.tokens)] = e.tokens
    feats = {k: torch.from_numpy(np.stack([e.feats[k] for e in examples]))
             for k in examples[0].feats}
    return (torch.from_numpy(tokens), feats,
            torch.from_numpy(np.stack([e.weights for e in examples])),
            torch.from_numpy(np.stack([e.target for e in examples])))


class Standardizer:
    """Per-modality mean and deviation of the training segments (kept in the checkpoint)."""

    def __init__(self, stats: Mapping[str, tuple[Sequence[float], Sequence[float]]]) -> None:
        self.stats = {k: (np.asarray(m, np.float32), np.asarray(s, np.float32))
                      for k, (m, s) in stats.items()}

    @classmethod
    def fit(cls, videos: Sequence[Mapping[str, np.ndarray]]) -> Standardizer:
        stats = {}
        for k in videos[0]:
            if k == "transcript":
                continue
            a = np.concatenate([v[k] for v in videos]).astype(np.float64)
            stats[k] = (a.mean(0), np.maximum(a.std(0), 1e-5))
        return cls(stats)

    def __call__(self, feats: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: ((v - self.stats[k][0]) / self.stats[k][1]).astype(np.float32)
                if k in self.stats else v for k, v in feats.items()}

    def to_dict(self) -> dict[str, list[list[float]]]:
        return {k: [m.tolist(), s.tolist()] for k, (m, s) in self.stats.items()}
