"""On-line waveform augmentation for speaker training (``avtool train speaker --augment``).

Kinds (any subset; the defaults follow clovaai/voxceleb_trainer's MUSAN/RIR recipe, with
avtool's synthetic material standing in for MUSAN and real room responses, which cannot be
downloaded here):

* ``noise``: one of avtool's synthetic sound classes (:mod:`avtool.synth.sounds`: machines,
  weather, animals, alarms and the tonal "music" classes organ/string/flute/bell), a random
  segment of a bank rendered once per augmenter, at an SNR uniform in [0, 15] dB;
* ``babble``: 3 to 7 utterances of *other* training speakers summed (random segments), at an
  SNR uniform in [13, 20] dB;
* ``reverb``: a simulated room impulse response (exponentially decaying noise, RT60 uniform in
  [0.2, 0.8] s, direct path kept; :func:`avtool.synth.speakers.reverberate`);
* ``speed`` (handled by the data loader, as it changes the label): resampling by 0.9 or 1.1,
  which changes tempo, pitch and formants together. The perturbed voice is a *new* training
  speaker (Yamamoto et al. 2019, "speaker augmentation"), because pitch and formants are what
  tell synthetic voices apart; pitch-only shifting is not offered for the same reason.

Per utterance, one of the enabled additive/reverb kinds or nothing is drawn uniformly (as
voxceleb_trainer does), so with ``noise,babble,reverb`` a quarter of the crops stay clean.
Every draw comes from the generator passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avtool.augment.mix import mix_at_snr, random_segment
from avtool.errors import ConfigError

WAVE_KINDS = ("noise", "babble", "reverb")
AUGMENT_KINDS = (*WAVE_KINDS, "speed", "specaugment")
SPEED_FACTORS = (1.0, 0.9, 1.1)


@dataclass(frozen=True)
class SpeechAugmentConfig:
    kinds: tuple[str, ...] = ()
    noise_snr_db: tuple[float, float] = (0.0, 15.0)
    babble_snr_db: tuple[float, float] = (13.0, 20.0)
    babble_speakers: tuple[int, int] = (3, 7)
    rt60_s: tuple[float, float] = (0.2, 0.8)
    noise_bank_seconds: float = 8.0
    noise_bank_renders: int = 2


def parse_augment(text: str) -> tuple[str, ...]:
    """``--augment`` text: ``none``, ``all`` or a comma list of `AUGMENT_KINDS`."""
    text = text.strip().lower()
    if text in ("", "none"):
        return ()
    if text == "all":
        return AUGMENT_KINDS
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in AUGMENT_KINDS]
    if unknown:
        raise ConfigError(f"--augment {text!r}: unknown {', '.join(unknown)}; choose from "
                          f"{', '.join(AUGMENT_KINDS)}, all or none")
    return kinds


def change_speed(wav: np.ndarray, factor: float, sample_rate: int) -> np.ndarray:
    """``wav`` played ``factor`` times faster (length / factor; all frequencies x factor)."""
    if factor == 1.0:
        return wav
    from avtool.media.audio import resample

    return resample(wav, int(round(sample_rate * factor / 50.0)) * 50, sample_rate)


class SpeechAugmenter:
    """Applies one of the enabled waveform kinds (or none) to an utterance.

    ``babble_bank``: (waveform, speaker index) pairs to draw babble from (other speakers of
    the training set); needed when ``babble`` is enabled.
    """

    def __init__(self, config: SpeechAugmentConfig, sample_rate: int = 16_000,
                 babble_bank: Sequence[tuple[np.ndarray, int]] = (), seed: int = 0) -> None:
        self.config, self.sample_rate = config, sample_rate
        self.kinds = [k for k in WAVE_KINDS if k in config.kinds]
        if "reverb" in self.kinds and sample_rate != 16_000:
            raise ConfigError("reverb augmentation works at 16 kHz")
        self.noise_bank: list[np.ndarray] = []
        if "noise" in self.kinds:
            from avtool.synth.sounds import render_sound, sounds

            rng = np.random.default_rng([seed, 17])
            self.noise_bank = [render_sound(name, config.noise_bank_seconds, sample_rate, rng)
                               for name in sounds.names()
                               for _ in range(config.noise_bank_renders)]
        self.babble_bank = list(babble_bank)
        if "babble" in self.kinds:
            speakers = {label for _, label in self.babble_bank}
            if len(speakers) < 2:
                raise ConfigError("babble augmentation needs utterances of at least two "
                                  "training speakers")

    @property
    def active(self) -> bool:
        return bool(self.kinds)

    def __call__(self, wav: np.ndarray, speaker: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, str]:
        """(augmented waveform of the same length, the kind applied or ``clean``)."""
        choice = int(rng.integers(len(self.kinds) + 1))
        if choice == len(self.kinds):
            return wav, "clean"
        kind = self.kinds[choice]
        cfg = self.config
        if kind == "noise":
            noise = random_segment(self.noise_bank[int(rng.integers(len(self.noise_bank)))],
                                   len(wav), rng)
            return mix_at_snr(wav, noise, float(rng.uniform(*cfg.noise_snr_db))), kind
        if kind == "babble":
            others = [w for w, label in self.babble_bank if label != speaker]
            count = int(rng.integers(cfg.babble_speakers[0], cfg.babble_speakers[1] + 1))
            picks = rng.choice(len(others), size=min(count, len(others)), replace=False)
            babble = np.sum([random_segment(others[i], len(wav), rng) for i in picks], axis=0)
            return mix_at_snr(wav, babble, float(rng.uniform(*cfg.babble_snr_db))), kind
        from avtool.synth.speakers import reverberate

        out = reverberate(np.asarray(wav, dtype=np.float64), float(rng.uniform(*cfg.rt60_s)),
                          rng)
        peak = float(np.abs(out).max(initial=0.0))
        scale = max(1.0, peak / 0.99)  # keep the level, avoid clipping
        return (out / scale).astype(np.float32), kind
