"""`avtool transcribe` end to end with the Whisper tiny.en default on espeak-ng speech: words,
video input, every output format read back, batch errors, --strict, resume, noise seeds,
workers, and the batch output scored by `avtool evaluate transcription`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.metrics.text import wer
from avtool.tasks.transcribe.outputs import FILE_FORMATS

from .conftest import TEXTS

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, ["transcribe", *map(str, args)])


def _words(text: str) -> set[str]:
    return set(re.sub(r"[^a-z' ]", " ", text.lower()).split())


def _stdout_lines(res) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in res.stdout.splitlines())


def _check_word_times(words: list[tuple[float, float]], duration: float) -> None:
    assert words
    starts = [a for a, _ in words]
    assert starts == sorted(starts)
    for (a, b), (c, _) in zip(words, words[1:] + [(duration, duration)], strict=True):
        assert 0.0 <= a <= b <= c <= duration + 1e-6


@pytest.fixture(scope="module")
def batch(speech, tmp_path_factory) -> Path:
    """The clips folder transcribed once into a batch TSV (and its journal)."""
    out = tmp_path_factory.mktemp("batch") / "hyp.tsv"
    res = _run(speech / "clips", "--out", out)
    assert res.exit_code == 0, res.output
    return out


def test_default_model_transcribes_a_wav_to_stdout(speech):
    res = _run(speech / "clips" / "utt01.wav")
    assert res.exit_code == 0, res.output
    lines = _stdout_lines(res)
    assert list(lines) == ["utt01"]
    assert wer([TEXTS["utt01"]], [lines["utt01"]]) <= 20.0
    assert {"read", "books", "evening"} <= _words(lines["utt01"])


def test_audio_track_of_a_video(speech_video):
    res = _run(speech_video, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    (transcript,) = out["transcripts"]
    assert transcript["id"] == "utt02" and out["failed"] == 0
    assert {"open", "window"} <= _words(transcript["text"])


def test_batch_tsv_is_scored_by_evaluate_transcription(speech, batch):
    assert set(batch.read_text().splitlines()[0].split("\t")[0:1]) <= set(TEXTS)
    res = runner.invoke(app, ["evaluate", "transcription", "--hyp", str(batch),
                              "--ref", str(speech / "ref.txt"), "--json"])
    assert res.exit_code == 0, res.output
    scored = json.loads(res.stdout)
    assert scored["format"] == "kaldi" and scored["utterances"] == 2
    assert scored["missing_hypotheses"] == [] and scored["wer"] <= 20.0


def test_kaldi_text_output_is_scored_too(speech, tmp_path):
    text = tmp_path / "hyp" / "text"
    res = _run(speech / "clips", "--out", text, "--format", "kaldi")
    assert res.exit_code == 0, res.output
    assert [ln.split(" ", 1)[0] for ln in text.read_text().splitlines()] == list(TEXTS)
    res = runner.invoke(app, ["evaluate", "transcription", "--hyp", str(text),
                              "--ref", str(speech / "ref.txt"), "--format", "kaldi", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["wer"] <= 20.0


def _parse_cues(text: str, fmt: str) -> list[tuple[float, float, str]]:
    def seconds(stamp: str) -> float:
        h, m, s = stamp.replace(",", ".").split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    if fmt == "vtt":
        assert text.startswith("WEBVTT\n\n")
        text = text.removeprefix("WEBVTT\n\n")
    cues = []
    for k, block in enumerate(text.strip().split("\n\n"), 1):
        lines = block.splitlines()
        if fmt == "srt":
            assert lines.pop(0) == str(k)
        start, arrow, end = lines[0].split(" ")
        assert arrow == "-->"
        cues.append((seconds(start), seconds(end), " ".join(lines[1:])))
    return cues


@pytest.mark.parametrize("fmt", FILE_FORMATS)
def test_each_format_reads_back_with_word_times(speech, tmp_path, fmt):
    from avtool.media.audio import audio_info

    duration = audio_info(speech / "clips" / "utt01.wav").duration
    out = tmp_path / "out"
    res = _run(speech / "clips", "--out-dir", out, "--format", fmt, "--word-timestamps")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [f"utt01.{fmt}", f"utt02.{fmt}"]
    text = (out / f"utt01.{fmt}").read_text()
    if fmt == "txt":
        words = None
        spoken = text.strip()
    elif fmt == "json":
        data = json.loads(text)
        assert data["id"] == "utt01" and data["model"] == "whisper-tiny.en"
        assert data["duration"] == pytest.approx(duration, abs=1e-3)
        words = [(w["start"], w["end"]) for w in data["words"]]
        spoken = data["text"]
        assert _words(" ".join(w["word"] for w in data["words"])) == _words(spoken)
    elif fmt == "tsv":
        header, *rows = text.splitlines()
        assert header == "start\tend\ttext"
        cells = [row.split("\t") for row in rows]
        words = [(float(a), float(b)) for a, b, _ in cells]
        spoken = " ".join(t for _, _, t in cells)
    else:  # srt, vtt: one cue per word with --word-timestamps
        cues = _parse_cues(text, fmt)
        words = [(a, b) for a, b, _ in cues]
        spoken = " ".join(t for _, _, t in cues)
        assert all(len(t.split()) == 1 for _, _, t in cues)
    assert {"read", "books", "evening"} <= _words(spoken)
    if words is not None:
        _check_word_times(words, duration)


def test_subtitles_without_word_flag_have_phrase_cues(speech, tmp_path):
    out = tmp_path / "utt01.srt"
    res = _run(speech / "clips" / "utt01.wav", "--out", out)
    assert res.exit_code == 0, res.output
    cues = _parse_cues(out.read_text(), "srt")
    assert len(cues) == 1 and {"read", "books"} <= _words(cues[0][2])
    assert 0.0 <= cues[0][0] < cues[0][1]


def _bad_folder(speech, root: Path) -> Path:
    """utt01 plus a corrupt, an empty, a silent and a too-short wav and a silent video."""
    import soundfile as sf

    from avtool.media.video import write_video

    clips = root / "clips"
    clips.mkdir(parents=True)
    shutil.copy(speech / "clips" / "utt01.wav", clips / "utt01.wav")
    (clips / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunk")
    (clips / "empty.wav").write_bytes(b"")
    sf.write(clips / "silent.wav", np.zeros(16000, np.float32), 16000)
    sf.write(clips / "short.wav", 0.3 * np.ones(800, np.float32), 16000)
    write_video(clips / "mute.mp4", [np.zeros((32, 32, 3), np.uint8)] * 5, 10)
    return clips


BAD = {"corrupt.wav": "cannot read audio", "empty.wav": "empty file",
       "silent.wav": "silent", "short.wav": "needs at least 0.1 s",
       "mute.mp4": "no audio stream"}


def test_batch_goes_past_bad_files_and_exits_1(speech, tmp_path):
    clips = _bad_folder(speech, tmp_path)
    out = tmp_path / "hyp.tsv"
    res = _run(clips, "--out", out)
    assert res.exit_code == 1, res.output
    assert list(_stdout_lines_of(out)) == ["utt01"]
    bad_lines = [ln for ln in res.stderr.splitlines() if ln.startswith("avtool: bad file:")]
    assert len(bad_lines) == len(BAD)
    for name, problem in BAD.items():
        (line,) = [ln for ln in bad_lines if str(clips / name) in ln]
        assert problem in line
    assert "5 of 6 inputs failed" in res.stderr


def _stdout_lines_of(path: Path) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in path.read_text().splitlines())


def test_strict_stops_at_the_first_bad_file(speech, tmp_path):
    clips = _bad_folder(speech, tmp_path)
    out = tmp_path / "hyp.tsv"
    res = _run(clips, "--out", out, "--strict")
    assert res.exit_code == 2
    assert res.stderr.startswith("avtool: error: ") and len(res.stderr.splitlines()) == 1
    assert str(clips / "corrupt.wav") in res.stderr  # the first in name order
    assert not out.exists()


@pytest.mark.parametrize("name", ["missing.wav", "corrupt.wav", "silent.wav"])
def test_a_bad_single_input_is_one_line_and_writes_nothing(speech, tmp_path, name):
    clips = _bad_folder(speech, tmp_path / "in")
    out = tmp_path / "out.txt"
    res = _run(clips / name, "--out", out)
    assert res.exit_code == 2
    assert res.stderr.startswith("avtool: error: ") and len(res.stderr.splitlines()) == 1
    assert str(clips / name) in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_resume_after_a_kill_finishes_only_what_is_missing(speech, batch, tmp_path):
    journal = Path(f"{batch}.journal.jsonl")
    header, first, second = journal.read_text().splitlines()
    out = tmp_path / "hyp.tsv"
    # killed while appending the second item: its line is cut short
    Path(f"{out}.journal.jsonl").write_text(f"{header}\n{first}\n{second[:40]}")
    res = _run(speech / "clips", "--out", out, "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert (summary["resumed"], summary["transcribed"]) == (1, 1)
    assert out.read_bytes() == batch.read_bytes()
    res = _run(speech / "clips", "--out", out, "--json")
    assert (json.loads(res.stdout)["resumed"], json.loads(res.stdout)["transcribed"]) == (2, 0)
    assert out.read_bytes() == batch.read_bytes()


def test_journal_of_other_settings_is_refused(speech, batch, tmp_path):
    out = tmp_path / "hyp.tsv"
    shutil.copy(f"{batch}.journal.jsonl", f"{out}.journal.jsonl")
    res = _run(speech / "clips", "--out", out, "--noise", "burst")
    assert res.exit_code == 2
    assert "other settings" in res.stderr and "noise 'clean' -> 'burst'" in res.stderr
    assert not out.exists()


def test_noise_with_the_same_seed_gives_the_same_transcript(speech):
    args = (speech / "clips" / "utt01.wav", "--noise", "mixed", "--snr", "0", "--seed", "7")
    first, second = _run(*args), _run(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout and first.stdout.startswith("utt01\t")


def test_two_worker_processes_give_the_same_outputs(speech, batch, tmp_path):
    out = tmp_path / "hyp.tsv"
    res = _run(speech / "clips", "--out", out, "--workers", "2")
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == batch.read_bytes()


def test_manifest_excerpt_is_transcribed_from_its_start(speech, tmp_path):
    manifest = tmp_path / "items.csv"
    manifest.write_text(f"id,path,start,end\npart1,{speech / 'clips' / 'utt01.wav'},0.0,1.2\n")
    res = _run("--manifest", manifest, "--json", "--word-timestamps")
    assert res.exit_code == 0, res.output
    (transcript,) = json.loads(res.stdout)["transcripts"]
    assert transcript["id"] == "part1" and transcript["duration"] == pytest.approx(1.2)
    assert "evening" not in _words(transcript["text"])
    _check_word_times([(w["start"], w["end"]) for w in transcript["words"]], 1.2)


@pytest.mark.parametrize("args, message", [
    (["--format", "doc"], "--format 'doc': choose one of txt, srt"),
    (["--noise", "rain"], "--noise 'rain': choose one of clean, burst, env, mixed"),
    (["--format", "srt"], "--format srt prints one transcript; with 2 inputs"),
])
def test_bad_options_are_one_line_exit_2(speech, args, message):
    res = _run(speech / "clips", *args)
    assert res.exit_code == 2
    assert res.stderr == f"avtool: error: {res.stderr.removeprefix('avtool: error: ')}"
    assert len(res.stderr.splitlines()) == 1 and message in res.stderr


def test_a_speaker_checkpoint_is_not_a_transcriber(speech, tmp_path):
    from avtool.tasks import get_task, train_task

    example = get_task("speaker").debug_example(tmp_path / "data")
    train_task("speaker", example.options, example.store, tmp_path / "run", quiet=True,
               seed=0, device="cpu", **{"epochs": 1, **example.train})
    res = _run(speech / "clips" / "utt01.wav", "--model", tmp_path / "run")
    assert res.exit_code == 2
    assert "not a transcription checkpoint" in res.stderr
    assert len(res.stderr.splitlines()) == 1


def test_help_has_a_runnable_example():
    res = runner.invoke(app, ["transcribe", "--help"])
    assert res.exit_code == 0
    text = " ".join(res.stdout.replace("│", " ").split())
    assert "Example: avtool transcribe examples/transcribe/" in text
    assert "beam search of 5" in text
