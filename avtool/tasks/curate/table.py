"""`make table-curate`: the pipeline on a held-out synthetic corpus, precision and recall
per stage beside the thesis's Table 2.5 operating points (other data), once per active
speaker backend (the SyncNet-architecture network and SyncLite, on the same face tracks:
detection and tracking are deterministic, and the table checks it), and with ``--scores``
the score of every candidate by ground truth (how the thresholds in
`avtool.tasks.curate.config` were calibrated).

    python -m avtool.tasks.curate.table --workdir build/table-curate [--pois 3 --seed 2]

The default seed (2) is held out: the thresholds were calibrated on seed 1.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from avtool.tasks.curate.config import ASD_BACKENDS


def calibration_scores(truth: dict, results: list[dict], rows: list[dict]) -> dict:
    """Scores by ground truth: ASD confidence of tracks (in sync or not: (confidence,
    offset, peak window confidence)),
    face scores of verified tracks (POI or not), dedup distances (copies or not)."""
    import numpy as np

    from avtool.tasks.curate.evaluate import _shot_index, _shot_of, _track_person

    videos = {v["video"]: v for v in truth["videos"]}
    asd = {"in_sync": [], "not_in_sync": []}
    face = {"poi": [], "other": []}
    embeddings = []
    for result in results:
        video = videos[result["video"]]
        for i, t in enumerate(result["tracks"]):
            person = _track_person(t, _shot_of(t["first"], video))
            shot = _shot_index(t["first"], video)
            sync = any(person in s["in_sync"] for s in video["speech"] if s["shot"] == shot)
            asd["in_sync" if sync else "not_in_sync"].append(
                (round(t["asd_conf"], 3), t["asd_offset"], t.get("asd_peak")))
            for seg in result["kept"] + [r for r in result["rejected"] if "fv_score" in r]:
                if seg["track"] == i:
                    face["poi" if person == result["poi"] else "other"].append(seg["fv_score"])
        for seg in result["kept"]:
            span = next((s for s in video["speech"]
                         if min(s["end"], (seg["last"] + 1) / 25) > max(s["start"],
                                                                        seg["first"] / 25)),
                        {})
            if seg.get("embedding"):
                embeddings.append((result["poi"], span.get("duplicate_group"),
                                   np.asarray(seg["embedding"])))
    copies, different = [], []
    for a in range(len(embeddings)):
        for b in range(a + 1, len(embeddings)):
            (pa, ga, ea), (pb, gb, eb) = embeddings[a], embeddings[b]
            if pa == pb:
                d = round(float(np.linalg.norm(ea - eb)), 3)
                (copies if ga is not None and ga == gb else different).append(d)
    return {"asd_track_confidence": asd, "face_score": face,
            "dedup_distance": {"copies": sorted(copies), "different": sorted(different)}}


def same_tracks(a: list[dict], b: list[dict]) -> bool:
    """Both runs found the same face tracks in every video (so their ASD columns compare
    the two backends on the same tracks)."""
    def tracks(results):
        return {r["video"]: [(t["first"], t["last"], t["mean_box"]) for t in r["tracks"]]
                for r in results}
    return tracks(a) == tracks(b)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("build/table-curate"))
    parser.add_argument("--pois", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--asd", choices=ASD_BACKENDS, action="append",
                        help="backends to run (default: both, the default one first)")
    parser.add_argument("--scores", action="store_true", help="print calibration scores")
    args = parser.parse_args(argv)

    import dataclasses

    from avtool.console import print_table
    from avtool.synth.talking_faces import TalkingHeadsConfig, synth_talking_heads
    from avtool.tasks.curate.config import AsdConfig, load_config
    from avtool.tasks.curate.report import write_report
    from avtool.tasks.curate.run import curate

    corpus = args.workdir / "corpus"
    truth = synth_talking_heads(corpus, TalkingHeadsConfig(pois=args.pois, seed=args.seed,
                                                           bad_video=False), args.workers)
    base = load_config(corpus / "curate.toml")
    default = AsdConfig().backend
    backends = args.asd or [default] + [b for b in ASD_BACKENDS if b != default]
    runs = {}
    for backend in backends:
        config = dataclasses.replace(base, asd=dataclasses.replace(base.asd, backend=backend))
        out_dir = args.workdir / f"out-{backend}"
        summary = curate(corpus / "speakers.csv", corpus / "videos", out_dir, config,
                         workers=args.workers)
        runs[backend] = (summary, write_report(out_dir, summary.results, summary.rows,
                                               config, truth))

    def fmt(v):
        return "-" if v is None else f"{v:.3f}"

    first = runs[backends[0]][1]
    rows = []
    for stage, m in first.items():
        row = [stage, m["true"]]
        for backend in backends:
            got = runs[backend][1][stage]
            row += [fmt(got["precision"]), fmt(got["recall"])]
        row += [fmt(m.get("thesis", {}).get("precision")), fmt(m.get("thesis", {}).get("recall"))]
        rows.append(row)
    summary = runs[backends[0]][0]
    shared = all(same_tracks(summary.results, runs[b][0].results) for b in backends)
    print_table(rows, ["stage", "true", *(f"{c} ({b})" for b in backends for c in ("P", "R")),
                       "P (thesis, VoxCeleb1)", "R (thesis, VoxCeleb1)"],
                title=f"avtool curate on a synthetic corpus ({args.pois} POIs, seed "
                      f"{args.seed}, {summary.videos} videos, {summary.video_seconds:.0f} s); "
                      f"ASD by {' vs '.join(backends)} on "
                      f"{'the same' if shared else 'DIFFERENT'} tracks; thesis Table 2.5 "
                      "columns are other data (Columbia, VGGFace)")
    out = {"metrics": {b: runs[b][1] for b in backends}, "same_tracks": shared,
           "videos": summary.videos, "video_seconds": round(summary.video_seconds, 2),
           "wall_seconds": {b: round(runs[b][0].wall_seconds, 2) for b in backends}}
    if args.scores:
        out["scores"] = {b: calibration_scores(truth, runs[b][0].results, runs[b][0].rows)
                         for b in backends}
        for backend, scores in out["scores"].items():
            for name, groups in scores.items():
                for group, values in groups.items():
                    print(f"[{backend}] {name} {group}: {json.dumps(sorted(values))}")
    (args.workdir / "results.json").write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
