"""The synthetic VoxCeleb table prints ours and the paper's numbers apart, labelled."""

from avtool.tasks.speaker.table import MODELS, PAPER, Plan, render


def test_render_labels_our_and_paper_columns(capsys):
    scored = {"o": {"eer": 12.5, "min_dcf": 0.5, "n_target": 40, "n_nontarget": 40},
              "h": {"eer": 20.0, "min_dcf": 0.75, "n_target": 128, "n_nontarget": 128}}
    models = {key: dict(scored) for key, *_ in MODELS}
    models["ge2e"] = dict(scored)
    render({"plan": Plan().__dict__, "models": models, "timings": {"total": 600.0}})
    out = capsys.readouterr().out
    assert "OURS" in out and "PAPER" in out and "O minDCF" in out and "H EER" in out
    assert "NOT VoxCeleb" in out and "12.50" in out
    assert f"{PAPER['thin-resnet34/tap/softmax']['o_eer']:.2f}" in out  # 10.48
    assert "not in the thesis" in out
