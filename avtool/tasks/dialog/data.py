"""Dialog turns as the networks read them: token ids of the question, the answer, the history
and the description (`TurnText`), joined with a video's features (`TurnExample`).

A turn's history is the previous QA pairs of its dialog, each ``question answer <eos>``, the
most recent `max_history` of them (the model's limit, 9 by default: a ten-turn dialog's
last turn sees all). The first turn has none; the batch gives it one empty pair. The
description (``caption`` or ``summary`` of the dialog) is read by description-reading models
before every question of the dialog, as in the best DSTC7 system.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avtool.errors import ConfigError
from avtool.formats.avsd import AvsdDialog
from avtool.tasks.dialog.vocab import EOS, UNK, Vocabulary, tokenize


@dataclass(frozen=True)
class TurnText:
    video_id: str
    turn: int
    question: tuple[int, ...]
    answer: tuple[int, ...]  # () when undisclosed
    history: tuple[tuple[int, ...], ...]
    description: tuple[int, ...]
    truncated: int = 0  # history pairs dropped to fit the model's limit

    @property
    def key(self) -> str:
        return f"{self.video_id}_{self.turn}"


@dataclass(frozen=True)
class TurnExample:
    text: TurnText
    features: tuple[np.ndarray, ...]  # (frames, dims) per stream, in the model's order


def description_of(dialog: AvsdDialog, which: str) -> str:
    """The dialog's ``caption``, ``summary`` or "" (``none``)."""
    if which not in ("none", "caption", "summary"):
        raise ConfigError(f"--description {which!r}: expected none, caption or summary")
    return "" if which == "none" else getattr(dialog, which)


def history_pairs(vocab: Vocabulary, pairs: Sequence[tuple[str, str]], max_history: int
                  ) -> tuple[tuple[tuple[int, ...], ...], int]:
    """(the last `max_history` pairs as ``q a <eos>`` ids, how many were dropped)."""
    keep = list(pairs)[-max_history:] if max_history > 0 else []
    ids = tuple(tuple(vocab.encode(f"{q} {a}")) + (EOS,) for q, a in keep)
    return ids, len(pairs) - len(keep)


def dialog_turns(dialog: AvsdDialog, vocab: Vocabulary, description: str = "none",
                 max_history: int = 9, last_only: bool = False) -> list[TurnText]:
    """Every turn of `dialog` (or its last one) as token ids."""
    desc = tuple(vocab.encode(description_of(dialog, description)))
    out = []
    for n, turn in enumerate(dialog.turns):
        if last_only and n != len(dialog.turns) - 1:
            continue
        history, dropped = history_pairs(
            vocab, [(t.question, t.answer) for t in dialog.turns[:n]], max_history)
        answer = () if turn.undisclosed else tuple(vocab.encode(turn.answer))
        out.append(TurnText(dialog.image_id, n, tuple(vocab.encode(turn.question)), answer,
                            history, desc, dropped))
    return out


def question_problem(question: str, vocab: Vocabulary) -> str | None:
    """Why the model cannot read `question` (empty, or only words it does not know: known
    punctuation alone does not make a question), or None."""
    tokens = tokenize(question)
    if not tokens:
        return "the question is empty"
    words = [t for t in tokens if t[0].isalnum()]
    if all(vocab.index.get(w, UNK) == UNK for w in words):
        shown = " ".join(tokens[:8]) + (" ..." if len(tokens) > 8 else "")
        return f"the question has only words the model does not know ({shown})"
    return None


def training_turns(dialogs: Sequence[AvsdDialog], vocab: Vocabulary, description: str,
                   max_history: int) -> list[TurnText]:
    """Every turn with a disclosed, non-empty answer: what the networks learn from."""
    return [t for d in dialogs for t in dialog_turns(d, vocab, description, max_history)
            if t.answer]


def vocabulary_texts(dialogs: Sequence[AvsdDialog]) -> list[str]:
    """The questions and disclosed answers the vocabulary is counted on."""
    return [s for d in dialogs for t in d.turns
            for s in ((t.question,) if t.undisclosed else (t.question, t.answer))]


class TurnDataset:
    """Map-style dataset: `TurnText` items joined with their video's features, read through
    `features` (a `avtool.tasks.dialog.features.FeatureSource`)."""

    def __init__(self, turns: Sequence[TurnText], features) -> None:
        self.turns, self.features = list(turns), features

    def __len__(self) -> int:
        return len(self.turns)

    def __getitem__(self, index: int) -> TurnExample:
        text = self.turns[index]
        return TurnExample(text, self.features.read(text.video_id))
