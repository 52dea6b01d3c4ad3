"""Benchmark: speaker-verification metrics and trial scoring at VoxCeleb1-E/H scale.

1. EER + minDCF (P_target 0.01 and 0.05) on 1,000,000 scores: avtool (one sort, cumulative
   counts) vs scikit-learn ``roc_curve`` + interpolated EER + minDCF from its rates (the thesis
   authors' / voxceleb_trainer's route), on the same scores. Target: well under 1 s.
2. Cosine scoring of 1,000,000 trials from 10,000 cached 512-d embeddings: avtool
   ``score_trials`` (chunked row-wise dot products) vs a naive per-trial Python loop timed on a
   20,000-trial subsample and extrapolated. Target: under 5 s.

Run: .venv/bin/python tests/benchmarks/bench_speaker_metrics.py
"""

from __future__ import annotations

import numpy as np

from avtool.metrics.verification import verification_metrics
from avtool.tasks.speaker.scoring import score_trials
from avtool.testing.timing import best_of

N_TRIALS = 1_000_000
N_EMB = 10_000
DIM = 512
N_NAIVE = 20_000




def _sklearn_metrics(scores, labels):
    from scipy.interpolate import interp1d
    from scipy.optimize import brentq
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(labels, scores, pos_label=1)
    eer = 100 * brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)
    fnr = 1 - tpr
    dcf = {p: float(np.min(p * fnr + (1 - p) * fpr) / min(p, 1 - p)) for p in (0.01, 0.05)}
    return eer, dcf


def main() -> None:
    rng = np.random.default_rng(0)
    labels = rng.random(N_TRIALS) < 0.5
    scores = rng.normal(size=N_TRIALS) + 3.6 * labels

    t_ours, ours = best_of(lambda: verification_metrics(scores, labels, p_targets=(0.01, 0.05)))
    t_ref, (ref_eer, ref_dcf) = best_of(lambda: _sklearn_metrics(scores, labels))

    emb = rng.normal(size=(N_EMB, DIM)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    a = rng.integers(0, N_EMB, N_TRIALS)
    b = rng.integers(0, N_EMB, N_TRIALS)
    t_score, cos = best_of(lambda: score_trials(a, b, emb), repeat=2)

    def naive():
        out = np.empty(N_NAIVE)
        for k in range(N_NAIVE):
            x, y = emb[a[k]], emb[b[k]]
            out[k] = float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y)))
        return out

    t_naive_sub, naive_scores = best_of(naive, repeat=1)
    t_naive = t_naive_sub * N_TRIALS / N_NAIVE
    agree = float(np.max(np.abs(naive_scores - cos[:N_NAIVE])))

    print(f"speaker metrics on {N_TRIALS:,} trials (best of runs, seconds)")
    print(f"{'task':44s} {'avtool':>8s} {'reference':>10s} {'speed-up':>9s}")
    print(f"{'EER + minDCF(0.01, 0.05) vs sklearn roc_curve':44s} {t_ours:8.3f} {t_ref:10.3f} "
          f"{t_ref / t_ours:8.1f}x")
    print(f"{'cosine scoring, 10k x 512-d, vs python loop*':44s} {t_score:8.3f} {t_naive:10.1f} "
          f"{t_naive / t_score:8.0f}x")
    print(f"  * loop timed on {N_NAIVE:,} trials ({t_naive_sub:.2f} s) and extrapolated")
    print(f"agreement: EER {ours.eer:.4f}% vs {ref_eer:.4f}% ; "
          + " ; ".join(f"minDCF@{p} {ours.min_dcf_at(p).min_dcf:.4f} vs {ref_dcf[p]:.4f}"
                       for p in (0.01, 0.05))
          + f" ; max |cosine diff| {agree:.1e}")
    print(f"targets: metrics < 1 s: {'yes' if t_ours < 1 else 'NO'}; "
          f"scoring < 5 s: {'yes' if t_score < 5 else 'NO'}")


if __name__ == "__main__":
    main()
