"""The resumable journal of `avtool transcribe --out`: what survives a kill, what is redone."""

from __future__ import annotations

import json
import os

import pytest

from avtool.errors import ConfigError, FormatError
from avtool.features.workers import Job
from avtool.tasks.transcribe.journal import Journal
from avtool.tasks.transcribe.transcript import Transcript, Word

SETTINGS = {"model": "whisper-tiny.en", "noise": "clean", "seed": 0}


@pytest.fixture()
def jobs(tmp_path):
    out = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.wav"
        path.write_bytes(b"RIFF" + name.encode() * 100)
        out.append(Job(name, str(path)))
    return out


def _transcript(item: str) -> Transcript:
    return Transcript(item, f"text of {item}", 1.23456, (Word("w", 0.12345, 0.5, 0.98765),))


def test_transcripts_read_back_as_written(tmp_path, jobs):
    path = tmp_path / "out.tsv.journal.jsonl"
    with Journal(path, SETTINGS) as journal:
        assert journal.done(jobs[0]) is None and not path.exists()  # nothing until a line
        stored = journal.add(jobs[0], _transcript("a"))
    assert stored.duration == 1.235 and stored.words[0].start == 0.123  # to_dict rounding
    again = Journal(path, SETTINGS)
    assert again.done(jobs[0]) == stored and again.done(jobs[1]) is None
    assert json.loads(path.read_text().splitlines()[0])["settings"] == SETTINGS


def test_a_changed_source_is_transcribed_again(tmp_path, jobs):
    path = tmp_path / "j.jsonl"
    with Journal(path, SETTINGS) as journal:
        journal.add(jobs[0], _transcript("a"))
    st = os.stat(jobs[0].path)
    os.utime(jobs[0].path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert Journal(path, SETTINGS).done(jobs[0]) is None
    excerpt = Job("a", jobs[0].path, 0.0, 1.0)
    assert Journal(path, SETTINGS).done(excerpt) is None


def test_a_line_cut_short_by_a_kill_is_dropped(tmp_path, jobs):
    path = tmp_path / "j.jsonl"
    with Journal(path, SETTINGS) as journal:
        journal.add(jobs[0], _transcript("a"))
        journal.add(jobs[1], _transcript("b"))
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:2]) + lines[2][:25])
    resumed = Journal(path, SETTINGS)
    assert resumed.done(jobs[0]) is not None and resumed.done(jobs[1]) is None
    assert path.read_text() == "".join(lines[:2])  # the torn tail is gone before appending
    with resumed:
        resumed.add(jobs[1], _transcript("b"))
    assert path.read_text() == "".join(lines)


def test_killed_before_the_first_line_starts_afresh(tmp_path, jobs):
    path = tmp_path / "j.jsonl"
    path.write_text('{"journal": "avtool tra')
    with Journal(path, SETTINGS) as journal:
        assert journal.done(jobs[0]) is None
        journal.add(jobs[0], _transcript("a"))
    assert Journal(path, SETTINGS).done(jobs[0]) is not None


def test_other_settings_or_other_files_are_refused(tmp_path, jobs):
    path = tmp_path / "j.jsonl"
    with Journal(path, SETTINGS) as journal:
        journal.add(jobs[0], _transcript("a"))
    with pytest.raises(ConfigError, match=r"other settings \(seed 0 -> 1\)"):
        Journal(path, {**SETTINGS, "seed": 1})
    other = tmp_path / "notes.jsonl"
    other.write_text('{"some": "thing"}\n')
    with pytest.raises(FormatError, match="not an avtool transcribe journal"):
        Journal(other, SETTINGS)
    path.write_text(path.read_text() + "{broken\n")
    with pytest.raises(FormatError, match=r"j.jsonl:3: malformed journal line"):
        Journal(path, SETTINGS)
