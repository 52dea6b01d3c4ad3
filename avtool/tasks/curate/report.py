"""The review page of a curation run (``OUT/report.html``), as the thesis's manual-filtering
tool: per POI every kept and rejected segment with its face thumbnail, scores, the reason
for a rejection and an audio player; kept segments near a threshold are highlighted.
``OUT/report.png`` draws the run: each video's timeline (what was kept, what each stage
rejected, and with a synthetic corpus's truth, what should have been kept) and, with the
truth, precision and recall per stage beside the thesis's operating points.
``OUT/report.json`` holds the same numbers.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from avtool.tasks.curate.config import CurateConfig

COLOURS = {"kept": "#2e9e44", "active_speaker": "#f0a030", "face_verification": "#d64545",
           "speech": "#9a9a9a", "duplicate": "#8a55c8"}
TRUTH_COLOURS = {"kept": "#2e9e44", "duplicate": "#8a55c8", "active_speaker": "#f0a030",
                 "face_verification": "#d64545", "no_face": "#5a7fc0"}


def low_confidence(row: dict, config: CurateConfig) -> bool:
    """A kept segment whose ASD or face score lies within 25% (ASD) / 0.05 (face) of its
    threshold: the ones a person should look at first."""
    if row["decision"] != "kept":
        return False
    fv, asd = float(row["fv_score"]), float(row["asd_conf"])
    near_face = (fv > config.facever.threshold - 0.05 if config.facever.metric == "euclidean"
                 else fv < config.facever.threshold + 0.05)
    return asd < config.asd.thresholds()[1] * 1.25 or near_face


def plot_run(path: Path, results: list[dict], rows: list[dict], metrics: dict | None,
             truth: dict | None) -> None:
    """Timelines per video, and precision/recall per stage when the truth is known."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from avtool.io import atomic_path

    videos = sorted(results, key=lambda r: (r["poi"], r["video"]))
    spans = {v["video"]: v["speech"] for v in (truth or {}).get("videos", [])}
    panels = 2 if metrics else 1
    fig, axes = plt.subplots(panels, 1, figsize=(11, 1.2 + 0.45 * len(videos) + 3 * (panels - 1)),
                             gridspec_kw={"height_ratios": [3, max(2, len(videos) * 0.45)]}
                             if metrics else None, squeeze=False)
    if metrics:
        _plot_metrics(axes[0, 0], metrics)
    ax = axes[-1, 0]
    for y, result in enumerate(videos):
        for span in spans.get(result["video"], []):
            ax.add_patch(plt.Rectangle((span["start"], y - 0.38), span["end"] - span["start"],
                                       0.76, fill=False, lw=1.6, ls="--",
                                       ec=TRUTH_COLOURS.get(span["expected"], "k")))
        mine = [r for r in rows if r["video"] == result["video"]]
        for row in sorted(mine, key=lambda r: r["decision"] == "kept"):  # kept on top
            kept = row["decision"] == "kept"
            ax.barh(y, float(row["end"]) - float(row["start"]), left=float(row["start"]),
                    height=0.5 if kept else 0.3, alpha=1.0 if kept else 0.7,
                    color=COLOURS["kept" if kept else row["stage"]], ec="white", lw=0.5)
        ax.plot([0, result["frames"] / result["fps"]], [y, y], color="#ddd", lw=0.8, zorder=0)
    ax.set_yticks(range(len(videos)), [f"{r['poi']}/{r['video']}" for r in videos], fontsize=8)
    ax.set_ylim(-0.7, len(videos) - 0.3)
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.set_title("segments: filled = what the pipeline did"
                 + (", dashed = what a perfect pipeline keeps or rejects" if spans else ""),
                 fontsize=10)
    handles = [Patch(color=c, label=k.replace("_", " ")) for k, c in COLOURS.items()]
    if spans:
        handles.append(Patch(fill=False, ec=TRUTH_COLOURS["no_face"], ls="--",
                             label="no face (truth)"))
    ax.legend(handles=handles, loc="lower right", fontsize=7, ncol=6)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def _plot_metrics(ax, metrics: dict) -> None:
    import numpy as np

    stages = [s for s in metrics if metrics[s]["predicted"] or metrics[s]["true"]]
    x = np.arange(len(stages))
    for shift, key, colour in ((-0.2, "precision", "#3a6fb0"), (0.2, "recall", "#e08a2e")):
        values = [metrics[s][key] if metrics[s][key] is not None else 0 for s in stages]
        bars = ax.bar(x + shift, values, 0.4, label=f"{key} (ours, synthetic)", color=colour)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    for i, s in enumerate(stages):
        thesis = metrics[s].get("thesis")
        if thesis:
            ax.plot([i - 0.4, i], [thesis["precision"]] * 2, "k--", lw=1)
            ax.plot([i, i + 0.4], [thesis["recall"]] * 2, "k:", lw=1.5)
    ax.plot([], [], "k--", label="thesis Table 2.5 precision (other data)")
    ax.plot([], [], "k:", label="thesis Table 2.5 recall (other data)")
    ax.set_xticks(x, [s.replace("_", " ") for s in stages])
    ax.set_ylim(0, 1.15)
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    ax.set_title("precision and recall per stage", fontsize=10)


def write_report(out: Path, results: list[dict], rows: list[dict], config: CurateConfig,
                 truth: dict | None = None) -> dict | None:
    """Write report.html, report.png and report.json under `out`; the metrics (with truth)."""
    from avtool.io import atomic_write
    from avtool.tasks.curate.evaluate import evaluate_curation

    metrics = evaluate_curation(truth, results, rows) if truth else None
    plot_run(out / "report.png", results, rows, metrics, truth)
    with atomic_write(out / "report.json") as fh:
        json.dump({"metrics": metrics, "segments": rows}, fh, indent=1)
    with atomic_write(out / "report.html") as fh:
        fh.write(_html(rows, metrics, config))
    return metrics


def _html(rows: list[dict], metrics: dict | None, config: CurateConfig) -> str:
    e = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>avtool curate</title>",
             "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}"
             "tr.kept{background:#eaf7ec}tr.low{background:#fff3c4}"
             "tr.rejected{color:#666}img.thumb{height:64px}</style></head><body>",
             "<h1>avtool curate: review</h1>",
             "<p>Kept segments highlighted in yellow lie near a threshold: check them first.</p>",
             "<img src='report.png' alt='timelines and precision/recall' style='max-width:100%'>"]
    if metrics:
        parts.append("<h2>Precision and recall (synthetic truth)</h2><table><tr><th>stage</th>"
                     "<th>precision</th><th>recall</th><th>thesis P / R (other data)</th></tr>")
        for stage, m in metrics.items():
            thesis = m.get("thesis")
            parts.append(f"<tr><td>{stage}</td><td>{_num(m['precision'])}</td>"
                         f"<td>{_num(m['recall'])}</td><td>"
                         + (f"{thesis['precision']:.3f} / {thesis['recall']:.3f}" if thesis
                            else "") + "</td></tr>")
        parts.append("</table>")
    for poi in sorted({r["poi"] for r in rows}):
        mine = [r for r in rows if r["poi"] == poi]
        kept = sum(r["decision"] == "kept" for r in mine)
        parts.append(f"<h2 id='{e(poi)}'>{e(poi)}: {kept} kept of {len(mine)}</h2><table>"
                     "<tr><th>face</th><th>video</th><th>span (s)</th><th>decision</th>"
                     "<th>reason</th><th>AV offset</th><th>ASD conf</th><th>face score</th>"
                     "<th>audio</th></tr>")
        for r in sorted(mine, key=lambda r: (r["video"], float(r["start"]))):
            css = "low" if low_confidence(r, config) else r["decision"]
            thumb = (f"<img class='thumb' src='.curate/videos/{e(poi)}/{e(r['video'])}/"
                     f"track-{int(r['track']):03d}.jpg'>" if r["track"] != "" else "")
            audio = (f"<audio controls preload='none' src='wav/{e(r['segment'])}.wav'></audio>"
                     if r["segment"] else "")
            decision = "kept" if r["decision"] == "kept" else f"rejected: {r['stage']}"
            parts.append(f"<tr class='{css}'><td>{thumb}</td><td>{e(r['video'])}</td>"
                         f"<td>{float(r['start']):.2f}-{float(r['end']):.2f}</td>"
                         f"<td>{e(decision)}</td><td>{e(r['reason'])}</td>"
                         f"<td>{r['asd_offset']}</td><td>{r['asd_conf']}</td>"
                         f"<td>{r['fv_score']}</td><td>{audio}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _num(value) -> str:
    return "-" if value is None else f"{value:.3f}"
