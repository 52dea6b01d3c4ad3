"""Text to speech with espeak-ng, loaded from the espeakng-loader package through ctypes.

The engine runs in synchronous mode: samples (22,050 Hz int16) and word events arrive through
a callback. Word onsets come from the engine's WORD events; a word ends where the next one
starts (or where the audio ends). espeak-ng is process-global C state, so calls are serialised
with a lock and the library is initialised once per process (again after a fork).

Example::

    from avtool.media.synth.speech import synthesize
    speech = synthesize("hello world", voice="en", variant="f2", pitch=60, rate=160)
    speech.audio, speech.sample_rate, speech.words   # float32 16 kHz, [(word, on, off), ...]
"""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass, field

import numpy as np

from avtool.errors import ConfigError, MediaError

# espeak-ng constants (speak_lib.h)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_PARAM_RATE = 1
_PARAM_VOLUME = 2
_PARAM_PITCH = 3


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p),
                ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Speech:
    """Synthesised speech: 16 kHz float32 audio and word timings in seconds."""

    audio: np.ndarray
    sample_rate: int
    words: list[tuple[str, float, float]] = field(default_factory=list)
    voice: str = ""
    pitch: int = 50
    rate: int = 175

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


class _Engine:
    """One espeak-ng instance per process."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lock = threading.Lock()
        self.lib = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path().encode()
        self.lib.espeak_ng_InitializePath(data)
        self.rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if self.rate <= 0:
            raise MediaError("espeak-ng failed to initialise (espeakng-loader data missing?)")
        self.chunks: list[np.ndarray] = []
        self.events: list[tuple[int, int, int]] = []  # (text position, length, ms)
        self.callback = _CALLBACK(self._on_audio)  # keep a reference: C holds the pointer
        self.lib.espeak_SetSynthCallback(self.callback)
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint,
                                          ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                          ctypes.c_void_p, ctypes.c_void_p]

    def _on_audio(self, wav, n, events) -> int:
        if n > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == _EVENT_WORD:
                self.events.append((ev.text_position, ev.length, ev.audio_position))
            i += 1
        return 0

    def speak(self, text: bytes, voice: str, pitch: int, rate: int) -> tuple[np.ndarray, list]:
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ConfigError(f"espeak-ng has no voice {voice!r} (try en, en-us, mr, hi "
                                  "with variants like +m1, +f2)")
            self.lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
            self.lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
            self.lib.espeak_SetParameter(_PARAM_VOLUME, 100, 0)
            self.chunks, self.events = [], []
            buf = ctypes.create_string_buffer(text)
            self.lib.espeak_Synth(buf, len(text) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8,
                                  None, None)
            audio = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)
            return audio, list(self.events)


_ENGINE: tuple[int, _Engine] | None = None


def _engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None or _ENGINE[0] != os.getpid():
        _ENGINE = (os.getpid(), _Engine())
    return _ENGINE[1]


def synthesize(text: str, voice: str = "en", variant: str = "", pitch: int = 50,
               rate: int = 175, sample_rate: int = 16_000) -> Speech:
    """Speak `text` with an espeak-ng voice.

    Args:
        voice: language/accent voice name, e.g. "en", "en-us", "en-gb-scotland", "mr", "hi".
        variant: voice variant, e.g. "m1".."m7", "f1".."f5" ("" for the default).
        pitch: 0-100 (espeak's base pitch).
        rate: words per minute (80-450).
        sample_rate: output rate (the engine's 22,050 Hz is resampled).
    """
    if not text.strip():
        raise ConfigError("synthesize: empty text")
    if not 0 <= pitch <= 100 or not 80 <= rate <= 450:
        raise ConfigError(f"synthesize: pitch must be 0-100 and rate 80-450 (got {pitch}, {rate})")
    engine = _engine()
    name = f"{voice}+{variant}" if variant else voice
    encoded = text.encode("utf-8")
    raw, events = engine.speak(encoded, name, pitch, rate)
    audio = raw.astype(np.float32) / 32768.0
    if sample_rate != engine.rate:
        from avtool.media.audio import resample

        audio = resample(audio, engine.rate, sample_rate)
    return Speech(audio.astype(np.float32), sample_rate, _word_times(encoded, events,
                  len(audio) / sample_rate), name, pitch, rate)


def _word_times(encoded: bytes, events, total: float) -> list[tuple[str, float, float]]:
    """(word, onset, offset) from WORD events: positions are 1-based character offsets."""
    chars = encoded.decode("utf-8")
    words = []
    for i, (pos, length, ms) in enumerate(events):
        word = chars[max(0, pos - 1): max(0, pos - 1) + length].strip()
        onset = ms / 1000.0
        offset = events[i + 1][2] / 1000.0 if i + 1 < len(events) else total
        if word:
            onset = min(round(onset, 3), total)
            words.append((word, onset, max(onset, min(round(offset, 3), total))))
    return words

