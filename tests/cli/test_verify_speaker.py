"""`avtool verify-speaker` end to end on a tiny synthetic corpus: pair and batch modes, cache
reuse, TTA, s-norm and every error path."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.data.voxceleb import read_scores, read_trials
from avtool.testing.speakers import tiny_speaker_corpus

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["verify-speaker", *map(str, args)])


@pytest.fixture(scope="module")
def corpus():
    return tiny_speaker_corpus()


def files_of(corpus, speaker: str):
    return sorted((corpus / "wav" / speaker).rglob("*.wav"))


def batch(corpus, tmp_path, trials="trials_e.txt", *extra, out="scores.txt"):
    result = run("--trials", corpus / trials, "--audio-root", corpus / "wav",
                 "--out", tmp_path / out, "--json", *extra)
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_pair_mode_table_and_json(corpus):
    a, b = files_of(corpus, "id10001")[:2]
    result = run(a, a)
    assert result.exit_code == 0, result.output
    assert "same speaker" in result.stdout and "1.0000" in result.stdout
    result = run(a, b, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"score", "same_speaker", "threshold", "model", "tta"} <= set(out)
    assert out["model"] == "ge2e" and out["tta"] == "whole"
    assert out["same_speaker"] == (out["score"] >= out["threshold"])
    result = run(a, b, "--json", "--threshold", "1.01")
    assert json.loads(result.stdout)["same_speaker"] is False
    assert result.exit_code == 0  # exit 0 whatever the decision


def test_same_speaker_scores_higher_than_different(corpus):
    scores = {}
    for spk in ("id10001", "id10002", "id10003"):
        scores[spk] = files_of(corpus, spk)
    same, diff = [], []
    for first, second, bucket in (
        (scores["id10001"][0], scores["id10001"][1], same),
        (scores["id10003"][0], scores["id10003"][2], same),
        (scores["id10001"][0], scores["id10003"][0], diff),
        (scores["id10002"][1], scores["id10003"][2], diff),
    ):
        bucket.append(json.loads(run(first, second, "--json").stdout)["score"])
    assert min(same) > max(diff)


def test_batch_mode_writes_scores_and_reuses_cache(corpus, tmp_path):
    result, first = batch(corpus, tmp_path)
    assert result.exit_code == 0, result.output
    trials = read_trials(corpus / "trials_e.txt")
    scores = read_scores(tmp_path / "scores.txt")
    assert len(scores) == len(trials) == first["n_scored"]
    assert first["n_embedded"] == first["n_files"] == 12 and first["n_cached"] == 0
    assert (tmp_path / "scores.emb.h5").is_file()
    result, second = batch(corpus, tmp_path)
    assert second["n_embedded"] == 0 and second["n_cached"] == 12  # nothing re-embedded
    assert read_scores(tmp_path / "scores.txt").scores == scores.scores
    same = [scores.scores[(a, b)] for y, a, b in zip(trials.labels, trials.path1, trials.path2,
                                                     strict=True) if y]
    diff = [scores.scores[(a, b)] for y, a, b in zip(trials.labels, trials.path1, trials.path2,
                                                     strict=True) if not y]
    assert np.mean(same) > np.mean(diff)
    ev = runner.invoke(app, ["evaluate", "speaker", "--scores", str(tmp_path / "scores.txt"),
                             "--trials", str(corpus / "trials_e.txt"), "--json"])
    assert ev.exit_code == 0 and json.loads(ev.stdout)["eer"] < 50


def test_tta_modes(corpus, tmp_path):
    _, whole = batch(corpus, tmp_path, "trials_o.txt", "--cache", tmp_path / "c.h5",
                     out="whole.txt")
    _, c10 = batch(corpus, tmp_path, "trials_o.txt", "--cache", tmp_path / "c.h5", "--tta",
                   "crops10", out="c10.txt")
    _, c100 = batch(corpus, tmp_path, "trials_o.txt", "--cache", tmp_path / "c.h5", "--tta",
                    "crops100", out="c100.txt")
    assert c10["n_embedded"] == c10["n_files"] and c100["n_embedded"] == 0  # crops shared
    assert whole["n_embedded"] == whole["n_files"]
    s10 = read_scores(tmp_path / "c10.txt").scores
    s100 = read_scores(tmp_path / "c100.txt").scores
    sw = read_scores(tmp_path / "whole.txt").scores
    assert s10.keys() == s100.keys() == sw.keys()
    for key in s10:  # mean of cosines <= cosine of means for non-negative GE2E embeddings
        assert 0 < s100[key] <= s10[key] + 1e-9 and s10[key] <= 1
    assert any(abs(s10[k] - sw[k]) > 1e-4 for k in s10)
    a, b = files_of(corpus, "id10001")[:2]
    pair = json.loads(run(a, b, "--json", "--tta", "crops100").stdout)
    assert pair["tta"] == "crops100" and 0 < pair["score"] <= 1


def test_snorm_matches_the_formula(corpus, tmp_path):
    _, e = batch(corpus, tmp_path, "trials_e.txt", "--cache", tmp_path / "cohort.h5",
                 out="e.txt")
    result, o = batch(corpus, tmp_path, "trials_o.txt", "--cache", tmp_path / "o.h5",
                      "--snorm-cohort", tmp_path / "cohort.h5", "--snorm-top", "5", out="o.txt")
    assert result.exit_code == 0, result.output
    assert o["snorm"]["top"] == 5 and o["snorm"]["cohort_size"] == 12
    from avtool.store import open_store

    with open_store(tmp_path / "cohort.h5") as store:
        emb = {i: store.read(i, "ge2e_whole")[0].astype(np.float64) for i in store.ids}
    raw = read_scores(tmp_path / "o.txt").scores
    (a, b), value = next(iter(raw.items()))

    def stats(key):
        others = np.array([emb[key] @ emb[k] for k in emb if k != key])  # itself left out
        top = np.sort(others)[-5:]
        return top.mean(), top.std()

    s = emb[a] @ emb[b]
    (ma, sa), (mb, sb) = stats(a), stats(b)
    assert value == pytest.approx(0.5 * ((s - ma) / sa + (s - mb) / sb), rel=1e-4, abs=1e-4)
    # a folder of cohort audio works too, and --snorm-top larger than the cohort is capped
    cohort_dir = tmp_path / "cohort_audio"
    shutil.copytree(corpus / "wav" / "id10001", cohort_dir / "id10001")
    shutil.copytree(corpus / "wav" / "id10002", cohort_dir / "id10002")
    result, d = batch(corpus, tmp_path, "trials_o.txt", "--cache", tmp_path / "o.h5",
                      "--snorm-cohort", cohort_dir, out="o2.txt")
    assert result.exit_code == 0, result.output
    assert d["snorm"]["cohort_size"] == 6 and d["snorm"]["top"] == 6


def test_pair_errors(corpus, tmp_path):
    good = files_of(corpus, "id10001")[0]
    sf.write(tmp_path / "silent.wav", np.zeros(32000, np.float32), 16000)
    wav, sr = sf.read(good)
    sf.write(tmp_path / "short.wav", wav[: sr // 2], sr)
    (tmp_path / "junk.wav").write_bytes(b"not audio at all")
    cases = [
        ((good, tmp_path / "silent.wav"), "silent.wav: audio is silent"),
        ((tmp_path / "short.wav", good), "short.wav: audio is 0.50 s long; ge2e needs at least"),
        ((good, tmp_path / "missing.wav"), "missing.wav: no such file"),
        ((good, tmp_path / "junk.wav"), "junk.wav: cannot read audio"),
        ((good,), "pair mode needs exactly two audio files, got 1"),
        ((good, good, "--model", tmp_path / "nope.pt"), "nope.pt: no such checkpoint"),
        ((good, good, "--out", tmp_path / "x.txt"), "--out apply to batch mode"),
        ((good, good, "--snorm-cohort", tmp_path), "--snorm-cohort apply to batch mode"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("avtool: error:"), result.stderr
        assert message in lines[0], lines[0]


def test_batch_errors(corpus, tmp_path):
    root = tmp_path / "wav"
    shutil.copytree(corpus / "wav", root)
    keys = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.wav"))
    sf.write(root / keys[1], np.zeros(32000, np.float32), 16000)
    trials = tmp_path / "trials.txt"
    trials.write_text(f"1 {keys[0]} {keys[2]}\n0 {keys[1]} {keys[5]}\n"
                      f"0 {keys[0]} id10009/x/00001.wav\n1 {keys[3]} {keys[4]}\n")
    args = ["--trials", trials, "--audio-root", root, "--out", tmp_path / "s.txt"]
    result = run(*args)
    assert result.exit_code == 1
    assert f"trials.txt:2: {root / keys[1]}: audio is silent" in result.stderr
    assert "trials.txt:3: " in result.stderr and "id10009/x/00001.wav: no such file" in \
        result.stderr
    assert "2 of 7 files failed; 2 trials have no score" in result.stderr
    assert len(read_scores(tmp_path / "s.txt")) == 2  # the good trials are scored
    result = run(*args, "--strict")
    assert result.exit_code == 2 and result.stderr.count("avtool: error:") == 1
    assert "trials.txt:2:" in result.stderr
    trials.write_text(f"1 {keys[0]} {keys[2]}\n1 {keys[0]}\n")
    result = run(*args)
    assert result.exit_code == 2
    assert "trials.txt:2: expected 'label path1 path2', got 2 field(s)" in result.stderr
    for extra, message in (
        (["--threshold", "0.5"], "--threshold applies to pair mode"),
        (["--tta", "crops5"], "crops5"),
    ):
        result = run(*args, *extra)
        assert result.exit_code == 2 and message in result.output, result.output
    result = run("--trials", trials, "--out", tmp_path / "s.txt")
    assert result.exit_code == 2 and "needs --audio-root" in result.stderr
    result = run("--trials", trials, "--audio-root", tmp_path / "none", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "audio root is not a directory" in result.stderr


def test_cache_from_other_settings_is_refused(corpus, tmp_path):
    cache = tmp_path / "c.h5"
    result, _ = batch(corpus, tmp_path, "trials_o.txt", "--cache", cache)
    assert result.exit_code == 0
    result, _ = batch(corpus, tmp_path, "trials_o.txt", "--cache", cache, "--no-trim-silence")
    assert result.exit_code == 2 and "exists with other parameters" in result.stderr


def test_help_names_the_calibrated_threshold():
    from avtool.tasks.speaker_embedding import GE2E_THRESHOLD

    result = runner.invoke(app, ["verify-speaker", "--help"])
    assert result.exit_code == 0
    assert f"{GE2E_THRESHOLD}" in result.stdout and "Example: avtool verify-speaker" in \
        result.stdout
