"""`avtool synth retrieval`: a synthetic text-video retrieval corpus (mp4 + MSR-VTT files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from avtool.cli.options import JsonOpt, SeedOpt, WorkersOpt, number_option, output_path
from avtool.cli.synth import app
from avtool.config import Range


@app.command("retrieval")
def retrieval(
    out: Annotated[Path, output_path("--out", "-o", kind="dir", help="Output folder (created).",
                                     show_default=False)],
    videos: Annotated[int, number_option("--videos", "-n", kind=int, valid=Range(1, 1_000_000),
                                         help="Number of videos.")] = 300,
    seed: SeedOpt = 0,
    val_fraction: Annotated[float, number_option(
        "--val-fraction", valid=Range(0, 1, max_open=True),
        help="Share of videos in the validation split.")] = 0.1,
    test_fraction: Annotated[float, number_option(
        "--test-fraction", valid=Range(0, 1, max_open=True),
        help="Share of videos in the test split.")] = 0.25,
    seconds: Annotated[int, number_option("--seconds", kind=int, valid=Range(2, 60),
                                          help="Video length.")] = 4,
    p_speech: Annotated[float, number_option(
        "--p-speech", valid=Range(0, 1), help="Share of videos with a voice.")] = 0.5,
    p_face: Annotated[float, number_option(
        "--p-face", valid=Range(0, 1), help="Share of videos showing a face.")] = 0.3,
    text_share: Annotated[float, number_option(
        "--text-share", valid=Range(0, 1),
        help="Share of videos with one word written on screen (HARBOUR, BAKERY, ...) and "
             "captions only that word answers (kind ocr), for the OCR expert.")] = 0.0,
    long_videos: Annotated[int, number_option(
        "--long-videos", kind=int, valid=Range(0, 100_000),
        help="Also write this many ActivityNet-style long videos under OUT/long/ (3-5 "
             "segments, one sentence each, paragraph split in activitynet/*.json).")] = 0,
    long_seconds: Annotated[int, number_option(
        "--long-seconds", kind=int, valid=Range(12, 300),
        help="Length of each long video (segments of at least 4 s).")] = 24,
    workers: WorkersOpt = 2,
    as_json: JsonOpt = False,
) -> None:
    """Generate a synthetic text-video retrieval corpus in the MSR-VTT formats.

    Short mp4 videos of one or two sprites (colour, shape, motion) with a library sound, a voice (espeak-ng) talking about one of a dozen topics, and a face for some; each with captions written from its ground truth in plain words: some only the picture answers ("a red star spins"), some only the sound ("a dog barks"), some both ("a dog barks while a red star spins"), some only the speech ("a man talks about football") and some the face. Writes videos/*.mp4, videos.csv (manifest for extract-features), MSRVTT_data.json, MSRVTT_train.9k.csv, MSRVTT_train.7k.csv, MSRVTT_JSFUSION_test.csv (one caption per test video, 1k-A style), activitynet/train.json and val_1.json (the same videos, each caption a sentence) and truth.jsonl (each caption's kind). --text-share writes a word (HARBOUR, BAKERY, ...) on that share of the videos, with captions only the word answers ("a video with the word HARBOUR written on it"). --long-videos N adds N long videos of consecutive segments under OUT/long/, with ActivityNet Captions JSON (true segment timestamps, one sentence each) for paragraph retrieval. Deterministic from --seed; videos already rendered are kept on a rerun.

    Example: avtool synth retrieval --out build/retrieval --videos 300 --seed 0 --workers 2

    Example: avtool synth retrieval --out build/retrieval-ocr --videos 40 --text-share 0.5 --long-videos 4
    """
    from avtool.console import counting_bar, print_json, print_table
    from avtool.errors import ConfigError
    from avtool.synth.retrieval import SynthRetrievalConfig, synth_retrieval

    if val_fraction + test_fraction >= 1.0:
        raise ConfigError("--val-fraction + --test-fraction must leave training videos (< 1)")
    cfg = SynthRetrievalConfig(videos=videos, seed=seed, val_fraction=val_fraction,
                               test_fraction=test_fraction, seconds=seconds, p_speech=p_speech,
                               p_face=p_face, text_share=text_share, long_videos=long_videos,
                               long_seconds=long_seconds)
    total = videos + long_videos  # one bar: the short videos, then the long ones
    with counting_bar("render", total) as bar:
        report = synth_retrieval(out, cfg, workers=workers,
                                 progress=lambda done, _: bar(done, total),
                                 long_progress=lambda done, _: bar(videos + done, total))
    if as_json:
        print_json(report.to_dict())
        return
    splits = ", ".join(f"{k} {v}" for k, v in report.splits.items())
    kinds = ", ".join(f"{k} {v}" for k, v in report.captions.items())
    print_table([[report.out, report.videos, report.long_videos, splits, kinds,
                  f"{report.wall_seconds:.1f}"]],
                ["out", "videos", "long videos", "splits", "captions", "seconds"])
