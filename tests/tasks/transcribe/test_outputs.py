"""Output kinds and formats of `avtool transcribe` (no model): what --out/--format ask for,
and each format rendered and read back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from avtool.errors import ConfigError
from avtool.formats.kaldi_text import read_kaldi_text
from avtool.tasks.transcribe.outputs import (
    cues,
    plan_output,
    render,
    render_batch,
    transcript_from_dict,
    write_outputs,
)
from avtool.tasks.transcribe.transcript import Transcript, Word

WORDS = (Word("Now", 0.1, 0.3, 0.9), Word("cut", 0.35, 0.6, 0.8), Word("it.", 0.6, 0.9, 0.7),
         Word("Then", 2.5, 2.7, 0.9), Word("stir.", 2.7, 3.0, 0.6))
T = Transcript("clip1", "Now cut it. Then stir.", 3.2, WORDS, "whisper-tiny.en")
BARE = Transcript("clip2", "add  some\tsalt", 1.5, (), "whisper-tiny.en")


@pytest.mark.parametrize("out, out_dir, fmt, n, kind, used", [
    (None, None, None, 3, "stdout", "tsv"),
    (None, None, "kaldi", 3, "stdout", "kaldi"),
    (None, None, "jsonl", 3, "stdout", "jsonl"),
    (None, None, "srt", 1, "stdout", "srt"),
    ("hyp.tsv", None, None, 3, "batch", "tsv"),
    ("hyp.tsv", None, "tsv", 3, "batch", "tsv"),
    ("hyp.jsonl", None, None, 3, "batch", "jsonl"),
    ("hyp/text", None, "kaldi", 3, "batch", "kaldi"),
    ("talk.srt", None, None, 1, "file", "srt"),
    ("talk.json", None, "json", 1, "file", "json"),
    (None, "subs", None, 3, "dir", "txt"),
    (None, "subs", "vtt", 3, "dir", "vtt"),
    (None, "runs/2024.06", "tsv", 3, "dir", "tsv"),
])
def test_out_and_format_pick_the_output_kind(tmp_path, out, out_dir, fmt, n, kind, used):
    ids = [f"c{i}" for i in range(n)]
    given = out or out_dir
    plan = plan_output(out and tmp_path / out, out_dir and tmp_path / out_dir, fmt, ids)
    assert (plan.kind, plan.fmt) == (kind, used)
    if given is None:
        assert plan.journal is None
    else:
        assert plan.journal == Path(f"{tmp_path / given}.journal.jsonl")
    assert plan.word_timings == (used in ("srt", "vtt"))


@pytest.mark.parametrize("out, out_dir, fmt, ids, message", [
    (None, None, "srt", ["a", "b"], "--format srt prints one transcript; with 2 inputs"),
    ("talk.srt", None, None, ["a", "b"], "names one file but there are 2 inputs"),
    ("talk.srt", None, "vtt", ["a"], "cannot hold --format vtt"),
    ("hyp.tsv", None, "json", ["a"], "does not go in it"),
    ("hyp.xyz", None, None, ["a"], "unknown format '.xyz'"),
    ("hyp/text", None, None, ["a"], "unknown format '(no suffix)'"),
    ("hyp.tsv", "subs", None, ["a"], "not both"),
    (None, "subs", "jsonl", ["a"], "--format jsonl is a batch format"),
    (None, "subs", "doc", ["a"], "--format 'doc': choose one of"),
    (None, "subs", None, ["../escape"], "cannot name a file under"),
    (None, "subs", None, ["/abs"], "cannot name a file under"),
    ("hyp.tsv", None, None, ["two words"], "contains whitespace"),
])
def test_impossible_outputs_are_refused_before_any_work(tmp_path, out, out_dir, fmt, ids,
                                                        message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        plan_output(out and tmp_path / out, out_dir and tmp_path / out_dir, fmt, ids)


def test_json_round_trips_at_its_rounding():
    assert transcript_from_dict(json.loads(render(T, "json"))) == T
    assert transcript_from_dict(BARE.to_dict()) == BARE


def test_txt_and_tsv():
    assert render(BARE, "txt") == "add some salt\n"
    assert render(BARE, "tsv") == "start\tend\ttext\n0.000\t1.500\tadd some salt\n"
    header, *rows = render(T, "tsv").splitlines()
    assert header == "start\tend\ttext"
    assert rows[0] == "0.100\t0.300\tNow" and len(rows) == len(WORDS)


def test_phrase_cues_end_at_sentences_and_pauses():
    assert cues(T) == [(0.1, 0.9, "Now cut it."), (2.5, 3.0, "Then stir.")]
    assert cues(T, per_word=True) == [(w.start, w.end, w.text) for w in WORDS]
    assert cues(BARE) == [(0.0, 1.5, "add some salt")]
    long = Transcript("x", "", 30.0, tuple(Word(f"w{i}", i * 0.5, i * 0.5 + 0.4)
                                           for i in range(40)))
    for start, end, text in cues(long):
        assert end - start <= 7.0 and len(text) <= 84


def test_srt_and_vtt_layout():
    assert render(T, "srt") == ("1\n00:00:00,100 --> 00:00:00,900\nNow cut it.\n\n"
                                "2\n00:00:02,500 --> 00:00:03,000\nThen stir.\n")
    assert render(T, "vtt") == ("WEBVTT\n\n00:00:00.100 --> 00:00:00.900\nNow cut it.\n\n"
                                "00:00:02.500 --> 00:00:03.000\nThen stir.\n")
    hour = Transcript("x", "late", 3725.5, (Word("late", 3723.25, 3724.0),))
    assert "01:02:03,250 --> 01:02:04,000" in render(hour, "srt")


def test_batch_files_are_kaldi_text(tmp_path):
    for fmt in ("tsv", "kaldi"):
        path = tmp_path / f"hyp.{fmt}"
        path.write_text(render_batch([T, BARE], fmt))
        assert read_kaldi_text(path) == {"clip1": "Now cut it. Then stir.",
                                         "clip2": "add some salt"}
    lines = render_batch([T, BARE], "jsonl").splitlines()
    assert [transcript_from_dict(json.loads(x)) for x in lines] == [T, BARE]


def test_directory_output_keeps_the_id_folders(tmp_path):
    nested = Transcript("speaker1/clip1", "hello", 1.0)
    plan = plan_output(None, tmp_path / "out", "txt", [nested.id, BARE.id])
    written = write_outputs(plan, [nested, BARE])
    assert written == [tmp_path / "out/speaker1/clip1.txt", tmp_path / "out/clip2.txt"]
    assert (tmp_path / "out/speaker1/clip1.txt").read_text() == "hello\n"
    assert write_outputs(plan_output(tmp_path / "x.tsv", None, None, ["a"]), []) == []
    assert not (tmp_path / "x.tsv").exists()
