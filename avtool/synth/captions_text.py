"""The words of `avtool synth captions`: sprites, sound events and spoken topics, with the
captions that describe them, in English and Marathi (Devanagari).

Three kinds of caption (`CAPTION_KINDS`):

* ``visual``: names the colour and shape of a sprite (what is seen);
* ``sound``: names a sound event of `avtool.synth.sounds` (what is heard);
* ``speech``: paraphrases what a voice says about a toy-from-trash topic (what is said): the
  caption and the spoken sentence share the topic's key words, nothing else.
"""

from __future__ import annotations

import numpy as np

CAPTION_KINDS = ("visual", "sound", "speech")
LANGUAGES = ("en", "mr")

COLOR_WORDS = {
    "en": {"red": "red", "green": "green", "blue": "blue", "yellow": "yellow",
           "magenta": "pink", "cyan": "sky blue", "orange": "orange", "white": "white",
           "purple": "purple", "brown": "brown"},
    "mr": {"red": "लाल", "green": "हिरवा", "blue": "निळा", "yellow": "पिवळा",
           "magenta": "गुलाबी", "cyan": "आकाशी", "orange": "नारिंगी", "white": "पांढरा",
           "purple": "जांभळा", "brown": "तपकिरी"},
}
SHAPE_WORDS = {
    "en": {"circle": "circle", "square": "square", "triangle": "triangle", "star": "star",
           "cross": "cross", "ring": "ring", "diamond": "diamond", "hexagon": "hexagon"},
    "mr": {"circle": "वर्तुळ", "square": "चौरस", "triangle": "त्रिकोण", "star": "तारा",
           "cross": "फुली", "ring": "कडे", "diamond": "चौकोन", "hexagon": "षटकोन"},
}
SOUND_WORDS = {  # sound name -> the caption's phrase for it
    "en": {"bell": "a bell rings", "siren": "a siren wails", "bark": "a dog barks",
           "bird": "a bird sings", "drum": "someone beats a drum", "engine": "an engine runs",
           "rain": "rain falls", "clock": "a clock ticks"},
    "mr": {"bell": "घंटा वाजते", "siren": "भोंगा वाजतो", "bark": "कुत्रा भुंकतो",
           "bird": "पक्षी गातो", "drum": "कोणी ढोल वाजवतो", "engine": "इंजिन चालते",
           "rain": "पाऊस पडतो", "clock": "घड्याळ टिकटिक करते"},
}
VISUAL_TEMPLATES = {
    "en": ("a {color} {shape} is on the screen", "the {color} {shape} moves around",
           "we see a {color} {shape}", "a {color} {shape} appears"),
    "mr": ("पडद्यावर {color} {shape} आहे", "{color} {shape} फिरतो", "आपण {color} {shape} पाहतो",
           "{color} {shape} दिसतो"),
}
SOUND_TEMPLATES = {
    "en": ("{sound}", "we hear that {sound}", "in the background {sound}"),
    "mr": ("{sound}", "आपल्याला ऐकू येते की {sound}", "मागे {sound}"),
}
# topic -> (spoken sentences, caption paraphrases); both name the topic's key words.
TOPICS = {
    "en": {
        "boat": (("now fold the old paper into a small boat",
                  "this paper boat can float on water"),
                 ("the narrator explains how to fold a paper boat",
                  "someone talks about a boat made of paper")),
        "whistle": (("cut the drinking straw to make a whistle",
                     "blow into the straw whistle to hear it"),
                    ("the speaker describes a straw whistle",
                     "someone says how to make a whistle from a straw")),
        "balloon": (("tie the balloon to the string like a rocket",
                     "the balloon rocket flies along the string"),
                    ("the narrator talks about a balloon rocket",
                     "someone explains the balloon and the string")),
        "bottle": (("take an empty plastic bottle and make holes",
                    "water comes out of the bottle holes"),
                   ("the speaker explains the plastic bottle trick",
                    "someone talks about holes in a bottle")),
        "magnet": (("put a magnet under the toy car",
                    "the magnet pulls the little car"),
                   ("the narrator describes a magnet car",
                    "someone explains how the magnet moves the car")),
        "cup": (("join two paper cups with a long thread",
                 "speak into the cup telephone"),
                ("the speaker talks about a paper cup telephone",
                 "someone explains the cup and the thread")),
        "top": (("push a stick through the bottle cap to make a top",
                 "spin the top on the table"),
                ("the narrator explains how to make a spinning top",
                 "someone talks about a top from a bottle cap")),
        "guitar": (("stretch rubber bands over a box for a guitar",
                    "pluck the rubber bands to play music"),
                   ("the speaker describes a rubber band guitar",
                    "someone explains music from rubber bands")),
    },
    "mr": {
        "boat": (("आता जुना कागद दुमडून छोटी होडी बनवा", "ही कागदाची होडी पाण्यावर तरंगते"),
                 ("निवेदक कागदाची होडी कशी बनवायची ते सांगतो", "कोणी कागदाच्या होडीबद्दल बोलतो")),
        "whistle": (("स्ट्रॉ कापून शिट्टी बनवा", "स्ट्रॉच्या शिट्टीत फुंका"),
                    ("वक्ता स्ट्रॉच्या शिट्टीचे वर्णन करतो", "कोणी स्ट्रॉपासून शिट्टी कशी बनवायची ते सांगतो")),
        "balloon": (("फुगा दोऱ्याला बांधा", "फुग्याचे रॉकेट दोऱ्यावरून उडते"),
                    ("निवेदक फुग्याच्या रॉकेटबद्दल बोलतो", "कोणी फुगा आणि दोरा समजावतो")),
        "bottle": (("रिकामी प्लास्टिकची बाटली घ्या आणि छिद्रे करा", "बाटलीच्या छिद्रांतून पाणी येते"),
                   ("वक्ता प्लास्टिकच्या बाटलीची युक्ती समजावतो", "कोणी बाटलीतील छिद्रांबद्दल बोलतो")),
        "magnet": (("खेळण्याच्या गाडीखाली चुंबक ठेवा", "चुंबक छोट्या गाडीला ओढतो"),
                   ("निवेदक चुंबकाच्या गाडीचे वर्णन करतो", "कोणी चुंबक गाडी कशी हलवतो ते सांगतो")),
        "cup": (("दोन कागदी कप लांब धाग्याने जोडा", "कपाच्या फोनमध्ये बोला"),
                ("वक्ता कागदी कपाच्या फोनबद्दल बोलतो", "कोणी कप आणि धागा समजावतो")),
        "top": (("बाटलीच्या झाकणातून काडी घालून भोवरा बनवा", "भोवरा टेबलावर फिरवा"),
                ("निवेदक भोवरा कसा बनवायचा ते सांगतो", "कोणी झाकणाच्या भोवऱ्याबद्दल बोलतो")),
        "guitar": (("खोक्यावर रबर ताणून गिटार बनवा", "संगीतासाठी रबर छेडा"),
                   ("वक्ता रबराच्या गिटारचे वर्णन करतो", "कोणी रबरापासून संगीत समजावतो")),
    },
}
SPEECH_VOICE = {"en": "en", "mr": "mr"}


def visual_caption(language: str, color: str, shape: str, rng: np.random.Generator) -> str:
    template = VISUAL_TEMPLATES[language][int(rng.integers(len(VISUAL_TEMPLATES[language])))]
    return template.format(color=COLOR_WORDS[language][color],
                           shape=SHAPE_WORDS[language][shape])


def sound_caption(language: str, sound: str, rng: np.random.Generator) -> str:
    template = SOUND_TEMPLATES[language][int(rng.integers(len(SOUND_TEMPLATES[language])))]
    return template.format(sound=SOUND_WORDS[language][sound])


def speech_lines(language: str, topic: str, rng: np.random.Generator) -> tuple[str, str]:
    """(what the voice says, the caption paraphrasing it)."""
    said, captions = TOPICS[language][topic]
    return (said[int(rng.integers(len(said)))], captions[int(rng.integers(len(captions)))])
