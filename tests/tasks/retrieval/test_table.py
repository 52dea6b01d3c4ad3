"""`make table-mmt`'s pure parts: the expert list, the tables' layout and the orderings."""

import argparse

import pytest

from avtool.tasks.retrieval import table


def _result(r5, speech_r5=10.0, ocr_r5=5.0):
    t2v = {"R@1": r5 / 3, "R@5": r5, "R@10": min(100.0, r5 * 1.3), "MdR": 5.0, "MnR": 9.0}
    return {"t2v": t2v, "v2t": dict(t2v), "counts": {"videos": 60, "captions": 300},
            "kind_counts": {"speech": 50, "ocr": 20},
            "by_kind": {"speech": {**t2v, "R@5": speech_r5}, "ocr": {**t2v, "R@5": ocr_r5}},
            "weights": {}}


@pytest.mark.parametrize("share,installed,ocr", [(0.25, True, True), (0.0, True, False),
                                                 (0.25, False, False)])
def test_ocr_joins_the_experts_only_with_words_and_tesseract(monkeypatch, share, installed, ocr):
    monkeypatch.setattr(table, "ocr_available", lambda: installed)
    args = argparse.Namespace(experts="trained", text_share=share)
    specs = table.experts(args)
    assert ("ocr_tesseract" in specs) is ocr
    assert specs[0].startswith("audio_net")
    args.experts = "handcrafted"
    assert table.experts(args)[0].startswith("llp_audio")


def test_tables_and_orderings():
    results = {"CE": _result(60.0), "MMT": _result(55.0, speech_r5=30.0),
               "MMT (pt p=1.0)": _result(52.0, speech_r5=50.0),
               "MMT (pt p=0.8)": _result(53.0, speech_r5=40.0),
               "MMT (MiniLM fine-tuned)": _result(80.0),
               "only audio": _result(40.0), "only ocr": _result(9.0, ocr_r5=64.0)}
    text, tables = table.render(results, "caption")
    titles = [t for t, _, _ in tables]
    assert any(t.startswith("t2v R@5 by caption kind") for t in titles)
    by_kind = next(rows for t, _, rows in tables if t.startswith("t2v R@5 by caption kind"))
    assert ["only ocr", "64.0", "10.0"] == by_kind[-1]
    assert "| ocr (20) | speech (50) |" in text
    checks = table.orderings(results)
    assert checks[0].startswith("MMT > CE") and checks[0].endswith("NO")
    assert any(c.startswith("MMT with MiniLM fine-tuned > CE") and c.endswith("yes")
               for c in checks)
    assert any("pt p=0.8 > scratch" in c and c.endswith("yes") for c in checks)
