"""`avtool import <dataset>`: released features + labels of public datasets -> a feature store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import JsonOpt, StrictOpt, input_path, output_path

app = typer.Typer(
    help="Import released features and labels of public datasets into a feature store.",
    no_args_is_help=True,
)


@app.command("llp")
def llp(
    features: Annotated[Path, input_path(
        "--features", kind="dir", must_exist=False, show_default=False,
        help="Folder with vggish/, res152/, r2plus1d_18/ of <video id>.npy.")],
    csv: Annotated[list[Path], input_path(
        "--csv", must_exist=False, show_default=False, help="Weak-label file (repeatable): "
        "AVVP_train.csv, AVVP_val_pd.csv, AVVP_test_pd.csv; the split comes from the file "
        "name.")],
    out: Annotated[Path, output_path("--out", "-o", help="Store to create or extend.",
                                     show_default=False)],
    pool_frames: Annotated[bool, typer.Option(
        "--pool-frames", help="Store llp_frame averaged per second (10x2048 instead of "
        "80x2048; exact for HAN, 8x smaller).")] = False,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import the released LLP (AVVP) features and weak labels into a feature store.

    One item per clip (id = clip name; meta: split, labels). Features llp_audio (VGGish 10x128), llp_frame (ResNet-152 80x2048) and llp_motion (R(2+1)D-18 10x512) are read from <features>/<stream>/<first 11 chars of the clip name>.npy. Reruns import only what is missing. Clips with missing or malformed feature files are listed at the end (exit status 1); --strict stops at the first.

    Example: avtool import llp --features feats --csv AVVP_train.csv --csv AVVP_val_pd.csv --csv AVVP_test_pd.csv --out llp.h5
    """
    from avtool.console import print_json, print_table, stderr
    from avtool.tasks.avvp.llp_store import import_llp_features

    report = import_llp_features(features, csv, out, pool_frames=pool_frames, strict=strict)
    if as_json:
        print_json(report.to_dict())
    else:
        splits = ", ".join(f"{k} {v}" for k, v in sorted(report.splits.items()))
        print_table([[report.store, report.total, report.imported, report.skipped,
                      len(report.failed), splits]],
                    ["store", "clips", "imported", "already done", "failed", "splits"])
    for clip, reason in report.failed:
        stderr.print(f"[red]failed[/red] {clip}: {reason}", highlight=False)
    if report.failed:
        raise typer.Exit(1)


@app.command("ce-features")
def ce_features(
    out: Annotated[Path, output_path("--out", "-o", help="Store to create or extend.",
                                     show_default=False)],
    root: Annotated[Path | None, input_path(
        "--root", kind="dir", show_default=False,
        help="A CE release folder (data/MSRVTT/structured-symlinks): its expert files "
        "aggregated_*/…pickle are found by CE's names.")] = None,
    expert: Annotated[list[str] | None, typer.Option(
        "--expert", show_default=False, help="Import only this CE expert of --root "
        "(repeatable): audio, face, ocr, speech, imagenet.senet154.0, scene.densenet161.0, "
        "i3d.i3d.0, r2p1d.r2p1d-ig65m.0, imagenet.resnext101_32x48d.0 ...")] = None,
    file: Annotated[list[Path] | None, input_path(
        "--file", show_default=False, help="Another CE expert file (repeatable): a pickled "
        "dict video id -> array (.pickle, .pkl, or .npy holding the dict).")] = None,
    split_list: Annotated[list[Path] | None, input_path(
        "--split-list", show_default=False, help="Import only these videos (repeatable), the "
        "split from the name: CE's train_list_jsfusion.txt, val_list_jsfusion.txt, "
        "test_list_full.txt (one id a line), or MSRVTT_train.9k.csv, "
        "MSRVTT_JSFUSION_test.csv.")] = None,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import Collaborative Experts' released per-expert features into a feature store.

    One store feature per expert file, named after the expert (imagenet.senet154.0 -> imagenet_senet154_0), its rows untimed; one item per video id (meta: split, when split lists are given). Pooled (D,) vectors become one row; a video whose value is CE's NaN (or absent from the file) gets zero rows, a missing expert. The pickles are read by an unpickler that builds only numpy arrays and plain containers: a file asking for anything else is refused. Reruns import only what is missing. Videos malformed in some file are listed at the end (exit status 1); --strict stops at the first.

    Example: avtool import ce-features --root data/MSRVTT/structured-symlinks --split-list data/MSRVTT/structured-symlinks/train_list_jsfusion.txt --split-list data/MSRVTT/structured-symlinks/val_list_jsfusion.txt --out msrvtt-ce.h5
    """
    from avtool.console import print_json, print_table, stderr
    from avtool.tasks.retrieval.ce_import import import_ce_features

    report = import_ce_features(out, root, expert or (), file or (), split_list or (),
                                strict=strict)
    if as_json:
        print_json(report.to_dict())
    else:
        splits = ", ".join(f"{k} {v}" for k, v in sorted(report.splits.items()))
        print_table([[report.store, report.total, report.imported, report.skipped,
                      len(report.failed), splits]],
                    ["store", "videos", "imported", "already done", "failed", "splits"])
        print_table([[n, f["dim"], f["present"], f["missing"], f["file"]]
                     for n, f in report.features.items()],
                    ["feature", "dim", "videos", "missing", "file"])
    for video, reason in report.failed:
        stderr.print(f"[red]failed[/red] {video}: {reason}", highlight=False)
    if report.failed:
        raise typer.Exit(1)
