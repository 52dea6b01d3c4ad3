"""`avtool curate`: folders of videos of people of interest -> a VoxCeleb-layout dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import (
    JsonOpt,
    StrictOpt,
    WorkersOpt,
    input_path,
    number_option,
    output_path,
)
from avtool.config import Range


def curate(
    speakers: Annotated[Path, input_path(
        "--speakers", help="speakers.csv: id,name,references[,gender,nationality,set]; "
        "references are face photos joined with ';'.", show_default=False)],
    videos: Annotated[Path, input_path(
        "--videos", kind="dir", help="Folder holding one folder of videos per person "
        "(VIDEOS/<id>/ or VIDEOS/<name>/).", show_default=False)],
    out: Annotated[Path, output_path("--out", "-o", kind="dir", help="Output folder "
                                     "(VoxCeleb layout).", show_default=False)],
    config: Annotated[Path | None, input_path(
        "--config", help="curate.toml overriding any stage setting (sections shots, face, "
        "track, asd, facever, speech, dedup).")] = None,
    face_detector: Annotated[str | None, typer.Option(
        "--face-detector", help="dlib-hog (thesis VoxCeleb1, default), dlib-cnn, or scrfd "
        "(needs face.model_dir in --config).")] = None,
    detect_every: Annotated[int | None, number_option(
        "--detect-every", kind=int, valid=Range(1, 25), help="Detect faces on every k-th "
        "frame and interpolate (speed; default 1: every frame, as the thesis).")] = None,
    asd: Annotated[str | None, typer.Option(
        "--asd", help="Active speaker backend: syncnet (the SyncNet-architecture network "
        "shipped in the package, trained with avtool train active-speaker; \\[asd] model "
        "= RUN_DIR for your own) or synclite (weight-free correlation). Default: \\[asd] "
        "backend of --config, else syncnet.")] = None,
    report: Annotated[bool, typer.Option(
        "--report", help="Write OUT/report.html (review page), report.png and report.json."
    )] = False,
    truth: Annotated[Path | None, input_path(
        "--truth", help="truth.json of `avtool synth talking-heads`: --report adds precision "
        "and recall per stage.")] = None,
    workers: WorkersOpt = 1,
    dask: Annotated[str | None, typer.Option(
        "--dask", metavar="local|ADDRESS", help="Run the per-video jobs on Dask: 'local' "
        "starts --workers processes; tcp://HOST:8786 uses a scheduler whose workers see OUT.")
    ] = None,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Curate a speaker dataset from videos, as the VoxCeleb pipeline (Nagrani thesis §2.4).

    Stages, each a setting of --config: decoding at 25 fps / 16 kHz; shots with scenedetect's ContentDetector (the public SyncNet pipeline's default; \\[shots] detector = "histogram" is the thesis's colour-histogram reading); faces with dlib's HOG detector (the thesis's VoxCeleb1 detector; dlib-cnn and scrfd as options); IoU tracks with the public SyncNet pipeline's defaults (IoU > 0.5, 25 missed frames, tracks of 100 frames, faces of 100 px); active speaker verification with a SyncNet-architecture network shipped in the package (offset and confidences as SyncNet, decided on 25-frame windows as the thesis; --asd synclite: a weight-free correlation of how open the mouth looks with audio energy); face verification with dlib's 128-d descriptor against the reference photos (Euclidean; the thesis's cosine with \\[facever] metric = "cosine"); speech trimming with silero-vad (the thesis used none: \\[speech] vad = "none"); duplicates by identical audio or GE2E distance < 0.25. Thresholds are calibrated for precision 1.0 (see the README).

    Writes OUT/wav/<id>/<video>/<nnnnn>.wav (16 kHz mono), OUT/txt/... (VoxCeleb2 face-track header and per-frame boxes), OUT/meta.csv (vox1_meta) and OUT/segments.csv (every candidate and its fate), which extract-features and train speaker read as they are. A rerun skips finished videos. Bad videos are listed at the end (exit status 1); --strict stops at the first.

    Example: avtool synth talking-heads --out th && avtool curate --speakers th/speakers.csv --videos th/videos --out vox --config th/curate.toml --report --truth th/truth.json
    """
    import dataclasses
    import json

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from avtool.console import print_json, print_table, stderr
    from avtool.io import read_text
    from avtool.tasks.curate.config import config_from_mapping, load_config
    from avtool.tasks.curate.run import curate as run_curate

    settings = load_config(config)
    given = {"face": {k: v for k, v in (("detector", face_detector), ("every", detect_every))
                      if v is not None},
             "asd": {"backend": asd} if asd is not None else {}}
    for section, values in given.items():
        if values:
            merged = {**dataclasses.asdict(getattr(settings, section)), **values}
            settings = config_from_mapping({**dataclasses.asdict(settings), section: merged},
                                           "command line")
    truth_data = None
    if truth is not None:
        try:
            truth_data = json.loads(read_text(truth))
        except json.JSONDecodeError as err:
            from avtool.errors import FormatError

            raise FormatError(f"{truth}: not JSON ({err.msg} at line {err.lineno})") from None
    with Progress(TextColumn("curate"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("videos, {task.fields[minutes]:.1f} video-min"),
                  TimeElapsedColumn(), console=stderr, transient=True) as bar:
        task = bar.add_task("curate", total=None, minutes=0.0)

        def advance(done: int, total: int, seconds: float) -> None:
            bar.update(task, completed=done, total=total, minutes=seconds / 60)

        summary = run_curate(speakers, videos, out, settings, workers=workers, dask=dask,
                             strict=strict, progress=advance)
    metrics = None
    if report:
        from avtool.tasks.curate.report import write_report

        metrics = write_report(out, summary.results, summary.rows, settings, truth_data)
    result = summary.to_dict()
    if metrics:
        result["metrics"] = metrics
    if as_json:
        print_json(result)
    else:
        stages = ("kept", "active_speaker", "face_verification", "speech", "duplicate")
        print_table([[p["poi"], *(p.get(s, 0) for s in stages)] for p in summary.per_poi()],
                    ["poi", *stages])
        if metrics:
            print_table([[s, _fmt(m["precision"]), _fmt(m["recall"])]
                         for s, m in metrics.items()], ["stage", "precision", "recall"])
        stderr.print(f"{summary.videos} videos ({summary.resumed} already done), "
                     f"{summary.video_seconds / 60:.1f} video-min in "
                     f"{summary.wall_seconds:.1f} s -> {out}", highlight=False)
    for _, problem in summary.bad:
        stderr.print(f"[red]bad video[/red] {problem}", highlight=False)
    if summary.bad:
        raise typer.Exit(1)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


# (group, name, function): group None is a top-level command.
COMMANDS = [(None, "curate", curate)]
