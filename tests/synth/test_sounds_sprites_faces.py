import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.errors import ConfigError
from avtool.media.audio import read_audio
from avtool.synth.sounds import render_sound, sounds
from avtool.synth.speech import synthesize
from avtool.synth.video import (
    FACE_BOXES,
    draw_sprite,
    face_crops,
    group_photo_path,
    make_background,
    sprites,
)


@pytest.mark.parametrize("voice,text", [("en", "one two three four"),
                                        ("mr", "एक दोन तीन चार")])
def test_speech_english_and_marathi(voice, text):
    speech = synthesize(text, voice=voice, variant="m1", pitch=50, rate=170)
    assert speech.sample_rate == 16000 and 0.8 < speech.duration < 4.0
    assert np.sqrt(np.mean(speech.audio ** 2)) > 0.01
    assert [w for w, _, _ in speech.words] == text.split()
    onsets = [a for _, a, _ in speech.words]
    assert onsets == sorted(onsets) and all(0 <= a <= b <= speech.duration
                                            for _, a, b in speech.words)


def test_speech_parameters_change_the_voice():
    low = synthesize("hello there", pitch=10)
    high = synthesize("hello there", pitch=90)
    fast = synthesize("hello there", rate=300)
    assert fast.duration < low.duration

    def f0(wav):  # autocorrelation pitch of the loudest 100 ms
        i = int(np.argmax(np.convolve(wav ** 2, np.ones(1600), "same")))
        seg = wav[max(0, i - 800): i + 800]
        ac = np.correlate(seg, seg, "full")[len(seg) - 1:]
        lag = 40 + int(np.argmax(ac[40:400]))
        return 16000 / lag

    assert f0(high.audio) > f0(low.audio)


def test_speech_errors():
    with pytest.raises(ConfigError, match="no voice"):
        synthesize("hello", voice="xx-nonexistent")
    with pytest.raises(ConfigError, match="empty text"):
        synthesize("  ")


def _sound_features(wav):
    frames = wav[: len(wav) // 256 * 256].reshape(-1, 256)
    spec = np.abs(np.fft.rfft(frames * np.hanning(256), axis=1)) + 1e-6
    bands = np.log(np.stack([spec[:, i * 4:(i + 1) * 4].sum(1) for i in range(32)], 1))
    bands -= bands.mean()  # loudness varies by design: compare shapes, not levels
    centroid = (spec * np.arange(spec.shape[1])).sum(1) / spec.sum(1)
    env = np.log((frames ** 2).mean(1) + 1e-9)
    return np.concatenate([bands.mean(0), bands.std(0), [env.std(), np.abs(np.diff(env)).mean(),
                                                         np.mean(np.diff(centroid) > 0)]])


def test_sounds_are_deterministic_and_a_classifier_tells_them_apart():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    names = sounds.names()
    assert len(names) >= 12
    for name in names:
        a = render_sound(name, 1.0, 16000, np.random.default_rng(3))
        np.testing.assert_array_equal(a, render_sound(name, 1.0, 16000, np.random.default_rng(3)))
        assert a.dtype == np.float32 and len(a) == 16000 and np.isfinite(a).all()
    train = [(n, s) for n in names for s in range(6)]
    test = [(n, s) for n in names for s in range(100, 104)]
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    clf.fit([_sound_features(render_sound(n, 1.5, 16000, np.random.default_rng(s)))
             for n, s in train], [n for n, _ in train])
    predicted = clf.predict([_sound_features(render_sound(n, 1.5, 16000, np.random.default_rng(s)))
                             for n, s in test])
    assert np.mean(predicted == np.array([n for n, _ in test])) >= 0.9


def test_sound_renderings_vary_within_a_class():
    a = render_sound("siren", 1.0, 16000, np.random.default_rng(0))
    b = render_sound("siren", 1.0, 16000, np.random.default_rng(1))
    assert not np.allclose(a, b)


def test_sprites_draw_and_move():
    specs = [sprites.get(n) for n in sprites.names()]
    assert len(specs) >= 25
    for i, a in enumerate(specs):  # no two classes share more than one attribute
        for b in specs[i + 1:]:
            shared = (a.shape == b.shape) + (a.color == b.color) + (a.motion == b.motion)
            assert shared <= 1, (a.name, b.name)
    rng = np.random.default_rng(0)
    for name in sprites.names():
        spec = sprites.get(name)
        base = make_background(96, 128, rng)
        first, later = base.copy(), base.copy()
        draw_sprite(first, spec, 0.0, 0.2)
        draw_sprite(later, spec, 1.3, 0.2)
        assert (first != base).any(), name
        if spec.motion not in ("static",):
            assert (first != later).any(), name


def test_six_faces_and_the_cascade_confirms_the_frontal_ones():
    import cv2

    crops = face_crops()
    assert len(crops) == 6 and all(c.shape[0] > 100 for c in crops)
    grey = cv2.cvtColor(cv2.imread(str(group_photo_path())), cv2.COLOR_BGR2GRAY)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades +
                                    "haarcascade_frontalface_default.xml")
    found = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=4, minSize=(60, 60))

    def overlaps(a, b):
        ax, ay, aw, ah = a
        bx, by, bw, bh = b
        ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
        iy = max(0, min(ay + ah, by + bh) - max(ay, by))
        return ix * iy / (aw * ah + bw * bh - ix * iy)

    confirmed = sum(any(overlaps(box, f) > 0.3 for f in found) for box in FACE_BOXES)
    assert confirmed >= 4


def test_synth_media_cli(tmp_path):
    result = CliRunner().invoke(app, ["synth", "media", "--out", str(tmp_path), "--seed", "1",
                                      "--json"])
    assert result.exit_code == 0, result.output
    description = json.loads((tmp_path / "media.json").read_text())
    assert json.loads(result.stdout) == description
    kinds = {f["kind"]: f for f in description["files"]}
    assert set(kinds) == {"speech", "sound-events", "sprites", "face-speech"}
    for entry in description["files"]:
        wav, sr = read_audio(tmp_path / entry["path"], 16000)
        assert len(wav) / sr == pytest.approx(entry["duration"], abs=0.1)
    events = kinds["sound-events"]["events"]
    wav, _ = read_audio(tmp_path / "events.wav", 16000)
    for event in events:  # the described spans are where the sound is
        inside = wav[int(event["onset"] * 16000): int(event["offset"] * 16000)]
        assert np.sqrt(np.mean(inside ** 2)) > 5 * 0.003
    from avtool.media.video import read_frames

    frames = list(read_frames(tmp_path / "sprites.mp4", fps=5))
    assert len(frames) == 20 and frames[0][1].shape == (120, 160, 3)
