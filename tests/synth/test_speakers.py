"""`avtool synth speakers`: VoxCeleb1 layout, metadata, trial lists, nuisance, determinism."""

from __future__ import annotations

import csv
import filecmp
import json
import re

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.formats.voxceleb import read_trials, read_voxceleb_dir, read_voxceleb_meta
from avtool.synth.speakers import (
    SAMPLE_RATE,
    make_speakers,
    make_trials,
    plan_utterances,
    reverberate,
    telephone,
)
from avtool.testing.speakers import tiny_speaker_corpus

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus():
    return tiny_speaker_corpus()


def meta_rows(corpus):
    with open(corpus / "meta.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_layout_and_audio(corpus):
    utts = read_voxceleb_dir(corpus)
    assert len(utts) == 12
    assert {u.speaker for u in utts} == {"id10001", "id10002", "id10003", "id10004"}
    for u in utts:
        assert re.fullmatch(r"id\d{5}/[A-Za-z0-9_-]{11}/\d{5}\.wav", u.key), u.key
        info = sf.info(u.path)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert 2.0 <= info.duration <= 8.0 + 1.2 + 0.7  # speech + silence + reverb tail
    with open(corpus / "utterances.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12 and len({r["text"] for r in rows}) == 12  # different texts
    for row in rows:
        assert 2.0 <= float(row["speech_s"]) <= 8.0
        assert 5.0 <= float(row["snr_db"]) <= 30.0


def test_metadata(corpus):
    rows = meta_rows(corpus)
    assert list(rows[0]) == ["speaker", "language", "variant", "gender", "split", "pitch", "rate"]
    assert sum(r["split"] == "test" for r in rows) == 2
    for r in rows:
        assert r["gender"] == r["variant"][0] and r["gender"] in "mf"
    vox = read_voxceleb_meta(corpus / "vox1_meta.csv")
    assert [(m.speaker, m.gender, m.nationality, m.set) for m in vox] == [
        (r["speaker"], r["gender"], r["language"], r["split"]) for r in rows]


def test_trial_lists(corpus):
    meta = {r["speaker"]: r for r in meta_rows(corpus)}
    files = {u.key for u in read_voxceleb_dir(corpus)}
    lists = {k: read_trials(corpus / f"trials_{k}.txt") for k in "oeh"}
    for kind, trials in lists.items():
        assert trials.n_target == trials.n_nontarget > 0, kind
        for label, a, b in zip(trials.labels, trials.path1, trials.path2, strict=True):
            assert a in files and b in files and a != b
            sa, sb = meta[a.split("/")[0]], meta[b.split("/")[0]]
            assert label == (sa["speaker"] == sb["speaker"])
            if kind == "o":
                assert sa["split"] == sb["split"] == "test"
            if kind == "h":
                assert (sa["language"], sa["gender"]) == (sb["language"], sb["gender"])
    speakers_e = {p.split("/")[0] for p in lists["e"].path1 + lists["e"].path2}
    assert speakers_e == set(meta)


def test_speaker_groups_and_determinism():
    specs = make_speakers(9, seed=5)
    assert specs == make_speakers(9, seed=5) and specs != make_speakers(9, seed=6)
    groups: dict = {}
    for s in specs:
        groups.setdefault((s.language, s.gender), []).append(s)
    assert all(len(g) >= 2 for g in groups.values())
    voices = {(s.language, s.variant, s.pitch, s.rate) for s in specs}
    assert len(voices) == 9
    utts = plan_utterances(specs, 4, seed=5)
    assert len(utts) == 36 and len({u.key for u in utts}) == 36
    assert make_trials(utts, specs, 5, "h") == make_trials(utts, specs, 5, "h")


def test_cli_is_deterministic_from_seed(tmp_path):
    args = ["synth", "speakers", "--speakers", "2", "--utterances", "2", "--seed", "11",
            "--workers", "1", "--json"]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert out["n_speakers"] == 2 and out["n_utterances"] == 4
    assert out["trials"]["e"]["target"] == out["trials"]["e"]["nontarget"]
    runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    cmp = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    for wav in (tmp_path / "a" / "wav").rglob("*.wav"):
        twin = tmp_path / "b" / wav.relative_to(tmp_path / "a")
        assert wav.read_bytes() == twin.read_bytes()


def test_cli_errors(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    result = runner.invoke(app, ["synth", "speakers", "--out", str(tmp_path / "full")])
    assert result.exit_code == 2 and "exists and is not an empty directory" in result.stderr
    assert (tmp_path / "full" / "x").read_text() == "keep me"
    result = runner.invoke(app, ["synth", "speakers", "--out", str(tmp_path / "n"),
                                 "--speakers", "1"])
    assert result.exit_code == 2 and not (tmp_path / "n").exists()


def test_nuisance_filters():
    rng = np.random.default_rng(0)
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE

    def level(x, f):
        return np.abs(np.fft.rfft(x))[int(f)]  # 1 s signal: bin = Hz

    for f, kept in ((100, False), (1000, True), (3000, True), (6000, False)):
        tone = np.sin(2 * np.pi * f * t)
        ratio = level(telephone(tone), f) / level(tone, f)
        assert (ratio > 0.99) if kept else (ratio < 1e-6), (f, ratio)
    click = np.zeros(SAMPLE_RATE)
    click[0] = 1.0
    tail = reverberate(click, 0.4, rng)
    energy = np.cumsum(tail[::-1] ** 2)[::-1]
    decay_db = 10 * np.log10(energy[int(0.2 * SAMPLE_RATE)] / energy[1])
    assert -40 < decay_db < -20  # about -30 dB after half the RT60 (Schroeder integral)
