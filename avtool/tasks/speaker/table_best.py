"""`make table-voxceleb-best`: avtool's best speaker-training recipe against the GE2E default.

Run::

    python -m avtool.tasks.speaker.table_best --workdir build/table-voxceleb-best

Steps (each reuses what an earlier run left in the work directory; training resumes):

1. Corpora from ``avtool synth speakers``: a training corpus of many voices with the ``wide``
   variety (400 speakers x 8 utterances: more languages, variants, pitch/rate ranges and
   per-speaker timbre), a small ``classic`` validation corpus (the learning curve; selects
   ``best.pt``), and the held-out ``classic`` test corpus of ``make table-voxceleb`` (32 voices
   x 10 utterances, seed 2): none of its voices is trained on.
2. ``avtool train speaker``'s library route on the wav folder (features computed on the fly,
   augmentation on), the configuration in :data:`BEST`; the per-epoch validation EER is the
   learning curve (``run/history.jsonl``).
3. The trained ``best.pt`` and GE2E (the shipped pretrained default) score the test lists
   ``trials_e.txt`` (all 32 voices) and ``trials_h.txt`` (non-targets of the same language
   and gender) with the three TTA modes; one table, and the learning curve. Results go to
   ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TTA = ("whole", "crops10", "crops100")
LISTS = ("e", "h")


@dataclass(frozen=True)
class Plan:
    train_speakers: int = 400
    train_utterances: int = 8
    train_seed: int = 101
    val_speakers: int = 16
    val_utterances: int = 6
    val_seed: int = 3
    test_speakers: int = 32
    test_utterances: int = 10
    test_seed: int = 2
    epochs: int = 8
    batch_size: int = 32
    workers: int = 1
    seed: int = 0


#: The recipe's network and training options (`avtool train speaker` flags).
BEST: dict[str, Any] = {
    "model": "thin-resnet34", "width": 0.25, "pool": "ghostvlad", "loss": "aamsoftmax",
    "embedding": "bn", "crop_seconds": 1.0, "utts_per_speaker": 2, "lr": 1e-3,
    "lr_schedule": "cosine", "augment": "noise,babble,reverb,specaugment",
}


def _log(message: str) -> None:
    from avtool.console import stderr

    stderr.print(f"[table-voxceleb-best] {time.strftime('%H:%M:%S')} {message}",
                 highlight=False)


def _corpus(path: Path, speakers: int, utterances: int, seed: int, variety: str,
            workers: int) -> Path:
    from avtool.synth.speakers import synth_speakers

    if not (path / "trials_h.txt").exists():
        synth_speakers(path, speakers, utterances, seed, workers=workers, variety=variety)
    return path


def _score(model: str, corpus: Path, work: Path, name: str) -> dict[str, Any]:
    from avtool.tasks.speaker.scoring import evaluate_trials
    from avtool.tasks.speaker.verify import verify_trials

    out: dict[str, Any] = {}
    for tta in TTA:
        for kind in LISTS:
            scores = work / f"scores_{name}_{tta}_{kind}.txt"
            if not scores.exists():
                verify_trials(corpus / f"trials_{kind}.txt", corpus / "wav", scores, model=model,
                              cache=work / f"emb_{name}.h5", tta=tta, workers=1)
            result = evaluate_trials(scores, corpus / f"trials_{kind}.txt").result
            out[f"{tta}/{kind}"] = {"eer": result.eer, "min_dcf": result.min_dcf[0].min_dcf,
                                    "n_target": result.n_target,
                                    "n_nontarget": result.n_nontarget}
    return out


def _train(train: Path, val: Path, run: Path, plan: Plan) -> dict[str, Any]:
    from avtool.tasks import train_task
    from avtool.tasks.speaker.options import SpeakerOptions
    from avtool.train import load_checkpoint

    last = run / "last.pt"
    if last.exists() and load_checkpoint(last)["epoch"] >= plan.epochs:
        return {"seconds": None, "history": load_checkpoint(last)["history"]}
    options = SpeakerOptions(**BEST, val_trials=str(val / "trials_e.txt"),
                             val_store=str(val / "wav"))
    start = time.perf_counter()
    result = train_task("speaker", options, train / "wav", run, resume=last.exists(),
                        quiet=True, epochs=plan.epochs, batch_size=plan.batch_size,
                        seed=plan.seed, device="cpu", workers=plan.workers)
    return {"seconds": round(time.perf_counter() - start, 1), "history": result.history}


def run(workdir: str | Path, plan: Plan = Plan()) -> dict[str, Any]:
    import os

    import torch

    # One intra-op thread: on a shared machine two-threaded torch spin-waits for a busy core
    # and runs several times slower (see `avtool.tasks.speaker.table._one_thread`).
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    train = _corpus(work / "train_corpus", plan.train_speakers, plan.train_utterances,
                    plan.train_seed, "wide", 2)
    val = _corpus(work / "val_corpus", plan.val_speakers, plan.val_utterances, plan.val_seed,
                  "classic", 2)
    test = _corpus(work / "test_corpus", plan.test_speakers, plan.test_utterances,
                   plan.test_seed, "classic", 2)
    _log(f"corpora ready ({time.perf_counter() - t0:.0f} s)")
    results: dict[str, Any] = {"plan": asdict(plan), "best": BEST, "models": {}}
    run_dir = work / "run"
    trained = _train(train, val, run_dir, plan)
    _log(f"trained ({trained['seconds']} s)")
    results["train_seconds"] = trained["seconds"]
    results["curve"] = [{k: row.get(k) for k in ("epoch", "train_loss", "train_acc", "val_eer",
                                                 "val_min_dcf", "seconds")}
                        for row in trained["history"]]
    results["models"]["best"] = _score(str(run_dir / "best.pt"), test, work, "best")
    results["models"]["ge2e"] = _score("ge2e", test, work, "ge2e")
    for key in ("best", "ge2e"):
        _log(f"{key}: " + ", ".join(f"{k} EER {v['eer']:.2f}%"
                                    for k, v in results["models"][key].items()))
    results["seconds"] = round(time.perf_counter() - t0, 1)
    (work / "results.json").write_text(json.dumps(results, indent=2))
    return results


def render(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    best, plan = results["best"], results["plan"]
    name = (f"{best['model']} x{best['width']:g} + {best['pool']} + {best['loss']} "
            f"({best['embedding']} embedding)")
    table = Table(title="Speaker verification on held-out synthetic voices: trained vs GE2E",
                  caption=(
                      f"Test: {plan['test_speakers']} held-out classic voices x "
                      f"{plan['test_utterances']} utterances (seed {plan['test_seed']}, the "
                      "make table-voxceleb test corpus). E = all voices, H = non-targets of "
                      "the same language and gender. EER in %, minDCF at P_target 0.01. "
                      f"Trained on {plan['train_speakers']} wide-variety voices x "
                      f"{plan['train_utterances']} for {plan['epochs']} epochs "
                      f"({results.get('train_seconds') or 0:.0f} s), augment "
                      f"{best['augment']}. GE2E: resemblyzer weights trained on real speech."))
    for column in ("System", "TTA", "E EER", "E minDCF", "H EER", "H minDCF"):
        table.add_column(column, no_wrap=True)
    for key, label in (("ge2e", "GE2E default (pretrained)"), ("best", name)):
        for tta in TTA:
            row = results["models"][key]
            table.add_row(label, tta, *(f"{row[f'{tta}/{k}'][m]:.{d}f}" for k in LISTS
                                        for m, d in (("eer", 2), ("min_dcf", 3))))
    Console(width=160).print(table)
    curve = Table(title="Learning curve (validation: 16 classic voices, trials_e)")
    for column in ("epoch", "train loss", "train acc", "val EER", "val minDCF", "s"):
        curve.add_column(column)
    for row in results["curve"]:
        curve.add_row(str(row["epoch"]), f"{row['train_loss']:.3f}",
                      f"{row['train_acc']:.3f}", f"{row.get('val_eer') or 0:.2f}",
                      f"{row.get('val_min_dcf') or 0:.3f}", f"{row.get('seconds') or 0:.0f}")
    Console(width=160).print(curve)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m avtool.tasks.speaker.table_best",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default="build/table-voxceleb-best")
    defaults = Plan()
    for field, value in asdict(defaults).items():
        parser.add_argument("--" + field.replace("_", "-"), type=type(value), default=value)
    args = parser.parse_args(argv)
    plan = Plan(**{f: getattr(args, f) for f in asdict(defaults)})
    render(run(args.workdir, plan))


if __name__ == "__main__":
    main()
