"""The words of the synthetic AVSD corpus: question templates, answer paraphrases, descriptions.

Every question type answers from exactly one source, so a model's errors say which input it
failed to use:

=============  ===========================================  ==============================
type           question (one of its templates)              answered by
=============  ===========================================  ==============================
``count``      how many objects are there ?                 frames (rgb)
``color``      what color is it / the first object ?        frames (rgb)
``shape``      what shape is it ?                           frames (rgb, edges)
``where``      where is it at the start ?                   frames (rgb, spatial layout)
``size``       is it big or small ?                         frames (weak) and descriptions
``motion``     how does it move ?                           motion (flow)
``order``      which object appears first ?                 frames over time
``sound``      what sound do you hear ?                     audio
``when``       when do you hear the sound ?                 audio over time
``speech``     does anyone speak ?                          audio
``else``       is there anything else ?                     frames
``other``      what about the other one ?                   the history (which attribute)
=============  ===========================================  ==============================

Each answer has five or six paraphrases: the dialog's answer is one of them, the test split's
multi-reference file holds several. The two descriptions give away part of the answers
(sizes, which only the frames hint at, plus colours and the sound for the caption, the count
and whether someone speaks for the summary), as AVSD's human descriptions do.
"""

from __future__ import annotations

from collections.abc import Sequence

COLORS = ("red", "green", "blue", "yellow", "magenta", "cyan")
SHAPES = ("circle", "square", "triangle", "star")
MOTIONS = ("static", "bounce", "circle", "vertical")
SIZES = ("big", "small")
SIDES = ("left", "right")
SOUNDS = {  # library recipe (avtool.synth.sounds) -> what a person calls it
    "bark": "a dog barking", "bell": "a bell ringing", "siren": "a siren",
    "drum": "a drum", "flute": "a flute playing", "engine": "an engine running",
}
WHEN = ("beginning", "end", "whole")
SPOKEN_WORDS = ("hello", "morning", "table", "window", "coffee", "garden", "music", "yellow",
                "seven", "river", "pencil", "paper", "kitchen", "summer", "button", "orange")
ATTRIBUTES = ("color", "shape", "motion", "size", "where")

QUESTIONS = {
    "count": ("how many objects are there ?", "how many things do you see ?"),
    "color": ("what color is {ref} ?", "which color does {ref} have ?"),
    "shape": ("what shape is {ref} ?", "what kind of shape is {ref} ?"),
    "motion": ("how does {ref} move ?", "is {ref} moving ?"),
    "size": ("is {ref} big or small ?", "how big is {ref} ?"),
    "where": ("where is {ref} at the start ?", "where does {ref} start ?"),
    "order": ("which object appears first ?", "which one comes first ?"),
    "sound": ("what sound do you hear ?", "is there any sound ?"),
    "when": ("when do you hear the sound ?", "when does the sound play ?"),
    "speech": ("does anyone speak ?", "can you hear anyone talking ?"),
    "else": ("is there anything else ?", "anything else in the video ?"),
    "other": ("what about the other one ?", "and the other object ?"),
}
REFERENTS = {None: ("it", "the object"), 0: ("the first object", "the first one"),
             1: ("the second object", "the second one")}

_ANSWERS = {
    "color": ("it is {v}", "{v}", "the object is {v}", "it looks {v}", "i think it is {v}",
              "it is {v} colored"),
    "shape": ("it is a {v}", "a {v}", "it looks like a {v}", "the shape is a {v}",
              "i think it is a {v}", "it is shaped like a {v}"),
    "size": ("it is {v}", "{v}", "it is quite {v}", "it looks {v}", "i would say {v}",
             "the object is {v}"),
    "where": ("on the {v}", "it starts on the {v}", "it is on the {v} side",
              "on the {v} side of the screen", "at the {v}"),
    "order": ("the {v} one appears first", "the {v} one", "first the {v} one",
              "the {v} one comes first", "the {v} one shows up first"),
    "sound": ("i hear {v}", "there is {v}", "{v}", "it sounds like {v}", "yes i can hear {v}"),
}
_MOTION = {
    "static": ("it stays still", "it does not move", "it is not moving", "no it stays in place",
               "it just sits there"),
    "bounce": ("it bounces around", "it is bouncing", "it moves around quickly",
               "it bounces all over", "it keeps bouncing"),
    "circle": ("it moves in a circle", "it goes around in circles", "it circles around",
               "it moves in circles", "it goes round and round"),
    "vertical": ("it moves up and down", "it goes up and down", "it moves vertically",
                 "up and down", "it keeps going up and down"),
}
_COUNT = {1: ("there is one object", "just one", "only one object", "i see one object", "one"),
          2: ("there are two objects", "two", "i see two objects", "two objects",
              "there are two things")}
_SILENCE = ("i do not hear any sound", "there is no sound", "no sound at all", "it is silent",
            "nothing")
_WHEN = {
    "beginning": ("at the beginning", "at the start of the video", "in the beginning",
                  "right at the start", "early in the video"),
    "end": ("at the end", "near the end of the video", "towards the end",
            "at the end of the video", "late in the video"),
    "whole": ("the whole time", "all the time", "during the whole video", "from start to end",
              "throughout the video"),
}
_SPEECH = {True: ("yes someone is talking", "yes someone speaks", "yes i hear a voice",
                  "yes a person says something", "yes there is a voice"),
           False: ("no nobody speaks", "no one is talking", "no there is no voice",
                   "no i do not hear anyone", "no nobody talks")}
_NOTHING_ELSE = ("no that is all", "no nothing else", "that is all", "no there is nothing else",
                 "nothing else")
_ALSO = ("yes there is also a {c} {s}", "there is also a {c} {s}", "yes a {c} {s}",
         "a {c} {s} appears too", "yes another {c} {s}")


def attribute_answers(kind: str, value: str) -> tuple[str, ...]:
    """The paraphrases answering attribute `kind` (color, shape, motion, size, where)."""
    if kind == "motion":
        return _MOTION[value]
    return tuple(t.format(v=value) for t in _ANSWERS[kind])


def count_answers(n: int) -> tuple[str, ...]:
    return _COUNT[n]


def order_answers(color: str) -> tuple[str, ...]:
    return tuple(t.format(v=color) for t in _ANSWERS["order"])


def sound_answers(sound: str | None) -> tuple[str, ...]:
    return _SILENCE if sound is None else tuple(t.format(v=SOUNDS[sound])
                                                 for t in _ANSWERS["sound"])


def when_answers(when: str) -> tuple[str, ...]:
    return _WHEN[when]


def speech_answers(speaks: bool) -> tuple[str, ...]:
    return _SPEECH[speaks]


def else_answers(second: tuple[str, str] | None) -> tuple[str, ...]:
    """"Is there anything else?": nothing, or the second object's colour and shape."""
    if second is None:
        return _NOTHING_ELSE
    return tuple(t.format(c=second[0], s=second[1]) for t in _ALSO)


def caption_text(objects: Sequence[tuple[str, str]], sound: str | None) -> str:
    """The Charades-like caption: each object's size and colour, and the sound."""
    things = " and ".join(f"a {size} {color} object" for size, color in objects)
    heard = f"you can hear {SOUNDS[sound]}" if sound else "it is silent"
    return f"{things} . {heard} ."


def summary_text(sizes: Sequence[str], speaks: bool) -> str:
    """The questioner's summary: how many objects, their sizes, whether someone speaks."""
    if len(sizes) == 1:
        seen = f"the video shows one {sizes[0]} object"
    else:
        seen = f"the video shows two objects , the first one is {sizes[0]} and the second " \
               f"one is {sizes[1]}"
    talk = "somebody is talking" if speaks else "nobody is talking"
    return f"{seen} . {talk} ."
