"""Configs of the dialog models, importable without torch: the network (`DialogNetConfig`,
with each architecture's published sizes) and decoding (`DecodingConfig`).

Sizes (`ARCHITECTURE_SIZES`):

* ``multimodal-attention`` (Hori et al., Interspeech 2019, §5.2): word embedding 200, question
  BLSTM 2 x 256 per direction, history LSTM 2 x 256 per QA pair then BLSTM 1 x 256 over pairs,
  projections 2048 -> 512 (I3D rgb, flow) and 128 -> 64 (VGGish). Not in the paper, so ours
  (digest avsd-004 §5.4): attention 128, fusion 256, decoder 1 x 512 LSTM, dropout 0.5.
* ``dstc7-baseline`` (the released DSTC7 baseline, `run_i3d.sh`): embedding 100, question
  LSTM 2 x 128, history LSTM 2 x 128 per pair then LSTM 1 x 128 over pairs, projections 512,
  attention 128, fusion 256, decoder 2 x 128 LSTM, dropout 0.5.

A stream's projection is 64 wide when its input has at most 128 dims, else 512 (the paper's
2048 -> 512 and 128 -> 64), unless ``projections`` names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from avtool.config import ranged
from avtool.errors import ConfigError

ARCHITECTURES = ("multimodal-attention", "dstc7-baseline")
LOSSES = ("ce", "st", "st-mse", "jst")
DESCRIPTIONS = ("none", "caption", "summary")
DECODER_INITS = ("zero", "question")

ARCHITECTURE_SIZES: dict[str, dict[str, Any]] = {
    "multimodal-attention": {"embedding": 200, "hidden": 256, "attention": 128, "fusion": 256,
                             "decoder": 512, "decoder_layers": 1},
    "dstc7-baseline": {"embedding": 100, "hidden": 128, "attention": 128, "fusion": 256,
                       "decoder": 128, "decoder_layers": 2},
}


def default_projection(dim: int) -> int:
    """The paper's projection width for an input of `dim` dims (128 -> 64, 2048 -> 512)."""
    return 64 if dim <= 128 else 512


@dataclass(frozen=True)
class DialogNetConfig:
    architecture: str = "multimodal-attention"
    vocab_size: int = field(default=4, metadata=ranged(min=4))
    streams: tuple[str, ...] = ("i3d_rgb", "i3d_flow", "vggish")
    stream_dims: tuple[int, ...] = field(default=(2048, 2048, 128), metadata=ranged(min=1))
    projections: tuple[int, ...] = field(default=(512, 512, 64), metadata=ranged(min=1))
    embedding: int = field(default=200, metadata=ranged(min=1))
    hidden: int = field(default=256, metadata=ranged(min=1))
    encoder_layers: int = field(default=2, metadata=ranged(min=1))
    attention: int = field(default=128, metadata=ranged(min=1))
    fusion: int = field(default=256, metadata=ranged(min=1))
    decoder: int = field(default=512, metadata=ranged(min=1))
    decoder_layers: int = field(default=1, metadata=ranged(min=1))
    dropout: float = field(default=0.5, metadata=ranged(0, 1, max_open=True))
    decoder_init: str = "zero"  # zero | question: the decoder state before <sos>

    def check(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ConfigError(f"--model {self.architecture!r}: expected one of "
                              f"{', '.join(ARCHITECTURES)}")
        if self.decoder_init not in DECODER_INITS:
            raise ConfigError(f"--decoder-init {self.decoder_init!r}: expected one of "
                              f"{', '.join(DECODER_INITS)}")
        if not self.streams:
            raise ConfigError("a dialog model needs at least one feature stream")
        if not len(self.streams) == len(self.stream_dims) == len(self.projections):
            raise ConfigError(f"--projections: {len(self.projections)} widths for "
                              f"{len(self.streams)} streams ({', '.join(self.streams)})")


def net_config(architecture: str, vocab_size: int, streams: dict[str, int],
               projections: tuple[int, ...] | None = None, **sizes: Any) -> DialogNetConfig:
    """The architecture's published sizes, with the non-None `sizes` replacing them, for
    `streams` (name -> input dims, in order) and a vocabulary of `vocab_size`."""
    from avtool.config import check_config

    if architecture not in ARCHITECTURE_SIZES:
        raise ConfigError(f"--model {architecture!r}: expected one of {', '.join(ARCHITECTURES)}")
    base = {**ARCHITECTURE_SIZES[architecture],
            **{k: v for k, v in sizes.items() if v is not None}}
    dims = tuple(int(d) for d in streams.values())
    proj = tuple(projections) if projections else tuple(default_projection(d) for d in dims)
    cfg = DialogNetConfig(architecture=architecture, vocab_size=vocab_size,
                          streams=tuple(streams), stream_dims=dims, projections=proj, **base)
    return check_config(cfg, "dialog model")


def parse_projections(text: str | None) -> tuple[int, ...] | None:
    """``"512,512,64"`` -> (512, 512, 64); None or "" -> None (the default rule)."""
    if not text:
        return None
    try:
        widths = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise ConfigError(f"--projections {text!r}: expected comma-separated widths, e.g. "
                          "512,512,64") from None
    if any(w < 1 for w in widths):
        raise ConfigError(f"--projections {text!r}: widths must be >= 1")
    return widths


@dataclass(frozen=True)
class DecodingConfig:
    """Beam search as the DSTC7 baseline runs it (beam 5, insertion bonus 1.0, 30 words)."""

    beam: int = field(default=5, metadata=ranged(1, 100))
    penalty: float = field(default=1.0, metadata=ranged(-100, 100))
    maxlen: int = field(default=30, metadata=ranged(1, 1000))
    minlen: int = field(default=1, metadata=ranged(0, 1000))
    greedy: bool = False

    def with_overrides(self, **values: Any) -> DecodingConfig:
        from avtool.config import check_config

        return check_config(replace(self, **{k: v for k, v in values.items() if v is not None}),
                            "decoding")
