"""Speaker task: labels, P x K batches, schedules, option checks, embedder round trip."""

import numpy as np
import pytest
import torch

from avtool.errors import ConfigError, FormatError, ModelError, StoreError
from avtool.store import ItemInfo, open_store
from avtool.tasks.speaker.data import PKBatchSampler, speaker_of, trial_path_to_id
from avtool.tasks.speaker.embedders import load_embedder
from avtool.tasks.speaker.options import SpeakerOptions
from avtool.tasks.speaker.predictor import embed_spectrograms
from avtool.tasks.speaker.task import SpeakerTask, lr_factor
from avtool.tasks.speaker.testing import make_speaker_store, speaker_wave, write_trials
from avtool.train import TrainConfig, fit, load_checkpoint


def build_task(store, **options) -> SpeakerTask:
    return SpeakerTask.from_options(SpeakerOptions(**options), store)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("speaker-task")
    make_speaker_store(root / "train.h5", speakers=4, utterances=4, seed=0)
    val_ids = make_speaker_store(root / "val.h5", speakers=3, utterances=3, seed=1,
                                 first_id=10010)
    write_trials(root / "val.txt", val_ids)
    return root


def test_speaker_label_from_meta_then_from_the_voxceleb_id():
    assert speaker_of(ItemInfo("id10001/v/00001", "x", 1.0, {"speaker": "alice"})) == "alice"
    assert speaker_of(ItemInfo("id10001/v/00001", "x", 1.0, {})) == "id10001"
    with pytest.raises(FormatError, match="no 'speaker' label"):
        speaker_of(ItemInfo("utt1", "x", 1.0, {}), "s.h5")


def test_trial_paths_map_to_store_ids_without_extension():
    assert trial_path_to_id("id10270/x6uYqmx31kE/00001.wav") == "id10270/x6uYqmx31kE/00001"
    assert trial_path_to_id("id1/v/00002") == "id1/v/00002"


def test_pk_sampler_batches_distinct_speakers_and_is_deterministic():
    labels = np.repeat(np.arange(6), 5)
    lengths = np.full(30, 300)
    sampler = PKBatchSampler(labels, lengths, batch_size=8, k=2, crop=250, seed=3)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 30 // 8
    for batch in batches:
        spk = labels[[i for i, _ in batch]]
        assert sorted(np.bincount(spk, minlength=6)[np.unique(spk)]) == [2, 2, 2, 2]
        assert all(0 <= off <= 50 for _, off in batch)
    assert batches == list(PKBatchSampler(labels, lengths, 8, 2, 250, seed=3))
    sampler.set_epoch(1)
    assert list(sampler) != batches
    sampler.set_epoch(0)
    shards = [list(PKBatchSampler(labels, lengths, 8, 2, 250, 3, rank, 2)) for rank in (0, 1)]
    assert sorted(shards[0] + shards[1]) == sorted(batches)


def test_pk_sampler_errors_name_the_options():
    labels = np.repeat(np.arange(3), 4)
    with pytest.raises(ConfigError, match="needs 4 speakers"):
        PKBatchSampler(labels, np.full(12, 100), 8, 2, 50)
    with pytest.raises(ConfigError, match="multiple of"):
        PKBatchSampler(labels, np.full(12, 100), 5, 2, 50)


def test_learning_rate_schedules():
    assert [lr_factor("thesis", e, 100) for e in (0, 35, 36, 72)] == [1.0, 1.0, 0.1,
                                                                      pytest.approx(0.01)]
    # the released code's step_decay with its default 56 epochs: stages at 14, 22, 28, 42, 50
    code = [lr_factor("code", e, 56) for e in (0, 13, 14, 22, 28, 42, 50, 55)]
    assert code == [1.0, 1.0, 0.1, 0.01, 1.0, 0.1, 0.01, 0.01]


def test_options_are_checked(stores):
    store = stores / "train.h5"
    with pytest.raises(ConfigError, match="--ghost-clusters applies to --pool ghostvlad"):
        build_task(store, pool="netvlad", ghost_clusters=3)
    with pytest.raises(ConfigError, match="needs --utts-per-speaker of at least 2"):
        build_task(store, loss="contrastive", utts_per_speaker=1)
    with pytest.raises(ConfigError, match="both --val-trials and --val-store"):
        build_task(store, val_trials=stores / "val.txt")
    with pytest.raises(StoreError, match="no such store"):
        build_task(stores / "missing.h5")
    task = build_task(store, model="vgg-m")
    assert task.model_config.emb_dim == 1024 and task.crop == 300
    assert task.model_config.n_bins == 257  # taken from the store


def test_validation_maps_every_trial_file_to_the_store(stores, tmp_path):
    trials = tmp_path / "t.txt"
    trials.write_text("1 id10010/vid0/00001.wav id10099/v/00001.wav\n"
                      "0 id10010/vid0/00001.wav id10011/vid0/00001.wav\n")
    with pytest.raises(StoreError, match="id10099/v/00001"):
        build_task(stores / "train.h5", val_trials=trials,
                    val_store=stores / "val.h5")


@pytest.mark.parametrize("loss", ["contrastive", "relation"])
def test_pair_losses_train_from_a_softmax_init(stores, tmp_path, loss):
    base = {"model": "debug", "pool": "tap"}
    config = TrainConfig(epochs=1, batch_size=8, device="cpu")
    fit(build_task(stores / "train.h5", **base), config, tmp_path / "softmax", quiet=True)
    task = build_task(stores / "train.h5", **base, loss=loss, init=str(tmp_path / "softmax"),
                       val_trials=stores / "val.txt", val_store=stores / "val.h5")
    result = fit(task, config, tmp_path / loss, quiet=True)
    assert 0.0 <= result.history[-1]["val_eer"] <= 100.0
    first = load_checkpoint(tmp_path / "softmax")["model_state"]["net.trunk.body.0.weight"]
    model = task.build_model()
    torch.testing.assert_close(model.net.trunk.body[0].weight, first)
    with pytest.raises(ModelError, match="do not fit"):
        build_task(stores / "train.h5", model="debug", pool="ghostvlad", init=str(tmp_path / "softmax"),
                    emb_dim=32).build_model()


def test_load_embedder_round_trip(stores, tmp_path):
    task = build_task(stores / "train.h5", model="debug",
                       pool="ghostvlad", val_trials=stores / "val.txt",
                       val_store=stores / "val.h5")
    fit(task, TrainConfig(epochs=1, batch_size=8, device="cpu"), tmp_path, quiet=True)
    emb = load_embedder(tmp_path, "cpu")
    ckpt = load_checkpoint(tmp_path)
    assert emb.threshold == ckpt["spec"]["threshold"] and emb.threshold is not None
    for key, value in emb.net.state_dict().items():
        torch.testing.assert_close(value, ckpt["model_state"]["net." + key])
    wav = speaker_wave(1, 1.3, np.random.default_rng(0))
    vec = emb.embed(wav)
    assert vec.shape == (emb.dim,) and abs(np.linalg.norm(vec) - 1) < 1e-5
    direct = embed_spectrograms(emb.net, [emb.extractor.compute(wav)], "cpu")[0]
    np.testing.assert_allclose(vec, direct, atol=1e-6)
    assert emb.embed_many([wav, wav]).shape == (2, emb.dim)
    stored = open_store(stores / "val.h5").read("id10010/vid0/00001", "spectrogram")
    assert embed_spectrograms(emb.net, [stored], "cpu").shape == (1, emb.dim)
    with pytest.raises(ModelError, match="no such checkpoint"):
        load_embedder(tmp_path / "nothing", "cpu")
