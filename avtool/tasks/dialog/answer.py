"""`avtool answer` as library calls: one question about one video (`answer_question`), or every
turn of a DSTC7-AVSD file (`answer_dialogs`, writing the result file `avtool evaluate
captioning` scores).

Inputs that cannot be answered are refused in one line each: a dialog file off the schema
(naming the dialog and turn), an empty question, a question with only words the model does
not know, a video without features. A batch goes on past bad dialogs and turns and lists them
(`AnswerSet.failed`). A history longer than the model's limit is cut to its most recent pairs
and the result says how many were dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from avtool.errors import ConfigError, FormatError
from avtool.formats.avsd import UNDISCLOSED, load_json, read_avsd_data
from avtool.tasks.dialog.config import DecodingConfig
from avtool.tasks.dialog.predictor import AnswerSet, DialogInputs, load_answerer


@dataclass(frozen=True)
class DialogHistory:
    pairs: list[tuple[str, str]]
    caption: str = ""
    summary: str = ""


@dataclass(frozen=True)
class SingleAnswer:
    video: str
    question: str
    answer: str
    score: float
    history_pairs: int  # pairs the model read
    history_dropped: int  # older pairs cut to fit the model's limit
    description: str  # the field read ("none" when none)
    decoding: DecodingConfig
    description_missing: str = ""  # the field the model was trained to read but did not get

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "decoding": asdict(self.decoding)}


def read_history(path: str | Path, video_id: str | None = None) -> DialogHistory:
    """The QA pairs (and descriptions) of a history file: a DSTC7-AVSD file (its dialog of
    `video_id`, or its only dialog), one dialog object, or a list of question/answer objects.
    A last turn whose answer is ``__UNDISCLOSED__`` is the question being asked: left out.

    Raises:
        FormatError: not one of those shapes (naming the dialog and turn), several dialogs
            none of which is `video_id`, or an undisclosed answer before the last turn.
    """
    path = Path(path)
    data = load_json(path)
    if isinstance(data, list):
        data = {"dialogs": [{"image_id": video_id or "video", "dialog": data}]}
    elif isinstance(data, dict) and "dialogs" not in data:
        data = {"dialogs": [{"image_id": video_id or "video", **data}]}
    dialogs = read_avsd_data(path, data)
    if len(dialogs) > 1:
        match = [d for d in dialogs if d.image_id == video_id]
        if not match:
            raise FormatError(f"{path}: {len(dialogs)} dialogs and none for video "
                              f"{video_id!r}; give a file with one dialog")
        dialogs = match
    dialog = dialogs[0]
    turns = list(dialog.turns)
    if turns and turns[-1].undisclosed:
        turns = turns[:-1]
    for n, t in enumerate(turns):
        if t.answer.strip() == UNDISCLOSED:
            raise FormatError(f"{path}: dialog {dialog.image_id} turn {n}: an undisclosed "
                              "answer cannot be history")
    return DialogHistory([(t.question, t.answer) for t in turns], dialog.caption,
                         dialog.summary)


def _decoding(answerer, beam: int | None, penalty: float | None, maxlen: int | None,
              greedy: bool) -> DecodingConfig:
    return answerer.decoding.with_overrides(beam=beam, penalty=penalty, maxlen=maxlen,
                                            greedy=greedy or None)


def answer_question(model: str | Path, video: str | Path, question: str,
                    history: str | Path | None = None, videos: str | Path | None = None,
                    beam: int | None = None, penalty: float | None = None,
                    maxlen: int | None = None, greedy: bool = False,
                    description: str = "model", device: str = "cpu") -> SingleAnswer:
    """Answer `question` about `video`: a video file (features computed with the
    checkpoint's extractor settings) or, with `videos` (a store or feature folder), a video
    id there.

    Raises:
        ConfigError: an empty question, or one with only unknown words.
        StoreError, MediaError, FormatError, ModelError: see the messages.
    """
    from avtool.runtime import resolve_device

    answerer = load_answerer(model, resolve_device(device))
    decoding = _decoding(answerer, beam, penalty, maxlen, greedy)
    video_id = Path(video).stem if videos is None else str(video)
    hist = read_history(history, video_id) if history is not None else DialogHistory([])
    if videos is not None:
        source = answerer.open_features(videos)
        if not source.has(video_id):
            from avtool.errors import StoreError

            raise StoreError(f"{videos}: no features for video {video_id!r}")
        features = source.read(video_id)
    else:
        if not Path(video).is_file():
            raise ConfigError(f"{video}: no such video file (give --videos STORE to name a "
                              "video by id)")
        features = answerer.video_features(video)
    reads = answerer.reads(description)
    text = {"caption": hist.caption, "summary": hist.summary}.get(reads, "")
    turn, dropped = answerer.answer(question, features, hist.pairs, text, decoding, video_id)
    missing = reads if reads != "none" and not text.strip() else ""
    return SingleAnswer(video_id, question, turn.answer, turn.score,
                        len(hist.pairs) - dropped, dropped,
                        reads if text.strip() else "none", decoding, missing)


def answer_dialogs(model: str | Path, dialogs: str | Path, videos: str | Path,
                   last_only: bool = False, beam: int | None = None,
                   penalty: float | None = None, maxlen: int | None = None,
                   greedy: bool = False, description: str = "model", batch_size: int = 32,
                   strict: bool = False, device: str = "cpu",
                   progress: Callable[[int, int], None] | None = None
                   ) -> tuple[AnswerSet, Any]:
    """Answer every turn (or the last of each dialog) of a DSTC7-AVSD file; -> (answers,
    the answerer, whose ``write`` makes the result file). The whole file is checked against
    the schema first."""
    from avtool.runtime import resolve_device

    answerer = load_answerer(model, resolve_device(device))
    decoding = _decoding(answerer, beam, penalty, maxlen, greedy)
    parsed = read_avsd_data(dialogs)
    answers = answerer.predict(DialogInputs(parsed, Path(videos), last_only), decoding,
                               description, batch_size, strict, progress)
    return answers, answerer
