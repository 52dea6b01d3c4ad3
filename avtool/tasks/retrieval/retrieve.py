"""`avtool retrieve index|query` in the library: embed a collection once, then answer captions.

* `index_collection`: a store of experts (``.h5``, a shard folder or glob) or media (files,
  folders, a manifest). Media are first run through the extractors recorded in the model
  (`avtool.features.pipeline.extract_to_store`, resumable, ``workers``/``dask`` as
  extract-features) into ``<index>.experts.h5``; then the videos are embedded into the index
  (`avtool.tasks.retrieval.index.build_index`, resumable by chunks).
* `query_captions`: rank the index's videos for captions (t2v), with each expert's weight for
  the caption; `query_file` does a batch and writes the rankings `evaluate retrieval` reads;
  `query_video` ranks captions for one indexed video (v2t).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError, FormatError
from avtool.tasks.retrieval.index import Index, check_model, load_index, top_k

log = logging.getLogger(__name__)

STORE_SUFFIXES = (".h5", ".hdf5")


def open_predictor(model: str | Path, device: str = "cpu"):
    from avtool.tasks import load_task_checkpoint
    from avtool.tasks.retrieval.predictor import RetrievalPredictor

    checkpoint = load_task_checkpoint(model, "retrieval", "a retrieval model")
    return RetrievalPredictor.from_checkpoint(checkpoint, device, str(model))


def extractor_spec(spec) -> str:
    """The ``NAME:key=value`` of extract-features that rebuilds an expert's recipe."""
    from avtool.config import config_to_dict
    from avtool.features import extractors

    cls = extractors.get(spec.extractor)
    default = config_to_dict(cls.config_type(), cls.name)
    parts = []
    for key, value in sorted(spec.config.items()):
        if key == "type" or default.get(key) == value:
            continue
        if isinstance(value, list):
            value = "x".join(str(v) for v in value)
        parts.append(f"{key}={value}")
    return cls.name + (":" + ",".join(parts) if parts else "")


def is_store(sources: Sequence[str | Path]) -> bool:
    if len(sources) != 1:
        return False
    text = str(sources[0])
    return Path(text).suffix.lower() in STORE_SUFFIXES or any(ch in text for ch in "*?[")


def index_collection(sources: Sequence[str | Path], model: str | Path, out: str | Path, *,
                     manifest: str | Path | None = None, workers: int = 1,
                     dask: str | None = None, dtype: str = "float32", device: str = "cpu",
                     approximate: bool = False, lists: int = 0,
                     progress: Callable[[int, int], None] | None = None) -> dict:
    """Embed a store or media collection into the index `out`; returns a summary."""
    predictor = open_predictor(model, device)
    out = Path(out)
    extraction = None
    if manifest is None and is_store(sources):
        store = Path(sources[0])
    else:
        from avtool.features.pipeline import extract_to_store, plan_jobs

        names = {s.name for s in predictor.specs}
        odd = [s.name for s in predictor.specs if s.name != s.extractor]
        if odd:
            raise ConfigError(f"--model {model}: experts {', '.join(odd)} are store features "
                              "named apart from their extractor; extract them with "
                              "avtool extract-features and index the store")
        store = out.with_name(out.stem + ".experts.h5")
        jobs = plan_jobs(list(sources), manifest)
        report = extract_to_store(jobs, store, [extractor_spec(s) for s in predictor.specs],
                                  workers=workers, device=device, dask=dask)
        extraction = {"store": str(store), "extracted": report.extracted,
                      "failed": [list(f) for f in report.failed], "features": sorted(names)}
    from avtool.tasks.retrieval.index import build_index

    build_index(predictor, store, out, dtype=dtype, progress=progress)
    index = load_index(out)
    ivf = None
    if approximate:
        from avtool.tasks.retrieval.approximate import build_ivf

        ivf = str(build_ivf(index, lists))
    return {"index": str(out), "videos": len(index), "experts": index.experts,
            "d_model": index.d_model, "dtype": dtype, "model": str(model),
            "approximate": ivf, "extraction": extraction}


@dataclass
class QueryResult:
    caption: str
    truncated: bool
    weights: dict[str, float]
    hits: list[tuple[str, float]]

    def to_dict(self) -> dict:
        return {"caption": self.caption, "truncated": self.truncated, "weights": self.weights,
                "results": [{"rank": k, "video_id": v, "score": round(s, 6)}
                            for k, (v, s) in enumerate(self.hits, 1)]}


def _open(index_path: str | Path, model: str | Path | None, device: str
          ) -> tuple[Index, object]:
    index = load_index(index_path)
    model = model or index.model_path
    if not model or not Path(model).exists():
        raise ConfigError(f"{index_path}: its model {index.model_path or '?'} is gone; give "
                          "--model RUN_DIR (the one the index was built with)")
    predictor = open_predictor(model, device)
    check_model(index, predictor.fingerprint, str(model))
    return index, predictor


def query_captions(index_path: str | Path, captions: Sequence[str], *,
                   model: str | Path | None = None, top: int = 10, device: str = "cpu",
                   approximate: bool = False, nprobe: int = 16, candidates: int = 1000
                   ) -> list[QueryResult]:
    """t2v: the `top` videos of each caption (exact, or through the IVF with
    `approximate`, its candidates re-scored exactly)."""
    from avtool.tasks.retrieval.queries import check_caption

    texts = [check_caption(c, "query") for c in captions]
    index, predictor = _open(index_path, model, device)
    searcher = index
    if approximate:
        from avtool.tasks.retrieval.approximate import ApproximateIndex

        searcher = ApproximateIndex(index, nprobe, candidates)
    phi, w, truncated = predictor.embed_captions(texts)
    out = []
    for i, text in enumerate(texts):
        hits = searcher.search(phi[i:i + 1], w[i:i + 1], top)[0]
        if truncated[i]:
            log.warning("caption %d is longer than the text encoder takes (%d WordPiece "
                        "tokens); truncated", i + 1, predictor.net.config.max_words)
        out.append(QueryResult(text, truncated[i], dict(zip(index.experts, map(float, w[i]),
                                                             strict=True)),
                               [(index.ids[j], s) for j, s in hits]))
    return out


def query_file(index_path: str | Path, queries: str | Path, out: str | Path, *,
               model: str | Path | None = None, top: int = 10, device: str = "cpu") -> dict:
    """Every query of a file against the index; writes the rankings folder `out`."""
    from avtool.tasks.retrieval.predictor import Rankings, write_rankings
    from avtool.tasks.retrieval.queries import read_queries

    qs = read_queries(queries)
    index, predictor = _open(index_path, model, device)
    known = set(index.ids)
    missing = [q.video_id for q in qs if q.video_id and q.video_id not in known]
    if missing:
        raise FormatError(f"{queries}: ground-truth video {missing[0]!r} is not in the index "
                          f"{index_path}")
    phi, w, truncated = predictor.embed_captions([q.caption for q in qs])
    if any(truncated):
        log.warning("%d caption(s) longer than the text encoder takes (%d tokens): truncated",
                    sum(truncated), predictor.net.config.max_words)
    rankings = Rankings([q.id for q in qs], list(index.ids), index.scores(phi, w),
                        {q.id: q.video_id for q in qs if q.video_id}, w, index.experts)
    write_rankings(rankings, out, top)
    return {"out": str(out), "queries": len(qs), "videos": len(index),
            "truncated": int(sum(truncated)), "gt": len(rankings.truth) == len(qs)}


def query_video(index_path: str | Path, video_id: str, captions: Sequence[str], *,
                model: str | Path | None = None, top: int = 10, device: str = "cpu"
                ) -> list[tuple[str, float]]:
    """v2t: the `top` captions best matching an indexed video."""
    index, predictor = _open(index_path, model, device)
    try:
        row = index.ids.index(video_id)
    except ValueError:
        raise FormatError(f"{index_path}: no video {video_id!r} in the index") from None
    phi, w, _ = predictor.embed_captions(list(captions))
    s = index.scores(phi, w)[:, row]
    return [(captions[i], sc) for i, sc in top_k(np.asarray(s), top)]
