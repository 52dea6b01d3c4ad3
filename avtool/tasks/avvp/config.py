"""Configs and recipes of the AVVP networks, importable without torch: `HanConfig` and the
variant strings, the training recipes (`HPARAMS`), the grounding pretraining's `AvgConfig`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from avtool.errors import ConfigError

#: Names accepted after the first token of a variant string.
VARIANT_MODIFIERS = ("adv", "skip", "gcaa")


@dataclass(frozen=True)
class HanConfig:
    audio_dim: int = 128
    frame_dim: int = 2048
    motion_dim: int = 512
    classes: int = 25
    d_model: int = 512
    heads: int = 1
    ffn: int = 512
    dropout: float = 0.1
    layers: int = 1
    separate_self_attn: bool = False  # "base": one self-attention block per modality
    skip: bool = False
    adversarial: bool = False
    gcaa: bool = False
    gcaa_time0_bug: bool = False  # replicate the released GCAA indexing slip
    disc_hidden: tuple[int, int] = (128, 10)


def parse_variant(text: str) -> dict[str, bool]:
    """``"base+adv+skip+gcaa"`` -> the four switches of `HanConfig`.

    The first token is ``han`` or ``base``; then any of ``adv``, ``skip``, ``gcaa`` in any
    order, each at most once. ``skip`` needs ``base`` (HAN has no separate self-attention).
    """
    tokens = [t.strip().lower() for t in text.split("+")]
    if not tokens or tokens[0] not in ("han", "base"):
        raise ConfigError(f"--variant {text!r}: must start with han or base (e.g. han, base, "
                          "base+gcaa, base+adv+skip, base+adv+skip+gcaa)")
    mods = tokens[1:]
    for t in mods:
        if t not in VARIANT_MODIFIERS:
            raise ConfigError(f"--variant {text!r}: unknown part {t!r} (valid after the "
                              f"first: {', '.join(VARIANT_MODIFIERS)})")
    if len(set(mods)) != len(mods):
        raise ConfigError(f"--variant {text!r}: a part is repeated")
    if "skip" in mods and tokens[0] != "base":
        raise ConfigError(f"--variant {text!r}: skip connections need base (separate "
                          "self-attention to skip over)")
    return {"separate_self_attn": tokens[0] == "base", "skip": "skip" in mods,
            "adversarial": "adv" in mods, "gcaa": "gcaa" in mods}


def canonical_variant(text: str) -> str:
    """The variant in the canonical order: ``gcaa+base+skip+adv`` -> ``base+adv+skip+gcaa``."""
    flags = parse_variant(text)
    parts = ["base" if flags["separate_self_attn"] else "han"]
    parts += [m for m, f in (("adv", "adversarial"), ("skip", "skip"), ("gcaa", "gcaa"))
              if flags[f]]
    return "+".join(parts)


def variant_config(text: str, base: HanConfig | None = None) -> HanConfig:
    """`base` (default `HanConfig()`) with the switches of the variant string `text`."""
    return replace(base or HanConfig(), **parse_variant(text))


@dataclass(frozen=True)
class AvvpHparams:
    lr: float
    lr_step: int  # epochs between learning-rate decays
    lr_gamma: float
    epochs: int
    batch_size: int
    lambda_g: float  # weight of the modality-guided loss (p_a, p_v)
    lambda_ad: float  # weight of the modality discriminator loss (adv variants only)
    smooth_audio: float = 0.0
    smooth_visual: float = 0.1


_HAN = AvvpHparams(3e-4, 10, 0.1, 40, 16, 1.0, 0.4)
HPARAMS: dict[str, dict[str, AvvpHparams]] = {
    "paper": {"han": _HAN, "base": AvvpHparams(3e-4, 5, 0.5, 40, 64, 0.6, 0.4)},
    "code": {"han": replace(_HAN, lambda_ad=0.3),
             "base": AvvpHparams(6e-4, 6, 0.5, 40, 64, 0.3, 0.3)},
    "han": {"han": _HAN, "base": _HAN},
}


def resolve_hparams(preset: str, variant: str, **overrides: Any) -> AvvpHparams:
    """The preset's values for the variant's family, with the non-None `overrides` applied."""
    if preset not in HPARAMS:
        raise ConfigError(f"--hparams {preset!r}: expected one of {', '.join(HPARAMS)}")
    family = "base" if parse_variant(variant)["separate_self_attn"] else "han"
    return replace(HPARAMS[preset][family], **{k: v for k, v in overrides.items()
                                               if v is not None})


@dataclass(frozen=True)
class AvgConfig:
    objective: str = "multi"  # uni | cross | multi
    schedule: str = "sum"  # sum | alternate (multi only)
    margin_pos: float = 0.7
    margin_neg: float = 0.7
    audio_threshold: float = 0.99
    visual_threshold: float = 0.96
    edge: str = "or"  # or (paper) | and (code)
    lr: float = 1e-4

    def check(self) -> None:
        for name, value, ok in (("--objective", self.objective, ("uni", "cross", "multi")),
                                ("--avg-schedule", self.schedule, ("sum", "alternate")),
                                ("--avg-edge", self.edge, ("or", "and"))):
            if value not in ok:
                raise ConfigError(f"{name} {value!r}: expected one of {', '.join(ok)}")
