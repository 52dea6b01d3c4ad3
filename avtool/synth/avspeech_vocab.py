"""The words of the synthetic audio-visual speech corpus (`avtool.synth.avspeech`).

Every sentence describes one sprite of `avtool.synth.video` (a colour, a shape and a motion)
and sometimes a sound of `avtool.synth.sounds` playing under the speech ("the red circle
bounces", "a blue star spins with the siren"). Content words come from four small closed
sets (8 words each, one set per kind); every other word comes from a handful of fixed
templates, so it is predictable from its position alone. The English function words (the,
a, now, and, then, by, with) are all on the usual English stop-word lists (NLTK's), and no
content word is, so stop-word-based content-word masking agrees with words.tsv's ``content``:

* ``colour``: red, green, blue, yellow, magenta, cyan, orange, white (`video.COLORS`; the
  dull brown and purple, which backgrounds resemble, are left out);
* ``shape``: the 8 `video.SHAPES`;
* ``motion``: a verb per `video.MOTIONS` (bounces, circles, zigzags, pulses, rests, bobs,
  slides, spins); squares and diamonds never spin (`LOOK_ALIKE`);
* ``sound``: siren, bell, drum, engine, clock, bird, flute, organ (`sounds` recipes).

Marathi (``mr``) uses the same sets in Devanagari with one fixed form per word (no gender or
case agreement; the corpus needs a closed vocabulary, not grammar) and verb-final templates.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

CONTENT_KINDS = ("colour", "shape", "motion", "sound")
FUNCTION = "function"
# (shape, motion) pairs never drawn: their frames look alike (a square turned by 45 degrees
# is the diamond, so the two spinning are the same picture).
LOOK_ALIKE = frozenset({("square", "spin"), ("diamond", "spin")})


@dataclass(frozen=True)
class Vocabulary:
    """The spoken words of one language, keyed by the visual or sound class they name."""

    language: str
    voices: tuple[str, ...]  # espeak-ng voices (accents) of the language
    colour: dict[str, str]  # video.COLORS name -> word
    shape: dict[str, str]  # video.SHAPES name -> word
    motion: dict[str, str]  # video.MOTIONS name -> verb
    sound: dict[str, str]  # sounds registry name -> word
    templates: tuple[str, ...]  # with {colour} {shape} {motion}
    sound_templates: tuple[str, ...]  # with {colour} {shape} {motion} {sound}

    def words(self, kind: str) -> dict[str, str]:
        """class name -> word for one content kind."""
        return getattr(self, kind)

    def function_words(self) -> tuple[str, ...]:
        """Every template word that is not a placeholder, sorted."""
        fixed = {tok for t in self.templates + self.sound_templates for tok in t.split()
                 if not tok.startswith("{")}
        return tuple(sorted(fixed))


def template_fields(template: str) -> list[str | None]:
    """Per token of `template`: the content kind of a ``{kind}`` placeholder, else None."""
    kinds = []
    for token in template.split():
        names = [name for _, name, _, _ in string.Formatter().parse(token) if name]
        kinds.append(names[0] if names else None)
    return kinds


ENGLISH = Vocabulary(
    language="en",
    voices=("en", "en-us", "en-gb-x-rp", "en-029", "en-gb-scotland"),
    colour={c: c for c in ("red", "green", "blue", "yellow", "magenta", "cyan", "orange",
                           "white")},
    shape={s: s for s in ("circle", "square", "triangle", "star", "cross", "ring", "diamond",
                          "hexagon")},
    motion={"bounce": "bounces", "circle": "circles", "zigzag": "zigzags", "pulse": "pulses",
            "static": "rests", "vertical": "bobs", "diagonal": "slides", "spin": "spins"},
    sound={s: s for s in ("siren", "bell", "drum", "engine", "clock", "bird", "flute",
                          "organ")},
    templates=("the {colour} {shape} {motion}", "now the {colour} {shape} {motion}",
               "and then a {colour} {shape} {motion}"),
    sound_templates=("the {colour} {shape} {motion} by the {sound}",
                     "a {colour} {shape} {motion} with the {sound}"),
)

MARATHI = Vocabulary(
    language="mr",
    voices=("mr",),
    colour={"red": "लाल", "green": "हिरवा", "blue": "निळा", "yellow": "पिवळा",
            "magenta": "गुलाबी", "cyan": "आकाशी", "orange": "नारंगी", "white": "पांढरा"},
    shape={"circle": "वर्तुळ", "square": "चौरस", "triangle": "त्रिकोण", "star": "तारा",
           "cross": "फुली", "ring": "कडे", "diamond": "हिरा", "hexagon": "षटकोन"},
    motion={"bounce": "उसळते", "circle": "फिरते", "zigzag": "वळवळते", "pulse": "धडधडते",
            "static": "थांबते", "vertical": "डोलते", "diagonal": "घसरते", "spin": "गरगरते"},
    sound={"siren": "सायरन", "bell": "घंटा", "drum": "ढोल", "engine": "इंजिन",
           "clock": "घड्याळ", "bird": "पक्षी", "flute": "बासरी", "organ": "पेटी"},
    templates=("{colour} {shape} {motion}", "हा {colour} {shape} {motion}",
               "आता {colour} {shape} {motion}"),
    sound_templates=("{sound} जवळ {colour} {shape} {motion}",
                     "आता {sound} जवळ {colour} {shape} {motion}"),
)

VOCABULARIES = {v.language: v for v in (ENGLISH, MARATHI)}
