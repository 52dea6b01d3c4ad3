"""`make table-avatar`: Table 5.2 of the Gabeur thesis (AVATAR, A vs A+V under noise) on
synthetic data.

Run::

    python -m avtool.tasks.transcribe.table --workdir build/table-avatar

Steps (each reuses what an earlier run left in the work directory):

1. The corpus: ``avtool synth avspeech`` (espeak-ng sentences about the sprite on screen,
   70 % of the clips showing it), then its ``fbank`` and ``frames`` features with the
   ``extract-features`` library route.
2. Four ``avtool train transcribe`` runs at the `RECIPE` size: A and A+V, each with no word
   masking and with random word masking (10 % of the words, on the corpus's word timings),
   trained from scratch (the thesis's HowTo100M pretraining is not available). Same recipe,
   seed and epochs for all four; the best epoch by greedy validation WER. The runs go two at
   a time in two processes of one thread each (small networks use one core best).
3. Each model transcribes the test clips under the four noise conditions of §5.4.2 (clean,
   burst packet loss, environment noise at ``--snr`` dB, mixed), beam 4 with length penalty
   0.6. The noisy waveform of every clip is exactly the one ``avtool transcribe --model RUN
   --noise COND --snr SNR --seed SEED`` makes (`noisy_features`), computed once per
   condition and shared by the four models. Corpus-level WER (§5.5: errors summed over the
   test set, divided by its reference words) after the ``basic`` normalisation.
4. The Whisper default (tiny.en through ``avtool transcribe``'s own path) on the same test
   clips under the same noise.
5. The table in the layout of Table 5.2, ours (synthetic) beside the thesis's How2 rows
   (different data), the orderings checked on our numbers, and a breakdown of the errors on
   the colour/shape/motion words of clips whose frames show them (where vision can help)
   against the rest.

Also written: ``WORKDIR/table-avatar.md`` and ``WORKDIR/results.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

CONDITIONS = ("clean", "burst", "env", "mixed")
CONDITION_NAMES = {"clean": "Clean", "burst": "Burst", "env": "Env", "mixed": "Mixed"}
FRAME_SIZE = 48
FEATURES = ("fbank", f"frames:fps=5,size={FRAME_SIZE}x{FRAME_SIZE}")
#: ours: training strategy -> the --word-masking of its two runs
STRATEGIES = {"No masking": "none", "Random word masking": "random"}
#: Gabeur thesis Table 5.2 (How2 test, %WER): row -> ((A, A+V) per condition in CONDITIONS)
PAPER = {
    "No Pretraining": ((15.72, 15.62), (29.59, 28.69), (50.79, 47.70), (60.51, 57.49)),
    "Vanilla Pretraining": ((9.75, 9.79), (21.97, 21.71), (25.97, 25.55), (39.13, 38.96)),
    "Random Word Masking": ((9.19, 9.11), (15.60, 15.28), (23.39, 22.35), (32.43, 30.64)),
    "Content Word Masking": ((9.58, 9.25), (17.26, 16.92), (23.77, 22.67), (33.83, 32.26)),
}
#: the thesis row each of ours corresponds to (ours are all trained from scratch)
PAPER_PEER = {"No masking": "No Pretraining", "Random word masking": "Random Word Masking"}


def _log(message: str) -> None:
    from avtool.console import stderr

    stderr.print(f"[table-avatar] {message}", highlight=False)


def rel_delta(a: float, av: float) -> float:
    """Relative improvement of A+V over A in percent, (A - AV) / A (thesis Table 5.2)."""
    return 100.0 * (a - av) / a if a else float("nan")


# -- 1. corpus ---------------------------------------------------------------------------------
def build_corpus(work: Path, args) -> tuple[Path, Path]:
    """-> (corpus folder, feature store); reuses earlier work."""
    from avtool.features.pipeline import extract_to_store, read_manifest
    from avtool.synth.avspeech import SynthAvspeechConfig, synth_avspeech

    corpus = work / "corpus"
    t0 = time.perf_counter()
    synth_avspeech(corpus, SynthAvspeechConfig(clips=args.clips, seed=args.seed,
                                               val_fraction=0.1, test_fraction=0.1),
                   workers=args.workers)
    _log(f"corpus: {args.clips} clips in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    store = work / "features.h5"
    ext = extract_to_store(read_manifest(corpus / "clips.csv"), store, list(FEATURES),
                           workers=args.workers)
    if ext.failed:
        raise RuntimeError(f"feature extraction failed for {len(ext.failed)} clip(s): "
                           f"{ext.failed[0]}")
    _log(f"features: {ext.extracted} new, {ext.skipped} reused, "
         f"{time.perf_counter() - t0:.0f} s")
    return corpus, store


# -- 2. training -------------------------------------------------------------------------------
def run_options(args, corpus: Path, modalities: str, masking: str):
    """The `AvatarOptions` of one run: the table's recipe (see --help of this module)."""
    from avtool.tasks.transcribe.options import AvatarOptions

    return AvatarOptions(
        size=args.size, modalities=modalities, d_model=args.d_model, layers=args.layers,
        fusion_layer=args.fusion_layer, decoder_layers=args.decoder_layers,
        image_size=FRAME_SIZE, max_seconds=args.max_seconds, patch_mels=args.patch_mels,
        word_masking=masking, word_timings=str(corpus / "words.tsv"),
        spec_augment=args.spec_augment, lr=args.lr, warmup_steps=args.warmup_steps,
        label_smoothing=args.label_smoothing, dropout=args.dropout)


def _run_name(modalities: str, masking: str, args) -> str:
    return (f"{modalities}-{masking}-{args.size}-d{args.d_model}-l{args.layers}-"
            f"pm{args.patch_mels}-f{args.fusion_layer}-dl{args.decoder_layers}-e{args.epochs}-b{args.batch_size}-"
            f"lr{args.lr:g}-w{args.warmup_steps}-ls{args.label_smoothing:g}-"
            f"sa{args.spec_augment}-do{args.dropout:g}-c{args.clips}-s{args.seed}")


def _train_one(job: tuple[str, Any, str, str, dict[str, Any]]) -> tuple[str, float]:
    """Train one run in this process (one torch thread); -> (run path, seconds)."""
    import torch

    from avtool.tasks import train_task

    run, options, store, resume, trainer = job
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    train_task("transcribe", options, store, run, resume=resume == "resume", quiet=True,
               **trainer)
    return run, time.perf_counter() - t0


def train_runs(corpus: Path, store: Path, args) -> dict[str, dict[str, Any]]:
    """The four runs (reused when finished); -> {"a-none": {"path", "seconds", "best"}...}."""
    from avtool.train import load_checkpoint

    plans, out = {}, {}
    for masking in STRATEGIES.values():
        for modalities in ("a", "av"):
            key = f"{modalities}-{masking}"
            run = args.workdir / "runs" / _run_name(modalities, masking, args)
            last = run / "last.pt"
            done = last.exists() and load_checkpoint(last)["epoch"] >= args.epochs
            out[key] = {"path": str(run), "seconds": None}
            if not done:
                plans[key] = (str(run), run_options(args, corpus, modalities, masking),
                              str(store), "resume" if last.exists() else "new",
                              {"epochs": args.epochs, "batch_size": args.batch_size,
                               "seed": args.seed, "device": "cpu"})
    if plans:
        _log(f"training {len(plans)} run(s), {args.workers} at a time")
        for key, (_, seconds) in zip(plans, _map(_train_one, list(plans.values()),
                                                 args.workers), strict=True):
            out[key]["seconds"] = round(seconds, 1)
    for key, entry in out.items():
        ckpt = load_checkpoint(entry["path"])
        entry["best"] = ckpt["best"] or {}
        entry["val_wer"] = [round(h.get("val_wer", float("nan")), 2) for h in ckpt["history"]]
        _log(f"{key}: best epoch {entry['best'].get('epoch')} (val WER "
             f"{entry['best'].get('value') or float('nan'):.1f} %)"
             + (f", trained in {entry['seconds']:.0f} s" if entry["seconds"] else ""))
    return out


def _map(fn, jobs: list, workers: int) -> list:
    """`fn` over `jobs`, in `workers` spawned processes (in this one for a single worker)."""
    if workers <= 1 or len(jobs) <= 1:
        return [fn(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(min(workers, len(jobs)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(fn, jobs))


# -- 3. evaluation -----------------------------------------------------------------------------
def test_clips(corpus: Path) -> dict[str, tuple[Path, str]]:
    """{clip id: (mp4, transcript)} of the corpus's test split."""
    import csv

    with (corpus / "clips.csv").open(newline="") as fh:
        return {row["id"]: (corpus / row["path"], row["text"]) for row in csv.DictReader(fh)
                if row["split"] == "test"}


def noisy_features(clips: dict[str, tuple[Path, str]], condition: str, seed: int,
                   snr_db: float, audio_info) -> dict[str, np.ndarray]:
    """{clip id: fbank (T, F), not normalised} of each clip's audio under `condition`: the
    waveform ``avtool transcribe --noise condition --snr snr_db --seed seed`` feeds a model
    (`read_speech_audio` with the per-item seed of `run.item_seed`), then the store's fbank."""
    from avtool.features import extractor_from_info
    from avtool.tasks.transcribe.audio_input import read_speech_audio
    from avtool.tasks.transcribe.run import item_seed

    extractor = extractor_from_info(audio_info, "cpu")
    out = {}
    for item, (path, _) in clips.items():
        wav = read_speech_audio(path, noise=condition, seed=item_seed(seed, item),
                                snr_db=snr_db)
        out[item] = extractor.compute(wav).astype(np.float32)
    return out


def _evaluate_one(job: tuple[str, str, str, list[str], dict[str, dict[str, np.ndarray]], str]
                  ) -> tuple[str, dict[str, dict[str, str]]]:
    """One model's transcripts of the test clips under every condition."""
    import torch

    from avtool.store import open_store
    from avtool.tasks import load_model
    from avtool.tasks.transcribe.data import FeatureReader

    key, run, store, ids, features, frames_name = job
    torch.set_num_threads(1)
    model = load_model(run, "cpu")
    frames = None
    if model.video_info is not None:
        reader = FeatureReader(open_store(store), model.audio_info.name, frames_name,
                               model.mean, model.std, model.cfg.frames, model.cfg.frame_gap)
        frames = {i: reader.read_frames(i) for i in ids}
    out: dict[str, dict[str, str]] = {}
    for condition, feats in features.items():
        texts: dict[str, str] = {}
        for lo in range(0, len(ids), 16):
            chunk = ids[lo:lo + 16]
            audio = [model._window((feats[i] - model.mean) / model.std, i) for i in chunk]
            texts.update(zip(chunk, model.transcribe_features(
                audio, None if frames is None else [frames[i] for i in chunk]), strict=True))
        out[condition] = texts
    return key, out


def evaluate_runs(runs: dict[str, dict[str, Any]], corpus: Path, store: Path, args
                  ) -> dict[str, dict[str, dict[str, str]]]:
    """{run: {condition: {clip id: transcript}}}, beam 4 (the checkpoints' decoding)."""
    from avtool.io import atomic_write
    from avtool.store import open_store

    clips = test_clips(corpus)
    handle = open_store(store)
    audio_info = handle.features["fbank"]
    frames_name = next(name for name in handle.features if name != "fbank")
    ids = list(clips)
    cache = {key: Path(entry["path"]) / f"test-snr{args.snr:g}-seed{args.noise_seed}.json"
             for key, entry in runs.items()}
    hyps = {key: json.loads(path.read_text()) for key, path in cache.items()
            if path.exists() and entry_is_fresh(path, runs[key]["path"])}
    features: dict[str, dict[str, np.ndarray]] = {}
    if len(hyps) < len(runs):
        t0 = time.perf_counter()
        features = {c: noisy_features(clips, c, args.noise_seed, args.snr, audio_info)
                    for c in CONDITIONS}
        _log(f"noisy test audio: {len(clips)} clips x {len(CONDITIONS)} conditions in "
             f"{time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    jobs = [(key, entry["path"], str(store), ids, features, frames_name)
            for key, entry in runs.items() if key not in hyps]
    for key, texts in _map(_evaluate_one, jobs, args.workers):
        hyps[key] = texts
        with atomic_write(cache[key]) as fh:
            json.dump(texts, fh)
    _log(f"decoding (beam 4) of {len(jobs)} model(s): {time.perf_counter() - t0:.0f} s")
    _write_transcripts(args.workdir / "hyp", hyps, clips)
    return hyps


def entry_is_fresh(path: Path, run: str) -> bool:
    """A run's cached test transcripts are newer than its best checkpoint."""
    best = Path(run) / "best.pt"
    return not best.exists() or path.stat().st_mtime >= best.stat().st_mtime


def _write_transcripts(folder: Path, hyps: dict[str, dict[str, dict[str, str]]],
                       clips: dict[str, tuple[Path, str]]) -> None:
    """``folder/<run>-<condition>.txt`` and ``folder/ref.txt`` as Kaldi ``text`` files, so
    ``avtool evaluate transcription --hyp ... --ref ...`` rescores any cell."""
    from avtool.formats.kaldi_text import write_kaldi_text

    write_kaldi_text(folder / "ref.txt", {i: t for i, (_, t) in clips.items()})
    for key, by_condition in hyps.items():
        for condition, texts in by_condition.items():
            write_kaldi_text(folder / f"{key}-{condition}.txt", texts)


def whisper_transcripts(corpus: Path, args) -> dict[str, dict[str, str]]:
    """{condition: {clip id: transcript}} of the Whisper default through ``avtool
    transcribe``'s path, journaled in the work directory (a rerun reuses them)."""
    from avtool.features.pipeline import Job
    from avtool.tasks.transcribe.run import RecognitionOptions, transcribe_jobs

    clips = test_clips(corpus)
    jobs = [Job(item, str(path)) for item, (path, _) in clips.items()]
    out = {}
    t0 = time.perf_counter()
    for condition in args.whisper_conditions:
        journal = args.workdir / "whisper" / f"{condition}.journal.jsonl"
        journal.parent.mkdir(parents=True, exist_ok=True)
        report = transcribe_jobs(jobs, options=RecognitionOptions(
            noise=condition, snr_db=args.snr, seed=args.noise_seed), device="cpu",
            journal=journal)
        out[condition] = {t.id: t.text for t in report.transcripts}
    _write_transcripts(args.workdir / "hyp", {"whisper": out}, clips)
    _log(f"Whisper tiny.en: {time.perf_counter() - t0:.0f} s")
    return out


def score(hyps: dict[str, str], refs: dict[str, str]) -> float:
    """Corpus-level WER (%) with the ``basic`` normalisation."""
    from avtool.metrics.text import error_rates

    return float(error_rates(refs, hyps).wer)


def word_class_errors(hyps: dict[str, str], corpus: Path) -> dict[str, float]:
    """Share (%) of reference words not recognised (substituted or deleted), per class:
    colour/shape/motion words whose sprite the frames show ("seen"), those of off-screen
    clips ("unseen"), sound words and function words."""
    import csv

    from avtool.metrics.text import error_rates

    classes: dict[str, list[str]] = {}
    with (corpus / "words.tsv").open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            kind = row["kind"]
            cls = ("function" if kind == "function" else "sound" if kind == "sound"
                   else "seen" if row["on_screen"] == "1" else "unseen")
            classes.setdefault(row["id"], []).append(cls)
    refs = {i: t for i, (_, t) in test_clips(corpus).items()}
    result = error_rates(refs, hyps)
    missed: dict[str, list[int]] = {}
    for utt in result.utterances:
        labels = classes.get(utt.utt_id, [])
        k = 0
        for ref, _, op in utt.aligned_pairs():
            if ref is None:
                continue
            if k < len(labels) and len(labels) == len(utt.ref_words):
                missed.setdefault(labels[k], []).append(op != "=")
            k += 1
    return {cls: 100.0 * float(np.mean(v)) for cls, v in sorted(missed.items())}


# -- 4. the table ------------------------------------------------------------------------------
def wer_table(hyps, refs) -> dict[str, dict[str, dict[str, float]]]:
    """{strategy: {condition: {"A", "A+V", "rel"}}}."""
    out = {}
    for strategy, masking in STRATEGIES.items():
        out[strategy] = {}
        for c in CONDITIONS:
            a, av = (score(hyps[f"{m}-{masking}"][c], refs) for m in ("a", "av"))
            out[strategy][c] = {"A": a, "A+V": av, "rel": rel_delta(a, av)}
    return out


def orderings(table: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """The thesis's orderings checked on our numbers."""
    lines = []
    for strategy, cells in table.items():
        for c in CONDITIONS[1:]:
            a, av = cells[c]["A"], cells[c]["A+V"]
            lines.append(f"{strategy}, {CONDITION_NAMES[c]}: A {a:.2f} vs A+V {av:.2f}: A+V "
                         f"beats A {'holds' if av < a else 'does NOT hold'} "
                         f"(rel. {cells[c]['rel']:+.1f} %)")
    none, rand = table["No masking"], table["Random word masking"]
    for c in CONDITIONS[1:]:
        widened = rand[c]["rel"] > none[c]["rel"]
        lines.append(f"{CONDITION_NAMES[c]}: gap with word masking {rand[c]['rel']:+.1f} % vs "
                     f"without {none[c]['rel']:+.1f} %: masking widens the gap "
                     f"{'holds' if widened else 'does NOT hold'}")
    return lines


def _cell(value: float | None) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.2f}"


def render(table, whisper: dict[str, float], classes: dict[str, dict[str, dict[str, float]]],
           caption: str) -> str:
    """Markdown: Table 5.2 layout (ours, then the thesis's), Whisper, the word classes."""
    head = ("| Training \\ Eval noise | " + " | ".join(
        f"{CONDITION_NAMES[c]} A | {CONDITION_NAMES[c]} A+V | {CONDITION_NAMES[c]} Rel.Δ"
        for c in CONDITIONS) + " |")
    rule = "| --- |" + " ---: |" * (3 * len(CONDITIONS))
    md = ["**Table 5.2 layout, ours: synthetic `avtool synth avspeech` test clips, trained "
          "from scratch** (%WER, corpus level)\n", head, rule]
    for strategy, cells in table.items():
        md.append(f"| {strategy} (ours) | " + " | ".join(
            f"{cells[c]['A']:.2f} | {cells[c]['A+V']:.2f} | {cells[c]['rel']:.2f}%"
            for c in CONDITIONS) + " |")
    md.append("| Whisper tiny.en (ours, audio only) | " + " | ".join(
        f"{_cell(whisper.get(c))} | — | —" for c in CONDITIONS) + " |")
    md += ["", "**Thesis Table 5.2: How2 test set (different data: compare orderings, not "
           "values)**\n", head, rule]
    for row, cells in PAPER.items():
        md.append(f"| {row} | " + " | ".join(
            f"{a:.2f} | {av:.2f} | {rel_delta(a, av):.2f}%" for a, av in cells) + " |")
    md += ["", "**Words missed (%, substituted or deleted) by class, mixed noise**: seen = "
           "colour/shape/motion words of clips whose frames show the sprite; unseen = those of "
           "clips that do not; sound = sound words (heard, never seen)\n"]
    kinds = sorted({k for v in classes.values() for k in v})
    md.append("| Model | " + " | ".join(kinds) + " |")
    md.append("| --- |" + " ---: |" * len(kinds))
    for name, v in classes.items():
        md.append(f"| {name} | " + " | ".join(f"{v.get(k, float('nan')):.1f}" for k in kinds)
                  + " |")
    md += ["", caption]
    return "\n".join(md) + "\n"


def main(argv: list[str] | None = None) -> None:
    from avtool.tasks.transcribe.noise import DEFAULT_SNR_DB

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("build/table-avatar"))
    ap.add_argument("--clips", type=int, default=1600, help="corpus size (80/10/10 split)")
    ap.add_argument("--size", default="tiny", help="AVATAR size preset")
    ap.add_argument("--d-model", type=int, default=None)
    ap.add_argument("--layers", type=int, default=None)
    ap.add_argument("--fusion-layer", type=int, default=None)
    ap.add_argument("--decoder-layers", type=int, default=None)
    ap.add_argument("--max-seconds", type=float, default=None)
    ap.add_argument("--patch-mels", type=int, default=80,
                    help="audio patch height in mel bins (thesis: 16; 80 = full-band 16-frame "
                    "patches, 5x fewer audio tokens: the CPU recipe)")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup-steps", type=int, default=100)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--spec-augment", default="none")
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--snr", type=float, default=DEFAULT_SNR_DB,
                    help="environment-noise SNR in dB (the thesis gives none)")
    ap.add_argument("--noise-seed", type=int, default=0,
                    help="the --seed of avtool transcribe that gives the same noisy audio")
    ap.add_argument("--whisper-conditions", default=",".join(CONDITIONS),
                    help="noise conditions the Whisper default is scored under (comma list; "
                    "'' or --no-whisper: none)")
    ap.add_argument("--no-whisper", dest="whisper_conditions", action="store_const", const="")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    args.whisper_conditions = [c for c in args.whisper_conditions.split(",") if c]
    unknown = sorted(set(args.whisper_conditions) - set(CONDITIONS))
    if unknown:
        ap.error(f"--whisper-conditions: unknown {', '.join(unknown)}; choose from "
                 f"{', '.join(CONDITIONS)}")
    import torch

    from avtool.console import print_table

    torch.set_num_threads(1)
    t_start = time.perf_counter()
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus, store = build_corpus(args.workdir, args)
    runs = train_runs(corpus, store, args)
    hyps = evaluate_runs(runs, corpus, store, args)
    refs = {i: t for i, (_, t) in test_clips(corpus).items()}
    table = wer_table(hyps, refs)
    whisper_hyps = whisper_transcripts(corpus, args) if args.whisper_conditions else {}
    whisper = {c: score(whisper_hyps[c], refs) if c in whisper_hyps else float("nan")
               for c in CONDITIONS}
    classes = {f"{s}, {m}": word_class_errors(hyps[f"{mk}-{masking}"]["mixed"], corpus)
               for s, masking in STRATEGIES.items() for m, mk in (("A", "a"), ("A+V", "av"))}
    wall = time.perf_counter() - t_start
    checks = orderings(table)
    trained = sum(r["seconds"] or 0 for r in runs.values())
    caption = (f"Ours: {args.clips} synthetic clips (seed {args.seed}; {len(refs)} test "
               f"clips, {sum(len(t.split()) for t in refs.values())} words), AVATAR size "
               f"{args.size} (overrides: d {args.d_model}, layers {args.layers}, fusion "
               f"{args.fusion_layer}, decoder layers {args.decoder_layers}), frames "
               f"{FRAME_SIZE}x{FRAME_SIZE}, {args.epochs} epochs, batch {args.batch_size}, AdamW "
               f"{args.lr:g} with {args.warmup_steps} warm-up steps, label smoothing "
               f"{args.label_smoothing:g}, SpecAugment {args.spec_augment}, dropout "
               f"{args.dropout:g}, from scratch; beam 4, length penalty 0.6; noise seed "
               f"{args.noise_seed}, environment noise at {args.snr:g} dB SNR. Thesis: How2 "
               "(300 h), ViT-B streams from ImageNet-21K, HowTo100M pretraining for all but "
               "the first row. Wall time "
               f"{wall / 60:.1f} min (training {trained / 60:.1f} min of process time in "
               f"{args.workers} processes).")
    md = render(table, whisper, classes, caption)
    md += "\n**The thesis's orderings on our numbers**\n\n" + "\n".join(
        f"    {c}" for c in checks) + "\n"
    (args.workdir / "table-avatar.md").write_text(md)
    (args.workdir / "results.json").write_text(json.dumps(
        {"table": table, "whisper": whisper, "word_classes": classes, "paper": PAPER,
         "runs": runs, "orderings": checks, "args": {k: str(v) for k, v in vars(args).items()},
         "wall_seconds": round(wall, 1)}, indent=2))
    rows = []
    for strategy, cells in table.items():
        rows.append([f"{strategy} (ours)"] + [f"{cells[c][k]:.2f}" + ("%" if k == "rel" else "")
                                              for c in CONDITIONS for k in ("A", "A+V", "rel")])
    rows.append(["Whisper tiny.en (ours)"] + [x for c in CONDITIONS
                                              for x in (_cell(whisper[c]), "—", "—")])
    for row, cells in PAPER.items():
        rows.append([f"{row} (thesis, How2)"] + [x for a, av in cells for x in (
            f"{a:.2f}", f"{av:.2f}", f"{rel_delta(a, av):.2f}%")])
    print_table(rows, ["Training \\ noise"] + [f"{CONDITION_NAMES[c]} {k}" for c in CONDITIONS
                                               for k in ("A", "A+V", "Rel.Δ")],
                title="Table 5.2 layout: %WER, ours (synthetic) and the thesis's (How2)")
    print(caption)
    print("\n".join(checks))


if __name__ == "__main__":
    main()
