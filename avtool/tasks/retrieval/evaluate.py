"""Retrieval evaluation from files (`avtool evaluate retrieval`).

`evaluate_retrieval_files` reads the query and video id lists and the caption -> video ground
truth (`avtool.formats.retrieval_lists`), opens each similarity matrix
(`avtool.formats.similarity`), checks its shape against the id lists and scores it with the pure
`avtool.metrics.retrieval.retrieval_metrics`; several matrices (runs) are summarised as mean and
std.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from avtool.errors import ConfigError, FormatError
from avtool.formats.retrieval_lists import match_retrieval_gt, read_id_list, read_retrieval_gt
from avtool.formats.similarity import open_similarity
from avtool.metrics.retrieval import RetrievalSummary, retrieval_metrics, summarize_runs

__all__ = ["evaluate_retrieval_files"]


def evaluate_retrieval_files(
    sims: Sequence[str],
    query_ids: str | Path,
    video_ids: str | Path,
    gt: str | Path,
    *,
    ties: str = "averaging",
) -> RetrievalSummary:
    """Score one or more similarity matrices (queries x videos) against the ground truth.

    Args:
        sims: similarity matrix specs, each a 2-D ``.npy`` or ``FILE.h5:DATASET``
            (`avtool.formats.similarity`); several are runs (mean and std).
        query_ids: one caption id per line, in row order.
        video_ids: one video id per line, in column order.
        gt: ``caption_id<TAB>video_id`` lines.
        ties: ``"averaging"``, ``"optimistic"`` or ``"pessimistic"``
            (`avtool.metrics.retrieval`).

    Raises:
        FormatError: a missing or malformed file, an id of `gt` absent from the lists, a query
            without video, a matrix whose shape does not match the id lists, or a NaN score.
    """
    if not sims:
        raise ConfigError("--sim: no similarity matrix given")
    qids = read_id_list(query_ids)
    vids = read_id_list(video_ids)
    truth = match_retrieval_gt(qids, vids, read_retrieval_gt(gt), query_path=query_ids,
                               video_path=video_ids, gt_path=gt)
    results = []
    for spec in sims:
        with open_similarity(spec) as matrix:
            if tuple(matrix.shape) != (len(qids), len(vids)):
                raise FormatError(
                    f"{spec}: shape {tuple(matrix.shape)} does not match {len(qids)} query ids "
                    f"({query_ids}) x {len(vids)} video ids ({video_ids})")
            results.append(retrieval_metrics(matrix, truth.query_video, ties=ties, name=spec))
    return summarize_runs(results)
