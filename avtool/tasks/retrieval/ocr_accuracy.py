"""Tesseract's word accuracy on a corpus of `avtool synth retrieval --text-share` (README).

For every video of the corpus, the OCR expert's reading (`ocr_tesseract`, any options) of each
sampled frame is compared with the word the plan wrote on it (``truth.jsonl``): the share of
frames whose word is read, the share of videos whose expert holds the word (what retrieval
sees), and the words kept that were never written (on any video).

    python -m avtool.tasks.retrieval.ocr_accuracy build/ocr-check [--feature ocr_tesseract:psm=6]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class OcrAccuracy:
    feature: str
    frames: int  # frames of videos with a word
    frames_read: int  # ... whose reading holds the word
    videos: int  # videos with a word
    videos_read: int  # ... whose expert (all frames' distinct words) holds it
    other_words: int  # distinct words kept that the video does not show, summed over videos
    all_videos: int
    seconds_per_video: float

    def line(self) -> str:
        return (f"{self.feature}: word read in {self.frames_read}/{self.frames} frames "
                f"({self.frames_read / max(self.frames, 1):.1%}), "
                f"{self.videos_read}/{self.videos} videos "
                f"({self.videos_read / max(self.videos, 1):.1%}); other words kept: "
                f"{self.other_words} in {self.all_videos} videos; "
                f"{self.seconds_per_video:.2f} s per video")


def ocr_accuracy(corpus: str | Path, feature: str = "ocr_tesseract") -> OcrAccuracy:
    from avtool.features import MediaSource, build_extractor
    from avtool.synth.retrieval import read_truth

    corpus = Path(corpus)
    ex = build_extractor(feature)
    plans = read_truth(corpus / "truth.jsonl")
    frames = frames_read = videos = videos_read = other = 0
    t0 = time.perf_counter()
    for plan in plans:
        word, seen = plan.get("text"), set()
        source = MediaSource(corpus / "videos" / f"{plan['video_id']}.mp4")
        for _, frame in source.frames(ex.config.fps, tuple(ex.config.size)):
            read = {w.upper() for w in ex.read_words(frame)}
            seen |= read
            frames, frames_read = frames + bool(word), frames_read + (word in read)
        other += len(seen - {word})
        videos, videos_read = videos + bool(word), videos_read + (word in seen)
    return OcrAccuracy(feature, frames, frames_read, videos, videos_read, other, len(plans),
                       (time.perf_counter() - t0) / max(len(plans), 1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", help="an `avtool synth retrieval --text-share` folder")
    parser.add_argument("--feature", action="append",
                        help="extractor spec (repeatable; default ocr_tesseract)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for spec in args.feature or ["ocr_tesseract"]:
        result = ocr_accuracy(args.corpus, spec)
        print(json.dumps(asdict(result)) if args.json else result.line(), flush=True)


if __name__ == "__main__":
    main()
