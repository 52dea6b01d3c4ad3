"""A trained retrieval network ready to use: embed captions and videos, rank, write rankings.

`RetrievalPredictor.predict(RetrievalInputs(store, queries, video_ids))` embeds the store's
videos (all, or those listed) and ranks them for every query; `write` saves the folder that
``avtool evaluate retrieval`` reads::

    sims.npy      (queries x videos) float32 similarities
    queries.txt   one query id per line (row order)
    videos.txt    one video id per line (column order)
    gt.tsv        query_id<TAB>video_id, when every query's video is known
    rankings.tsv  query_id, rank, video_id, score: the top 10 of every query

    avtool evaluate retrieval --sim OUT/sims.npy --query-ids OUT/queries.txt \\
        --video-ids OUT/videos.txt --gt OUT/gt.tsv
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_from_dict
from avtool.tasks.retrieval.experts import ExpertSpec
from avtool.tasks.retrieval.model import RetrievalNetConfig


@dataclass(frozen=True)
class RetrievalInputs:
    store: Path
    queries: Path  # a queries file (`avtool.tasks.retrieval.queries`)
    videos: Path | None = None  # video_id CSV / one id a line; None: every video of the store


@dataclass
class Rankings:
    query_ids: list[str]
    video_ids: list[str]
    sims: np.ndarray  # (Q, V)
    truth: dict[str, str] = field(default_factory=dict)  # query id -> video id
    weights: np.ndarray | None = None  # (Q, N) mixture weights
    experts: list[str] = field(default_factory=list)


class RetrievalPredictor:
    def __init__(self, spec: dict[str, Any], net, device: str, model_path: str = "") -> None:
        from avtool.train.checkpoints import state_sha256

        self.spec, self.net, self.device = spec, net, device
        self.specs = [ExpertSpec.from_dict(d) for d in spec["experts"]]
        self.model_path = model_path
        self.fingerprint = state_sha256(net.state_dict())  # the index remembers its model
        self._tokenizer = None

    @classmethod
    def from_checkpoint(cls, checkpoint: dict[str, Any], device: str = "cpu",
                        model_path: str = "") -> RetrievalPredictor:
        from avtool.tasks.retrieval.model import RetrievalNet

        spec = checkpoint["spec"]
        config = config_from_dict(RetrievalNetConfig, spec["net"], "retrieval_net")
        experts = [(d["name"], d["dim"]) for d in spec["experts"]]
        net = RetrievalNet(config, experts, pretrained_text=False)
        net.load_state_dict(checkpoint["model_state"])
        net.to(device).eval()
        return cls(spec, net, device, model_path)

    def tokenizer(self):
        if self._tokenizer is None:
            from avtool.tasks.retrieval.text import CaptionTokenizer

            self._tokenizer = CaptionTokenizer(self.net.config.max_words)
        return self._tokenizer

    def embed_captions(self, captions: list[str]):
        """(φ, w, truncated flags) of captions."""
        from avtool.tasks.retrieval.embed import embed_captions

        return embed_captions(self.net, self.tokenizer(), captions, self.device)

    @property
    def experts(self) -> list[str]:
        return [s.name for s in self.specs]

    def predict(self, inputs: RetrievalInputs) -> Rankings:
        from avtool.store import open_store
        from avtool.tasks.retrieval.embed import embed_videos, scores
        from avtool.tasks.retrieval.experts import check_store_experts, read_videos
        from avtool.tasks.retrieval.queries import read_queries

        store = open_store(inputs.store)
        check_store_experts(store, self.specs, inputs.store)
        ids = _video_ids(inputs.videos) if inputs.videos else list(store.ids)
        videos = read_videos(store, ids, self.specs, str(inputs.store))
        queries = read_queries(inputs.queries)
        psi, present = embed_videos(self.net, videos, self.specs, self.device)
        phi, w, _ = self.embed_captions([q.caption for q in queries])
        return Rankings([q.id for q in queries], ids, scores(phi, w, psi, present),
                        {q.id: q.video_id for q in queries if q.video_id}, w, self.experts)

    def write(self, predictions: Rankings, out: Path) -> Path:
        return write_rankings(predictions, out)


def _video_ids(path: Path) -> list[str]:
    text = Path(path).read_text(encoding="utf-8").split()
    return text[1:] if text and text[0] == "video_id" else text


def write_rankings(r: Rankings, out: str | Path, top: int = 10) -> Path:
    """The rankings folder (all files appear together, or none)."""
    from avtool.errors import FormatError
    from avtool.io import atomic_paths

    out = Path(out)
    unknown = [v for v in r.truth.values() if v not in set(r.video_ids)]
    if unknown:
        raise FormatError(f"ground-truth video {unknown[0]!r} is not among the ranked videos")
    names = ["sims.npy", "queries.txt", "videos.txt", "rankings.tsv"]
    if r.truth and len(r.truth) == len(r.query_ids):  # evaluate needs every query's video
        names.append("gt.tsv")
    out.mkdir(parents=True, exist_ok=True)
    with atomic_paths([out / n for n in names]) as tmps:
        paths = dict(zip(names, tmps, strict=True))
        with open(paths["sims.npy"], "wb") as fh:
            np.save(fh, r.sims.astype(np.float32))
        paths["queries.txt"].write_text("".join(f"{q}\n" for q in r.query_ids))
        paths["videos.txt"].write_text("".join(f"{v}\n" for v in r.video_ids))
        from avtool.tasks.retrieval.index import top_k

        lines = ["query_id\trank\tvideo_id\tscore\n"]
        for q, row in zip(r.query_ids, r.sims, strict=True):
            lines += [f"{q}\t{k}\t{r.video_ids[i]}\t{s:.6f}\n"
                      for k, (i, s) in enumerate(top_k(row, top), 1)]
        paths["rankings.tsv"].write_text("".join(lines))
        if "gt.tsv" in paths:
            paths["gt.tsv"].write_text("".join(f"{q}\t{v}\n" for q, v in r.truth.items()))
    return out
