"""`avtool retrieve index|query`: text-video retrieval with a trained MMT or CE model."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import (
    DeviceOpt,
    JsonOpt,
    WorkersOpt,
    input_path,
    number_option,
    output_path,
)
from avtool.config import Range

app = typer.Typer(help="Text-video retrieval: embed a collection once (index), then answer "
                  "captions (query).", no_args_is_help=True)


class Dtype(str, Enum):
    float32 = "float32"
    float16 = "float16"


class Direction(str, Enum):
    t2v = "t2v"
    v2t = "v2t"


@app.command("index")
def index(
    sources: Annotated[list[str], typer.Argument(
        metavar="VIDEOS|STORE", help="A store of experts (.h5, a shard folder or glob) made by "
        "extract-features with the model's experts, or media files / folders to extract "
        "them from first.", show_default=False)],
    model: Annotated[Path, input_path("--model", "-m", kind="any", help="RUN_DIR or .pt of "
                                      "avtool train retrieval.", show_default=False)],
    out: Annotated[Path, output_path("--out", "-o", help="Index file to write (.h5).",
                                     suffixes=(".h5",), show_default=False)],
    manifest: Annotated[Path | None, input_path(
        "--manifest", help="CSV/TSV/JSONL manifest of media (id, path) instead of folders.")
    ] = None,
    workers: WorkersOpt = 1,
    dask: Annotated[str | None, typer.Option(
        "--dask", metavar="local|ADDRESS", help="Extract media experts on Dask distributed, "
        "as extract-features --dask.")] = None,
    dtype: Annotated[Dtype, typer.Option("--dtype", help="Embedding precision in the index "
                                         "(float16 halves its memory).")] = Dtype.float32,
    approximate: Annotated[bool, typer.Option(
        "--approximate", help="Also build the approximate-search IVF (INDEX.ivf, needs "
        "faiss-cpu) for query --approximate.")] = False,
    lists: Annotated[int, number_option(
        "--lists", kind=int, valid=Range(0, 1 << 24),
        help="IVF cells with --approximate (0: about sqrt(videos)).")] = 0,
    device: DeviceOpt = "cpu",
    as_json: JsonOpt = False,
) -> None:
    """Embed a collection once into an index for `avtool retrieve query`.

    Media are first run through the extractors recorded in the model (into INDEX.experts.h5, resumable); the videos are then embedded by chunks (a killed run resumes). The index records the model it was built with.

    Example: avtool retrieve index build/retrieval/experts.h5 --model runs/mmt --out index.h5
    """
    from avtool.console import counting_bar, print_json, print_table
    from avtool.runtime import resolve_device
    from avtool.tasks.retrieval.retrieve import index_collection

    with counting_bar("embed", 0) as progress:
        summary = index_collection(sources, model, out, manifest=manifest, workers=workers,
                                   dask=dask, dtype=dtype.value, approximate=approximate,
                                   lists=lists,
                                   device=resolve_device(str(getattr(device, "value", device))),
                                   progress=progress)
    if as_json:
        print_json(summary)
        return
    print_table([[summary["index"], summary["videos"], ", ".join(summary["experts"]),
                  summary["d_model"], summary["dtype"]]],
                ["index", "videos", "experts", "d", "dtype"])
    failed = (summary.get("extraction") or {}).get("failed") or []
    if failed:
        for item_id, path, reason in failed:
            typer.echo(f"failed: {item_id} ({path}): {reason}", err=True)
        raise typer.Exit(1)


@app.command("query")
def query(
    index_file: Annotated[Path, input_path("INDEX", argument=True, help="Index of avtool "
                                           "retrieve index.", show_default=False)],
    caption: Annotated[list[str] | None, typer.Argument(
        metavar="[CAPTION]...", help="Captions to search for (t2v), or video ids (v2t).",
        show_default=False)] = None,
    queries: Annotated[Path | None, input_path(
        "--queries", "-q", help="Batch of captions: the 1k-A test CSV, id<TAB>caption"
        "[<TAB>video_id] lines, or one caption a line; writes rankings to --out.")] = None,
    out: Annotated[Path | None, output_path(
        "--out", "-o", kind="dir", help="Folder for the --queries rankings (sims.npy, "
        "queries.txt, videos.txt, gt.tsv, rankings.tsv).")] = None,
    direction: Annotated[Direction, typer.Option(
        "--direction", help="t2v: captions rank videos; v2t: each given video id ranks the "
        "--captions.")] = Direction.t2v,
    captions: Annotated[Path | None, input_path(
        "--captions", help="v2t candidates: a queries file (as --queries).")] = None,
    top: Annotated[int, number_option("--top", "-k", kind=int, valid=Range(1, 10_000_000),
                                      help="Results per query.")] = 10,
    model: Annotated[Path | None, input_path(
        "--model", "-m", kind="any", help="The model the index was built with (default: the "
        "path recorded in the index).")] = None,
    approximate: Annotated[bool, typer.Option(
        "--approximate", help="Search the IVF of index --approximate (faiss-cpu): the best "
        "--candidates of --nprobe cells, re-scored exactly. Default: exact search.")] = False,
    nprobe: Annotated[int, number_option("--nprobe", kind=int, valid=Range(1, 1 << 20),
                                         help="IVF cells scanned by --approximate.")] = 16,
    candidates: Annotated[int, number_option(
        "--candidates", kind=int, valid=Range(1, 1 << 20),
        help="Videos --approximate re-scores exactly.")] = 1000,
    device: DeviceOpt = "cpu",
    as_json: JsonOpt = False,
) -> None:
    """Rank the indexed videos for a caption, with each expert's mixture weight for it.

    Exact search: each video's score is the weighted sum of per-expert cosines, one inner product over the concatenated embeddings divided by the weights of the experts it has. A caption longer than the text encoder takes is truncated (and said so).

    Example: avtool retrieve query index.h5 "a dog barks while a red star spins" --top 5
    """
    from avtool.console import print_json, print_table
    from avtool.errors import ConfigError
    from avtool.runtime import resolve_device
    from avtool.tasks.retrieval import retrieve

    dev = resolve_device(str(getattr(device, "value", device)))
    if direction == Direction.v2t:
        if not caption or captions is None:
            raise ConfigError("--direction v2t: give video ids and --captions FILE")
        from avtool.tasks.retrieval.queries import read_queries

        texts = [q.caption for q in read_queries(captions)]
        rows = {v: retrieve.query_video(index_file, v, texts, model=model, top=top, device=dev)
                for v in caption}
        if as_json:
            print_json({v: [{"rank": k, "caption": c, "score": round(s, 6)}
                            for k, (c, s) in enumerate(r, 1)] for v, r in rows.items()})
            return
        print_table([[v, k, c, f"{s:.4f}"] for v, r in rows.items()
                     for k, (c, s) in enumerate(r, 1)], ["video_id", "rank", "caption", "score"])
        return
    if queries is not None:
        if caption:
            raise ConfigError("give captions or --queries, not both")
        if out is None:
            raise ConfigError("--queries writes rankings: give --out FOLDER")
        summary = retrieve.query_file(index_file, queries, out, model=model, top=top,
                                      device=dev)
        if as_json:
            print_json(summary)
            return
        print_table([[summary["out"], summary["queries"], summary["videos"],
                      summary["truncated"], "yes" if summary["gt"] else "no"]],
                    ["out", "queries", "videos", "truncated", "gt.tsv"])
        return
    if not caption:
        raise ConfigError("give a caption to search for (or --queries FILE)")
    results = retrieve.query_captions(index_file, caption, model=model, top=top, device=dev,
                                      approximate=approximate, nprobe=nprobe,
                                      candidates=candidates)
    if as_json:
        print_json([r.to_dict() for r in results] if len(results) > 1 else results[0].to_dict())
        return
    for r in results:
        weights = ", ".join(f"{e} {w:.2f}" for e, w in r.weights.items())
        note = " (truncated)" if r.truncated else ""
        print_table([[k, v, f"{s:.4f}"] for k, (v, s) in enumerate(r.hits, 1)],
                    ["rank", "video_id", "score"], title=f"{r.caption}{note}",
                    caption=f"expert weights: {weights}")
