"""What one video of the retrieval corpus holds, drawn from a random stream: sprites, sound,
voice, face (`draw_content`) and a word written on screen (`pick_sign`). Shared by the short
videos (`avtool.synth.retrieval`) and the long videos' segments (`retrieval_long`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avtool.synth import retrieval_text as text


@dataclass(frozen=True)
class ObjectPlan:
    color: str
    shape: str
    motion: str
    phase: float


def draw_content(rng: np.random.Generator, cfg) -> tuple:
    """(objects, sound, speaker, topic, speech, face) of one video (or long-video segment)."""
    n_obj = 2 if rng.random() < cfg.p_two_objects else 1
    colors = rng.choice(len(text.COLORS), n_obj, replace=False)
    shapes = rng.choice(len(text.SHAPES), n_obj, replace=False)
    objects = tuple(ObjectPlan(text.COLORS[c], text.SHAPES[s],
                               text.MOTIONS[int(rng.integers(len(text.MOTIONS)))],
                               float(rng.uniform(0, 1)))
                    for c, s in zip(colors, shapes, strict=True))
    sound = (list(text.SOUND_WORDS)[int(rng.integers(len(text.SOUND_WORDS)))]
             if rng.random() < cfg.p_sound else None)
    speaker = topic = None
    speech = ""
    if rng.random() < cfg.p_speech:
        speaker = "m" if rng.random() < 0.5 else "f"
        topic = text.TOPICS[int(rng.integers(len(text.TOPICS)))]
        speech = text.spoken_sentence(topic, rng)
    face = int(rng.integers(6)) if rng.random() < cfg.p_face else None
    return objects, sound, speaker, topic, speech, face


def pick_sign(rng: np.random.Generator, share: float) -> str | None:
    """A word to write on screen with probability `share` (two draws whatever the outcome)."""
    show, k = rng.random(), int(rng.integers(len(text.SIGN_WORDS)))
    return text.SIGN_WORDS[k] if show < share else None
