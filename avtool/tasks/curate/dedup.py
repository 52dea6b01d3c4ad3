"""Duplicate removal within a person of interest (thesis §2.4.6): YouTube holds re-uploads,
so two segments whose audio is byte-identical, or whose speaker embeddings (GE2E default,
or a `train speaker` checkpoint) lie closer than ``dedup.threshold`` (Euclidean on unit
vectors, the thesis's "very conservative" 0.1), are one; the first in (video, segment)
order is kept."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def find_duplicates(hashes: Sequence[str], embeddings: Sequence[Sequence[float] | None],
                    threshold: float) -> dict[int, tuple[int, str]]:
    """{index: (index of the earlier segment it repeats, why)} over segments in order."""
    kept: list[int] = []
    duplicates: dict[int, tuple[int, str]] = {}
    vectors = [None if e is None else np.asarray(e, np.float64) for e in embeddings]
    for i, (digest, vector) in enumerate(zip(hashes, vectors, strict=True)):
        match = None
        for j in kept:
            if hashes[j] == digest:
                match = (j, "identical audio")
                break
            if vector is not None and vectors[j] is not None:
                distance = float(np.linalg.norm(vector - vectors[j]))
                if distance < threshold:
                    match = (j, f"speaker-embedding distance {distance:.3f} < {threshold}")
                    break
        if match is None:
            kept.append(i)
        else:
            duplicates[i] = match
    return duplicates
