"""Evaluation from files as a library (`avtool.tasks.<task>.evaluate`), without the CLI; the
pure scorers underneath (`avtool.metrics`) are checked in tests/metrics and tests/test_layering.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from avtool.errors import ConfigError, FormatError
from avtool.formats.llp import LLP_CLASSES
from avtool.tasks.avvp.evaluate import evaluate_avvp_files
from avtool.tasks.dialog.evaluate import evaluate_caption_files, load_stopwords
from avtool.tasks.grounding.evaluate import evaluate_grounding_files
from avtool.tasks.retrieval.evaluate import evaluate_retrieval_files
from avtool.tasks.transcribe.evaluate import evaluate_transcription_files

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def test_avvp_from_files():
    llp = FIX / "llp"
    r = evaluate_avvp_files(llp / "AVVP_test_pd.csv", llp / "AVVP_eval_audio.csv",
                            llp / "AVVP_eval_visual.csv", llp / "pred_audio.tsv",
                            llp / "pred_visual.tsv")
    assert r.n_clips == 4 and r.classes == tuple(LLP_CLASSES)
    assert r.segment["audio"] == pytest.approx(82.5) and r.event["av"] == 100.0
    assert r.parameters["ignored_pred_rows"] == 0
    assert r.parameters["clips_file"] == str(llp / "AVVP_test_pd.csv")


def test_grounding_from_files_and_tables():
    g = FIX / "grounding"
    ev = evaluate_grounding_files(g / "pred_charades.tsv", g / "charades_sta_test.txt",
                                  durations=g / "durations.tsv", thresholds=(0.5,))
    assert ev.gt_format == "charades-sta" and ev.missing_query_ids == ["3"]
    assert ev.to_dict()["recall"] == {"0.5": pytest.approx(4 / 6)}
    cols, rows = ev.per_query_table()
    assert cols[:2] == ["query_id", "video_id"] and len(rows) == 6 and rows[3][4] == ""
    cols, rows = ev.per_video_table()
    assert cols[0] == "video_id" and sum(r[1] for r in rows) == 6
    ranked = evaluate_grounding_files(g / "pred_activitynet.tsv", g / "activitynet_val.json",
                                      recall_at=(1, 5))
    assert ranked.gt_format == "activitynet" and ranked.result.ns == (1, 5)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"thresholds": [0.5, 1.5]}, "--iou: thresholds must lie in (0, 1], got [1.5]"),
    ({"recall_at": [0, 2]}, "--recall-at: n must be >= 1, got [0, 2]"),
    ({"iou_rule": "le"}, "--iou-rule 'le'"),
    ({"gt_format": "tvr"}, "--gt-format 'tvr'"),
])
def test_grounding_option_errors(kwargs, message):
    g = FIX / "grounding"
    with pytest.raises(ConfigError) as err:
        evaluate_grounding_files(g / "pred_charades.tsv", g / "charades_sta_test.txt", **kwargs)
    assert message in str(err.value)


def test_retrieval_from_files_several_runs():
    r = FIX / "retrieval"
    summary = evaluate_retrieval_files([str(r / "sims_seed1.npy"), str(r / "sims_seed2.npy")],
                                       r / "queries.txt", r / "videos.txt", r / "gt.tsv")
    assert len(summary.runs) == 2 and summary.to_dict()["n_runs"] == 2


def test_transcription_from_files_logs_the_detected_format(tmp_path):
    (tmp_path / "ref.txt").write_text("utt01 add some salt\nutt02 stir it\n", encoding="utf-8")
    (tmp_path / "hyp.txt").write_text("utt01 add sum salt\nutt09 stray\n", encoding="utf-8")
    notes: list[str] = []
    ev = evaluate_transcription_files(tmp_path / "hyp.txt", tmp_path / "ref.txt",
                                      log=notes.append)
    assert ev.format == "kaldi" and ev.to_dict()["format"] == "kaldi"
    assert ev.missing_hypotheses == ("utt02",) and ev.extra_hypotheses == ("utt09",)
    assert len(notes) == 1 and "as kaldi transcripts (auto-detected" in notes[0]
    with pytest.raises(FormatError, match=r"\(--strict\)"):
        evaluate_transcription_files(tmp_path / "hyp.txt", tmp_path / "ref.txt", fmt="kaldi",
                                     strict=True)


def test_captioning_from_files(tmp_path):
    (tmp_path / "ref.tsv").write_text("id\ttext\na\ta dog barks\nb\tno sound\n",
                                      encoding="utf-8")
    (tmp_path / "hyp.tsv").write_text("id\ttext\na\ta dog barks\nb\tno sound\nx\tstray\n",
                                      encoding="utf-8")
    notes: list[str] = []
    ev = evaluate_caption_files(tmp_path / "hyp.tsv", tmp_path / "ref.tsv", meteor=False,
                                stopwords="dstc7", log=notes.append)
    assert ev.extra_hypotheses == ("x",) and ev.stopwords.name == "dstc7"
    assert ev.to_dict()["formats"] == {"hyp": "tsv", "ref": "tsv"}
    assert notes == [f"warning: 1 hypothesis ids of {tmp_path / 'hyp.tsv'} have no reference "
                     f"in {tmp_path / 'ref.tsv'}: x (not scored)"]
    with pytest.raises(FormatError, match="cannot read the stop-word file"):
        load_stopwords(tmp_path / "nope.txt")
