"""SpecAugment's frequency and time masking (Park et al., Interspeech 2019), on a batch.

A policy (`SPEC_AUGMENT_POLICIES`, the paper's Table 1) gives mF frequency masks of width
f ~ U{0..F} at f0 ~ U{0..bins-f}, and mT time masks of width t ~ U{0..min(T, p * length)} at
t0 ~ U{0..length-t}, each drawn per utterance within its own length. Masked cells are set to
`value` (0: the mean of normalised features, as the paper fills with the mean). Time warping
(the policies' W) is not implemented: the paper found it the least useful and most costly part.
The policy table imports no torch, so command-line options can list it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class SpecAugmentPolicy:
    freq_masks: int  # mF
    freq_width: int  # F
    time_masks: int  # mT
    time_width: int  # T
    time_ratio: float  # p: a time mask is at most p x the utterance length


#: Park et al. 2019, Table 1 (W, the time-warp parameter, left out).
SPEC_AUGMENT_POLICIES: dict[str, SpecAugmentPolicy] = {
    "lb": SpecAugmentPolicy(1, 27, 1, 100, 1.0),
    "ld": SpecAugmentPolicy(2, 27, 2, 100, 1.0),
    "sm": SpecAugmentPolicy(2, 15, 2, 70, 0.2),
    "ss": SpecAugmentPolicy(2, 27, 2, 70, 0.2),
}


def _draw(high: int, generator: torch.Generator | None) -> int:
    """Uniform integer in 0..high (inclusive)."""
    import torch

    return int(torch.randint(0, max(0, high) + 1, (1,), generator=generator))


def spec_augment(features: torch.Tensor, lengths: torch.Tensor | None,
                 policy: SpecAugmentPolicy, value: float = 0.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """A masked copy of `features` (B, time, bins); `lengths` (B,) are the valid frames."""
    out = features.clone()
    batch, frames, bins = out.shape
    for b in range(batch):
        length = frames if lengths is None else int(lengths[b])
        for _ in range(policy.freq_masks):
            width = _draw(min(policy.freq_width, bins), generator)
            start = _draw(bins - width, generator)
            out[b, :length, start:start + width] = value
        cap = min(policy.time_width, int(policy.time_ratio * length))
        for _ in range(policy.time_masks):
            width = _draw(cap, generator)
            start = _draw(length - width, generator)
            out[b, start:start + width, :] = value
    return out
