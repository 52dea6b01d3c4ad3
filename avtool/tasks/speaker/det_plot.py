"""Render a DET curve (miss vs false-alarm probability on normal-deviate axes) to an image.

Imports matplotlib (Agg) and scipy lazily; called by ``avtool evaluate speaker --det``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avtool.errors import ConfigError
from avtool.io import atomic_path
from avtool.metrics.verification import DetCurve, VerificationResult, p_target_key

_TICKS = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4,
          0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def _limits(det: DetCurve, result: VerificationResult) -> tuple[float, float]:
    positive = np.r_[det.p_miss[det.p_miss > 0], det.p_fa[det.p_fa > 0]]
    smallest = float(positive.min()) if positive.size else 0.001
    lo = max(t for t in _TICKS if t <= max(min(smallest, 0.01), _TICKS[0]))
    hi = 0.5 if result.eer < 25 else 0.99
    return lo, hi


def _thin(x: np.ndarray, y: np.ndarray, lo: float, hi: float, grid: int = 2000):
    """Keep the points that move on a grid x grid raster (a million points -> thousands)."""
    px = np.round((x - lo) / (hi - lo) * grid)
    py = np.round((y - lo) / (hi - lo) * grid)
    keep = np.r_[True, (px[1:] != px[:-1]) | (py[1:] != py[:-1])]
    keep[-1] = True
    return x[keep], y[keep]


def save_det_plot(path: str | Path, det: DetCurve, result: VerificationResult,
                  title: str | None = None) -> Path:
    """Write the DET curve with the EER point and each minDCF operating point marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.special import ndtri

    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    if fmt not in plt.figure().canvas.get_supported_filetypes():
        plt.close("all")
        raise ConfigError(f"--det {path}: unknown image format {fmt!r} (use .png, .pdf or .svg)")
    plt.close("all")
    lo, hi = _limits(det, result)
    d_lo, d_hi = ndtri(lo), ndtri(hi)
    margin = 0.5 * lo

    def dev(p):
        return ndtri(np.clip(np.asarray(p, dtype=np.float64), margin, 1 - margin))

    x, y = _thin(dev(det.p_fa), dev(det.p_miss), d_lo, d_hi)
    fig, ax = plt.subplots(figsize=(5.5, 5.5), dpi=120)
    ax.plot(x, y, color="tab:blue", lw=1.6, label="DET")
    ax.plot([d_lo, d_hi], [d_lo, d_hi], color="0.6", lw=0.8, ls="--")
    def point(p):  # operating points off the axes (e.g. P_fa = 0) sit on the border
        return [np.clip(dev(p), d_lo, d_hi)]

    e = result.eer / 100
    ax.plot(point(e), point(e), "o", color="tab:red", ms=7, clip_on=False,
            label=f"EER {result.eer:.2f}% ({result.eer_mode})")
    for marker, dcf in zip("sD^v<>", result.min_dcf, strict=False):
        ax.plot(point(dcf.p_fa), point(dcf.p_miss), marker, mfc="none", mew=1.6, ms=8,
                clip_on=False,
                label=f"minDCF {dcf.min_dcf:.4f} (P_target={p_target_key(dcf.p_target)}, "
                f"C_miss={dcf.c_miss:g}, C_fa={dcf.c_fa:g})")
    sparse = lo < 0.001  # below 1% keep only 1 x 10^k ticks when the range is that wide
    ticks = [t for t in _TICKS if lo <= t <= hi
             and not (sparse and t < 0.01 and f"{t:.0e}"[0] != "1")]
    labels = [f"{100 * t:g}" for t in ticks]
    ax.set_xticks(ndtri(ticks), labels)
    ax.set_yticks(ndtri(ticks), labels)
    ax.set_xlim(d_lo, d_hi)
    ax.set_ylim(d_lo, d_hi)
    ax.set_xlabel("False alarm probability (%)")
    ax.set_ylabel("Miss probability (%)")
    ax.set_title(title or "DET curve", fontsize=10)
    ax.grid(True, color="0.85", lw=0.6)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7.5, framealpha=0.9)
    fig.text(0.01, 0.005, f"{result.n_target} target / {result.n_nontarget} non-target trials",
             fontsize=7, color="0.4")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt)
    plt.close(fig)
    return Path(path)
