"""A tiny synthetic speaker corpus shared by the tests of one process (generated once)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_CACHE: dict[tuple[int, int, int], Path] = {}
_ROOT: Path | None = None


def tiny_speaker_corpus(speakers: int = 4, utterances: int = 3, seed: int = 3) -> Path:
    """Path of an ``avtool synth speakers`` corpus (read-only for callers; do not modify)."""
    global _ROOT
    key = (speakers, utterances, seed)
    if key not in _CACHE:
        from avtool.synth.speakers import synth_speakers

        if _ROOT is None:
            _ROOT = Path(tempfile.mkdtemp(prefix="avtool-speakers-"))
            atexit.register(shutil.rmtree, _ROOT, True)
        out = _ROOT / f"s{speakers}_u{utterances}_seed{seed}"
        synth_speakers(out, speakers, utterances, seed, workers=1)
        _CACHE[key] = out
    return _CACHE[key]
