"""Where `avtool transcribe` puts its transcripts, and in which format.

``--out FILE``, ``--out-dir DIR`` or neither decide the kind of output (`plan_output`):

* neither: stdout, ``id<TAB>text`` per item (``--format kaldi``: ``id text``; ``jsonl``: one
  JSON object per item; a single input may also be printed as txt, srt, vtt or json);
* ``--out`` ending ``.tsv`` or ``.jsonl``, or any ``--out`` with ``--format kaldi``: one file for
  the whole batch. ``.tsv`` holds ``id<TAB>text`` lines without header and ``kaldi`` ``id text``
  lines: both are Kaldi ``text`` files that ``avtool evaluate transcription --hyp`` reads;
  ``.jsonl`` holds each transcript's JSON, words included;
* ``--out`` ending ``.txt``, ``.srt``, ``.vtt`` or ``.json``: that one file, for a single input;
* ``--out-dir DIR``: one file per item, ``DIR/<id>.<format>`` (``--format``, default txt).

Per-file formats: ``txt`` the text; ``json`` the transcript (`Transcript.to_dict`); ``tsv``
``start end text`` rows in seconds, one per word when word timings exist, else one for the
whole item; ``srt`` and ``vtt`` subtitles whose cues are built from word timings (phrases of at
most `CUE_SECONDS` / `CUE_CHARS`, cut at sentence ends and pauses; one cue per word with
``--word-timestamps``). Every file is written atomically.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avtool.errors import ConfigError
from avtool.tasks.transcribe.transcript import Transcript, Word

FILE_FORMATS = ("txt", "srt", "vtt", "json", "tsv")
"""One file per item."""
BATCH_FORMATS = ("tsv", "jsonl", "kaldi")
"""One file (or stdout) for the batch."""
FORMATS = ("txt", "srt", "vtt", "json", "tsv", "jsonl", "kaldi")
TIMED_FORMATS = ("srt", "vtt")
"""Formats built from word timings: they turn word timestamps on."""

CUE_SECONDS = 7.0
CUE_CHARS = 84
CUE_PAUSE = 1.0
"""A cue ends at a sentence end, before a pause this long, or at its length limits."""


@dataclass(frozen=True)
class OutputPlan:
    kind: str  # "stdout" | "batch" | "file" | "dir"
    fmt: str
    path: Path | None = None

    @property
    def journal(self) -> Path | None:
        """``OUT.journal.jsonl`` (``DIR.journal.jsonl``): the resumable record of the run
        (none for stdout)."""
        return None if self.path is None else Path(f"{self.path}.journal.jsonl")

    @property
    def word_timings(self) -> bool:
        return self.fmt in TIMED_FORMATS


def check_format(fmt: str | None) -> str | None:
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return fmt


def plan_output(out: str | Path | None, out_dir: str | Path | None, fmt: str | None,
                ids: Sequence[str]) -> OutputPlan:
    """What ``--out``, ``--out-dir`` and ``--format`` ask for, checked against the items'
    ``ids`` before any work (`ConfigError` naming the option otherwise)."""
    check_format(fmt)
    if out is not None and out_dir is not None:
        raise ConfigError("give --out FILE or --out-dir DIR, not both")
    if out_dir is not None:
        fmt = fmt or "txt"
        if fmt not in FILE_FORMATS:
            raise ConfigError(f"--format {fmt} is a batch format: give --out FILE instead of "
                              "--out-dir")
        plan = OutputPlan("dir", fmt, Path(out_dir))
    elif out is not None:
        out = Path(out)
        suffix = out.suffix.lower().lstrip(".")
        if fmt == "kaldi" or suffix in ("tsv", "jsonl"):
            wanted = "kaldi" if fmt == "kaldi" else suffix
            if fmt not in (None, wanted):
                raise ConfigError(f"--out {out} is a .{suffix} batch file; --format {fmt} "
                                  "does not go in it (drop --format, or give --out-dir)")
            plan = OutputPlan("batch", wanted, out)
        elif suffix in FILE_FORMATS:
            if fmt not in (None, suffix):
                raise ConfigError(f"--out {out} names a .{suffix} file; it cannot hold "
                                  f"--format {fmt}")
            if len(ids) != 1:
                raise ConfigError(f"--out {out} names one file but there are {len(ids)} "
                                  "inputs: give --out-dir DIR, or a .tsv / .jsonl batch file")
            plan = OutputPlan("file", suffix, out)
        else:
            raise ConfigError(f"--out {out}: unknown format {out.suffix or '(no suffix)'!r} "
                              "(use .tsv, .jsonl, .txt, .srt, .vtt or .json, or --format kaldi "
                              "for a Kaldi text file)")
    else:
        fmt = fmt or "tsv"
        if fmt in FILE_FORMATS and fmt != "tsv" and len(ids) != 1:
            raise ConfigError(f"--format {fmt} prints one transcript; with {len(ids)} inputs "
                              "give --out-dir DIR (one file each) or --format tsv|jsonl|kaldi")
        plan = OutputPlan("stdout", fmt)
    _check_ids(plan, ids)
    return plan


def _check_ids(plan: OutputPlan, ids: Sequence[str]) -> None:
    for item in ids:
        if plan.kind == "dir" and (item.startswith("/") or ".." in item.split("/")
                                   or "" in item.split("/")):
            raise ConfigError(f"item id {item!r} cannot name a file under {plan.path}")
        if plan.fmt in ("tsv", "kaldi") and plan.kind in ("stdout", "batch") \
                and re.search(r"\s", item):
            raise ConfigError(f"item id {item!r} contains whitespace: a {plan.fmt} transcript "
                              "line is 'id text' (use --format jsonl or --out DIR)")


# --------------------------------------------------------------------------- rendering


def one_line(text: str) -> str:
    return " ".join(text.split())


def transcript_from_dict(d: dict[str, Any]) -> Transcript:
    """Inverse of `Transcript.to_dict` (at its rounding)."""
    words = tuple(Word(w["word"], float(w["start"]), float(w["end"]), w.get("probability"))
                  for w in d.get("words", ()))
    return Transcript(str(d["id"]), str(d["text"]), float(d["duration"]), words,
                      str(d.get("model", "")))


def _clock(seconds: float, sep: str) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def cues(transcript: Transcript, per_word: bool = False) -> list[tuple[float, float, str]]:
    """(start, end, text) subtitle cues; one cue for the whole item when it has no words."""
    if not transcript.words:
        text = one_line(transcript.text)
        return [(0.0, transcript.duration, text)] if text else []
    if per_word:
        return [(w.start, w.end, w.text) for w in transcript.words]
    out: list[tuple[float, float, str]] = []
    group: list[Word] = []
    for i, w in enumerate(transcript.words):
        if group and (w.end - group[0].start > CUE_SECONDS
                      or len(" ".join(x.text for x in group)) + 1 + len(w.text) > CUE_CHARS):
            out.append((group[0].start, group[-1].end, " ".join(x.text for x in group)))
            group = []
        group.append(w)
        following = transcript.words[i + 1] if i + 1 < len(transcript.words) else None
        if following is None or w.text.endswith((".", "?", "!")) \
                or following.start - w.end >= CUE_PAUSE:
            out.append((group[0].start, group[-1].end, " ".join(x.text for x in group)))
            group = []
    return out


def render(transcript: Transcript, fmt: str, per_word_cues: bool = False) -> str:
    """One item in a per-file format (`FILE_FORMATS`)."""
    if fmt == "txt":
        return one_line(transcript.text) + "\n"
    if fmt == "json":
        return json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "tsv":
        rows = ([(w.start, w.end, w.text) for w in transcript.words] if transcript.words
                else [(0.0, transcript.duration, one_line(transcript.text))])
        return "start\tend\ttext\n" + "".join(f"{a:.3f}\t{b:.3f}\t{t}\n" for a, b, t in rows)
    if fmt in TIMED_FORMATS:
        sep = "," if fmt == "srt" else "."
        blocks = [f"{_clock(a, sep)} --> {_clock(b, sep)}\n{t}\n"
                  for a, b, t in cues(transcript, per_word_cues)]
        if fmt == "srt":
            return "\n".join(f"{k}\n{block}" for k, block in enumerate(blocks, 1))
        return "WEBVTT\n\n" + "\n".join(blocks)
    raise ConfigError(f"--format {fmt!r}: not a per-file format ({', '.join(FILE_FORMATS)})")


def render_batch(transcripts: Sequence[Transcript], fmt: str) -> str:
    """Every item in a batch format (`BATCH_FORMATS`)."""
    if fmt == "jsonl":
        return "".join(json.dumps(t.to_dict(), ensure_ascii=False) + "\n" for t in transcripts)
    sep = "\t" if fmt == "tsv" else " "
    return "".join(f"{t.id}{sep}{one_line(t.text)}\n" for t in transcripts)


def render_stdout(plan: OutputPlan, transcripts: Sequence[Transcript],
                  per_word_cues: bool = False) -> str:
    if plan.fmt in BATCH_FORMATS:
        return render_batch(transcripts, plan.fmt)
    return "".join(render(t, plan.fmt, per_word_cues) for t in transcripts)


def write_outputs(plan: OutputPlan, transcripts: Sequence[Transcript],
                  per_word_cues: bool = False) -> list[Path]:
    """Write the transcripts as `plan` says (each file atomically); the paths written.
    Nothing is written when no item was transcribed."""
    from avtool.io import atomic_write

    if plan.kind == "stdout" or plan.path is None or not transcripts:
        return []
    if plan.kind == "batch":
        with atomic_write(plan.path, encoding="utf-8") as fh:
            fh.write(render_batch(transcripts, plan.fmt))
        return [plan.path]
    if plan.kind == "file":
        with atomic_write(plan.path, encoding="utf-8") as fh:
            fh.write(render(transcripts[0], plan.fmt, per_word_cues))
        return [plan.path]
    written = []
    for t in transcripts:
        path = plan.path / f"{t.id}.{plan.fmt}"
        with atomic_write(path, encoding="utf-8") as fh:
            fh.write(render(t, plan.fmt, per_word_cues))
        written.append(path)
    return written
