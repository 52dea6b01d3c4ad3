"""Labelled examples for training retrieval's expert networks (`avtool.features.expert_nets`),
drawn from the same generators as ``avtool synth retrieval`` with their ground truth.

* audio: 1 s of a noise bed, a library sound (75%; a random second of a 4-s rendering, as a
  video's sound runs through it), sometimes a second sound (15%) and a stretch of espeak-ng
  speech (40%; labelled when at least 0.4 s of it falls in the second);
* appearance: one 128 x 128 frame of a textured background with 0-2 sprites of random shape,
  colour, motion and size, and a face (30%) pasted in a corner;
* motion: one second (8 frames) of the same scenes, labelled with the sprites' motions.

Frames are JPEG-compressed at a random quality and resized to 64 x 64 with area
interpolation, so the networks see what they will see through H.264 and the video decoder.
Every set is a pure function of its seed.
"""

from __future__ import annotations

import numpy as np

from avtool.synth import sounds as sound_lib
from avtool.synth import video as video_lib
from avtool.synth.mixing import add_faded, at_level, limit_peak, noise_bed

SAMPLE_RATE = 16_000
FRAME = 128  # rendered side, as ``synth retrieval``'s default videos
SIDE = 64  # the networks' input side
FPS = 8


def audio_classes() -> list[str]:
    return [*sound_lib.sounds.names(), "speech"]


def appearance_classes() -> list[str]:
    return [*video_lib.SHAPES, *video_lib.COLORS, "face"]


def motion_classes() -> list[str]:
    return list(video_lib.MOTIONS)


def speech_pool(count: int, seed: int) -> list[np.ndarray]:
    """`count` espeak-ng utterances at 16 kHz (sentences of the corpus's topics, varied voices)."""
    from avtool.synth.retrieval_text import TOPICS, spoken_sentence
    from avtool.synth.speech import synthesize

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        topic = TOPICS[int(rng.integers(len(TOPICS)))]
        variant = f"{'mf'[int(rng.integers(2))]}{int(rng.integers(1, 5))}"
        out.append(synthesize(spoken_sentence(topic, rng), voice="en", variant=variant,
                              pitch=int(rng.integers(30, 70)), rate=int(rng.integers(150, 220)),
                              sample_rate=SAMPLE_RATE).audio.astype(np.float32))
    return out


def audio_examples(count: int, seed: int, voices: list[np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(count, 1, 96, 64) VGGish inputs and (count, classes) 0/1 labels."""
    from avtool.features.llp_audio import segment_logmel, vggish_examples

    rng = np.random.default_rng(seed)
    names = sound_lib.sounds.names()
    classes = audio_classes()
    x = np.empty((count, 1, 96, 64), np.float32)
    y = np.zeros((count, len(classes)), np.float32)
    for i in range(count):
        mix = noise_bed(SAMPLE_RATE, rng, float(rng.uniform(-50, -35)))
        n_sounds = int(rng.random() < 0.75) + int(rng.random() < 0.15)
        for k in rng.choice(len(names), n_sounds, replace=False):
            long = sound_lib.render_sound(names[k], 4.0, SAMPLE_RATE, rng, snr_db=(20.0, 40.0),
                                          level_db=(-30.0, -12.0))
            start = int(rng.integers(0, len(long) - SAMPLE_RATE + 1))
            mix += long[start:start + SAMPLE_RATE]
            y[i, k] = 1
        if rng.random() < 0.4:
            voice = at_level(voices[int(rng.integers(len(voices)))], float(rng.uniform(-20, -10)))
            offset = int(rng.integers(-len(voice) + int(0.4 * SAMPLE_RATE),
                                      int(0.6 * SAMPLE_RATE) + 1))
            lo, hi = max(0, -offset), min(len(voice), SAMPLE_RATE - offset)
            if hi - lo >= int(0.4 * SAMPLE_RATE):
                add_faded(mix, voice[lo:hi], max(0, offset), SAMPLE_RATE)
                y[i, -1] = 1
        x[i] = vggish_examples(segment_logmel(limit_peak(mix), 1))[0]
    return x, y


def _scene(rng: np.random.Generator) -> tuple[np.ndarray, list, int | None]:
    """A background, 0-2 random sprites (class, phase, size) and maybe a face index."""
    background = video_lib.make_background(FRAME, FRAME, rng).astype(np.int16)
    count = int(rng.choice(3, p=[0.1, 0.5, 0.4]))
    colors = list(video_lib.COLORS)
    sprites = []
    for _ in range(count):
        shape = video_lib.SHAPES[int(rng.integers(len(video_lib.SHAPES)))]
        color = colors[int(rng.integers(len(colors)))]
        motion = video_lib.MOTIONS[int(rng.integers(len(video_lib.MOTIONS)))]
        sprite = video_lib.SpriteClass(f"{color}-{shape}-{motion}", shape,
                                       video_lib.COLORS[color], motion)
        sprites.append((sprite, float(rng.uniform(0, 1)), float(rng.uniform(0.10, 0.16)) * FRAME))
    face = int(rng.integers(len(video_lib.face_crops()))) if rng.random() < 0.3 else None
    return background, sprites, face


def _draw(background, sprites, face, t: float, rng: np.random.Generator,
          face_at: tuple[float, float]) -> np.ndarray:
    import cv2

    jitter = rng.normal(0, 2.0, size=(FRAME, FRAME, 1)).astype(np.int16)
    frame = np.clip(background + jitter, 0, 255).astype(np.uint8)
    if face is not None:
        video_lib.paste_face(frame, video_lib.face_crops()[face], face_at[0], face_at[1],
                             int(0.6 * FRAME))
    for sprite, phase, size in sprites:
        video_lib.draw_sprite(frame, sprite, t=t, phase=phase, size=size)
    quality = int(rng.integers(35, 95))
    ok, jpeg = cv2.imencode(".jpg", frame[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    frame = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[..., ::-1]
    return cv2.resize(frame, (SIDE, SIDE), interpolation=cv2.INTER_AREA)


def _face_at(rng: np.random.Generator) -> tuple[float, float]:
    return (FRAME * (1 - float(rng.uniform(0.25, 0.4))),
            FRAME * (1 - float(rng.uniform(0.25, 0.4))))


def appearance_examples(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, 64, 64, 3) uint8 frames and (count, classes) 0/1 labels."""
    rng = np.random.default_rng(seed)
    classes = appearance_classes()
    x = np.empty((count, SIDE, SIDE, 3), np.uint8)
    y = np.zeros((count, len(classes)), np.float32)
    for i in range(count):
        background, sprites, face = _scene(rng)
        x[i] = _draw(background, sprites, face, float(rng.uniform(0, 4)), rng, _face_at(rng))
        for sprite, _, _ in sprites:
            y[i, classes.index(sprite.shape)] = 1
            y[i, classes.index(next(c for c, v in video_lib.COLORS.items()
                                    if v == sprite.color))] = 1
        y[i, -1] = face is not None
    return x, y


def motion_examples(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, 8, 64, 64, 3) uint8 one-second clips and (count, classes) 0/1 labels."""
    rng = np.random.default_rng(seed)
    classes = motion_classes()
    x = np.empty((count, FPS, SIDE, SIDE, 3), np.uint8)
    y = np.zeros((count, len(classes)), np.float32)
    for i in range(count):
        background, sprites, face = _scene(rng)
        t0, face_at = float(rng.uniform(0, 3)), _face_at(rng)
        for k in range(FPS):
            x[i, k] = _draw(background, sprites, face, t0 + k / FPS, rng, face_at)
        for sprite, _, _ in sprites:
            y[i, classes.index(sprite.motion)] = 1
    return x, y
