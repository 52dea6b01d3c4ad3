"""A synthetic speaker-verification corpus in the VoxCeleb1 layout, deterministic from a seed.

Each speaker is a fixed espeak-ng voice: language/accent, variant (m1..m7 male, f1..f5 female),
pitch and rate. Its utterances say different random word sequences (2 to 8 s of speech) and get
per-utterance nuisance ("in the wild"): leading/trailing silence, synthetic reverberation
(exponentially decaying noise impulse response, RT60 0.15 to 0.6 s) on some, telephone
band-pass (300 to 3400 Hz) on some, additive noise (white or pink) at 5 to 30 dB SNR, and a level
change of -12 to +6 dB.

Speakers come in groups of two or three sharing language and gender (so an "H"-like list has
negatives for every anchor). About a quarter of the speakers (at least two) form the test split.

``variety="wide"`` (``--variety wide``; for training corpora of hundreds of voices) draws from
more of everything so that a network must learn speaker identity rather than a dozen voice
presets: 28 languages/accents, 12 + 36 named espeak-ng variants, pitch 5 to 95 and rate 110 to
220, and two per-speaker timbre changes applied to every utterance of the speaker before the
nuisance: a formant/vocal-tract scale (all frequencies x0.88 to x1.14, by resampling, which also
scales f0 and duration) and a fixed spectral envelope (three +-6 dB bumps between 200 and 5000
Hz). ``classic`` (the default) is the corpus above, unchanged, and its files do not depend on
this option's existence.

Output under ``out``::

    wav/idNNNNN/<video-id>/NNNNN.wav   16 kHz mono PCM16, one to three utterances per video
    meta.csv                           speaker, language, variant, gender, split, pitch, rate
    vox1_meta.csv                      the same speakers in VoxCeleb1's meta format
    utterances.csv                     path, speaker, text, seconds and the nuisance applied
    trials_o.txt                       "O"-like: test-split speakers only
    trials_e.txt                       "E"-like: all speakers
    trials_h.txt                       "H"-like: negatives share language and gender

Trial lists are VoxCeleb format (``label path1 path2``, paths relative to ``wav/``), balanced:
each utterance anchors one target and one non-target trial.
"""

from __future__ import annotations

import csv
import os
import string
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError

SAMPLE_RATE = 16_000
LANGUAGES = ("en", "en-us", "en-gb-scotland", "en-029", "en-gb-x-rp", "hi", "mr", "de", "fr",
             "es")
VARIANTS = {"m": tuple(f"m{i}" for i in range(1, 8)), "f": tuple(f"f{i}" for i in range(1, 6))}
VARIETIES = ("classic", "wide")
WIDE_LANGUAGES = LANGUAGES + ("it", "pt", "nl", "pl", "sv", "ru", "cs", "fi", "tr", "id", "vi",
                              "sw", "en-us-nyc", "da", "ro", "hu", "el", "ca")
# Named espeak-ng variants (voices/!v); the gender is by the variant's name and sound.
WIDE_VARIANTS = {
    "m": VARIANTS["m"] + ("m8", "adam", "Alex", "Andy", "Denis", "edward", "iven", "john", "max",
                          "michel", "norbert", "quincy", "rob", "robert", "travis", "victor",
                          "zac", "boris", "caleb", "david", "ian", "paul", "pablo", "Lee",
                          "Mike", "Hugo", "Gene", "grandpa", "benjamin"),
    "f": VARIANTS["f"] + ("Alicia", "Annie", "anika", "aunty", "belinda", "grandma", "linda",
                          "shelby", "steph", "Andrea"),
}
FORMANT_RANGE = (0.88, 1.14)
EQ_BUMPS, EQ_DB, EQ_BAND_HZ = 3, 6.0, (200.0, 5000.0)
MIN_SPEECH_S, MAX_SPEECH_S = 2.0, 8.0
WORDS = (
    "time year people way day man thing woman life child world school state family student "
    "group country problem hand part place case week company system program question work "
    "government number night point home water room mother area money story fact month lot "
    "right study book eye job word business issue side kind head house service friend father "
    "power hour game line end member law car city community name president team minute idea "
    "kid body information back parent face others level office door health person art war "
    "history party result change morning reason research girl guy moment air teacher force "
    "education foot boy age policy music market sense nation plan college interest death "
    "experience effect use class control care field development role effort rate heart drug "
    "show leader light voice wife police mind price report decision son view relationship town "
    "road arm difference value building action model season society tax director position "
    "player record paper space ground form event official matter center couple site project "
    "activity star table need court oil situation cost industry figure street image phone data "
    "picture practice piece land product doctor wall patient worker news test movie north love "
    "support technology step baby computer type attention film tree source organization hair "
    "window evidence population site summer garden river island mountain forest ocean bridge "
    "green quiet simple early happy bright small large strong gentle careful rapid silver "
    "golden ancient modern winter autumn spring yellow purple orange basket candle pencil "
    "rabbit turtle dragon castle harbor village kitchen blanket ladder mirror pocket"
).split()


@dataclass(frozen=True)
class SpeakerSpec:
    speaker: str
    language: str
    variant: str
    gender: str
    pitch: int
    rate: int
    split: str
    formant: float = 1.0  # frequency scale of the speaker's timbre (wide variety)
    eq_seed: int = -1     # seed of the speaker's spectral envelope; -1: none (classic)


@dataclass(frozen=True)
class UtteranceSpec:
    key: str  # idNNNNN/<video>/NNNNN.wav
    speaker_index: int
    seed: tuple[int, int, int]


@dataclass(frozen=True)
class SynthSpeakersResult:
    out: Path
    speakers: tuple[SpeakerSpec, ...]
    n_utterances: int
    seconds: float
    trial_counts: dict[str, tuple[int, int]]

    def to_dict(self) -> dict:
        return {"out": str(self.out), "n_speakers": len(self.speakers),
                "n_utterances": self.n_utterances, "seconds": round(self.seconds, 2),
                "trials": {k: {"target": t, "nontarget": n}
                           for k, (t, n) in self.trial_counts.items()},
                "speakers": [asdict(s) for s in self.speakers]}


def make_speakers(n: int, seed: int, variety: str = "classic") -> list[SpeakerSpec]:
    """``n`` speaker voices in groups of 2 (or 3) sharing language and gender."""
    if variety not in VARIETIES:
        raise ConfigError(f"--variety {variety!r}: choose {' or '.join(VARIETIES)}")
    wide = variety == "wide"
    rng = np.random.default_rng([seed, 0] if not wide else [seed, 0, 1])
    languages, variant_sets = (WIDE_LANGUAGES, WIDE_VARIANTS) if wide else (LANGUAGES, VARIANTS)
    pitches, rates = ((5, 96), (110, 221)) if wide else ((20, 81), (130, 191))
    n_groups = max(1, n // 2)
    sizes = [2] * n_groups
    sizes[-1] += n - 2 * n_groups
    combos = [(lang, g) for lang in languages for g in ("m", "f")]
    order = rng.permutation(len(combos))
    specs: list[tuple[str, str, str, int, int, float, int]] = []
    for group, size in enumerate(sizes):
        language, gender = combos[order[group % len(combos)]]
        variants = rng.permutation(variant_sets[gender])
        for member in range(size):
            voice = (language, str(variants[member % len(variants)]), gender,
                     int(rng.integers(*pitches)), int(rng.integers(*rates)))
            timbre = (1.0, -1)
            if wide:
                low, high = np.log(FORMANT_RANGE)
                timbre = (round(float(np.exp(rng.uniform(low, high))), 4),
                          int(rng.integers(0, 2**31)))
            specs.append(voice + timbre)
    n_test = max(2, int(round(0.25 * n)))
    test = set(rng.permutation(n)[:n_test].tolist())
    return [SpeakerSpec(f"id{10001 + i}", lang, var, g, pitch, rate,
                        "test" if i in test else "dev", formant, eq)
            for i, (lang, var, g, pitch, rate, formant, eq) in enumerate(specs)]


def _video_id(rng: np.random.Generator) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), 11))


def plan_utterances(speakers: Sequence[SpeakerSpec], per_speaker: int, seed: int
                    ) -> list[UtteranceSpec]:
    out = []
    for s_index, spk in enumerate(speakers):
        rng = np.random.default_rng([seed, 1, s_index])
        done = 0
        while done < per_speaker:
            video = _video_id(rng)
            for n in range(min(int(rng.integers(1, 4)), per_speaker - done)):
                out.append(UtteranceSpec(f"{spk.speaker}/{video}/{n + 1:05d}.wav", s_index,
                                         (seed, s_index, done)))
                done += 1
    return out


# --------------------------------------------------------------------------- nuisance


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spec), dtype=np.float64)
    freqs[0] = 1.0
    return np.fft.irfft(spec / np.sqrt(freqs), n)


def fft_convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    size = len(x) + len(h) - 1
    nfft = 1 << (size - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(h, nfft), nfft)[: len(x)]


def reverberate(x: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Convolve with an exponentially decaying noise impulse response (direct path kept)."""
    t = np.arange(int(rt60 * SAMPLE_RATE)) / SAMPLE_RATE
    rir = rng.standard_normal(len(t)) * np.exp(-6.9078 * t / rt60)  # -60 dB at rt60
    rir[0] = 0.0
    rir = 0.5 * rir / np.sqrt(np.sum(rir**2))
    rir[0] = 1.0
    return fft_convolve(x, rir)


def telephone(x: np.ndarray, low: float = 300.0, high: float = 3400.0) -> np.ndarray:
    """Band-pass by a smooth (raised-cosine edged) mask in the frequency domain."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / SAMPLE_RATE)
    edge = 100.0
    gain = np.clip((f - (low - edge)) / edge, 0, 1) * np.clip(((high + edge) - f) / edge, 0, 1)
    gain = 0.5 - 0.5 * np.cos(np.pi * gain)
    return np.fft.irfft(spec * gain, len(x))


def spectral_envelope(n_bins: int, eq_seed: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A speaker's fixed timbre: gains for ``n_bins`` rfft bins: ``EQ_BUMPS`` Gaussian bumps (in
    log frequency) of up to +-``EQ_DB`` dB centred between the ``EQ_BAND_HZ`` edges."""
    rng = np.random.default_rng([eq_seed, 7])
    f = np.linspace(0.0, sample_rate / 2, n_bins)
    logf = np.log(np.maximum(f, 20.0))
    db = np.zeros(n_bins)
    for _ in range(EQ_BUMPS):
        centre = rng.uniform(*np.log(EQ_BAND_HZ))
        width = rng.uniform(0.15, 0.45)
        db += rng.uniform(-EQ_DB, EQ_DB) * np.exp(-0.5 * ((logf - centre) / width) ** 2)
    return 10.0 ** (db / 20.0)


def apply_timbre(speech: np.ndarray, spk: SpeakerSpec) -> np.ndarray:
    """The speaker's spectral envelope (wide variety); speech unchanged when it has none."""
    if spk.eq_seed < 0:
        return speech
    spec = np.fft.rfft(speech.astype(np.float64))
    return np.fft.irfft(spec * spectral_envelope(len(spec), spk.eq_seed), len(speech)).astype(
        np.float32)


def apply_nuisance(speech: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Silence, reverb, band-pass, noise and level change; returns (audio, what was done)."""
    x = speech.astype(np.float64)
    info: dict = {}
    if rng.random() < 0.5:
        info["rt60"] = round(float(rng.uniform(0.15, 0.6)), 3)
        x = reverberate(x, info["rt60"], rng)
    info["telephone"] = bool(rng.random() < 0.3)
    if info["telephone"]:
        x = telephone(x)
    lead, trail = (int(rng.uniform(0.05, 0.6) * SAMPLE_RATE) for _ in range(2))
    x = np.concatenate([np.zeros(lead), x, np.zeros(trail)])
    info["lead_s"], info["trail_s"] = round(lead / SAMPLE_RATE, 3), round(trail / SAMPLE_RATE, 3)
    info["snr_db"] = round(float(rng.uniform(5.0, 30.0)), 2)
    info["noise"] = "pink" if rng.random() < 0.5 else "white"
    noise = pink_noise(len(x), rng) if info["noise"] == "pink" else rng.standard_normal(len(x))
    p_speech = np.mean(speech.astype(np.float64) ** 2)
    noise *= np.sqrt(p_speech / np.mean(noise**2) / 10 ** (info["snr_db"] / 10))
    x = x + noise
    info["gain_db"] = round(float(rng.uniform(-12.0, 6.0)), 2)
    x *= 10 ** (info["gain_db"] / 20) * 0.3 / max(1e-9, np.abs(x).max())
    return np.clip(x, -1.0, 1.0).astype(np.float32), info


# --------------------------------------------------------------------------- trial lists


def make_trials(utterances: Sequence[UtteranceSpec], speakers: Sequence[SpeakerSpec],
                seed: int, kind: str) -> list[tuple[int, str, str]]:
    """Balanced trials: every eligible utterance anchors one target and one non-target trial.

    ``kind``: ``"o"`` (test-split speakers only), ``"e"`` (all speakers), ``"h"`` (all speakers,
    non-targets from speakers of the same language and gender).
    """
    rng = np.random.default_rng([seed, 2, "oeh".index(kind)])
    use = [u for u in utterances
           if kind != "o" or speakers[u.speaker_index].split == "test"]
    by_speaker: dict[int, list[str]] = {}
    for u in use:
        by_speaker.setdefault(u.speaker_index, []).append(u.key)
    trials: list[tuple[int, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for u in use:
        spk = speakers[u.speaker_index]
        same = [k for k in by_speaker[u.speaker_index] if k != u.key]
        if kind == "h":
            others = [s for s in by_speaker if s != u.speaker_index
                      and (speakers[s].language, speakers[s].gender) == (spk.language, spk.gender)]
        else:
            others = [s for s in by_speaker if s != u.speaker_index]
        negatives = [k for s in others for k in by_speaker[s]]
        chosen = []
        for pool in (same, negatives):
            fresh = [k for k in pool if (u.key, k) not in seen and (k, u.key) not in seen]
            chosen.append(fresh[int(rng.integers(len(fresh)))] if fresh else None)
        if None in chosen:  # keep the list balanced: an anchor gives both trials or none
            continue
        for label, other in zip((1, 0), chosen, strict=True):
            seen.add((u.key, other))
            trials.append((label, u.key, other))
    return trials


def write_trials(path: Path, trials: Sequence[tuple[int, str, str]]) -> None:
    from avtool.io import atomic_write

    with atomic_write(path) as fh:
        fh.writelines(f"{label} {a} {b}\n" for label, a, b in trials)


# --------------------------------------------------------------------------- rendering


ENGINE_RATE = 22_050
"""espeak-ng's native rate: speech is synthesised at this rate, sized, then resampled once."""
_RESAMPLERS: dict[int, object] = {}


def _speak(spk: SpeakerSpec, text: str) -> np.ndarray:
    """espeak-ng speech of ``text`` in the speaker's voice, at its native rate (float32)."""
    from avtool.synth.speech import synthesize

    speech = synthesize(text, voice=spk.language, variant=spk.variant, pitch=spk.pitch,
                        rate=spk.rate, sample_rate=ENGINE_RATE)
    if speech.sample_rate != ENGINE_RATE:
        return _to_16k(speech.audio, speech.sample_rate)  # pragma: no cover (other engines)
    return speech.audio


def _to_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    """Windowed-sinc resampling to 16 kHz with a kernel built once per process (the same
    filter as :func:`avtool.media.audio.resample`)."""
    if rate == SAMPLE_RATE:
        return audio
    import torch
    import torchaudio

    if rate not in _RESAMPLERS:
        _RESAMPLERS[rate] = torchaudio.transforms.Resample(rate, SAMPLE_RATE)
    with torch.inference_mode():
        return _RESAMPLERS[rate](torch.from_numpy(np.ascontiguousarray(audio))).numpy()


def played_rate(formant: float) -> int:
    """The rate the engine's samples are played at for a formant scale: every frequency
    (formants and f0) x ``formant``, duration / ``formant``. A multiple of 50 Hz, as the
    engine's 22,050 Hz is, so the resampling kernel to 16 kHz stays small (its size grows with
    16000 / gcd(rate, 16000))."""
    return int(round(ENGINE_RATE * formant / 50.0)) * 50


def render_utterance(spk: SpeakerSpec, utt: UtteranceSpec) -> tuple[np.ndarray, dict]:
    """Speech of a random word sequence lasting 2 to 8 s, then nuisance."""
    rng = np.random.default_rng(list(utt.seed))
    target = rng.uniform(MIN_SPEECH_S, MAX_SPEECH_S)
    words = [WORDS[i] for i in rng.integers(0, len(WORDS), 64)]
    n_words = max(2, int(round(target * spk.rate / 60.0)))
    for _ in range(4):  # adjust the word count until the speech lasts 2 to 8 s
        native = _speak(spk, " ".join(words[:n_words]))
        seconds = len(native) / ENGINE_RATE
        if MIN_SPEECH_S <= seconds <= MAX_SPEECH_S:
            break
        n_words = int(np.clip(round(n_words * target / max(seconds, 0.1)), 1, len(words)))
    words = words[:n_words]
    speech = apply_timbre(_to_16k(native, played_rate(spk.formant)), spk)
    audio, info = apply_nuisance(speech, rng)
    return audio, {"text": " ".join(words), "speech_s": round(len(speech) / SAMPLE_RATE, 3),
                   **info}


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)  # one process per core already


def _render_speaker(args: tuple[SpeakerSpec, list[UtteranceSpec], str]
                    ) -> list[tuple[str, float, dict]]:
    """Render one speaker's utterances, in order, into ``root/wav``."""
    import soundfile as sf

    spk, utts, root = args
    out = []
    for utt in utts:
        audio, info = render_utterance(spk, utt)
        path = Path(root) / "wav" / utt.key
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, audio, SAMPLE_RATE, subtype="PCM_16")
        out.append((utt.key, len(audio) / SAMPLE_RATE, info))
    return out


def _render_all(jobs, workers: int, progress):
    """Each speaker in a fresh process forked from a clean server.

    espeak-ng keeps synthesis state in C globals that survive re-initialisation, so its output
    depends on what the process said before; a fresh process per speaker makes every file
    depend only on the seed (not on the worker count or on earlier calls in the caller).
    """
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    # "__main__": the server imports the caller's main module once; otherwise every per-speaker
    # child re-runs it (for the `avtool` script: the whole CLI, about a second per speaker).
    ctx.set_forkserver_preload(["__main__", "numpy", "torch", "torchaudio", "soundfile",
                                "avtool.synth.speakers"])
    with ctx.Pool(min(workers, len(jobs)), initializer=_init_worker,
                  maxtasksperchild=1) as pool:
        for results in pool.imap_unordered(_render_speaker, jobs):
            yield from results
            if progress:
                progress(len(results))


def synth_speakers(out: str | Path, speakers: int = 20, utterances: int = 10, seed: int = 0,
                   workers: int | None = None, progress=None,
                   variety: str = "classic") -> SynthSpeakersResult:
    """Write the corpus described in the module docstring into ``out`` (a new directory).

    Files appear only when the whole corpus is done (written to a temporary folder beside
    ``out``, then renamed). ``workers`` processes render speakers (default: CPU count).

    ``variety``: ``classic`` or ``wide`` (see the module docstring).

    Raises:
        ConfigError: fewer than 2 speakers or 2 utterances, ``out`` exists and is not empty,
            or an unknown ``variety``.
    """
    import shutil
    import tempfile

    out = Path(out)
    if speakers < 2 or utterances < 2:
        raise ConfigError(f"--speakers and --utterances must be at least 2 (targets need two "
                          f"utterances, non-targets two speakers), got {speakers} and {utterances}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out}: exists and is not an empty directory; choose another --out")
    specs = make_speakers(speakers, seed, variety)
    utts = plan_utterances(specs, utterances, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        jobs = [(spk, [u for u in utts if u.speaker_index == i], str(tmp))
                for i, spk in enumerate(specs)]
        rendered = {key: (seconds, info) for key, seconds, info
                    in _render_all(jobs, workers or os.cpu_count() or 1, progress)}
        _write_metadata(tmp, specs, utts, rendered)
        counts = {}
        for kind in "oeh":
            trials = make_trials(utts, specs, seed, kind)
            write_trials(tmp / f"trials_{kind}.txt", trials)
            n_target = sum(label for label, _, _ in trials)
            counts[kind] = (n_target, len(trials) - n_target)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    seconds = sum(s for s, _ in rendered.values())
    return SynthSpeakersResult(out, tuple(specs), len(utts), seconds, counts)


def _write_metadata(root: Path, specs, utts, rendered) -> None:
    wide = any(s.eq_seed >= 0 for s in specs)  # timbre columns only for the wide variety
    with open(root / "meta.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["speaker", "language", "variant", "gender", "split", "pitch", "rate"]
                        + (["formant", "eq_seed"] if wide else []))
        for s in specs:
            writer.writerow([s.speaker, s.language, s.variant, s.gender, s.split, s.pitch,
                             s.rate] + ([s.formant, s.eq_seed] if wide else []))
    with open(root / "vox1_meta.csv", "w", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(["VoxCeleb1 ID", "VGGFace1 ID", "Gender", "Nationality", "Set"])
        for s in specs:
            writer.writerow([s.speaker, f"espeak_{s.language}+{s.variant}_p{s.pitch}_s{s.rate}",
                             s.gender, s.language, s.split])
    with open(root / "utterances.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        cols = ["speech_s", "rt60", "telephone", "lead_s", "trail_s", "snr_db", "noise",
                "gain_db", "text"]
        writer.writerow(["path", "speaker", "seconds", *cols])
        for u in utts:
            seconds, info = rendered[u.key]
            writer.writerow([u.key, specs[u.speaker_index].speaker, round(seconds, 3),
                             *(info.get(c, "") for c in cols)])
