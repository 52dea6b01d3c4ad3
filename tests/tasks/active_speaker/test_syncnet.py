"""The SyncNet-architecture active speaker network: its windows line up lips and MFCCs,
SyncNet's offset search on a known distance table, the shipped checkpoint (small, packaged,
loadable through the task registry), clear errors, and the track store it trains on."""

import tomllib
from pathlib import Path

import numpy as np
import pytest

from avtool.errors import ConfigError, ModelError
from avtool.tasks.active_speaker import windows as W
from avtool.tasks.active_speaker.predictor import SHIPPED, load_sync_model

ROOT = Path(__file__).resolve().parents[3]


def test_windows_cover_the_same_two_tenths_of_a_second():
    mfcc = np.arange(400, dtype=np.float32)[:, None].repeat(13, axis=1)  # row index
    audio = W.audio_windows(mfcc, np.array([2, 10]))
    assert audio.shape == (2, 1, 13, 20)
    assert audio[1, 0, 0].tolist() == list(range(32, 52))  # frames 8..12 -> rows 32..51
    mouths = np.arange(30, dtype=np.float32)[:, None, None] * np.ones((1, 16, 32))
    assert W.visual_windows(mouths, np.array([10]))[0, :, 0, 0].tolist() == [8, 9, 10, 11, 12]
    assert W.audio_centres(400) == (2, 98)  # the last window ends at row 399
    rows = W.mfcc(np.zeros(16_000, np.float32))
    assert rows.shape == (101, 13)  # 100 Hz, centred


def test_sync_search_is_syncnets_offset_and_confidence():
    # frames prefer shift +2 (index 5 of -3..3) by 0.4 over the median
    dist = np.full((6, 7), 1.0)
    dist[:, 5] = 0.6
    dist[0] = np.nan
    offset, confidence, frame = W.sync_search(dist, vshift=3, median_kernel=1)
    assert offset == 2 and confidence == pytest.approx(0.4)
    assert frame.shape == (6,) and frame == pytest.approx(np.full(6, 0.4))


def test_shipped_checkpoint_is_small_packaged_and_loads():
    from avtool.tasks import load_model

    assert SHIPPED.exists() and SHIPPED.stat().st_size < 2_000_000
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = data["tool"]["setuptools"]["package-data"]["avtool"]
    assert str(SHIPPED.relative_to(ROOT / "avtool")) in shipped
    predictor = load_model(SHIPPED)
    assert predictor.spec["vshift"] == 15 and predictor.spec["net"]["type"] == "syncnet"
    assert load_sync_model().spec == predictor.spec


def test_shipped_network_finds_a_shift_of_real_lips(tmp_path):
    """A talking-heads shot through curate's front end (HOG, tracking, mouth regions),
    against its audio delayed by 0 and 6 frames: the shipped network finds both offsets."""
    from avtool.media.audio import read_audio
    from avtool.synth.talking_faces import (
        TalkingHeadsConfig,
        curate_settings,
        plan_corpus,
        render_video,
    )
    from avtool.tasks.active_speaker.predictor import score_tracks
    from avtool.tasks.curate.config import config_from_mapping
    from avtool.tasks.curate.tracking import track_faces
    from avtool.tasks.curate.video import detect_pass, models, track_pass

    cfg = TalkingHeadsConfig(pois=1, shot_seconds=3.0, bad_video=False, seed=5)
    plan = next(p for p in plan_corpus(cfg) if p.shots[0].kind == "sync")
    truth = render_video(type(plan)(plan.poi, plan.video, plan.shots[:1]), str(tmp_path), cfg)
    path = tmp_path / truth["path"]
    config = config_from_mapping(tomllib.loads(curate_settings(cfg)))
    _, shots, detections, _ = detect_pass(path, config, models(config)["detector"])
    tracks, _ = track_faces(detections, shots, config.track)
    (mouths,), _ = track_pass(path, tracks, config)
    wav, sr = read_audio(path, 16_000)
    net = load_sync_model()
    for shift in (0, 6):
        late = np.concatenate([np.zeros(shift * 640, np.float32), wav])[: len(wav)]
        (score,) = score_tracks(net.net, [mouths], [tracks[0].first], W.mfcc(late),
                                len(wav) // 640, 15, 9)
        assert score.offset == shift, (shift, score.offset, score.confidence)
        assert score.confidence > 0.09


def test_not_a_syncnet_checkpoint_is_one_line(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"junk")
    with pytest.raises(ModelError, match="x.pt: not a readable checkpoint"):
        load_sync_model(bad)


def test_track_store_needs_a_talking_heads_corpus(tmp_path):
    from avtool.tasks.active_speaker.tracks import build_track_store

    with pytest.raises(ConfigError, match="no truth.json"):
        build_track_store([tmp_path], tmp_path / "tracks.h5")
    assert not (tmp_path / "tracks.h5").exists()


def test_asd_backend_is_checked():
    from avtool.tasks.curate.config import config_from_mapping

    with pytest.raises(ConfigError, match="valid values are syncnet, synclite"):
        config_from_mapping({"asd": {"backend": "syncnet2"}})


def test_track_store_holds_the_in_sync_tracks_of_a_corpus(tmp_path):
    from avtool.store import open_store
    from avtool.synth.talking_faces import TalkingHeadsConfig, synth_talking_heads
    from avtool.tasks.active_speaker.tracks import build_track_store

    truth = synth_talking_heads(tmp_path / "th", TalkingHeadsConfig(
        pois=1, shot_seconds=2.0, bad_video=False, seed=3), workers=1)
    counts = build_track_store([tmp_path / "th"], tmp_path / "tracks.h5", val_every=2)
    # per POI: sync, two_faces (the POI only), other, and the re-upload's sync shot
    in_sync = sum(len(s["in_sync"]) for v in truth["videos"] for s in v["speech"])
    assert in_sync == 4 and counts == {"train": 2, "val": 2}
    store = open_store(tmp_path / "tracks.h5")
    for item in store.items():
        mouth, mfcc = store.read(item.id, "mouth"), store.read(item.id, "mfcc")
        assert mouth.shape[1:] == (16, 32) and mfcc.shape == (4 * len(mouth), 13)
        assert len(mouth) >= 25 and item.meta["poi"] == "id00001"
