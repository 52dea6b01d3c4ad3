"""`make table-mmt`: Gabeur's MMT tables (3.4, 4.5) and CE's (9.1, 9.5) on synthetic data.

Run::

    python -m avtool.tasks.retrieval.table --workdir build/table-mmt

Steps (each reuses what an earlier run left in the work directory):

1. ``avtool synth retrieval`` (mp4 videos of sprites, sound events, espeak-ng speech and
   faces, with captions of five kinds), then the experts with the extract-features library
   route: ``audio_net`` (audio, VGGish stand-in), ``appearance_net`` (appearance, SENet
   stand-in), ``motion_net`` (motion, S3D stand-in), the networks shipped in
   ``avtool/features/weights`` (trained on avtool's synthetic classes by ``make
   expert-nets``), ``face_dlib`` (dlib 128-d) and ``speech_minilm`` (Whisper tiny.en
   transcript embedded by MiniLM). ``--experts handcrafted`` uses the weight-free descriptors
   ``llp_audio``, ``llp_frame`` and ``llp_motion`` for the first three instead.
2. ``avtool train retrieval`` runs at small sizes, the same recipe for every run: CE; MMT;
   MMT fine-tuned from modality-masking pretraining with p = 1.0 (standard: the speech
   supervises, never an input) and p = 0.8 (thesis Ch. 4); MMT on one expert at a time
   (Fig. 3.4 / Table 9.5 style). The caption encoder is the small random BERT over
   MiniLM's vocabulary (``--text-model tiny``), fine-tuned; one more MMT row fine-tunes
   all-MiniLM-L6-v2 itself (about 0.6 s a batch of 32 on one thread, so
   ``--minilm-epochs`` 30 rather than 80; 0 leaves the row out).
   With ``--text-share`` (0.25) of the videos showing a written word, the OCR expert
   ``ocr_tesseract`` joins the experts when the ``tesseract`` binary is installed.
3. Every test caption ranks the test videos (t2v) and every test video its captions (v2t,
   best caption's rank), scored as the released code does (tie-averaged ranks); t2v is also
   scored on the captions only the speech answers.
4. Tables in the papers' layouts, ours (synthetic data) beside the papers' MSR-VTT 1k-A
   numbers (different data: compare orderings only), and the orderings checked.

Also written: ``WORKDIR/table-mmt.md`` and ``WORKDIR/results.json`` (``-handcrafted`` before
the suffix with ``--experts handcrafted``, which shares the corpus, the face/speech/OCR
experts and the work directory).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

EXPERT_SETS = {
    "trained": ("audio_net:segments={s}", "appearance_net:segments={s},fps=2",
                "motion_net:segments={s}", "face_dlib", "speech_minilm"),
    "handcrafted": ("llp_audio:segments={s}", "llp_frame:segments={s},fps=2",
                    "llp_motion:segments={s}", "face_dlib", "speech_minilm"),
}
SPEECH = "speech_minilm"
OCR = "ocr_tesseract"
ROLE = {"llp_audio": "audio", "llp_frame": "appearance", "llp_motion": "motion",
        "audio_net": "audio", "appearance_net": "appearance", "motion_net": "motion",
        "face_dlib": "face", "speech_minilm": "speech", "ocr_tesseract": "ocr"}
METRICS = ("R@1", "R@5", "R@10", "MdR", "MnR")
# MSR-VTT 1k-A, t2v then v2t (R@1, R@5, R@10, MdR, MnR); "-" where the source has none.
PAPER = {
    "CE": ((20.9, 48.8, 62.4, 6.0, 28.2), (20.6, 50.3, 64.0, 5.3, 25.1)),  # Table 9.1
    "MMT": ((24.6, 54.0, 67.1, 4.0, 26.7), (None, 56.0, None, 4.0, 23.6)),  # Tables 3.4/4.5
    "MMT (pt p=1.0)": ((26.6, 57.1, 69.6, 4.0, 24.0), (None, 57.5, None, 3.7, 21.3)),
    "MMT (pt p=0.8)": ((28.7, 59.5, 70.3, 3.8, 23.0), (None, None, None, None, None)),
}


def ocr_available() -> bool:
    import shutil

    return shutil.which("tesseract") is not None


def experts(args) -> tuple[str, ...]:
    """The extractor specs of the run: the chosen set, plus OCR where tesseract is installed
    and some videos show a word."""
    chosen = EXPERT_SETS[args.experts]
    return chosen + (OCR,) if args.text_share > 0 and ocr_available() else chosen


def _log(message: str) -> None:
    import sys

    print(f"[table-mmt] {message}", file=sys.stderr, flush=True)


def build_corpus(work: Path, args) -> Path:
    from avtool.features.pipeline import extract_to_store, plan_jobs
    from avtool.synth.retrieval import SynthRetrievalConfig, synth_retrieval

    corpus = work / "corpus"
    cfg = SynthRetrievalConfig(videos=args.videos, seed=args.seed, seconds=args.seconds,
                               val_fraction=0.1, test_fraction=0.25, text_share=args.text_share)
    t0 = time.perf_counter()
    synth_retrieval(corpus, cfg, workers=args.workers)
    _log(f"corpus: {args.videos} videos in {time.perf_counter() - t0:.0f} s")
    store = work / "experts.h5"
    t0 = time.perf_counter()
    jobs = plan_jobs([], corpus / "videos.csv")
    report = extract_to_store(jobs, store, [e.format(s=args.seconds) for e in experts(args)],
                              workers=args.workers)
    if report.failed:
        raise RuntimeError(f"extraction failed for {len(report.failed)} videos: "
                           f"{report.failed[0]}")
    _log(f"experts: {report.extracted} videos extracted in {time.perf_counter() - t0:.0f} s")
    return store


def _options(args, corpus: Path, **values: Any):
    from avtool.tasks.retrieval.options import RetrievalOptions

    names = ",".join(e.split(":")[0] for e in experts(args))
    base = dict(captions=str(corpus / "MSRVTT_data.json"), experts=names,
                d_model=args.d_model, layers=2,
                heads=2, ff=2 * args.d_model, max_tokens=16, text_model="tiny",
                tiny_hidden=args.d_model, clusters=8, text_clusters=8, lr=args.lr,
                lr_decay=0.98)
    base.update(values)
    return RetrievalOptions(**base)


def _train(name: str, options, store: Path, work: Path, args, epochs: int | None = None) -> Path:
    from avtool.tasks import train_task

    out = work / f"runs-{args.experts}" / name
    if (out / "best.pt").exists() and (out / "done").exists():
        return out
    t0 = time.perf_counter()
    train_task("retrieval", options, store, out, overwrite=True, quiet=True,
               epochs=epochs or args.epochs, batch_size=args.batch_size, seed=args.seed)
    (out / "done").write_text("")
    _log(f"{name}: trained in {time.perf_counter() - t0:.0f} s")
    return out


def train_runs(store: Path, work: Path, args) -> dict[str, Path]:
    corpus = work / "corpus"
    runs = {"CE": _train("ce", _options(args, corpus, model="ce"), store, work, args),
            "MMT": _train("mmt", _options(args, corpus), store, work, args)}
    for p in (1.0, 0.8):
        pre = _train(f"pretrain-p{p}", _options(
            args, corpus, captions="", pretrain_masking=p,
            train_split=str(corpus / "MSRVTT_train.7k.csv")), store, work, args,
                     epochs=args.pretrain_epochs)
        runs[f"MMT (pt p={p})"] = _train(f"mmt-pt-p{p}", _options(args, corpus, init=str(pre)),
                                         store, work, args)
    if args.minilm_epochs:
        runs["MMT (MiniLM fine-tuned)"] = _train(
            "mmt-minilm", _options(args, corpus, text_model="minilm", lr=args.lr,
                                   text_lr=5e-5), store, work, args, epochs=args.minilm_epochs)
    for expert in experts(args):
        name = expert.split(":")[0]
        runs[f"only {ROLE[name]}"] = _train(f"only-{name}",
                                            _options(args, corpus, experts=name), store, work,
                                            args)
    return runs


def seed_runs(store: Path, work: Path, args) -> dict[str, list[Path]]:
    """The three MMT rows of the pretraining table again with seeds 1 .. seeds-1."""
    corpus = work / "corpus"
    out: dict[str, list[Path]] = {}
    for seed in range(1, args.seeds):
        a = argparse.Namespace(**{**vars(args), "seed": seed})
        out.setdefault("MMT", []).append(_train(f"mmt-s{seed}", _options(a, corpus), store,
                                                work, a))
        for p in (1.0, 0.8):
            pre = _train(f"pretrain-p{p}-s{seed}", _options(
                a, corpus, captions="", pretrain_masking=p,
                train_split=str(corpus / "MSRVTT_train.7k.csv")), store, work, a,
                epochs=a.pretrain_epochs)
            out.setdefault(f"MMT (pt p={p})", []).append(
                _train(f"mmt-pt-p{p}-s{seed}", _options(a, corpus, init=str(pre)), store,
                       work, a))
    return out


def seeds_table(results: dict[str, dict], extra: dict[str, list[dict]]) -> tuple:
    """Mean ± std over seeds of the pretraining rows (seed 0 from `results`)."""
    def ms(values) -> str:
        return f"{np.mean(values):.1f} ± {np.std(values):.1f}"

    rows = []
    for name, more in extra.items():
        every = [results[name], *more]
        sp = [r["by_kind"].get("speech", {}) for r in every]
        rows.append([name, str(len(every)), ms([r["t2v"]["R@1"] for r in every]),
                     ms([r["t2v"]["R@5"] for r in every]), ms([x.get("R@5", 0) for x in sp]),
                     ms([x.get("R@10", 0) for x in sp]), ms([x.get("MdR", 0) for x in sp]),
                     f"{np.mean([r['weights'].get('speech', {}).get(SPEECH, 0) for r in every]):.2f}"])
    return ("Pretraining over seeds, t2v, mean ± std",
            ["method", "seeds", "all R@1", "all R@5", "speech-only R@5", "speech-only R@10",
             "speech-only MdR", "speech weight (speech captions)"], rows)


def test_queries(corpus: Path) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    """(test video ids, every test caption, its video's column, its kind)."""
    from avtool.synth.retrieval import read_truth

    plans = [p for p in read_truth(corpus / "truth.jsonl") if p["split"] == "test"]
    ids = [p["video_id"] for p in plans]
    captions, owner, kinds = [], [], []
    for j, p in enumerate(plans):
        for c in p["captions"]:
            captions.append(c["text"])
            owner.append(j)
            kinds.append(c["kind"])
    return ids, captions, np.array(owner), kinds


def score_run(run: Path, store: Path, corpus: Path) -> dict[str, Any]:
    from avtool.metrics.retrieval import retrieval_metrics
    from avtool.store import open_store
    from avtool.tasks.retrieval.embed import embed_videos, scores
    from avtool.tasks.retrieval.experts import read_videos
    from avtool.tasks.retrieval.retrieve import open_predictor

    predictor = open_predictor(run)
    ids, captions, owner, kinds = test_queries(corpus)
    videos = read_videos(open_store(store), ids, predictor.specs)
    psi, present = embed_videos(predictor.net, videos, predictor.specs)
    phi, w, _ = predictor.embed_captions(captions)
    sims = scores(phi, w, psi, present)
    result = retrieval_metrics(sims, owner)
    out = {"t2v": result.t2v.to_dict(), "v2t": result.v2t.to_dict(), "by_kind": {},
           "weights": {}}
    kinds_arr = np.array(kinds)
    for kind in sorted(set(kinds)):
        rows = kinds_arr == kind
        out["by_kind"][kind] = retrieval_metrics(sims[rows], owner[rows]).t2v.to_dict()
        out["weights"][kind] = dict(zip(predictor.experts, w[rows].mean(0).round(3).tolist(),
                                        strict=True))
    out["counts"] = {"videos": len(ids), "captions": len(captions)}
    out["kind_counts"] = {k: int((kinds_arr == k).sum()) for k in sorted(set(kinds))}
    return out


def markdown_table(head, rows) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def _cells(values, digits=1) -> list[str]:
    return ["-" if v is None else f"{v:.{digits}f}" for v in values]


def render(results: dict[str, dict], caption: str) -> tuple[str, list]:
    tables = []
    rows = []
    for name in ("CE", "MMT", "MMT (pt p=1.0)", "MMT (pt p=0.8)", "MMT (MiniLM fine-tuned)"):
        if name not in results:
            continue
        r = results[name]
        ours = [r["t2v"][m] for m in METRICS] + [r["v2t"][m] for m in METRICS]
        rows.append([f"{name} (ours, synthetic)", *_cells(ours)])
        if name in PAPER:
            rows.append([f"{name} (paper, MSR-VTT 1k-A)", *_cells(PAPER[name][0] + PAPER[name][1])])
    head = ["method", *(f"t2v {m}" for m in METRICS), *(f"v2t {m}" for m in METRICS)]
    tables.append(("Table 3.4 / 9.1 layout: text-video retrieval", head, rows))
    rows = []
    for name, r in results.items():
        if name.startswith("only ") or name in ("MMT", "CE"):
            rows.append([name, *_cells([r["t2v"][m] for m in METRICS])])
    tables.append(("Single experts (Fig. 3.4 / Table 9.5 style), t2v, MMT",
                   ["experts", *METRICS], rows))
    rows = []
    for name in ("MMT", "MMT (pt p=1.0)", "MMT (pt p=0.8)"):
        if name in results:
            r = results[name]
            sp = r["by_kind"].get("speech", {})
            rows.append([name, *_cells([r["t2v"][m] for m in ("R@1", "R@5", "R@10", "MdR")]),
                         *_cells([sp.get(m) for m in ("R@1", "R@5", "R@10", "MdR")])])
    tables.append(("Table 4.1/4.5 layout: modality-masking pretraining, t2v",
                   ["method", "all R@1", "all R@5", "all R@10", "all MdR",
                    "speech-only R@1", "speech-only R@5", "speech-only R@10",
                    "speech-only MdR"], rows))
    kinds = sorted({k for r in results.values() for k in r["by_kind"]})
    rows = [[name, *_cells([r["by_kind"].get(k, {}).get("R@5") for k in kinds])]
            for name, r in results.items()]
    counts = next(iter(results.values())).get("kind_counts", {})
    tables.append(("t2v R@5 by caption kind (what answers it: visual = picture, audio = sound, "
                   "mixed = both, speech = the words spoken, face, ocr = the written word)",
                   ["method", *(f"{k} ({counts.get(k, '?')})" for k in kinds)], rows))
    text = [f"# table-mmt\n\n{caption}\n"]
    for title, head, rows in tables:
        text.append(f"\n## {title}\n\n{markdown_table(head, rows)}\n")
    return "".join(text), tables


def orderings(results: dict[str, dict]) -> list[str]:
    def r5(name, kind=None):
        r = results[name]
        return (r["by_kind"][kind] if kind else r["t2v"])["R@5"]

    singles = {k: r5(k) for k in results if k.startswith("only ")}
    best = max(singles, key=singles.get)
    out = [f"MMT > CE (t2v R@5 {r5('MMT'):.1f} vs {r5('CE'):.1f}): "
           f"{'yes' if r5('MMT') > r5('CE') else 'NO'}",
           f"CE > best single expert ({best}, R@5 {singles[best]:.1f}): "
           f"{'yes' if r5('CE') > singles[best] else 'NO'}",
           f"MMT > best single expert: {'yes' if r5('MMT') > singles[best] else 'NO'}"]
    if "MMT (MiniLM fine-tuned)" in results:  # the thesis's MMT fine-tunes its BERT
        m = r5("MMT (MiniLM fine-tuned)")
        out.append(f"MMT with MiniLM fine-tuned > CE (t2v R@5 {m:.1f} vs {r5('CE'):.1f}): "
                   f"{'yes' if m > r5('CE') else 'NO'}")
    if "speech" in results["MMT"]["by_kind"]:
        a, b, c = (r5(n, "speech") for n in ("MMT", "MMT (pt p=1.0)", "MMT (pt p=0.8)"))
        out.append(f"speech-only captions, pt p=0.8 > scratch (R@5 {c:.1f} vs {a:.1f}): "
                   f"{'yes' if c > a else 'NO'}")
        out.append(f"speech-only captions, pt p=0.8 > pt p=1.0 (R@5 {c:.1f} vs {b:.1f}): "
                   f"{'yes' if c > b else 'NO'}")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("build/table-mmt"))
    ap.add_argument("--videos", type=int, default=240)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=80)
    ap.add_argument("--pretrain-epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--minilm-epochs", type=int, default=30,
                    help="epochs of the MMT row that fine-tunes all-MiniLM-L6-v2 (0: no row)")
    ap.add_argument("--text-share", type=float, default=0.25,
                    help="share of the videos showing a written word (the OCR expert's)")
    ap.add_argument("--experts", choices=tuple(EXPERT_SETS), default="trained",
                    help="audio/appearance/motion experts: the shipped trained networks, or "
                    "the weight-free llp_* descriptors")
    ap.add_argument("--seeds", type=int, default=1,
                    help="Seeds of the pretraining comparison (MMT, pt p=1.0, pt p=0.8); "
                    "the README's table used 3 (about 10 more minutes a seed under load).")
    args = ap.parse_args(argv)
    import torch

    # one thread: the models are small, and on a shared machine several threads spin-wait
    # (measured here: 0.7 s an epoch with one thread, 15-30 s with two under load)
    torch.set_num_threads(1)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    store = build_corpus(work, args)
    runs = train_runs(store, work, args)
    results = {name: score_run(run, store, work / "corpus") for name, run in runs.items()}
    extra = {name: [score_run(r, store, work / "corpus") for r in more]
             for name, more in seed_runs(store, work, args).items()}
    first = next(iter(results.values()))["counts"]
    caption = (f"Ours: synthetic corpus ({args.videos} videos of {args.seconds} s; test "
               f"{first['videos']} videos x {first['captions']} captions, all captions as "
               f"queries, v2t by the best caption), {args.epochs} epochs, d={args.d_model}, "
               f"caption encoder tiny (MiniLM row: {args.minilm_epochs} epochs), "
               f"{args.experts} experts{'' if ocr_available() else ' (no OCR: tesseract missing)'}, seed "
               f"{args.seed}. Papers: MSR-VTT 1k-A "
               "(1,000 videos, one caption each) with real experts: different data, compare "
               "orderings only. Ranks tie-averaged.")
    text, tables = render(results, caption)
    if extra:
        title, head, rows = seeds_table(results, extra)
        tables.append((title, head, rows))
        text += f"\n## {title}\n\n{markdown_table(head, rows)}\n"
    checks = orderings(results)
    text += "\n## Orderings\n\n" + "".join(f"- {c}\n" for c in checks)
    from avtool.console import print_table

    for title, head, rows in tables:
        print_table(rows, head, title=title)
    print("\n".join(checks))
    suffix = "" if args.experts == "trained" else f"-{args.experts}"
    (work / f"table-mmt{suffix}.md").write_text(text)
    (work / f"results{suffix}.json").write_text(json.dumps(
        {"results": results, "seeds": extra, "orderings": checks, "args": {k: str(v) for k, v in
                                                          vars(args).items()},
         "seconds": round(time.perf_counter() - t0, 1)}, indent=1))
    _log(f"done in {time.perf_counter() - t0:.0f} s; {work / f'table-mmt{suffix}.md'}")


if __name__ == "__main__":
    main()
