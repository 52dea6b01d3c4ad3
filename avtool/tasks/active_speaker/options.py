"""`avtool train active-speaker` options: the one place their defaults live."""

from __future__ import annotations

from dataclasses import dataclass, field

from avtool.tasks.interface import option

DATA = "Sync pairs"
MODEL = "SyncNet network"


@dataclass(frozen=True)
class ActiveSpeakerOptions:
    pairs_per_track: int = field(default=128, metadata=option(
        "Lip/audio pairs drawn from each training track per epoch (a random 0.2-s window; "
        "in sync or shifted with even odds).", panel=DATA, min=1, max=100_000))
    min_shift: int = field(default=5, metadata=option(
        "Smallest shift of a negative pair, frames (5 = 0.2 s: the windows do not overlap).",
        panel=DATA, min=1, max=100))
    max_shift: int = field(default=15, metadata=option(
        "Largest shift of a negative pair, frames (15 = 0.6 s, the range curate searches).",
        panel=DATA, min=1, max=100))
    margin: float = field(default=1.0, metadata=option(
        "Contrastive loss margin: shifted pairs are pushed at least this far apart.",
        panel=MODEL, min=0, min_open=True, max=100))
    width: int = field(default=32, metadata=option(
        "Channels of each stream's first conv block (doubled in the next two).",
        panel=MODEL, min=1, max=1024))
    hidden: int = field(default=128, metadata=option(
        "Units of each stream's first fully connected layer.", panel=MODEL, min=1, max=8192))
    embedding: int = field(default=64, metadata=option(
        "Size of the shared embedding.", panel=MODEL, min=1, max=4096))
    lr: float = field(default=1e-3, metadata=option(
        "Adam learning rate.", panel=MODEL, min=0, min_open=True, max=1))
    vshift: int = field(default=15, metadata=option(
        "Validation: shifts searched on each side, frames (syncnet_python's run_syncnet.py: "
        "15).", panel=DATA, min=1, max=100))

    def check(self) -> None:
        from avtool.errors import ConfigError

        if self.min_shift > self.max_shift:
            raise ConfigError(f"--min-shift {self.min_shift} > --max-shift {self.max_shift}")
