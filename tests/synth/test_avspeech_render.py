"""Rendered synthetic audio-visual speech clips: layout, word timings, what the frames show,
byte-identical output whatever the worker count, resuming."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest

from avtool.errors import ConfigError
from avtool.formats.how2 import read_how2
from avtool.formats.visspeech import read_visspeech
from avtool.media.audio import read_audio
from avtool.media.video import read_frames, video_info
from avtool.synth.avspeech import SynthAvspeechConfig, plan_corpus, synth_avspeech
from avtool.synth.avspeech_render import render_frames
from avtool.synth.avspeech_truth import MANIFEST_COLUMNS, read_word_timings
from avtool.synth.video import COLORS

# seed 13: among the 6 clips, one off screen with a distractor sprite, three with a sound
CFG = SynthAvspeechConfig(clips=6, seed=13)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("avspeech")
    report = synth_avspeech(out, CFG, workers=1)
    return out, report, {p.id: p for p in plan_corpus(CFG)}


def test_layout_and_media(corpus):
    out, report, plans = corpus
    assert report.clips == 6 and report.splits == {"train": 4, "val": 1, "test": 1}
    for name in ("clips.csv", "words.tsv", "visspeech.csv", "corpus.json", "config.json"):
        assert (out / name).is_file(), name
    with open(out / "clips.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == MANIFEST_COLUMNS and [r["id"] for r in rows] == list(plans)
    durations = {}
    for row in rows:
        plan = plans[row["id"]]
        assert (row["path"], row["split"], row["text"], row["on_screen"]) == (
            f"clips/{plan.id}.mp4", plan.split, plan.text, str(int(plan.on_screen)))
        info = video_info(out / row["path"])
        assert (info.width, info.height, info.fps, info.has_audio) == (96, 96, 25.0, True)
        assert info.duration >= 2.0 and info.frames == round(info.duration * 25)
        durations[plan.id] = info.duration
    how2 = {s.id: s for split in ("train", "val", "test")
            for s in read_how2(out / "how2" / split)}
    assert set(how2) == set(plans)
    for seg in how2.values():
        assert seg.text == plans[seg.id].text and seg.video == seg.id[:11]
        assert seg.end - seg.start == pytest.approx(durations[seg.id], abs=0.011)
    for seg in read_visspeech(out / "visspeech.csv"):
        assert seg.text == plans[seg.key].text
        assert seg.end - seg.start == pytest.approx(durations[seg.key], abs=0.002)
    counts = json.loads((out / "corpus.json").read_text())["counts"]
    assert counts["clips"] == 6 and counts["on_screen_clips"] == report.on_screen == 5
    assert counts["distractor_clips"] == 1 and counts["clips_with_sound"] == 3


def test_word_timings_match_transcripts_and_durations(corpus):
    out, _, plans = corpus
    words = read_word_timings(out / "words.tsv")
    assert set(words) == set(plans)
    for clip, rows in words.items():
        plan = plans[clip]
        duration = video_info(out / "clips" / f"{clip}.mp4").duration
        assert [r.word for r in rows] == plan.text.split()
        assert [r.index for r in rows] == list(range(len(rows)))
        assert [(r.content, r.on_screen, r.kind) for r in rows] == [
            (w.content, w.on_screen, w.kind) for w in plan.words]
        assert rows[0].start >= plan.lead - 1e-6
        for a, b in zip(rows, rows[1:], strict=False):
            assert a.start <= a.end <= b.start + 1e-6
        assert rows[-1].end <= duration + 1e-6
        if plan.sound is None:  # speech stands well above the noise of the lead-in
            wav, sr = read_audio(out / "clips" / f"{clip}.mp4", 16000)
            speech = wav[int(rows[0].start * sr): int(rows[-1].end * sr)]
            lead = wav[int(0.05 * sr): int((rows[0].start - 0.05) * sr)]
            assert 10 * np.log10(np.mean(speech ** 2) / np.mean(lead ** 2)) > 10


def _colour_pixels(frames: np.ndarray, colour: str) -> np.ndarray:
    return (np.abs(frames - np.array(COLORS[colour])).max(-1) <= 40).sum(axis=(1, 2))


def test_frames_show_the_words_of_on_screen_clips_only(corpus):
    out, _, plans = corpus
    for plan in plans.values():
        frames = np.stack([f for _, f in read_frames(out / "clips" / f"{plan.id}.mp4")]
                          ).astype(int)
        said = _colour_pixels(frames, plan.referent[0])
        if plan.on_screen:
            assert (said >= 30).all(), plan.id
        else:
            assert (said <= 5).all(), plan.id
            assert (_colour_pixels(frames, plan.shown[0]) >= 30).all(), plan.id
    empty = dataclasses.replace(next(iter(plans.values())), shown=None)
    frames = render_frames(empty, 10, CFG, np.random.default_rng(0)).astype(int)
    for colour in ("red", "yellow", "white", "cyan", "magenta"):
        assert (_colour_pixels(frames, colour) <= 5).all()


def test_a_seed_gives_the_same_bytes_whatever_the_worker_count(corpus, tmp_path):
    out, _, plans = corpus
    synth_avspeech(tmp_path, CFG, workers=2)
    names = [f"clips/{clip}.mp4" for clip in plans] + [
        "clips.csv", "words.tsv", "visspeech.csv", "corpus.json", "config.json",
        "how2/train/text.id.en", "how2/train/segments"]
    for name in names:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_resume_and_refusals(corpus, tmp_path):
    out, _, _ = corpus
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "clips").iterdir()}
    synth_avspeech(out, CFG, workers=1)  # same config: nothing is rendered again
    assert {p: p.stat().st_mtime_ns for p in (out / "clips").iterdir()} == mtimes
    with pytest.raises(ConfigError, match="another config"):
        synth_avspeech(out, dataclasses.replace(CFG, seed=14))
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty and holds no corpus"):
        synth_avspeech(tmp_path, CFG)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
