"""A trained dialog model (the `Predictor` of `avtool train dialog`): DSTC7-AVSD dialogs and
their videos' features in, an answer for every turn out, and the DSTC7 result file that
`avtool evaluate captioning` scores.

The answering network is the checkpoint's network, or, for a student-teacher run, its student
(the teacher is not needed after training). It reads the description the spec names
(``description``: none for students) unless told to read none (the paper's "man. / —" row:
a description-trained model tested without one). Turns are answered in batches with beam
search (`avtool.tasks.dialog.decoding`), in evaluation mode: deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from avtool.config import config_from_dict
from avtool.errors import AvtoolError, ConfigError, StoreError
from avtool.formats.avsd import UNDISCLOSED, AvsdDialog, AvsdTurn, read_avsd_data
from avtool.tasks.dialog.config import DecodingConfig, DialogNetConfig
from avtool.tasks.dialog.data import TurnExample, TurnText, dialog_turns, question_problem
from avtool.tasks.dialog.vocab import Vocabulary

TASK = "dialog"


@dataclass(frozen=True)
class AnswerReferences:
    """What `DialogTask.evaluate_files` scores a result file against."""

    path: Path  # a dialogs file (one reference per turn) or a COCO multiref file
    last_only: bool = False  # only the last turn of each dialog (the official test)
    meteor: bool = True  # METEOR 1.5 when java is present
    stopwords: str | None = None  # "dstc7" for the DSTC7 stop-word filter


@dataclass(frozen=True)
class DialogInputs:
    """What `DialogAnswerer.predict` answers: every turn of `dialogs` (or the last), with
    features from `videos` (a store, a released-feature folder or a folder of videos)."""

    dialogs: Path | Sequence[AvsdDialog]
    videos: Path
    last_only: bool = False


@dataclass(frozen=True)
class TurnAnswer:
    video_id: str
    turn: int
    question: str
    answer: str
    score: float

    @property
    def key(self) -> str:
        return f"{self.video_id}_{self.turn}"


@dataclass
class AnswerSet:
    dialogs: list[AvsdDialog]
    answers: dict[str, TurnAnswer]  # by "{video}_{turn}"
    failed: list[tuple[str, str]]  # (dialog or "video turn n", reason), for the report
    decoding: DecodingConfig
    description: str
    truncated: int = 0  # turns whose history exceeded the model's limit
    lost: set[str] = field(default_factory=set)  # "{video}_{turn}" keys that failed

    def result_dialogs(self) -> list[AvsdDialog]:
        """The input dialogs with each answered turn's answer replaced by the system's; a
        turn that could not be answered reads ``__UNDISCLOSED__`` (so a scorer sees it as
        missing, never as the reference)."""
        out = []
        for d in self.dialogs:
            turns = []
            for n, t in enumerate(d.turns):
                key = d.turn_id(n)
                mine = self.answers.get(key)
                answer = mine.answer if mine else UNDISCLOSED if key in self.lost else t.answer
                turns.append(AvsdTurn(t.question, answer))
            out.append(AvsdDialog(d.image_id, d.caption, d.summary, tuple(turns)))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"answered": len(self.answers), "failed": [{"input": w, "reason": r}
                                                          for w, r in self.failed],
                "decoding": asdict(self.decoding), "description": self.description,
                "history_truncated": self.truncated}


def answering_state(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The weights of the answering network: a student-teacher run's student."""
    state = checkpoint["model_state"]
    if any(k.startswith("student.") for k in state):
        return {k[len("student."):]: v for k, v in state.items() if k.startswith("student.")}
    return state


class DialogAnswerer:
    """A dialog network, its vocabulary and its spec, in evaluation mode on one device."""

    def __init__(self, net, spec: dict[str, Any], device: str = "cpu") -> None:
        self.net, self.spec, self.device = net.to(device).eval(), spec, device
        self.vocab = Vocabulary(spec["vocab"])
        self.decoding = config_from_dict(DecodingConfig, spec.get("decoding", {}), "decoding")

    @classmethod
    def from_checkpoint(cls, checkpoint: dict[str, Any], device: str = "cpu"
                        ) -> DialogAnswerer:
        from avtool.tasks.dialog.build import build_net

        spec = checkpoint["spec"]
        net = build_net(config_from_dict(DialogNetConfig, spec["net"], "dialog_net"))
        net.load_state_dict(answering_state(checkpoint))
        return cls(net, spec, device)

    @property
    def streams(self) -> list[str]:
        return list(self.spec["net"]["streams"])

    @property
    def max_history(self) -> int:
        return int(self.spec.get("max_history", 9))

    def reads(self, description: str | None = None) -> str:
        """The description field read: the model's (None or "model"), or "none"."""
        return self.spec.get("description", "none") if description in (None, "model") \
            else description

    # -- features ---------------------------------------------------------------------------
    def open_features(self, videos: str | Path):
        """A feature source for `videos` with this model's streams, dims checked."""
        from avtool.tasks.dialog.features import VideoFeatures, has_video_files, open_features

        videos = Path(videos)
        if not videos.exists():
            raise StoreError(f"{videos}: no such feature store or folder")
        if videos.is_dir() and has_video_files(videos):
            return VideoFeatures(videos, self.spec["features"], self.device)
        source = open_features(videos)
        missing = [s for s in self.streams if s not in source.available]
        if missing:
            raise StoreError(f"{videos}: lacks the model's stream(s) {', '.join(missing)} "
                             f"(has: {', '.join(source.available) or 'none'})")
        dims = self.spec["net"]["stream_dims"]
        for name, dim in zip(self.streams, dims, strict=True):
            if source.available[name] != dim:
                raise StoreError(f"{videos}: stream {name} has {source.available[name]} dims, "
                                 f"the model expects {dim}")
        return source.use(self.streams)

    def video_features(self, path: str | Path):
        """The model's streams computed from one video file (its training extractor settings)."""
        from avtool.tasks.dialog.features import VideoFeatures

        return VideoFeatures(None, self.spec["features"], self.device).compute(path)

    # -- answering --------------------------------------------------------------------------
    def generate(self, examples: Sequence[TurnExample], decoding: DecodingConfig | None = None,
                 reads_description: bool = False, batch_size: int = 32) -> list:
        """One `Hypothesis` per example, in order."""
        from avtool.tasks.dialog.batch import collate
        from avtool.tasks.dialog.decoding import decode

        decoding = decoding or self.decoding
        out = []
        for lo in range(0, len(examples), batch_size):
            batch = collate(examples[lo:lo + batch_size], with_description=reads_description)
            batch = batch.to(self.device)
            out += decode(self.net, batch.reading_description() if reads_description else batch,
                          decoding)
        return out

    def predict(self, inputs: DialogInputs, decoding: DecodingConfig | None = None,
                description: str | None = None, batch_size: int = 32, strict: bool = False,
                progress: Callable[[int, int], None] | None = None) -> AnswerSet:
        """Answer every turn (or the last of each dialog) of `inputs`.

        A video without features, a turn with an empty question or only unknown words:
        listed in ``failed`` (`strict`: raised), the rest is answered.
        """
        dialogs = (read_avsd_data(inputs.dialogs) if isinstance(inputs.dialogs, str | Path)
                   else list(inputs.dialogs))
        source = self.open_features(inputs.videos)
        reads = self.reads(description)
        decoding = decoding or self.decoding
        failed: list[tuple[str, str]] = []
        lost: set[str] = set()
        todo: list[TurnExample] = []
        truncated = 0
        for done, dialog in enumerate(dialogs, 1):
            turns = dialog_turns(dialog, self.vocab, reads, self.max_history, inputs.last_only)
            try:
                features = source.read(dialog.image_id)
            except AvtoolError as err:
                if strict:
                    raise
                failed.append((dialog.image_id, str(err)))
                lost.update(t.key for t in turns)
                continue
            for text in turns:
                problem = question_problem(dialog.turns[text.turn].question, self.vocab)
                if problem:
                    if strict:
                        raise ConfigError(f"{dialog.image_id} turn {text.turn}: {problem}")
                    failed.append((f"{dialog.image_id} turn {text.turn}", problem))
                    lost.add(text.key)
                    continue
                truncated += text.truncated > 0
                todo.append(TurnExample(text, features))
            if progress:
                progress(done, len(dialogs))
        hyps = self.generate(todo, decoding, reads != "none", batch_size)
        answers = {}
        by_id = {d.image_id: d for d in dialogs}
        for example, hyp in zip(todo, hyps, strict=True):
            t = example.text
            answers[t.key] = TurnAnswer(t.video_id, t.turn,
                                        by_id[t.video_id].turns[t.turn].question,
                                        self.vocab.decode(hyp.tokens), hyp.score)
        return AnswerSet(dialogs, answers, failed, decoding, reads, truncated, lost)

    def answer(self, question: str, features, history: Sequence[tuple[str, str]] = (),
               description: str = "", decoding: DecodingConfig | None = None,
               video_id: str = "video") -> tuple[TurnAnswer, int]:
        """One answer to `question` about a video's `features` after `history` (QA pairs);
        -> (answer, history pairs dropped to fit the model's limit). `description` is read
        only by a description-reading model."""
        from avtool.tasks.dialog.data import history_pairs

        problem = question_problem(question, self.vocab)
        if problem:
            raise ConfigError(f"--question {question!r}: {problem}")
        pairs, dropped = history_pairs(self.vocab, history, self.max_history)
        reads = self.reads() != "none" and bool(description.strip())
        text = TurnText(video_id, len(history), tuple(self.vocab.encode(question)), (), pairs,
                        tuple(self.vocab.encode(description)) if reads else (), dropped)
        hyp = self.generate([TurnExample(text, tuple(features))], decoding, reads)[0]
        return TurnAnswer(video_id, len(history), question, self.vocab.decode(hyp.tokens),
                          hyp.score), dropped

    def write(self, answers: AnswerSet, out: Path) -> Path:
        """The DSTC7 result file: the input dialogs, answers replaced (atomically)."""
        from avtool.formats.avsd import write_avsd_data

        return write_avsd_data(out, answers.result_dialogs())


def load_answerer(path: str | Path, device: str = "cpu") -> DialogAnswerer:
    """The answering network of a RUN_DIR or .pt of `avtool train dialog`."""
    from avtool.tasks import load_task_checkpoint

    return DialogAnswerer.from_checkpoint(load_task_checkpoint(path, TASK, "a dialog model"),
                                          device)
