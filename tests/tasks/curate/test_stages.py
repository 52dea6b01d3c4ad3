"""The curation stages on hand-made inputs: shots, tracking, SyncLite, speaking segments,
duplicates, face verification scores, config files."""

import numpy as np
import pytest

from avtool.errors import ConfigError
from avtool.tasks.curate.active_speaker import (
    SyncScore,
    runs,
    speaking_segments,
    sync_score,
    windowed_correlation,
)
from avtool.tasks.curate.config import (
    AsdConfig,
    CurateConfig,
    TrackConfig,
    config_from_mapping,
    config_to_toml,
    load_config,
)
from avtool.tasks.curate.dedup import find_duplicates
from avtool.tasks.curate.tracking import Track, iou, track_faces


def test_shot_detector_finds_a_hard_cut_and_one_shot_without_cuts():
    from avtool.synth.talking_faces_render import tint
    from avtool.synth.video import make_background
    from avtool.tasks.curate.config import ShotConfig
    from avtool.tasks.curate.shots import ShotDetector

    for detector in ("content", "histogram"):
        shots = ShotDetector(ShotConfig(detector=detector), 25)
        scenes = [make_background(90, 120, np.random.default_rng(seed)) for seed in (0, 1)]
        for k in range(60):
            shots.feed(tint(scenes[k >= 30], 0 if k < 30 else 200))
        assert shots.shots() == [(0, 30), (30, 60)], detector
    still = ShotDetector(ShotConfig(), 25)
    for _ in range(20):
        still.feed(np.full((60, 80, 3), 100, np.uint8))
    assert still.shots() == [(0, 20)]


def test_iou():
    assert iou(np.array([0, 0, 10, 10]), np.array([0, 0, 10, 10])) == 1.0
    assert iou(np.array([0, 0, 10, 10]), np.array([5, 0, 10, 10])) == pytest.approx(50 / 150)
    assert iou(np.array([0, 0, 10, 10]), np.array([20, 0, 10, 10])) == 0.0


def test_tracks_link_interpolate_and_drop_short_or_small_ones():
    config = TrackConfig(min_frames=6, min_face_size=20, smooth_kernel=1, max_missed=5)
    detections = {}
    for k in range(0, 30, 3):  # every third frame: a face moving right, and a tiny one
        detections[k] = np.array([[100 + k, 50, 40, 40, 1.0], [10, 10, 8, 8, 0.5]], np.float32)
    detections[40] = np.array([[300, 50, 40, 40, 1.0]], np.float32)  # alone: too short
    tracks, dropped = track_faces(detections, [(0, 20), (20, 45)], config)
    assert [(t.shot, t.first, t.last) for t in tracks] == [(0, 0, 18), (1, 21, 27)]
    assert tracks[0].box(4)[0] == pytest.approx(104)  # interpolated between detections
    assert tracks[0].detections == 7
    reasons = sorted(d["reason"].split(" (")[0] for d in dropped)
    assert reasons == ["short track", "small face", "small face"]


def test_windowed_correlation_matches_numpy():
    rng = np.random.default_rng(1)
    a = rng.normal(size=100)
    v = rng.normal(size=40)
    corr = windowed_correlation(v, a, first=30, window=11, vshift=3)
    t, j = 20, 1  # frame 20 of the track, shift -2
    expected = np.corrcoef(v[15:26], a[30 + 15 - 2: 30 + 26 - 2])[0, 1]
    assert corr[t, j] == pytest.approx(expected)
    assert np.isnan(corr[:5]).all() and np.isnan(corr[-5:]).all()


def test_sync_score_recovers_a_known_offset_and_rejects_noise():
    rng = np.random.default_rng(2)
    a = np.convolve(rng.normal(size=300), np.ones(3) / 3, mode="same")
    config = AsdConfig(backend="synclite")
    in_sync = sync_score(a[50:250].copy(), a, 50, config)
    late = sync_score(a[50 - 6:250 - 6].copy(), a, 50, config)  # lips 6 frames ahead
    noise = sync_score(rng.normal(size=200), a, 50, config)
    assert in_sync.offset == 0 and in_sync.confidence > 0.7
    assert late.offset == -6
    assert noise.confidence < config.track_threshold
    assert in_sync.frame_confidence.shape == (200,)


def test_speaking_segments_drop_dubbed_silent_and_ambiguous():
    def track(first, last):
        return Track(0, first, last, np.zeros((last - first + 1, 4), np.float32), 1)

    tracks = [track(0, 99), track(0, 99), track(0, 99), track(0, 99)]
    high = np.full(100, 0.9, np.float32)
    low = np.zeros(100, np.float32)
    scores = [SyncScore(0, 0.8, np.where(np.arange(100) < 50, high, low)),
              SyncScore(9, 0.8, high),  # dubbed
              SyncScore(0, 0.1, high),  # not confident as a track
              SyncScore(1, 0.8, np.where(np.arange(100) >= 90, high, low))]
    lite = AsdConfig(backend="synclite", window=11, min_frames=10)
    segments, rejected = speaking_segments(tracks, scores, 100, lite)
    # track 0 speaks in frames 0..54 (grown by half a window); track 3 in 85..99, so
    # frames 85..99 overlap nothing and both keep their runs
    assert segments == [(0, 0, 55), (3, 85, 100)]
    assert [r["reason"].split(":")[0] for r in rejected] == ["out of sync", "not speaking"]
    scores[3] = SyncScore(1, 0.8, np.where(np.arange(100) >= 40, high, low))
    segments, rejected = speaking_segments(tracks, scores, 100, lite)
    assert segments == [(0, 0, 35), (3, 55, 100)]  # frames 35..54: two faces speak
    assert any(r["reason"].startswith("ambiguous") for r in rejected)


def test_runs():
    mask = np.array([0, 1, 1, 1, 0, 1, 0, 1, 1], bool)
    assert runs(mask, 2) == [(1, 4), (7, 9)]
    assert runs(mask, 1) == [(1, 4), (5, 6), (7, 9)]


def test_duplicates_by_hash_and_embedding_keep_the_first():
    e = np.eye(4)
    embeddings = [e[0], e[1], e[0] * 0.99 + e[2] * 0.05, None, e[3]]
    dup = find_duplicates(["a", "b", "c", "a", "d"], embeddings, threshold=0.1)
    assert dup == {2: (0, dup[2][1]), 3: (0, "identical audio")}
    assert dup[2][1].startswith("speaker-embedding distance")


def test_config_file_overrides_and_errors(tmp_path):
    path = tmp_path / "curate.toml"
    path.write_text("[track]\nmin_frames = 25\n[asd]\nthreshold = 0.6\n")
    config = load_config(path)
    assert config.track.min_frames == 25 and config.asd.threshold == 0.6
    assert config.track.iou == 0.5 and config.face.detector == "dlib-hog"
    path.write_text(config_to_toml(config))
    assert load_config(path) == config
    for text, message in (("[trak]\nx = 1\n", "unknown section [trak]"),
                          ("[track]\nminframes = 1\n", "unknown option(s) minframes"),
                          ("[face]\ndetector = 'haar'\n", "face.detector 'haar'"),
                          ("[track]\niou = 2.0\n", "iou=2.0"),
                          ("[face]\ndetector = 'scrfd'\n", "needs face.model_dir"),
                          ("[track\n", "not valid TOML")):
        path.write_text(text)
        with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")
                           .replace(")", r"\)")):
            load_config(path)
    assert config_from_mapping({}) == CurateConfig()


def test_scrfd_without_a_model_folder_names_the_option(tmp_path):
    from avtool.errors import ModelError
    from avtool.tasks.curate.config import FaceConfig
    from avtool.tasks.curate.face_detection import face_detector

    with pytest.raises(ModelError, match="holds no insightface det_"):
        face_detector(FaceConfig(detector="scrfd", model_dir=str(tmp_path)))


def test_face_verification_scores():
    from avtool.tasks.curate.config import FaceVerifyConfig
    from avtool.tasks.curate.face_verification import FaceVerifier

    verifier = FaceVerifier(FaceVerifyConfig())
    refs = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    track = np.array([[0.9, 0.1, 0], [1.0, 0.0, 0.1], [0.0, 1.0, 0.0]])
    score, ref = verifier.score(track, refs)
    assert ref == 1 and score == pytest.approx(np.linalg.norm([0, 0, 0.1]))
    assert verifier.accepts(0.3) and not verifier.accepts(0.6)
    cosine = FaceVerifier(FaceVerifyConfig(metric="cosine", threshold=0.9))
    score, ref = cosine.score(track, refs)
    assert ref == 1 and score > 0.99 and cosine.accepts(score)


@pytest.mark.parametrize("name", ["dlib-hog", "dlib-cnn"])
def test_face_detectors_find_the_pasted_face(name):
    from avtool.synth.video import face_crops, paste_face
    from avtool.tasks.curate.config import FaceConfig
    from avtool.tasks.curate.face_detection import face_detector

    frame = np.full((150, 200, 3), 90, np.uint8)
    paste_face(frame, face_crops()[3], 100, 75, 110)
    boxes = face_detector(FaceConfig(detector=name)).detect(frame)
    assert boxes.shape == (1, 5)
    assert iou(boxes[0], np.array([45, 20, 110, 110])) > 0.4
