"""`make table-avsd`: Tables 2 and 3 of Hori et al. (Interspeech 2019) on synthetic AVSD data.

Run::

    python -m avtool.tasks.dialog.table --workdir build/table-avsd

Steps (each reuses what an earlier run left in the work directory):

1. A synthetic AVSD corpus: ``avtool synth dialogs`` (mp4 videos of sprites, sounds and
   voices with ten-turn dialogs, captions and summaries), then the CPU stand-ins of the
   paper's features with the ``extract-features`` library route: ``llp_frame`` for I3D rgb,
   ``llp_motion`` for I3D flow, ``llp_audio`` for VGGish. ``--corpus features`` instead
   draws the three streams from the corpus plan (no media; seconds).
2. Six ``avtool train dialog`` runs at small sizes: the DSTC7 baseline (rgb + flow streams,
   as its ``run_i3d.sh``), the multimodal-attention network reading the summary before every
   question (the teacher), the same without description, and three students of that
   teacher: L_ST, L'_ST and L_JST. The same epochs, batch and learning rate for every run;
   the best epoch by validation perplexity.
3. Answers by beam search (beam 5, insertion bonus 1.0, 30 words) for the trial set (every
   turn of ``test_set.json``, one reference: Table 2) and the official test (the last turn of
   ``test_set4DSTC7-AVSD.json`` against 2-6 references: Table 3), scored as the DSTC7
   scripts do (`avtool.tasks.dialog.evaluate`: the DSTC7 stop-word filter, coco-caption's
   BLEU-1..4, METEOR 1.5 when java is present, ROUGE-L, CIDEr-D). "man. / —" is the
   teacher answering without the summary.
4. Both tables in the paper's layout, each cell "ours / paper" (ours on synthetic data, the
   paper's on AVSD: different data, compared for the orderings only), the paper's orderings
   checked on our numbers, and, per question type, how often an answer is one of the
   reference paraphrases (what each model learnt to see or hear).

Also written: ``WORKDIR/table-avsd.md`` and ``WORKDIR/results.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from avtool.synth.dialogs import FILES, SynthDialogsConfig

METRICS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr")
HEADERS = ("BLEU1", "BLEU2", "BLEU3", "BLEU4", "METEOR", "ROUGE-L", "CIDEr")
FEATURES = ("llp_frame:segments={s},fps=2", "llp_motion:segments={s}", "llp_audio:segments={s}")
# row -> (run, description read at test, train descr., test descr.)
ROWS = {
    "AVSD baseline [5]": ("baseline", "model", "—", "—"),
    "Our system man./man.": ("teacher", "model", "man.", "man."),
    "Our system man./—": ("teacher", "none", "man.", "—"),
    "Our system —/—": ("student", "model", "—", "—"),
    "Student-teacher L_ST": ("st", "model", "man.", "—"),
    "Student-teacher L'_ST": ("st-mse", "model", "man.", "—"),
    "Student-teacher L_JST": ("jst", "model", "man.", "—"),
}
PAPER = {  # Hori et al. 2019, Table 2 (trial, 1 reference) and Table 3 (test, 6 references)
    "trial": {
        "AVSD baseline [5]": (0.273, 0.173, 0.118, 0.084, 0.117, 0.291, 0.766),
        "Our system man./man.": (0.311, 0.214, 0.156, 0.117, 0.150, 0.345, 1.234),
        "Our system man./—": (0.272, 0.186, 0.135, 0.102, 0.132, 0.325, 1.105),
        "Our system —/—": (0.283, 0.192, 0.139, 0.105, 0.135, 0.327, 1.119),
        "Student-teacher L_ST": (0.313, 0.212, 0.152, 0.113, 0.143, 0.334, 1.138),
        "Student-teacher L'_ST": (0.314, 0.212, 0.152, 0.113, 0.143, 0.334, 1.139),
        "Student-teacher L_JST": (0.314, 0.213, 0.153, 0.115, 0.144, 0.335, 1.148),
    },
    "test": {
        "AVSD baseline [5]": (0.621, 0.480, 0.379, 0.305, 0.217, 0.481, 0.733),
        "Our system man./man.": (0.727, 0.593, 0.488, 0.405, 0.273, 0.566, 1.118),
        "Our system —/—": (0.675, 0.543, 0.446, 0.371, 0.248, 0.527, 0.966),
        "Student-teacher L_ST": (0.686, 0.556, 0.457, 0.380, 0.254, 0.535, 0.995),
        "Student-teacher L_JST": (0.686, 0.557, 0.458, 0.382, 0.254, 0.537, 1.005),
    },
}
STUDENTS = ("Student-teacher L_ST", "Student-teacher L'_ST", "Student-teacher L_JST")


def _log(message: str) -> None:
    from avtool.console import stderr

    stderr.print(f"[table-avsd] {message}", highlight=False)


def build_corpus(work: Path, args) -> tuple[Path, Path, SynthDialogsConfig]:
    """-> (store, corpus folder, its config); reuses earlier work."""
    corpus = work / "corpus"
    cfg = SynthDialogsConfig(videos=args.videos, seed=args.seed)
    if args.corpus == "features":
        from avtool.tasks.dialog.synth_features import write_feature_corpus

        return write_feature_corpus(corpus, videos=args.videos, seed=args.seed), corpus, cfg
    from avtool.features.pipeline import extract_to_store, read_manifest
    from avtool.synth.dialogs import synth_dialogs

    t0 = time.perf_counter()
    report = synth_dialogs(corpus, cfg, workers=args.workers)
    _log(f"corpus: {report.videos} videos {report.splits} in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    store = work / "features.h5"
    specs = [f.format(s=cfg.seconds) for f in FEATURES]
    ext = extract_to_store(read_manifest(corpus / "videos.csv"), store, specs,
                           workers=args.workers)
    if ext.failed:
        raise RuntimeError(f"feature extraction failed for {len(ext.failed)} video(s): "
                           f"{ext.failed[0]}")
    _log(f"features: {ext.extracted} new, {ext.skipped} reused, "
         f"{time.perf_counter() - t0:.0f} s")
    return store, corpus, cfg


def _options(args, corpus: Path, **values: Any):
    from avtool.tasks.dialog.options import DialogOptions

    s = args.size
    base = dict(dialogs=str(corpus / FILES["train"]), val_dialogs=str(corpus / FILES["val"]),
                embedding=s, hidden=s, projections=args.projections, attention=s, fusion=2 * s,
                decoder=2 * s, decoder_layers=1, dropout=args.dropout, min_count=args.min_count,
                lr=args.lr, decoder_init=args.decoder_init)
    return DialogOptions(**{**base, **values})


def train_runs(store: Path, corpus: Path, args) -> dict[str, dict[str, Any]]:
    """The six runs (reused when finished); -> {run: {"path", "seconds", "best"}}."""
    from avtool.tasks import train_task
    from avtool.train import load_checkpoint

    runs_dir = args.workdir / "runs"
    tag = (f"s{args.size}-p{args.projections.replace(',', '.')}-e{args.epochs}-b{args.batch_size}"
           f"-lr{args.lr:g}-d{args.dropout:g}-{args.decoder_init}-seed{args.seed}")
    teacher = runs_dir / f"teacher-{args.description}-{tag}"
    plans = {
        "baseline": _options(args, corpus, model="dstc7-baseline",  # rgb + flow, run_i3d.sh
                             projections=",".join(args.projections.split(",")[:2])),
        "teacher": _options(args, corpus, description=args.description),
        "student": _options(args, corpus),
        "st": _options(args, corpus, loss="st", teacher=str(teacher)),
        "st-mse": _options(args, corpus, loss="st-mse", teacher=str(teacher),
                           lambda_c=args.lambda_c),
        "jst": _options(args, corpus, loss="jst", teacher=str(teacher), lambda_c=args.lambda_c),
    }
    out = {}
    for name, options in plans.items():
        suffix = (f"-{args.description}-lc{args.lambda_c:g}" if name in ("st", "st-mse", "jst")
                  else "")
        run = teacher if name == "teacher" else runs_dir / f"{name}{suffix}-{tag}"
        last = run / "last.pt"
        done = last.exists() and load_checkpoint(last)["epoch"] >= args.epochs
        t0 = time.perf_counter()
        if not done:
            train_task("dialog", options, store, run, resume=last.exists(), quiet=True,
                       epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                       device=args.device, grad_clip=args.grad_clip)
        seconds = None if done else round(time.perf_counter() - t0, 1)
        best = load_checkpoint(run)["best"] or {}
        _log(f"{name}: best epoch {best.get('epoch')} (val perplexity "
             f"{best.get('value') or float('nan'):.3f})"
             + ("" if done else f", trained in {seconds:.0f} s"))
        out[name] = {"path": str(run), "seconds": seconds, "best": best}
    return out


def score_rows(runs: dict[str, dict[str, Any]], store: Path, corpus: Path, args
               ) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, Any]]:
    """Both tables' scores per row, and each row's trial answers (for the per-type table)."""
    from avtool.tasks import load_model
    from avtool.tasks.dialog.evaluate import evaluate_caption_files
    from avtool.tasks.dialog.predictor import DialogInputs

    answers_dir = args.workdir / "answers"
    scores: dict[str, dict[str, dict[str, float]]] = {"trial": {}, "test": {}}
    trial_answers = {}
    sets = {"trial": (FILES["trial"], corpus / FILES["trial"], False, "both"),
            "test": (FILES["test"], corpus / FILES["multiref"], True, "hyp")}
    for row, (run, reads, _, _) in ROWS.items():
        answerer = load_model(runs[run]["path"], "cpu" if args.device == "auto" else args.device)
        for table, (dialogs, refs, last_only, stop_on) in sets.items():
            if row not in PAPER[table] and table == "test" and not args.all_rows:
                continue
            result = answerer.predict(DialogInputs(corpus / dialogs, store, last_only),
                                      description=reads)
            if table == "trial":
                trial_answers[row] = result.answers
            path = answerer.write(result, answers_dir / f"{table}-{run}-{reads}.json")
            evaluation = evaluate_caption_files(path, refs, last_only=last_only,
                                                stopwords="dstc7", stopwords_on=stop_on,
                                                meteor=args.meteor)
            out = evaluation.to_dict()
            scores[table][row] = {m: out[m] for m in METRICS}
    return scores, trial_answers


def per_type_accuracy(answers: dict[str, Any], cfg: SynthDialogsConfig) -> dict[str, float]:
    """Share of answers that are one of the reference paraphrases, per question type."""
    from avtool.synth.dialogs import make_dialogs, plan_videos

    plans = plan_videos(cfg)
    truths = {p.video_id: t for p, t in zip(plans, make_dialogs(plans, cfg), strict=True)}
    hits: dict[str, list[bool]] = {}
    for a in answers.values():
        truth = truths[a.video_id]
        hits.setdefault(truth.types[a.turn], []).append(a.answer in truth.references[a.turn])
    return {k: sum(v) / len(v) for k, v in sorted(hits.items())}


def orderings(scores: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """The paper's orderings, checked on BLEU-4 and CIDEr of our numbers."""
    lines = []
    for table, name in (("trial", "Table 2"), ("test", "Table 3")):
        s = scores[table]
        for metric in ("BLEU-4", "CIDEr"):
            teacher, none = s["Our system man./man."][metric], s["Our system —/—"][metric]
            gap = teacher - none
            verdict = "holds" if gap > 0 else "does NOT hold"
            lines.append(f"{name} {metric}: teacher man./man. {teacher:.3f} vs no description "
                         f"{none:.3f}: the ordering {verdict}")
            for row in STUDENTS:
                if row not in s:
                    continue
                value = s[row][metric]
                closed = (value - none) / gap if gap > 0 else float("nan")
                lines.append(f"    {row}: {value:.3f} ({value - none:+.3f} over —/—"
                             + (f", {closed:.0%} of the gap closed)" if gap > 0 else ")"))
    return lines


def render(scores, per_type, caption: str) -> tuple[str, list[tuple[str, list[list[str]]]]]:
    """Markdown of both tables and the per-type table, and the rows for rich."""
    md, tables = [], []
    for table, title in (("trial", "Table 2: trial set, every turn, one reference"),
                         ("test", "Table 3: official test, last turn, 2-6 references")):
        rows = []
        for row, (_, _, train, test) in ROWS.items():
            if row not in scores[table]:
                continue
            ours, paper = scores[table][row], PAPER[table].get(row)
            cells = [("n/a" if ours[m] is None else f"{ours[m]:.3f}")
                     + f" / {paper[i]:.3f}" if paper else
                     ("n/a" if ours[m] is None else f"{ours[m]:.3f}") + " / —"
                     for i, m in enumerate(METRICS)]
            rows.append([row, train, test, *cells])
        tables.append((title, rows))
        md.append(f"**{title}**: each cell ours (synthetic) / paper (AVSD)\n")
        md.append("| System | Descr. train | Descr. test | " + " | ".join(HEADERS) + " |")
        md.append("| --- | --- | --- |" + " ---: |" * len(HEADERS))
        md += ["| " + " | ".join(r) + " |" for r in rows]
        md.append("")
    kinds = sorted({k for v in per_type.values() for k in v})
    rows = [[row, *(f"{per_type[row].get(k, float('nan')):.2f}" for k in kinds)]
            for row in per_type]
    tables.append(("Answers that are a reference paraphrase, per question type (trial set)",
                   rows))
    md.append("**Answers that are a reference paraphrase, per question type (trial set)**\n")
    md.append("| System | " + " | ".join(kinds) + " |")
    md.append("| --- |" + " ---: |" * len(kinds))
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md.append("")
    md.append(caption)
    return "\n".join(md) + "\n", tables + [("kinds", [list(kinds)])]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("build/table-avsd"))
    ap.add_argument("--corpus", choices=("media", "features"), default="media",
                    help="media: avtool synth dialogs + llp_* features (default); features: "
                    "streams drawn from the corpus plan (fast)")
    ap.add_argument("--videos", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3,
                    help="Adam learning rate (paper setting 1e-3; 3e-3 for the small budget)")
    ap.add_argument("--grad-clip", type=float, default=5.0)
    ap.add_argument("--size", type=int, default=32,
                    help="embedding, LSTM and attention width (fusion and decoder: twice)")
    ap.add_argument("--projections", default="64,64,32")
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--min-count", type=int, default=4)
    ap.add_argument("--decoder-init", default="zero", choices=("zero", "question"))
    ap.add_argument("--description", default="summary", choices=("caption", "summary"))
    ap.add_argument("--lambda-c", type=float, default=1.0)
    ap.add_argument("--meteor", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--all-rows", action="store_true",
                    help="also score man./— and L'_ST on the official test (not in Table 3)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args(argv)
    import torch

    from avtool.console import print_table

    torch.set_num_threads(1)  # tiny networks: one thread is fastest, and fair on a shared box
    t_start = time.perf_counter()
    args.workdir.mkdir(parents=True, exist_ok=True)
    store, corpus, cfg = build_corpus(args.workdir, args)
    runs = train_runs(store, corpus, args)
    scores, trial_answers = score_rows(runs, store, corpus, args)
    per_type = {row: per_type_accuracy(a, cfg) for row, a in trial_answers.items()}
    wall = time.perf_counter() - t_start
    checks = orderings(scores)
    corpus_desc = ("avtool synth dialogs videos + llp_frame/llp_motion/llp_audio features "
                   "(stand-ins for I3D rgb/flow and VGGish)" if args.corpus == "media"
                   else "streams drawn from the synth dialogs plan")
    trained = sum(r["seconds"] or 0 for r in runs.values())
    caption = (f"Ours: {cfg.videos} synthetic videos ({corpus_desc}), seed {args.seed}; "
               f"multimodal-attention and DSTC7 baseline at width {args.size} (projections "
               f"{args.projections}), {args.epochs} epochs, batch {args.batch_size}, Adam "
               f"{args.lr:g}, gradient clipping {args.grad_clip:g}, dropout {args.dropout:g}, "
               f"decoder init {args.decoder_init}, teacher description: {args.description}, "
               f"lambda_c {args.lambda_c:g}; beam 5, insertion bonus 1.0; DSTC7 stop-word "
               f"filter, PTB tokenisation; METEOR "
               f"{'1.5 jar' if args.meteor else 'off'}. Paper: AVSD (Charades), I3D + VGGish, "
               "full sizes. Different data: compare orderings, not values. Wall time "
               f"{wall / 60:.1f} min (training {trained / 60:.1f} min).")
    md, tables = render(scores, per_type, caption)
    md += "\n**The paper's orderings on our numbers**\n\n" + "\n".join(
        f"    {c}" for c in checks) + "\n"
    (args.workdir / "table-avsd.md").write_text(md)
    (args.workdir / "results.json").write_text(json.dumps(
        {"scores": scores, "paper": PAPER, "per_type": per_type, "runs": runs,
         "orderings": checks, "args": {k: str(v) for k, v in vars(args).items()},
         "wall_seconds": round(wall, 1)}, indent=2))
    kinds = tables.pop()[1][0]
    for title, rows in tables[:2]:
        print_table(rows, ["System", "train", "test", *HEADERS], title=title + ": ours / paper")
    print_table(tables[2][1], ["System", *kinds], title=tables[2][0])
    print(caption)
    print("\n".join(checks))


if __name__ == "__main__":
    main()
