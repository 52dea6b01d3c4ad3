"""`avtool store info|check`: look inside a feature store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import JsonOpt, input_path, output_path

app = typer.Typer(help="Inspect and validate HDF5 feature stores.", no_args_is_help=True)

StoreArg = Annotated[Path, input_path(
    "STORE", kind="any", must_exist=False, argument=True,
    help="Feature store (.h5), or a directory / glob pattern of store shards.")]


@app.command("info")
def info(store: StoreArg, as_json: JsonOpt = False) -> None:
    """Items, features, dimensions, frame rates and provenance of a store.

    Example:
      avtool store info feats.h5 --json
    """
    from avtool.console import print_json, print_table
    from avtool.store import open_store

    with open_store(store) as st:
        n = len(st)
        feats = []
        for name, fi in st.features.items():
            feats.append({
                "name": name, "extractor": fi.extractor, "frame_rate": fi.frame_rate,
                "frame_shape": list(fi.frame_shape), "dtype": fi.dtype, "items": st.count(name),
                "frames": st.total_frames(name), "config": fi.config,
                "avtool_version": fi.avtool_version, "model_checksum": fi.model_checksum,
            })
        duration = st.total_duration()
        summary = {"path": str(store), "schema_version": st.schema_version,
                   "shards": [str(p) for p in getattr(st, "paths", [store])],
                   "items": n, "total_duration_s": round(duration, 3), "features": feats}
    if as_json:
        print_json(summary)
        return
    print_table(
        [[f["name"], f["extractor"], f"{f['frame_rate']:g}", "x".join(map(str, f["frame_shape"])),
          f["dtype"], f["items"], f["frames"], f["model_checksum"][:12] or "-"]
         for f in feats],
        ["feature", "extractor", "fps", "frame shape", "dtype", "items", "frames", "model"],
        title=f"{store}: {n} items, {duration:.1f} s in {len(summary['shards'])} file(s) "
              f"(schema {summary['schema_version']})",
    )
    for f in feats:
        params = ", ".join(f"{k}={v}" for k, v in f["config"].items() if k != "type")
        typer.echo(f"{f['name']}: {f['extractor']}({params}) avtool {f['avtool_version']}")


@app.command("check")
def check(store: StoreArg, as_json: JsonOpt = False) -> None:
    """Validate a store's structure; exit status 2 with the reason when it is not valid.

    Example:
      avtool store check feats.h5
    """
    from avtool.console import print_json
    from avtool.store import check_store

    result = check_store(store)
    if as_json:
        print_json(result)
    else:
        typer.echo(f"{store}: valid ({result['items']} items; features: "
                   f"{', '.join(result['features']) or 'none'})")


@app.command("merge")
def merge(
    out: Annotated[Path, output_path("OUT", argument=True, help="New store to write.")],
    shards: Annotated[list[str], typer.Argument(help="Store files, directories or glob patterns.")],
    as_json: JsonOpt = False,
) -> None:
    """Merge store shards (e.g. from extract-features --shard I/N) into one new store.

    Example:
      avtool store merge feats.h5 'shards/feats-*.h5'
    """
    from avtool.console import print_json
    from avtool.store import merge_stores

    result = merge_stores(out, shards)
    if as_json:
        print_json(result)
    else:
        typer.echo(f"{out}: {result['items']} items from {len(result['shards'])} shards "
                   f"(features: {', '.join(result['features'])})")
