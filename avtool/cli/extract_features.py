"""`avtool extract-features`: media files -> features in an HDF5 store (resumable, parallel)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import (
    Device,
    DeviceOpt,
    JsonOpt,
    StrictOpt,
    WorkersOpt,
    input_path,
    number_option,
    output_path,
)
from avtool.config import Range


def _feature_help() -> str:
    from avtool.features import extractors

    return ("Feature to extract, NAME or NAME:key=value,... (repeatable). Known: "
            + ", ".join(extractors.names()))


def extract_features(
    inputs: Annotated[list[Path] | None, input_path(
        "INPUT", kind="any", must_exist=False, argument=True,
        help="Media files or directories (searched recursively).", show_default=False)] = None,
    out: Annotated[Path, output_path("--out", "-o", help="Store to create or extend.")] = ...,
    feature: Annotated[list[str], typer.Option(
        "--feature", "-f", help="Feature NAME or NAME:key=value,... (repeatable); "
        "see `avtool list features` for each parameter's default and valid range.")] = ...,
    manifest: Annotated[Path | None, input_path(
        "--manifest", must_exist=False,
        help="CSV/TSV/JSONL with id, path [, start, end, labels...].")] = None,
    checkpoint_every: Annotated[int, number_option(
        "--checkpoint-every", kind=int, valid=Range(min=1),
        help="Items journaled together: the most work a killed run can lose "
        "(per worker).")] = 256,
    shard: Annotated[str | None, typer.Option(
        "--shard", help="Do only slice I of N of the inputs (I from 0), e.g. one job-array "
        "task per shard, each with its own --out; read them together or `avtool store merge`."
    )] = None,
    workers: WorkersOpt = 1,
    dask: Annotated[str | None, typer.Option(
        "--dask", metavar="local|ADDRESS",
        help="Run on Dask distributed: 'local' starts a local cluster of --workers processes; "
        "tcp://HOST:8786 uses a running scheduler, whose workers must see --out's folder.")
    ] = None,
    device: DeviceOpt = Device.auto,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Extract features from media into a feature store.

    Reruns finish only what is missing; an interrupted run keeps what it finished.
    Bad items are reported at the end (exit status 1); --strict stops at the first.

    Examples:

      avtool extract-features examples/media --out feats.h5 --feature fbank --feature spectrogram:variant=vgg-m --workers 2

      avtool extract-features wav/ --out shards/feats-3.h5 --feature fbank --shard 3/8

      avtool extract-features /data/vox2 --out /shared/vox2.h5 --feature spectrogram --dask tcp://scheduler:8786
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from avtool.console import print_json, print_table, stderr
    from avtool.features.pipeline import extract_to_store, plan_jobs, select_shard
    from avtool.runtime import resolve_device

    jobs = plan_jobs(inputs or [], manifest)
    if shard is not None:
        jobs = select_shard(jobs, shard)
    dev = resolve_device(device)
    with Progress(TextColumn("extract"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]} items/s"), TimeElapsedColumn(),
                  TextColumn("ETA"), TimeRemainingColumn(), console=stderr,
                  transient=True) as bar:
        task = bar.add_task("extract", total=len(jobs), rate="-")

        def advance(done: int, total: int) -> None:
            elapsed = bar.tasks[0].elapsed or 1e-9
            bar.update(task, completed=done + (len(jobs) - total), rate=f"{done / elapsed:.1f}")

        report = extract_to_store(jobs, out, feature, workers=workers, device=dev,
                                  strict=strict, progress=advance,
                                  checkpoint_every=checkpoint_every, dask=dask)
    summary = {
        "store": report.store, "features": report.features, "items": report.total,
        "extracted": report.extracted, "already_done": report.skipped,
        "failed": [{"id": i, "path": p, "reason": r} for i, p, r in report.failed],
        "audio_seconds": round(report.audio_seconds, 3),
        "wall_seconds": round(report.wall_seconds, 3),
    }
    if as_json:
        print_json(summary)
    else:
        print_table([[report.store, ", ".join(report.features), report.total, report.extracted,
                      report.skipped, len(report.failed)]],
                    ["store", "features", "items", "extracted", "already done", "failed"])
    for item_id, _, reason in report.failed:
        stderr.print(f"[red]failed[/red] {item_id}: {reason}", highlight=False)
    if report.failed:
        raise typer.Exit(1)
