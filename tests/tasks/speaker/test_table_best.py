"""`make table-voxceleb-best`: scoring with the three TTA modes and the printed table."""

import shutil

from avtool.tasks.speaker.table_best import BEST, LISTS, TTA, Plan, _score, render
from avtool.tasks.speaker.task import SpeakerTask


def test_best_recipe_is_a_valid_option_set():
    from avtool.tasks.speaker.options import SpeakerOptions

    options = SpeakerOptions(**BEST)
    assert options.embedding == "bn" and options.loss == "aamsoftmax"


def test_score_gives_every_tta_mode_on_every_list(tmp_path):
    from avtool.tasks import train_task

    example = SpeakerTask.debug_example(tmp_path / "ex")
    run = tmp_path / "run"
    train_task("speaker", example.options, example.store, run, quiet=True, epochs=1,
               batch_size=8, device="cpu")
    corpus = tmp_path / "corpus"
    shutil.copytree(example.inputs.audio_root, corpus / "wav")
    for kind in LISTS:
        shutil.copy(example.truth, corpus / f"trials_{kind}.txt")
    scored = _score(str(run / "last.pt"), corpus, tmp_path, "debug")
    assert set(scored) == {f"{t}/{k}" for t in TTA for k in LISTS}
    assert all(0 <= row["eer"] <= 100 and row["n_target"] > 0 for row in scored.values())


def test_render_prints_both_systems_all_tta_modes_and_the_curve(capsys):
    row = {"eer": 4.5, "min_dcf": 0.5, "n_target": 10, "n_nontarget": 10}
    models = {key: {f"{t}/{k}": dict(row) for t in TTA for k in LISTS} for key in ("ge2e", "best")}
    curve = [{"epoch": 1, "train_loss": 3.0, "train_acc": 0.5, "val_eer": 9.0,
              "val_min_dcf": 0.7, "seconds": 60.0}]
    render({"plan": Plan().__dict__, "best": BEST, "models": models, "curve": curve,
            "train_seconds": 60.0})
    out = capsys.readouterr().out
    assert "GE2E default" in out and "crops100" in out and "Learning curve" in out
    assert "4.50" in out and "9.00" in out
