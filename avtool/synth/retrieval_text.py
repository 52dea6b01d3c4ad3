"""Words of the synthetic retrieval corpus: how a person would say what a video shows,
plays and says (`avtool.synth.retrieval`).

Caption kinds (each caption is tagged with one, so tables can score them apart):

* ``visual``: only the picture answers ("a red star spins");
* ``audio``: only the sound track's event answers ("a dog barks");
* ``mixed``: picture and sound together ("a dog barks while a red star spins");
* ``speech``: only what is said answers ("a man talks about football");
* ``face``: a face on screen plus the picture ("a person watches a blue circle bounce");
* ``ocr``: only the word written on screen answers ("a video with the word HARBOUR written
  on it"), for the videos `--text-share` writes a word on.

A long video's segment gets one sentence (`segment_sentence`) naming all it shows, plays and
says; its sentences in time order are its ActivityNet-style paragraph.
"""

from __future__ import annotations

import numpy as np

COLORS = ("red", "green", "blue", "yellow", "white", "orange", "purple")
SHAPES = ("circle", "square", "triangle", "star", "cross", "ring", "diamond", "hexagon")
MOTIONS = ("bounce", "circle", "zigzag", "pulse", "static", "vertical", "diagonal", "spin")

# motion -> (third person verb phrase, base form after "watches a ... ")
MOTION_WORDS = {
    "bounce": ("bounces around", "bounce around"),
    "circle": ("moves in a circle", "move in a circle"),
    "zigzag": ("zigzags across the screen", "zigzag across the screen"),
    "pulse": ("grows and shrinks", "grow and shrink"),
    "static": ("stays still", "stay still"),
    "vertical": ("moves up and down", "move up and down"),
    "diagonal": ("slides diagonally", "slide diagonally"),
    "spin": ("spins", "spin"),
}

# library sound (avtool.synth.sounds) -> (clause, noun phrase)
SOUND_WORDS = {
    "bark": ("a dog barks", "a barking dog"),
    "siren": ("a siren wails", "a siren"),
    "bell": ("a bell rings", "a ringing bell"),
    "drum": ("someone plays a drum", "drumming"),
    "bird": ("a bird sings", "birdsong"),
    "engine": ("an engine runs", "an engine"),
    "water": ("water is running", "running water"),
    "organ": ("an organ plays", "organ music"),
    "clock": ("a clock ticks", "a ticking clock"),
    "typing": ("someone is typing", "typing on a keyboard"),
    "rain": ("rain is falling", "the sound of rain"),
    "alarm": ("an alarm beeps", "a beeping alarm"),
}

# topics a voice talks about (espeak-ng), each in words Whisper tiny.en gets right
TOPICS = ("football", "cooking", "the weather", "music", "gardening", "fishing", "painting",
          "the ocean", "history", "cars", "coffee", "the moon")


# words written on screen (`avtool.synth.retrieval_render.draw_sign`): shop-sign words in
# capitals, none of them a colour, shape, sound or topic word of the other captions
SIGN_WORDS = ("HARBOUR", "BAKERY", "HOTEL", "GARAGE", "MUSEUM", "PHARMACY", "LIBRARY",
              "CINEMA", "MARKET", "STATION", "FLORIST", "BARBER")


def spoken_sentence(topic: str, rng: np.random.Generator) -> str:
    """What the voice says: a short monologue about `topic`."""
    forms = ("today I want to talk about {t}. I really love {t}.",
             "let me tell you about {t}. {T} is my favourite subject.",
             "this is a short video about {t}. {T} is wonderful.")
    form = forms[int(rng.integers(len(forms)))]
    return form.format(t=topic, T=topic[0].upper() + topic[1:])


def thing(obj) -> str:
    return f"{obj.color} {obj.shape}"


def visual_captions(objects, rng: np.random.Generator) -> list[str]:
    a = objects[0]
    out = [f"a {thing(a)} {MOTION_WORDS[a.motion][0]}",
           f"a {a.shape} that is {a.color} {MOTION_WORDS[a.motion][0]}"]
    if len(objects) > 1:
        b = objects[1]
        out.append(f"a {thing(a)} and a {thing(b)} on a coloured background")
        out.append(f"a {thing(b)} {MOTION_WORDS[b.motion][0]} next to a {thing(a)}")
    return out


def audio_captions(sound: str) -> list[str]:
    clause, noun = SOUND_WORDS[sound]
    return [clause, f"you can hear {noun}"]


def mixed_caption(objects, sound: str) -> str:
    a = objects[0]
    return f"{SOUND_WORDS[sound][0]} while a {thing(a)} {MOTION_WORDS[a.motion][0]}"


def speech_captions(speaker: str, topic: str) -> list[str]:
    who = "a man" if speaker == "m" else "a woman"
    return [f"{who} talks about {topic}", f"someone explains {topic}"]


def face_caption(objects) -> str:
    a = objects[0]
    return f"a person watches a {thing(a)} {MOTION_WORDS[a.motion][1]}"


def ocr_captions(word: str) -> list[str]:
    return [f"a video with the word {word} written on it", f"the word {word} appears on the screen"]


def segment_sentence(seg) -> str:
    """One sentence for a long video's segment (objects, sound, speaker/topic, text): what
    moves, then what is heard, said and written ("A red star spins while a dog barks.")."""
    a = seg.objects[0]
    out = f"{'an' if a.color[0] in 'aeiou' else 'a'} {thing(a)} {MOTION_WORDS[a.motion][0]}"
    extras = [SOUND_WORDS[seg.sound][0]] if seg.sound else []
    if seg.topic:
        extras.append(f"{'a man' if seg.speaker == 'm' else 'a woman'} talks about {seg.topic}")
    if extras:
        out += " while " + " and ".join(extras)
    if seg.face is not None:
        out += ", watched by a person"
    if seg.text:
        out += f", with the word {seg.text} on the screen"
    return out[0].upper() + out[1:] + "."
