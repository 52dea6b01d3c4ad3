"""Text to speech with espeak-ng, loaded from the espeakng-loader package through ctypes.

The engine runs in synchronous mode: samples (22,050 Hz int16) and word events arrive through
a callback. Word onsets come from the engine's WORD events (audio position in ms); each word
span is then trimmed to the voiced part before the next word's onset, so pauses between words
are not counted in either word.

espeak-ng keeps process-global state, some of which survives between utterances and is never
reset (its pitch-flutter phase), so the same text would come out slightly differently on every
call. Each call therefore loads a fresh instance of the library, seeds its noise sources
(espeak's generator and libc's rand(), used by breathy variants), speaks and unloads it (about
10 ms): the output depends only on the arguments, in any process, in any order, after a fork.
Calls are serialised with a lock (re-created in forked children).

Example::

    from avtool.synth.speech import synthesize
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
_INITIALIZE_DONT_EXIT = 0x8000
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


_lock = threading.Lock()


def _new_lock_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # a parent thread may have held the old one at fork time


os.register_at_fork(after_in_child=_new_lock_in_child)


def _reset_random(lib) -> None:
    """Seed the noise sources: espeak's own generator and libc's rand() (breathy variants)."""
    ctypes.CDLL(None).srand(0)
    if hasattr(lib, "espeak_ng_SetRandSeed"):
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed(0)


def _speak(text: bytes, voice: str, pitch: int, rate: int) -> tuple[np.ndarray, int, list]:
    """One utterance on a freshly loaded engine: (int16 samples, engine rate, word events)."""
    import _ctypes

    import espeakng_loader

    chunks: list[np.ndarray] = []
    events: list[tuple[int, int, int]] = []  # (text position, length, ms)

    def on_audio(wav, n, event) -> int:
        if n > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while event[i].type != _EVENT_LIST_TERMINATED:
            if event[i].type == _EVENT_WORD:
                events.append((event[i].text_position, event[i].length,
                               event[i].audio_position))
            i += 1
        return 0

    callback = _CALLBACK(on_audio)  # referenced until the library is unloaded
    lib_path = espeakng_loader.get_library_path()
    with _lock:
        try:
            lib = ctypes.CDLL(lib_path)
        except OSError as err:
            raise MediaError(f"{lib_path}: cannot load espeak-ng ({err})") from None
        try:
            lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                              ctypes.c_int]
            lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
            lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint,
                                         ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                         ctypes.c_void_p, ctypes.c_void_p]
            data = espeakng_loader.get_data_path().encode()
            engine_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data,
                                                _INITIALIZE_DONT_EXIT)
            if engine_rate <= 0:
                raise MediaError(f"{data.decode()}: espeak-ng failed to initialise")
            lib.espeak_SetSynthCallback(callback)
            _reset_random(lib)
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ConfigError(f"espeak-ng has no voice {voice!r} (try en, en-us, mr, hi "
                                  "with variants like +m1, +f2)")
            lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
            lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
            lib.espeak_SetParameter(_PARAM_VOLUME, 100, 0)
            buf = ctypes.create_string_buffer(text)
            code = lib.espeak_Synth(buf, len(text) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8,
                                    None, None)
            if code != 0:
                raise MediaError(f"espeak-ng failed to speak {text[:40].decode()!r} "
                                 f"(status {code})")
        finally:
            lib.espeak_Terminate()
            _ctypes.dlclose(lib._handle)  # the next call starts from pristine global state
    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return audio, int(engine_rate), events


def synthesize(text: str, voice: str = "en", variant: str = "", pitch: int = 50,
               rate: int = 175, sample_rate: int = 16_000) -> Speech:
    """Speak `text` with an espeak-ng voice. The result depends only on the arguments.

    Args:
        text: UTF-8 text in the voice's language (Devanagari for "mr" and "hi").
        voice: language/accent voice name, e.g. "en", "en-us", "en-gb-scotland", "mr", "hi".
        variant: voice variant, e.g. "m1".."m7", "f1".."f5" ("" for the default).
        pitch: 0-100 (espeak's base pitch).
        rate: words per minute (80-450).
        sample_rate: output rate (the engine's 22,050 Hz is resampled).

    Returns:
        Speech: audio, rate, (word, onset, offset) per spoken word, voice name, pitch, rate.

    Raises:
        ConfigError: empty text, unknown voice, pitch or rate out of range.
    """
    if not text.strip():
        raise ConfigError("synthesize: empty text")
    if not 0 <= pitch <= 100 or not 80 <= rate <= 450:
        raise ConfigError(f"synthesize: pitch must be 0-100 and rate 80-450 (got {pitch}, {rate})")
    name = f"{voice}+{variant}" if variant else voice
    encoded = text.encode("utf-8")
    raw, engine_rate, events = _speak(encoded, name, pitch, rate)
    audio = raw.astype(np.float32) / 32768.0
    if sample_rate != engine_rate:
        from avtool.media.audio import resample

        audio = resample(audio, engine_rate, sample_rate)
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    return Speech(audio, sample_rate, _word_times(text, events, audio, sample_rate), name,
                  pitch, rate)


def _word_times(text: str, events, audio: np.ndarray, sr: int
                ) -> list[tuple[str, float, float]]:
    """(word, onset, offset) for every word of `text`, from the engine's WORD events.

    Event positions are 1-based character offsets into `text`. An event's span runs to the
    next event (or the end of the audio) and is trimmed to its voiced part: leading and
    trailing 10-ms frames more than 40 dB below the utterance's loudest frame are dropped.
    espeak speaks some word pairs as one unit ("on the") with a single event; the words of
    such a unit share its span in proportion to their lengths in characters; an event inside
    a word already seen (the digits of a number) extends that word's span.
    """
    total = len(audio) / sr
    hop = max(1, sr // 100)
    n = len(audio) // hop
    energy = np.sqrt(np.mean(audio[: n * hop].reshape(n, hop) ** 2, axis=1)) if n else None
    voiced = energy > 0.01 * energy.max() if n and energy.max() > 0 else None
    groups = []  # (words spoken as one unit, onset)
    covered = 0  # text consumed so far: "42" gives events at "4" and at "2"; keep the first
    for i, (pos, length, ms) in enumerate(events):
        first = max(0, pos - 1)
        if first < covered:
            continue
        covered = first + length
        stop = max(first, events[i + 1][0] - 1) if i + 1 < len(events) else len(text)
        head = text[first: first + length].strip()
        rest = [tok for tok in text[first + length: stop].split()
                if any(c.isalnum() for c in tok)]  # skip lone punctuation
        unit = ([head] if head else []) + rest
        if unit:
            groups.append((unit, min(ms / 1000.0, total)))
    words = []
    for i, (unit, onset) in enumerate(groups):
        limit = groups[i + 1][1] if i + 1 < len(groups) else total
        offset = limit
        if voiced is not None:
            lo, hi = int(round(onset * sr)) // hop, min(n, int(np.ceil(limit * sr / hop)))
            frames = np.flatnonzero(voiced[lo:hi])
            if len(frames):
                onset = max(onset, float(lo + frames[0]) * hop / sr)
                offset = min(limit, float(lo + frames[-1] + 1) * hop / sr)
        offset = max(onset, offset)
        edges = onset + (offset - onset) * np.cumsum([0] + [len(w) for w in unit]) / sum(
            len(w) for w in unit)
        words += [(w, round(float(a), 3), round(float(b), 3))
                  for w, a, b in zip(unit, edges[:-1], edges[1:], strict=True)]
    return words
