"""`make table-voxceleb`: the thesis's Tables 2.9/2.10 layout on a synthetic corpus, on the CPU.

Run::

    python -m avtool.tasks.speaker.table --workdir build/table-voxceleb

Steps (each reuses what an earlier run left in the work directory):

1. Two synthetic corpora from ``avtool synth speakers`` (espeak-ng voices with noise, reverb,
   band-pass), mirroring the thesis's protocol of training on one dataset (VoxCeleb2 dev) and
   testing on another (VoxCeleb1): a training corpus (all its speakers train) and a test corpus
   whose ``trials_o.txt`` (test-split speakers, "O-like") and ``trials_h.txt`` (negatives of the
   same language and gender, "H-like") are scored.
2. ``spectrogram`` stores of the training corpus: ``variant=vgg-m`` (512 bins) for VGG-M, the
   default (257 bins) for Thin-ResNet-34.
3. Three models with ``avtool train speaker``'s library route, at the paper's full
   width: VGG-M + TAP + softmax, Thin-ResNet-34 + TAP + softmax, Thin-ResNet-34 + GhostVLAD +
   AM-softmax. To fit the CPU budget the corpus is small, the epochs few and the training crops
   shorter than the paper's (``--crop-seconds``, printed in the table).
4. Scoring both lists with each model and with the GE2E default, through ``verify-speaker``'s
   batch route (whole-utterance embeddings, cosine), then EER and minDCF (P_target 0.01).
5. One table: our EER/minDCF on the synthetic lists, and beside them the paper's VoxCeleb1
   numbers for the same configuration (different data: not comparable, shown for layout).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Paper numbers (VoxCeleb1 test lists; Tables 2.9a-c and 2.10; None = not reported).
PAPER = {
    "vgg-m/tap/softmax": {"train": "VoxCeleb1", "o_eer": 10.2, "o_dcf": None, "h_eer": None,
                          "source": "Interspeech17"},
    "thin-resnet34/tap/softmax": {"train": "VoxCeleb2", "o_eer": 10.48, "o_dcf": None,
                                  "h_eer": None, "source": "ICASSP19"},
    "thin-resnet34/ghostvlad/amsoftmax": {"train": "VoxCeleb2", "o_eer": 3.23, "o_dcf": None,
                                          "h_eer": None, "source": "ICASSP19"},
    "thin-resnet34/ghostvlad/softmax": {"train": "VoxCeleb2", "o_eer": 3.22, "o_dcf": 0.35,
                                        "h_eer": 5.17, "source": "ICASSP19"},
}


@dataclass(frozen=True)
class Plan:
    """Corpus sizes and training settings (the defaults fit ~20 min on 2 idle cores)."""

    train_speakers: int = 48
    train_utterances: int = 8
    test_speakers: int = 32
    test_utterances: int = 10
    epochs: int = 32
    batch_size: int = 16
    crop_seconds: float = 1.0
    thin_width: float = 0.25
    vggm_width: float = 0.5
    workers: int = 2
    seed: int = 0


MODELS = (
    # (key, model, pool, loss, feature store, display name)
    ("thin-resnet34/ghostvlad/amsoftmax", "thin-resnet34", "ghostvlad", "amsoftmax", "thin",
     "Thin-ResNet-34"),
    ("thin-resnet34/tap/softmax", "thin-resnet34", "tap", "softmax", "thin", "Thin-ResNet-34"),
    ("vgg-m/tap/softmax", "vgg-m", "tap", "softmax", "vggm", "VGG-M"),
)
DISPLAY = ("vgg-m/tap/softmax", "thin-resnet34/tap/softmax", "thin-resnet34/ghostvlad/amsoftmax")
FEATURES = {"vggm": "spectrogram:variant=vgg-m", "thin": "spectrogram"}
LOSS_NAMES = {"softmax": "Softmax", "amsoftmax": "AM-Softmax"}
WIDTH = 200
POOL_NAMES = {"tap": "TAP", "ghostvlad": "GhostVLAD", "netvlad": "NetVLAD"}


def _log(message: str) -> None:
    from avtool.console import stderr

    stderr.print(f"[table-voxceleb] {message}", highlight=False)


def _corpus(path: Path, speakers: int, utterances: int, seed: int, workers: int) -> Path:
    from avtool.synth.speakers import synth_speakers

    if not (path / "trials_h.txt").exists():
        synth_speakers(path, speakers, utterances, seed, workers=workers)
    return path


def _store(corpus: Path, out: Path, spec: str, workers: int) -> Path:
    from avtool.features.pipeline import extract_to_store, plan_jobs

    report = extract_to_store(plan_jobs([corpus / "wav"]), out, [spec], workers=workers,
                              device="cpu")
    if report.failed:
        raise RuntimeError(f"{out}: {len(report.failed)} items failed: {report.failed[0]}")
    return out


def _one_thread() -> None:
    """Worker initialiser: one intra-op thread per job. Several single-threaded jobs use the
    cores better than one two-threaded job, and degrade gracefully on a busy machine (OpenMP
    spin-waiting makes multi-threaded torch several times slower when a core is taken)."""
    import os

    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


def _train(model: str, pool: str, loss: str, store: Path, run: Path, plan: Plan,
           device: str) -> dict[str, Any]:
    from avtool.tasks import train_task
    from avtool.tasks.speaker.options import SpeakerOptions
    from avtool.train import load_checkpoint

    last = run / "last.pt"
    if last.exists() and load_checkpoint(last)["epoch"] >= plan.epochs:
        return {"seconds": 0.0, "history": load_checkpoint(last)["history"]}
    width = plan.vggm_width if model == "vgg-m" else plan.thin_width
    options = SpeakerOptions(model=model, pool=pool, loss=loss, crop_seconds=plan.crop_seconds,
                             width=width)
    start = time.perf_counter()
    result = train_task("speaker", options, store, run, resume=last.exists(), quiet=True,
                        epochs=plan.epochs, batch_size=plan.batch_size, seed=plan.seed,
                        device=device)
    return {"seconds": time.perf_counter() - start, "history": result.history}


def _score(model: str, corpus: Path, work: Path, name: str, device: str) -> dict[str, Any]:
    from avtool.tasks.speaker.scoring import evaluate_trials
    from avtool.tasks.speaker.verify import verify_trials

    out: dict[str, Any] = {}
    start = time.perf_counter()
    for kind in ("o", "h"):
        scores = work / f"scores_{name}_{kind}.txt"
        verify_trials(corpus / f"trials_{kind}.txt", corpus / "wav", scores, model=model,
                      cache=work / f"emb_{name}.h5", device=device, workers=1)
        result = evaluate_trials(scores, corpus / f"trials_{kind}.txt").result
        out[kind] = {"eer": result.eer, "min_dcf": result.min_dcf[0].min_dcf,
                     "n_target": result.n_target, "n_nontarget": result.n_nontarget}
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def _job(key: str, spec: tuple | None, stores: dict[str, Path], corpus: Path, work: Path,
         plan: Plan, device: str) -> tuple[str, dict[str, Any]]:
    """Train (unless ``spec`` is None: GE2E) and score one model; runs in a worker process."""
    if spec is None:
        return key, _score("ge2e", corpus, work, "ge2e", device)
    model, pool, loss, feature = spec
    run_dir = work / "runs" / key.replace("/", "_")
    trained = _train(model, pool, loss, stores[feature], run_dir, plan, device)
    scored = _score(str(run_dir / "last.pt"), corpus, work, key.replace("/", "_"), device)
    last = trained["history"][-1]
    return key, {**scored, "train_seconds": round(trained["seconds"], 1),
                 "train_acc": last.get("train_acc"), "train_loss": last.get("train_loss")}


def run(workdir: str | Path, plan: Plan = Plan(), device: str = "cpu") -> dict[str, Any]:
    """Build everything under ``workdir``; returns the results (also written to results.json).

    Models train and score in ``plan.workers`` single-threaded processes (longest first).
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from avtool.runtime import resolve_device

    device = resolve_device(device)
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 1)
        _log(f"{name}: {timings[name]:.1f} s")
        return now

    t = t0
    train_corpus = _corpus(work / "train_corpus", plan.train_speakers, plan.train_utterances,
                           plan.seed + 1, plan.workers)
    test_corpus = _corpus(work / "test_corpus", plan.test_speakers, plan.test_utterances,
                          plan.seed + 2, plan.workers)
    t = lap("synthesise corpora", t)
    stores = {name: _store(train_corpus, work / f"train_{name}.h5", spec, plan.workers)
              for name, spec in FEATURES.items()}
    t = lap("extract spectrograms", t)
    results: dict[str, Any] = {"plan": plan.__dict__, "models": {}}
    jobs = [(key, (model, pool, loss, feature)) for key, model, pool, loss, feature, _ in MODELS]
    jobs.append(("ge2e", None))
    device_workers = 1 if device.startswith("cuda") else plan.workers
    with ProcessPoolExecutor(device_workers, mp_context=mp.get_context("spawn"),
                             initializer=_one_thread) as pool:
        futures = [pool.submit(_job, key, spec, stores, test_corpus, work, plan, device)
                   for key, spec in jobs]
        _log(f"training and scoring {len(jobs)} models in {device_workers} processes")
        for future in as_completed(futures):
            key, result = future.result()
            results["models"][key] = result
            timings[f"job {key}"] = round(result.get("train_seconds", 0) + result["seconds"], 1)
            _log(f"{key}: O EER {result['o']['eer']:.2f}%, H EER {result['h']['eer']:.2f}% "
                 f"(train {result.get('train_seconds', 0):.0f} s, score {result['seconds']:.0f} s)")
    lap("train and score", t)
    timings["total"] = round(time.perf_counter() - t0, 1)
    results["timings"] = timings
    (work / "results.json").write_text(json.dumps(results, indent=2))
    return results


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    plan = results["plan"]
    rows = []
    for key, model, pool, loss, _, display in sorted(MODELS, key=lambda m: DISPLAY.index(m[0])):
        ours, paper = results["models"][key], PAPER[key]
        rows.append([display, LOSS_NAMES[loss], 1024 if model == "vgg-m" else 512,
                     POOL_NAMES[pool], _fmt(ours["o"]["eer"]), _fmt(ours["o"]["min_dcf"], 3),
                     _fmt(ours["h"]["eer"]), _fmt(ours["h"]["min_dcf"], 3),
                     f"{paper['train']} ({paper['source']})", _fmt(paper["o_eer"]),
                     _fmt(paper["o_dcf"]), _fmt(paper["h_eer"])])
    ref = PAPER["thin-resnet34/ghostvlad/softmax"]
    rows.append(["Thin-ResNet-34", "Softmax", 512, "GhostVLAD", "(not run)", "", "", "",
                 f"{ref['train']} ({ref['source']})", _fmt(ref["o_eer"]), _fmt(ref["o_dcf"]),
                 _fmt(ref["h_eer"])])
    ge2e = results["models"]["ge2e"]
    rows.append(["GE2E (resemblyzer weights)", "GE2E", 256, "mean of windows",
                 _fmt(ge2e["o"]["eer"]), _fmt(ge2e["o"]["min_dcf"], 3), _fmt(ge2e["h"]["eer"]),
                 _fmt(ge2e["h"]["min_dcf"], 3), "not in the thesis", "–", "–", "–"])
    o, h = ge2e["o"], ge2e["h"]
    caption = (
        f"OURS = synthetic espeak-ng corpus, NOT VoxCeleb: trained on {plan['train_speakers']} "
        f"speakers x {plan['train_utterances']} utterances ({plan['epochs']} epochs, "
        f"{plan['crop_seconds']:g}-s crops, batch {plan['batch_size']}; channel widths "
        f"x{plan['thin_width']:g} for Thin-ResNet-34 and x{plan['vggm_width']:g} for VGG-M, "
        "all layers kept), tested on "
        f"another corpus of {plan['test_speakers']} speakers: O-like list {o['n_target']}+"
        f"{o['n_nontarget']} trials, H-like {h['n_target']}+{h['n_nontarget']}. PAPER = the "
        "thesis's VoxCeleb1 test lists (Tables 2.9, 2.10), VoxCeleb-trained: different data, "
        "shown for the layout only. EER in %, minDCF at P_target 0.01 (C_miss = C_fa = 1). "
        f"Wall time {results['timings']['total']:.0f} s.")
    table = Table(title="Speaker verification (thesis Tables 2.9/2.10 layout)",
                  caption=caption)
    for column in ("Front-end", "Loss", "Dims", "Aggregation", "OURS\nO EER", "OURS\nO minDCF",
                   "OURS\nH EER", "OURS\nH minDCF", "PAPER\ntrain set", "PAPER\nO EER",
                   "PAPER\nO minDCF", "PAPER\nH EER"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    Console(width=WIDTH).print(table)  # wide enough to keep one line per row when piped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m avtool.tasks.speaker.table",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default="build/table-voxceleb")
    parser.add_argument("--device", default="cpu")
    defaults = Plan()
    for field, value in defaults.__dict__.items():
        parser.add_argument("--" + field.replace("_", "-"), type=type(value), default=value)
    args = parser.parse_args(argv)
    plan = Plan(**{f: getattr(args, f) for f in defaults.__dict__})
    render(run(args.workdir, plan, args.device))


if __name__ == "__main__":
    main()
