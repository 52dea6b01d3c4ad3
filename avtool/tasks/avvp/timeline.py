"""Render parsed AVVP events as timelines (matplotlib Agg); used by ``avtool parse-events --plot``.

One panel per clip; one lane per (class, modality) that has a predicted or annotated event in
that clip. Predicted runs are solid bars in the upper part of the lane (with the mean snippet
probability printed on them), ground-truth runs hatched bars in the lower part.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avtool.io import atomic_path
from avtool.tasks.avvp.predictor import ParseResult

_COLORS = {"audio": "#1f77b4", "visual": "#2ca02c", "audio-visual": "#9467bd"}


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[0], row.astype(np.int8), [0]])
    edges = np.diff(padded)
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist(),
                    strict=True))


def save_timeline(path: str | Path, result: ParseResult, gt_audio: np.ndarray | None = None,
                  gt_visual: np.ndarray | None = None, max_clips: int = 8) -> Path:
    """Write the timeline PNG of the first `max_clips` clips; returns the path.

    `gt_audio` / `gt_visual`: optional (N, C, T) masks in the order of ``result.clips``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    n = min(len(result.clips), max_clips)
    pred = {"audio": result.audio, "visual": result.visual,
            "audio-visual": result.audio & result.visual}
    gt = None
    if gt_audio is not None and gt_visual is not None:
        gt = {"audio": gt_audio, "visual": gt_visual, "audio-visual": gt_audio & gt_visual}
    fp = result.frame_prob
    lanes_per_clip = []
    for i in range(n):
        lanes = []
        for c, name in enumerate(result.classes):
            for m in ("audio", "visual", "audio-visual"):
                if pred[m][i, c].any() or (gt is not None and gt[m][i, c].any()):
                    lanes.append((c, name, m))
        lanes_per_clip.append(lanes)
    heights = [max(1, len(lanes)) * 0.42 + 0.7 for lanes in lanes_per_clip] or [1.0]
    fig, axes = plt.subplots(max(n, 1), 1, figsize=(10, sum(heights) + 0.6),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    t_max = result.audio.shape[-1]
    for i in range(n):
        ax, lanes = axes[i][0], lanes_per_clip[i]
        ax.set_xlim(0, t_max)
        ax.set_ylim(-0.5, max(1, len(lanes)) - 0.5)
        ax.set_xticks(range(t_max + 1))
        ax.grid(axis="x", color="0.85", linewidth=0.6)
        ax.set_title(result.clips[i], fontsize=9, loc="left")
        ax.set_yticks(range(len(lanes)))
        ax.set_yticklabels([f"{m} · {name}" for _, name, m in lanes], fontsize=8)
        ax.invert_yaxis()
        if not lanes:
            ax.text(t_max / 2, 0, "no event predicted or annotated", ha="center", va="center",
                    fontsize=8, color="0.4")
        for y, (c, _, m) in enumerate(lanes):
            color = _COLORS[m]
            top = y - 0.38 if gt is not None else y - 0.3
            height = 0.36 if gt is not None else 0.6
            for on, off in _runs(pred[m][i, c]):
                ax.broken_barh([(on, off - on)], (top, height), facecolors=color)
                if m == "audio-visual":
                    conf = np.minimum(fp[i, on:off, 0, c], fp[i, on:off, 1, c]).mean()
                else:
                    conf = fp[i, on:off, 0 if m == "audio" else 1, c].mean()
                ax.text((on + off) / 2, top + height / 2, f"{conf:.2f}", ha="center",
                        va="center", fontsize=7, color="white")
            if gt is not None:
                for on, off in _runs(gt[m][i, c]):
                    ax.broken_barh([(on, off - on)], (y + 0.02, 0.36), facecolors="none",
                                   edgecolors=color, hatch="///", linewidth=0.8)
        if i == n - 1:
            ax.set_xlabel("seconds")
    handles = [Patch(color=c, label=f"predicted {m}") for m, c in _COLORS.items()]
    if gt is not None:
        handles.append(Patch(facecolor="none", edgecolor="0.3", hatch="///",
                             label="ground truth"))
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (sum(heights) + 0.6)))
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".").lower() or "png")
    plt.close(fig)
    return path
