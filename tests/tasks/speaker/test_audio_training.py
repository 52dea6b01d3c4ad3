"""Training from audio (wav folder / manifest), augmentation switches, and the score spread of
the linear embedding (issue 16)."""

import numpy as np
import pytest

from avtool.errors import ConfigError
from avtool.media.audio import write_wav
from avtool.tasks.speaker.audio_data import (
    AudioCropDataset,
    AudioItems,
    is_audio_source,
    speed_class_names,
)
from avtool.tasks.speaker.options import SpeakerOptions
from avtool.tasks.speaker.task import SpeakerTask
from avtool.tasks.speaker.testing import SR, make_speaker_store, speaker_wave, write_trials


def _wav_tree(root, voices, utterances, seed):
    """Buzz voices (`speaker_wave` indices) as a VoxCeleb-layout wav tree; returns the ids."""
    rng = np.random.default_rng(seed)
    ids = []
    for voice in voices:
        for u in range(utterances):
            item = f"id{10001 + voice}/vid{u % 2}/{u + 1:05d}"
            write_wav(root / f"{item}.wav", speaker_wave(voice, rng.uniform(1.0, 2.0), rng), SR)
            ids.append(item)
    return ids


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("speaker-audio")
    _wav_tree(root / "train", [0, 2, 4, 6, 8, 10], 4, 0)
    held = _wav_tree(root / "test", [1, 5, 7, 9], 3, 1)  # voices never trained on, in between
    write_trials(root / "trials.txt", held)
    return root


def test_store_argument_picks_the_route(corpus, tmp_path):
    assert is_audio_source(corpus / "train")
    (tmp_path / "m.csv").write_text("id,path\n")
    assert is_audio_source(tmp_path / "m.csv") and not is_audio_source(tmp_path / "x.h5")
    make_speaker_store(tmp_path / "shards" / "a.h5", speakers=2, utterances=2)
    assert not is_audio_source(tmp_path / "shards")  # a folder of store shards


def test_audio_crops_are_the_store_crops_of_the_same_file(corpus, tmp_path):
    from avtool.features import build_extractor
    from avtool.features.pipeline import extract_to_store, plan_jobs
    from avtool.store import open_store

    extract_to_store(plan_jobs([corpus / "train"]), tmp_path / "s.h5", ["spectrogram"],
                     workers=1, device="cpu")
    store = open_store(tmp_path / "s.h5")
    extractor = build_extractor("spectrogram")
    items = AudioItems.from_source(corpus / "train", 0.01)
    data = AudioCropDataset(items, 50, extractor)
    for index in (0, 7, 20):
        crop, label = data[(index, 30)]
        stored = store.read(items.ids[index], "spectrogram", 30, 80)
        np.testing.assert_allclose(crop.numpy(), stored, atol=1e-5)
        assert items.lengths[index] == store.num_frames(items.ids[index], "spectrogram")
        assert items.speakers[label] == items.ids[index].split("/")[0]


def test_manifest_speaker_column_and_spans(corpus, tmp_path):
    wavs = sorted((corpus / "train").rglob("*.wav"))[:6]
    rows = [f"u{i},{p},{'spk' + str(i % 2)},0.1,0.9" for i, p in enumerate(wavs)]
    (tmp_path / "m.csv").write_text("id,path,speaker,start,end\n" + "\n".join(rows) + "\n")
    items = AudioItems.from_source(tmp_path / "m.csv", 0.01)
    assert items.speakers == ["spk0", "spk1"] and items.labels.tolist() == [0, 1] * 3
    assert items.lengths.tolist() == [81] * 6 and len(items.read(0, SR)) == int(0.8 * SR)


def test_waveform_augmentation_needs_audio_and_specaugment_does_not(tmp_path):
    make_speaker_store(tmp_path / "t.h5", speakers=3, utterances=2)
    with pytest.raises(ConfigError, match="works on audio"):
        SpeakerTask.from_options(SpeakerOptions(model="debug", augment="noise"), tmp_path / "t.h5")
    task = SpeakerTask.from_options(SpeakerOptions(model="debug", augment="specaugment"),
                                    tmp_path / "t.h5")
    assert task.config.augment == ("specaugment",)


def test_speed_perturbed_voices_are_new_classes_shared_by_a_speaker(corpus):
    from avtool.features import build_extractor

    assert speed_class_names(["a", "b"], ("speed",)) == ["a", "a@x0.9", "a@x1.1", "b", "b@x0.9",
                                                         "b@x1.1"]
    items = AudioItems.from_source(corpus / "train", 0.01)
    data = AudioCropDataset(items, 40, build_extractor("spectrogram"), ("speed",), seed=3)
    same = [i for i in range(len(items.ids)) if items.labels[i] == 2]
    classes = {data[(i, 0)][1] for i in same}
    assert len(classes) == 1 and classes.pop() // 3 == 2  # one factor per speaker and epoch
    factors = set()
    for epoch in range(8):
        data.set_epoch(epoch)
        factors.add(data.speed_class(2))
    assert factors == {0, 1, 2}


def _cosines(run, corpus):
    from avtool.formats.voxceleb import read_trials
    from avtool.tasks.speaker.predictor import load_checkpoint_embedder
    from avtool.tasks.speaker.speech_input import read_speech

    embedder = load_checkpoint_embedder(run / "last.pt")
    trials = read_trials(corpus / "trials.txt")
    files = sorted(set(trials.path1) | set(trials.path2))
    emb = embedder.embed_many([read_speech(corpus / "test" / f, SR) for f in files])
    row = {f: i for i, f in enumerate(files)}
    cos = np.array([emb[row[a]] @ emb[row[b]] for a, b in zip(trials.path1, trials.path2,
                                                              strict=True)])
    return cos, np.asarray(trials.labels, dtype=bool)


def test_bn_embedding_spreads_held_out_scores_where_the_thesis_relu_collapses(corpus, tmp_path):
    """Issue 16. The thesis's (and the released code's) embedding is scored after fc6's ReLU:
    every cosine is >= 0, and as the aggregated descriptors are non-negative too, all
    embeddings share one large offset, so held-out cosines bunch near 1. With
    ``embedding="bn"`` (linear + BatchNorm) the same training spreads them: non-target
    cosines sit well below target ones on voices never trained on."""
    from avtool.tasks import train_task

    gaps = {}
    for embedding in ("relu", "bn"):
        options = SpeakerOptions(model="debug", pool="tap", loss="aamsoftmax",
                                 embedding=embedding, crop_seconds=0.8)
        run = tmp_path / embedding
        train_task("speaker", options, corpus / "train", run, quiet=True, epochs=8,
                   batch_size=12, seed=0, device="cpu")
        cos, target = _cosines(run, corpus)
        gaps[embedding] = cos[target].mean() - cos[~target].mean()
        if embedding == "relu":
            assert cos.min() >= -1e-6
    assert gaps["bn"] > 0.1
    assert gaps["bn"] > 5 * max(gaps["relu"], 0.0)
