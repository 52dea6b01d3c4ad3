"""Speaker embedders: one interface for every model that `avtool verify-speaker` can use.

An embedder maps a mono float32 waveform at its ``sample_rate`` (16 kHz) to one unit-norm
vector. :func:`load_embedder` is the one entry point; it picks between two kinds:

* ``"ge2e"`` (the default): resemblyzer's GE2E encoder
  (:mod:`avtool.tasks.speaker.ge2e_embedder`).
* any checkpoint written by ``avtool train speaker`` (VGGVox family):
  :func:`avtool.tasks.speaker.predictor.load_checkpoint_embedder`.

Example::

    emb = load_embedder("ge2e", device="cpu")
    vec = emb.embed(wav)            # (emb.dim,), float32, L2 norm 1

An embedder may also offer ``embed_many(wavs) -> (n, dim)`` to batch several waveforms
(GE2E does: all partial windows of all waveforms go through the LSTM together); callers use it
when present and fall back to ``embed`` otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from avtool.errors import ConfigError, ModelError
from avtool.tasks.speaker.ge2e_embedder import GE2E, GE2EEmbedder, ge2e_config
from avtool.tasks.speaker.predictor import load_checkpoint_embedder


@runtime_checkable
class Embedder(Protocol):
    """What a speaker embedder provides.

    Attributes:
        name: short model name recorded with scores and used for cache feature names
            (e.g. ``"ge2e"``); letters, digits, ``-``, ``_`` and ``.`` only.
        sample_rate: the rate ``embed`` expects (16000 for every avtool model).
        min_seconds: the shortest input the model accepts; ``embed`` raises ``MediaError``
            below it.
        dim: embedding dimension.
        threshold: calibrated cosine decision threshold, or ``None`` when the model has none.
        config: plain-data description of the model and its preprocessing (stored with cached
            embeddings; a different config means a different cache).
        checksum: identifies the weights (e.g. sha256 of the checkpoint file).
    """

    name: str
    sample_rate: int
    min_seconds: float
    dim: int
    threshold: float | None
    config: dict
    checksum: str

    def embed(self, wav: np.ndarray) -> np.ndarray:
        """One mono float32 waveform at ``sample_rate`` -> (dim,) float32, unit norm.

        Raises:
            MediaError: the waveform is shorter than ``min_seconds`` or silent.
        """
        ...


def load_embedder(model: str, device: Any = "cpu", **options: Any) -> Embedder:
    """The embedder for ``model``: ``"ge2e"`` or a path to a speaker checkpoint.

    Args:
        model: ``"ge2e"`` for the GE2E default, otherwise a checkpoint (``best.pt`` or a run
            directory) from ``avtool train speaker``.
        device: ``"cpu"``, ``"cuda"`` or a torch device.
        options: fields of :class:`~avtool.tasks.speaker.ge2e_embedder.GE2EConfig`; only for
            ``"ge2e"``.

    Raises:
        ModelError: the weights cannot be loaded.
        ConfigError: an unknown option, or options given for a checkpoint.
    """
    if str(model).strip().lower() == GE2E:
        return GE2EEmbedder(ge2e_config(options), device=device)
    if options:
        raise ConfigError(
            f"option(s) {', '.join(sorted(options))} apply only to --model ge2e, not {model}"
        )
    return load_checkpoint_embedder(model, device)


def open_embedder(model: str, device: Any, ge2e_options: dict | None) -> Embedder:
    """:func:`load_embedder` for a ``--model`` value, naming a missing checkpoint as such."""
    if str(model).strip().lower() != GE2E and not Path(model).exists():
        raise ModelError(f"--model {model}: no such checkpoint file or run directory "
                         "(give 'ge2e' or a checkpoint from 'avtool train speaker')")
    return load_embedder(model, device, **(ge2e_options or {}))
