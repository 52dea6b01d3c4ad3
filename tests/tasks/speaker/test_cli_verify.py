"""`avtool verify-speaker` end to end on a tiny synthetic corpus: pair and batch modes, cache
reuse, TTA, s-norm and every error path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.formats.voxceleb import read_scores, read_trials
from avtool.testing.speakers import tiny_speaker_corpus

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["verify-speaker", *map(str, args)])


@pytest.fixture(scope="module")
def corpus():
    return tiny_speaker_corpus()


@pytest.fixture(scope="module")
def e_run(corpus, tmp_path_factory):
    """One batch run over trials_e.txt: its first-run JSON and its cache (every corpus file,
    whole-utterance embeddings). Tests copy the cache instead of embedding again."""
    tmp = tmp_path_factory.mktemp("e_run")
    result, first = batch(corpus, tmp)
    assert result.exit_code == 0, result.output
    return tmp, first


def copy_cache(e_run, dest):
    shutil.copy(e_run[0] / "scores.emb.h5", dest)
    return dest


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


EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "speaker"


def test_demo_recordings_same_and_different():
    same = run(EXAMPLES / "same_a.wav", EXAMPLES / "same_b.wav", "--json")
    other = run(EXAMPLES / "same_a.wav", EXAMPLES / "other.wav", "--json")
    assert same.exit_code == other.exit_code == 0
    same, other = json.loads(same.stdout), json.loads(other.stdout)
    assert same["score"] > other["score"]
    assert same["same_speaker"] is True and other["same_speaker"] is False
    table = run(EXAMPLES / "same_a.wav", EXAMPLES / "other.wav")
    assert "different speakers" in table.stdout


def test_batch_mode_writes_scores_and_reuses_cache(corpus, e_run):
    tmp_path, first = e_run
    trials = read_trials(corpus / "trials_e.txt")
    scores = read_scores(tmp_path / "scores.txt")
    assert len(scores) == len(trials) == first["n_scored"]
    assert first["n_embedded"] == first["n_files"] == 12 and first["n_cached"] == 0
    assert (tmp_path / "scores.emb.h5").is_file()
    result, second = batch(corpus, tmp_path)
    assert result.exit_code == 0
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


def test_tta_modes(corpus, e_run, tmp_path):
    keys = sorted(p.relative_to(corpus / "wav").as_posix()
                  for p in (corpus / "wav").rglob("*.wav"))
    trials = tmp_path / "trials.txt"
    trials.write_text(f"1 {keys[0]} {keys[1]}\n0 {keys[0]} {keys[5]}\n0 {keys[1]} {keys[5]}\n")
    cache = copy_cache(e_run, tmp_path / "c.h5")
    out = {}
    for tta in ("whole", "crops10", "crops100"):
        result = run("--trials", trials, "--audio-root", corpus / "wav", "--out",
                     tmp_path / f"{tta}.txt", "--cache", cache, "--tta", tta, "--json")
        assert result.exit_code == 0, result.output
        out[tta] = json.loads(result.stdout)
    assert out["whole"]["n_embedded"] == 0  # from the shared cache
    assert out["crops10"]["n_embedded"] == 3 and out["crops100"]["n_embedded"] == 0  # shared
    s10 = read_scores(tmp_path / "crops10.txt").scores
    s100 = read_scores(tmp_path / "crops100.txt").scores
    sw = read_scores(tmp_path / "whole.txt").scores
    assert s10.keys() == s100.keys() == sw.keys() and len(sw) == 3
    for key in s10:  # mean of cosines <= cosine of means for non-negative GE2E embeddings
        assert 0 < s100[key] <= s10[key] + 1e-9 and s10[key] <= 1
    assert any(abs(s10[k] - sw[k]) > 1e-4 for k in s10)
    from avtool.store import open_store

    with open_store(cache) as store:
        crops = {k: store.num_frames(k, "ge2e_crops10") for k in keys[:2] + keys[5:6]}
        assert set(crops.values()) <= {1, 10} and 10 in crops.values()
    pair = json.loads(run(EXAMPLES / "same_a.wav", EXAMPLES / "same_b.wav", "--json", "--tta",
                          "crops100").stdout)
    assert pair["tta"] == "crops100" and 0 < pair["score"] <= 1


def test_snorm_matches_the_formula(corpus, e_run, tmp_path):
    copy_cache(e_run, tmp_path / "cohort.h5")
    copy_cache(e_run, tmp_path / "o.h5")
    result, o = batch(corpus, tmp_path, "trials_o.txt", "--cache", tmp_path / "o.h5",
                      "--snorm-cohort", tmp_path / "cohort.h5", "--snorm-top", "5", out="o.txt")
    assert result.exit_code == 0, result.output
    assert o["n_embedded"] == 0
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
    shutil.copytree(corpus / "wav" / "id10002", cohort_dir / "id10002")
    result, d = batch(corpus, tmp_path, "trials_o.txt", "--cache", tmp_path / "o.h5",
                      "--snorm-cohort", cohort_dir, out="o2.txt")
    assert result.exit_code == 0, result.output
    assert d["snorm"]["cohort_size"] == 3 and d["snorm"]["top"] == 3


def test_pair_errors(corpus, tmp_path):
    good = files_of(corpus, "id10001")[0]
    sf.write(tmp_path / "silent.wav", np.zeros(32000, np.float32), 16000)
    wav, sr = sf.read(good)
    sf.write(tmp_path / "short.wav", wav[: sr // 2], sr)
    (tmp_path / "junk.wav").write_bytes(b"not audio at all")
    cases = [
        ((tmp_path / "silent.wav", good), "silent.wav: audio is silent"),
        ((tmp_path / "short.wav", good), "short.wav: audio is 0.50 s long; ge2e needs at least"),
        ((tmp_path / "missing.wav", good), "missing.wav: no such file"),
        ((tmp_path / "junk.wav", good), "junk.wav: cannot read audio"),
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
    good = files_of(corpus, "id10001")[:2]
    keys = ["id10001/v1/00001.wav", "id10001/v1/00002.wav", "id10002/v1/00001.wav"]
    for key, src in zip(keys, good, strict=False):
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, root / key)
    (root / keys[2]).parent.mkdir(parents=True)
    sf.write(root / keys[2], np.zeros(32000, np.float32), 16000)
    trials = tmp_path / "trials.txt"
    trials.write_text(f"1 {keys[0]} {keys[1]}\n0 {keys[2]} {keys[0]}\n"
                      f"0 {keys[0]} id10009/x/00001.wav\n")
    args = ["--trials", trials, "--audio-root", root, "--out", tmp_path / "s.txt"]
    result = run(*args)
    assert result.exit_code == 1
    assert f"trials.txt:2: {root / keys[2]}: audio is silent" in result.stderr
    assert f"trials.txt:3: {root / 'id10009/x/00001.wav'}: no such file" in result.stderr
    assert "2 of 4 files failed; 2 trials have no score" in result.stderr
    assert len(read_scores(tmp_path / "s.txt")) == 1  # the good trial is scored
    result = run(*args, "--strict")
    assert result.exit_code == 2 and result.stderr.count("avtool: error:") == 1
    assert "trials.txt:2:" in result.stderr and "bad file" not in result.stderr
    trials.write_text(f"1 {keys[0]} {keys[1]}\n1 {keys[0]}\n")
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
    trials.write_text(f"1 {keys[0]} {keys[1]}\n")
    result = run("--trials", trials, "--audio-root", tmp_path / "none", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "audio root is not a directory" in result.stderr


def test_cache_from_other_settings_is_refused(corpus, e_run, tmp_path):
    cache = copy_cache(e_run, tmp_path / "c.h5")
    result, _ = batch(corpus, tmp_path, "trials_o.txt", "--cache", cache, "--no-trim-silence")
    assert result.exit_code == 2 and "exists with other parameters" in result.stderr
    other_root = tmp_path / "copy"
    shutil.copytree(corpus / "wav", other_root)
    result = run("--trials", corpus / "trials_o.txt", "--audio-root", other_root, "--out",
                 tmp_path / "s.txt", "--cache", cache)
    assert result.exit_code == 2 and "use another --cache for this audio" in result.stderr


def test_help_names_the_calibrated_threshold():
    from avtool.tasks.speaker.ge2e_embedder import GE2E_THRESHOLD

    result = runner.invoke(app, ["verify-speaker", "--help"])
    assert result.exit_code == 0
    assert f"{GE2E_THRESHOLD}" in result.stdout and "Example: avtool verify-speaker" in \
        result.stdout
