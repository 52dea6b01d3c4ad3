"""Attention over time (matplotlib Agg), for ``avtool align-captions --plot``.

One panel per alignment (at most `MAX_PANELS`): the step-3 attention of each modality
(video, audio, transcript) and the fused attention as step curves over the segment grid,
the predicted span shaded blue and, when known, the true span hatched green.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from avtool.io import atomic_path

MAX_PANELS = 12
COLORS = {"video": "tab:orange", "audio": "tab:purple", "transcript": "tab:brown",
          "fused": "black"}


def plot_attention(path: str | Path, alignments: Sequence) -> Path:
    """Write the figure of `alignments` (`avtool.tasks.grounding.predictor.Alignment`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    shown = list(alignments)[:MAX_PANELS]
    fig, axes = plt.subplots(len(shown), 1, figsize=(8, 2.2 * len(shown)), squeeze=False)
    for ax, a in zip(axes[:, 0], shown, strict=True):
        for name, weights in a.attention.items():
            m = len(weights)
            edges = np.linspace(0, a.duration, m + 1)
            ax.step(edges, np.append(weights, weights[-1]), where="post",
                    color=COLORS.get(name, "gray"), lw=2 if name == "fused" else 1.2,
                    label=f"{name} attention")
        ax.axvspan(a.start, a.end, color="tab:blue", alpha=0.2, label="predicted")
        if a.truth is not None and a.truth[1] > a.truth[0]:
            ax.axvspan(*a.truth, facecolor="none", edgecolor="tab:green", hatch="//",
                       label="true")
        ax.set_xlim(0, a.duration)
        ax.set_ylim(bottom=0)
        ax.set_title(f"{a.video_id}: {a.sentence[:70]}", fontsize=9)
        ax.set_ylabel("weight")
        ax.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("seconds")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format=path.suffix.lstrip(".").lower() or "png")
    plt.close(fig)
    return path
