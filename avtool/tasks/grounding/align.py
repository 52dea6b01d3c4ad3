"""`avtool align-captions` as library calls: one caption in one video, or a query file.

Both load the checkpoint of `avtool train grounding` (`avtool.tasks.load_task_checkpoint`),
run `avtool.tasks.grounding.predictor.CaptionAligner` and, when asked, draw the attention
(`avtool.tasks.grounding.plot`). The batch writes its predictions TSV only when every
aligned query is done (atomically), and returns the failures for the caller to report.
"""

from __future__ import annotations

from pathlib import Path

from avtool.tasks.grounding.predictor import (
    AlignInputs,
    Alignment,
    BatchAlignments,
    CaptionAligner,
)


def load_aligner(model: str | Path, device: str = "auto") -> CaptionAligner:
    from avtool.runtime import resolve_device
    from avtool.tasks import load_task_checkpoint

    checkpoint = load_task_checkpoint(model, "grounding", "a caption alignment model")
    return CaptionAligner.from_checkpoint(checkpoint, resolve_device(device))


def align_one(model: str | Path, video: str | Path, caption: str, *,
              truth: tuple[float, float] | None = None, video_only: bool = False,
              transcripts: str | Path | None = None, device: str = "auto",
              plot: str | Path | None = None) -> Alignment:
    aligner = load_aligner(model, device)
    result = aligner.align(Path(video), caption, truth=truth, video_only=video_only,
                           transcripts=Path(transcripts) if transcripts else None)
    if plot is not None:
        from avtool.tasks.grounding.plot import plot_attention

        plot_attention(plot, [result])
    return result


def align_batch(model: str | Path, queries: str | Path, videos: str | Path, out: str | Path,
                *, queries_format: str = "auto", durations: str | Path | None = None,
                transcripts: str | Path | None = None, video_only: bool = False,
                strict: bool = False, device: str = "auto",
                plot: str | Path | None = None) -> BatchAlignments:
    aligner = load_aligner(model, device)
    inputs = AlignInputs(Path(queries), Path(videos), queries_format,
                         Path(durations) if durations else None,
                         Path(transcripts) if transcripts else None, video_only, strict)
    result = aligner.predict(inputs)
    aligner.write(result, Path(out))
    if plot is not None and result.alignments:
        from avtool.tasks.grounding.plot import plot_attention

        plot_attention(plot, result.alignments)
    return result
