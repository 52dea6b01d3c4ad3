"""The journal that makes `avtool transcribe --out OUT` resumable: ``OUT.journal.jsonl``.

Each transcribed item is appended as one JSON line and fsynced before the next item starts,
so a run killed at any instant loses at most the item in flight; the outputs themselves are
written (atomically) from the journal only at the end. A rerun skips every item whose entry
matches its source (path, excerpt, size and modification time) and transcribes the rest.

The first line records the settings that decide the transcripts (model, decoding, word
timings, noise, seed); a journal made with other settings is refused rather than mixed. A last
line cut short by a kill is dropped. The journal stays after the run: rerunning the same
command is then immediate, and adding files to a folder transcribes only those.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from avtool.errors import ConfigError, FormatError
from avtool.features.workers import Job, source_stat
from avtool.tasks.transcribe.outputs import transcript_from_dict
from avtool.tasks.transcribe.transcript import Transcript

KIND = "avtool transcribe journal"
VERSION = 1


def _source(job: Job) -> dict[str, Any]:
    return {"path": os.path.abspath(job.path), "start": job.start, "end": job.end,
            "stat": source_stat(job.path)}


class Journal:
    """Transcripts already made by earlier runs with the same settings, and the appender of
    new ones. The file is created with the first transcript (a run that transcribes nothing
    writes nothing)."""

    def __init__(self, path: str | Path, settings: dict[str, Any]) -> None:
        self.path = Path(path)
        self.settings = json.loads(json.dumps(settings))  # as it reads back
        self._done: dict[str, tuple[dict[str, Any], Transcript]] = {}
        self._fh = None
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        raw = self.path.read_bytes()
        complete = raw[: raw.rfind(b"\n") + 1]  # a line cut short by a kill is dropped
        lines = complete.decode("utf-8", errors="replace").splitlines()
        if not lines:  # killed before its first line was complete
            self.path.unlink()
            return
        try:
            header = json.loads(lines[0]) if lines else None
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("journal") != KIND:
            raise FormatError(f"{self.path}: not an avtool transcribe journal; move it away "
                              "or choose another --out")
        if header.get("settings") != self.settings:
            raise ConfigError(f"{self.path}: made by a run with other settings "
                              f"({_differences(header.get('settings') or {}, self.settings)}); "
                              "delete it to start afresh, or choose another --out")
        for n, line in enumerate(lines[1:], 2):
            try:
                entry = json.loads(line)
                self._done[entry["id"]] = (entry["source"],
                                           transcript_from_dict(entry["transcript"]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                raise FormatError(f"{self.path}:{n}: malformed journal line; delete the "
                                  "journal to start afresh") from None
        if len(complete) != len(raw):
            with self.path.open("r+b") as fh:
                fh.truncate(len(complete))

    def done(self, job: Job) -> Transcript | None:
        """The journalled transcript of `job`, if its source has not changed since."""
        entry = self._done.get(job.id)
        if entry is None or entry[0] != _source(job):
            return None
        return entry[1]

    def add(self, job: Job, transcript: Transcript) -> Transcript:
        """Append (and fsync) one transcript; returns it as later runs will read it back."""
        record = {"id": job.id, "source": _source(job), "transcript": transcript.to_dict()}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        if self._fh is None:
            new = not self.path.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
            if new:
                self._fh.write(json.dumps({"journal": KIND, "version": VERSION,
                                           "settings": self.settings}) + "\n")
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        stored = json.loads(line)
        self._done[job.id] = (stored["source"], transcript_from_dict(stored["transcript"]))
        return self._done[job.id][1]

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys: Iterable[str] = sorted(set(old) | set(new))
    return ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in keys
                     if old.get(k) != new.get(k))
