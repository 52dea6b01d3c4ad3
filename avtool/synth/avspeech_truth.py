"""The ground-truth files of the synthetic audio-visual speech corpus, and a reader of its
word timings (layout: `avtool.synth.avspeech`).

* ``clips.csv``: ``id,path,split,text,on_screen`` (the manifest of ``avtool extract-features``;
  columns other than id and path become item labels);
* ``words.tsv``: ``id, index, word, start, end, content, on_screen, kind``, tab-separated, one
  row per spoken word in order; times in seconds from the clip start (3 decimals); content and
  on_screen are 1/0; kind is colour, shape, motion, sound or function;
* ``how2/<split>/`` (`avtool.formats.how2`) and ``visspeech.csv`` (`avtool.formats.visspeech`);
* ``corpus.json``: config, vocabulary, templates and counts.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from avtool.synth.avspeech_render import ClipTiming
from avtool.synth.avspeech_vocab import CONTENT_KINDS, FUNCTION, VOCABULARIES

WORDS_COLUMNS = ("id", "index", "word", "start", "end", "content", "on_screen", "kind")
MANIFEST_COLUMNS = ("id", "path", "split", "text", "on_screen")


def write_ground_truth(out: str | Path, cfg, plans: Sequence,
                       timings: Sequence[ClipTiming], media_dir: str = "clips") -> list[Path]:
    """Write clips.csv, words.tsv, how2/<split>/, visspeech.csv and corpus.json (atomically)."""
    from avtool.formats.how2 import How2Segment, write_how2
    from avtool.formats.visspeech import VisSpeechSegment, write_visspeech
    from avtool.io import atomic_write

    out = Path(out)
    with atomic_write(out / "clips.csv", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        for p in plans:
            writer.writerow([p.id, f"{media_dir}/{p.id}.mp4", p.split, p.text, int(p.on_screen)])
    with atomic_write(out / "words.tsv", newline="") as fh:
        fh.write("\t".join(WORDS_COLUMNS) + "\n")
        for p, t in zip(plans, timings, strict=True):
            for k, (w, (a, b)) in enumerate(zip(p.words, t.spans, strict=True)):
                fh.write(f"{p.id}\t{k}\t{w.word}\t{a:.3f}\t{b:.3f}\t{int(w.content)}\t"
                         f"{int(w.on_screen)}\t{w.kind}\n")
    files = [out / "clips.csv", out / "words.tsv"]
    for split in ("train", "val", "test"):
        files += write_how2(out / "how2" / split, [
            How2Segment(p.id, p.video, p.source_start, round(p.source_start + t.duration, 2),
                        p.text)
            for p, t in zip(plans, timings, strict=True) if p.split == split], cfg.language)
    files.append(write_visspeech(out / "visspeech.csv", [
        VisSpeechSegment(p.id, p.video, p.source_start, p.source_start + t.duration, p.text)
        for p, t in zip(plans, timings, strict=True)]))
    with atomic_write(out / "corpus.json") as fh:
        fh.write(json.dumps(describe_corpus(cfg, plans, timings), indent=1, ensure_ascii=False)
                 + "\n")
    return [*files, out / "corpus.json", out / "config.json"]


def describe_corpus(cfg, plans: Sequence,
                    timings: Sequence[ClipTiming]) -> dict:
    """corpus.json: what was generated, how, and how much of it."""
    from avtool import __version__
    from avtool.config import config_to_dict

    vocab = VOCABULARIES[cfg.language]
    words = [w for p in plans for w in p.words]
    return {
        "corpus": "avtool synth avspeech",
        "avtool_version": __version__,
        "config": config_to_dict(cfg, "synth_avspeech"),
        "vocabulary": {**{k: list(vocab.words(k).values()) for k in CONTENT_KINDS},
                       FUNCTION: list(vocab.function_words())},
        "templates": list(vocab.templates + vocab.sound_templates),
        "counts": {
            "clips": len(plans),
            "splits": {s: sum(p.split == s for p in plans) for s in ("train", "val", "test")},
            "on_screen_clips": sum(p.on_screen for p in plans),
            "distractor_clips": sum(p.shown is not None and not p.on_screen for p in plans),
            "empty_scene_clips": sum(p.shown is None for p in plans),
            "clips_with_sound": sum(p.sound is not None for p in plans),
            "words": len(words),
            "content_words": {k: sum(w.kind == k for w in words) for k in CONTENT_KINDS},
            "content_words_on_screen": sum(w.on_screen for w in words),
            "seconds": round(sum(t.duration for t in timings), 2),
        },
        "files": {
            "clips/<id>.mp4": f"{cfg.width}x{cfg.height} at {cfg.fps} fps, mono AAC at "
                              f"{cfg.sample_rate} Hz",
            "clips.csv": ",".join(MANIFEST_COLUMNS) + " (avtool extract-features --manifest)",
            "words.tsv": "\t".join(WORDS_COLUMNS) + " (seconds from the clip start)",
            "how2/<split>/": f"text.id.{cfg.language}, text.{cfg.language}, segments, id, "
                              "utt2spk (avtool.formats.how2)",
            "visspeech.csv": "key,yt_id,start_time,end_time,text in ms "
                             "(avtool.formats.visspeech)",
        },
    }


@dataclass(frozen=True)
class WordTiming:
    """One row of words.tsv."""

    index: int
    word: str
    start: float
    end: float
    content: bool
    on_screen: bool
    kind: str


def read_word_timings(path: str | Path) -> dict[str, list[WordTiming]]:
    """words.tsv -> {clip id: its words in order}; FormatError naming file:line if malformed."""
    from avtool.errors import FormatError
    from avtool.formats.moments import read_text_lines

    path = Path(path)
    lines = read_text_lines(path)
    if not lines or tuple(lines[0].split("\t")) != WORDS_COLUMNS:
        raise FormatError(f"{path}:1: expected the header {chr(9).join(WORDS_COLUMNS)!r}")
    out: dict[str, list[WordTiming]] = {}
    for no, line in enumerate(lines[1:], 2):
        fields = line.split("\t")
        try:
            if len(fields) != len(WORDS_COLUMNS):
                raise ValueError(f"{len(fields)} fields, expected {len(WORDS_COLUMNS)}")
            clip, index, word, start, end, content, on_screen, kind = fields
            row = WordTiming(int(index), word, float(start), float(end), content == "1",
                             on_screen == "1", kind)
        except ValueError as err:
            raise FormatError(f"{path}:{no}: {err}") from None
        out.setdefault(clip, []).append(row)
    return out
