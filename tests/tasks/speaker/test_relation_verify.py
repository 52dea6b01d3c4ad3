"""Relation-loss checkpoints in `avtool verify-speaker`: batch mode gives the thesis score of pair
mode, the cache keeps both embeddings, and TTA / s-norm are refused."""

import dataclasses
import json

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.errors import ConfigError
from avtool.formats.voxceleb import read_scores
from avtool.store import ItemInfo, StoreWriter, open_store
from avtool.tasks.speaker.cache import feature_info
from avtool.tasks.speaker.embedders import load_embedder
from avtool.tasks.speaker.options import SpeakerOptions
from avtool.tasks.speaker.speech_input import read_speech
from avtool.tasks.speaker.task import SpeakerTask
from avtool.tasks.speaker.testing import make_speaker_store, speaker_wave
from avtool.tasks.speaker.verify import verify_pair, verify_trials
from avtool.train import TrainConfig, fit

runner = CliRunner()


def build_task(store, **options) -> SpeakerTask:
    return SpeakerTask.from_options(SpeakerOptions(**options), store)
KEYS = [f"id1000{s}/v/0000{u}.wav" for s in (1, 2, 3) for u in (1, 2)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A softmax run and a relation run initialised from it (debug model, 1 epoch each)."""
    root = tmp_path_factory.mktemp("relation")
    make_speaker_store(root / "train.h5", speakers=4, utterances=4, seed=0)
    base = {"model": "debug", "pool": "tap"}
    config = TrainConfig(epochs=1, batch_size=8, device="cpu")
    fit(build_task(root / "train.h5", **base), config, root / "softmax", quiet=True)
    fit(build_task(root / "train.h5", **base, loss="relation", init=str(root / "softmax")), config,
        root / "relation", quiet=True)
    rng = np.random.default_rng(5)
    for key in KEYS:
        (root / "wav" / key).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / "wav" / key, speaker_wave(int(key[6]), rng.uniform(1.0, 2.0), rng),
                 16000)
    trials = [(1, KEYS[0], KEYS[1]), (0, KEYS[0], KEYS[2]), (1, KEYS[2], KEYS[3]),
              (0, KEYS[1], KEYS[5]), (1, KEYS[4], KEYS[5]), (0, KEYS[3], KEYS[4])]
    (root / "trials.txt").write_text("".join(f"{y} {a} {b}\n" for y, a, b in trials))
    return root


def test_batch_scores_equal_pair_scores(runs, tmp_path):
    emb = load_embedder(runs / "relation", "cpu")
    assert emb.relation_dim > 0
    result = verify_trials(runs / "trials.txt", runs / "wav", tmp_path / "s.txt",
                           model=str(runs / "relation"))
    assert result.n_scored == 6 and result.n_embedded == 6 and not result.bad
    scores = read_scores(tmp_path / "s.txt").scores
    wavs = {k: read_speech(runs / "wav" / k, 16000) for k in KEYS}
    for (a, b), value in scores.items():
        pair = emb.score(wavs[a], wavs[b])
        assert value == pytest.approx(pair, abs=1e-5)
        cosine = float(emb.embed(wavs[a]) @ emb.embed(wavs[b]))
        assert abs(pair - cosine) > 1e-4  # the relation probability takes part
        via_cli = verify_pair(runs / "wav" / a, runs / "wav" / b, model=str(runs / "relation"))
        assert via_cli.score == pytest.approx(value, abs=1e-5)
    with open_store(tmp_path / "s.emb.h5") as store:
        info = store.feature_info(f"{emb.name}_whole")
        assert info.frame_shape == (emb.dim + emb.relation_dim,)
        assert info.config["relation_dim"] == emb.relation_dim
    again = verify_trials(runs / "trials.txt", runs / "wav", tmp_path / "s2.txt",
                          model=str(runs / "relation"), cache=tmp_path / "s.emb.h5")
    assert again.n_cached == 6 and read_scores(tmp_path / "s2.txt").scores == scores


def test_speaker_only_cache_of_a_relation_model_is_refused(runs, tmp_path):
    emb = load_embedder(runs / "relation", "cpu")
    new = feature_info(emb, "whole")
    old = dataclasses.replace(new, frame_shape=(emb.dim,), config={
        k: v for k, v in new.config.items() if k != "relation_dim"})  # an earlier avtool's
    cache = tmp_path / "old.emb.h5"
    with StoreWriter(cache, {old.name: old}) as writer:
        writer.add(ItemInfo(KEYS[0], str(runs / "wav" / KEYS[0]), 1.0, {}),
                   {old.name: np.ones((1, emb.dim), np.float32)})
    result = runner.invoke(app, ["verify-speaker", "--trials", str(runs / "trials.txt"),
                                 "--audio-root", str(runs / "wav"), "--out",
                                 str(tmp_path / "s.txt"), "--model", str(runs / "relation"),
                                 "--cache", str(cache)])
    assert result.exit_code == 2 and "exists with other parameters" in result.stderr
    assert not (tmp_path / "s.txt").exists()


def test_tta_and_snorm_are_refused_for_relation_models(runs, tmp_path):
    model = str(runs / "relation")
    batch = ["verify-speaker", "--trials", str(runs / "trials.txt"), "--audio-root",
             str(runs / "wav"), "--out", str(tmp_path / "s.txt"), "--model", model]
    pair = ["verify-speaker", str(runs / "wav" / KEYS[0]), str(runs / "wav" / KEYS[1]),
            "--model", model]
    for args, message in (
        (batch + ["--tta", "crops10"], "--tta crops10: vggvox-debug-tap-relation is a "
                                       "relation-loss model"),
        (batch + ["--tta", "crops100"], "use --tta whole"),
        (pair + ["--tta", "crops10"], "use --tta whole"),
        (batch + ["--snorm-cohort", str(runs / "wav")], "s-norm needs dot-product scores"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "s.txt").exists() and not (tmp_path / "s.emb.h5").exists()
    with pytest.raises(ConfigError, match="mean of the cosine"):
        verify_pair(runs / "wav" / KEYS[0], runs / "wav" / KEYS[1], model=model, tta="crops100")


def test_cosine_checkpoints_keep_their_cache_recipe_and_scores(runs, tmp_path):
    emb = load_embedder(runs / "softmax", "cpu")
    assert emb.relation_dim == 0
    info = feature_info(emb, "crops10")
    assert info.frame_shape == (emb.dim,) and "relation_dim" not in info.config
    result = runner.invoke(app, ["verify-speaker", "--trials", str(runs / "trials.txt"),
                                 "--audio-root", str(runs / "wav"), "--out",
                                 str(tmp_path / "s.txt"), "--model", str(runs / "softmax"),
                                 "--tta", "crops10", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_scored"] == 6
    wavs = {k: read_speech(runs / "wav" / k, 16000) for k in KEYS}
    (a, b), value = next(iter(read_scores(tmp_path / "s.txt").scores.items()))
    pair = verify_pair(runs / "wav" / a, runs / "wav" / b, model=str(runs / "softmax"),
                       tta="crops10")
    assert value == pytest.approx(pair.score, abs=1e-6)
    assert emb.score(wavs[a], wavs[a]) == pytest.approx(1.0, abs=1e-6)
