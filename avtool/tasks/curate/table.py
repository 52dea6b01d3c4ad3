"""`make table-curate`: the pipeline on a held-out synthetic corpus, precision and recall
per stage beside the thesis's Table 2.5 operating points (other data), and with
``--scores`` the score of every candidate by ground truth (how the thresholds in
`avtool.tasks.curate.config` were calibrated).

    python -m avtool.tasks.curate.table --workdir build/table-curate [--pois 3 --seed 2]

The default seed (2) is held out: the thresholds were calibrated on seed 1.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def calibration_scores(truth: dict, results: list[dict], rows: list[dict]) -> dict:
    """Scores by ground truth: ASD confidence of tracks (in sync or not, with |offset|),
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
                (round(t["asd_conf"], 3), t["asd_offset"]))
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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("build/table-curate"))
    parser.add_argument("--pois", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scores", action="store_true", help="print calibration scores")
    args = parser.parse_args(argv)

    from avtool.console import print_table
    from avtool.synth.talking_faces import TalkingHeadsConfig, synth_talking_heads
    from avtool.tasks.curate.config import load_config
    from avtool.tasks.curate.report import write_report
    from avtool.tasks.curate.run import curate

    corpus = args.workdir / "corpus"
    truth = synth_talking_heads(corpus, TalkingHeadsConfig(pois=args.pois, seed=args.seed,
                                                           bad_video=False), args.workers)
    config = load_config(corpus / "curate.toml")
    summary = curate(corpus / "speakers.csv", corpus / "videos", args.workdir / "out", config,
                     workers=args.workers)
    metrics = write_report(args.workdir / "out", summary.results, summary.rows, config, truth)

    def fmt(v):
        return "-" if v is None else f"{v:.3f}"

    print_table([[stage, fmt(m["precision"]), fmt(m["recall"]), m["predicted"], m["true"],
                  fmt(m.get("thesis", {}).get("precision")),
                  fmt(m.get("thesis", {}).get("recall"))] for stage, m in metrics.items()],
                ["stage", "P (ours)", "R (ours)", "predicted", "true",
                 "P (thesis, VoxCeleb1)", "R (thesis, VoxCeleb1)"],
                title=f"avtool curate on a synthetic corpus ({args.pois} POIs, seed "
                      f"{args.seed}, {summary.videos} videos, {summary.video_seconds:.0f} s); "
                      "thesis Table 2.5 columns are other data (Columbia, VGGFace)")
    out = {"metrics": metrics, "videos": summary.videos,
           "video_seconds": round(summary.video_seconds, 2),
           "wall_seconds": round(summary.wall_seconds, 2)}
    if args.scores:
        out["scores"] = calibration_scores(truth, summary.results, summary.rows)
        for name, groups in out["scores"].items():
            for group, values in groups.items():
                print(f"{name} {group}: {json.dumps(sorted(values))}")
    (args.workdir / "results.json").write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
