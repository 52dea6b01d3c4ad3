"""Speaker-verification metrics: EER, minDCF and the DET curve (pure numpy).

Conventions (the Nagrani thesis, Ch. 2, and the NIST SRE16/18 plans it cites):

* A trial has a score ``s`` (higher = more likely the same speaker) and a label ``y`` (1 target,
  0 non-target). At threshold ``θ`` a trial is *accepted* iff ``s >= θ``.
* ``P_miss(θ) = #{y=1, s<θ} / N_tar`` and ``P_fa(θ) = #{y=0, s>=θ} / N_non``.
* The *operating points* are ``θ = +inf`` (reject all: P_miss 1, P_fa 0) and every distinct score
  value, in descending order; the last one accepts everything (P_miss 0, P_fa 1). Tied scores are
  one operating point: they are accepted or rejected together, never split by input order.
* ``DCF(θ) = C_miss·P_miss(θ)·P_target + C_fa·P_fa(θ)·(1−P_target)``;
  ``minDCF = min_θ DCF(θ) / min(C_miss·P_target, C_fa·(1−P_target))``. The normaliser is the cost
  of the better trivial system, so ``0 <= minDCF <= 1`` (reject-all or accept-all attain 1).
  With the thesis parameters (P_target 0.01, C_miss = C_fa = 1) this is
  ``min_θ [P_miss + 99·P_fa]``; the VoxSRC / voxceleb_trainer default P_target 0.05 gives
  ``min_θ [P_miss + 19·P_fa]``.
* EER (in percent) needs a convention on finite trials; ``eer_mode`` picks one:

  - ``"roc"`` (default): where the ROC, drawn as straight lines between consecutive operating
    points, crosses ``P_miss = P_fa``. This is the thesis authors' released code
    (WeidiXie/VGG-Speaker-Recognition ``calculate_eer``: brentq on ``1 − x − interp(fpr, tpr)``),
    and ties give a diagonal segment, i.e. the expected EER under random tie-breaking.
  - ``"max"``: the operating point minimising ``|P_miss − P_fa|``; report ``max(P_miss, P_fa)``
    (clovaai/voxceleb_trainer ``tuneThresholdfromScore``).
  - ``"mean"``: the same operating point; report ``(P_miss + P_fa) / 2``.

  On the digest's toy vector (targets 0.9 0.8 0.4, non-targets 0.7 0.3 0.2 0.1) these give
  25.0 / 33.3 / 29.2 %; the differences vanish with many trials.

Edge cases (pinned by tests/metrics/test_verification.py):

* No target or no non-target trial: ``ValueError`` naming both counts (EER and minDCF are
  undefined). Scores must be finite and labels 0/1, else ``ValueError``.
* Perfect separation (every target above every non-target): EER 0, minDCF 0.
* Fully reversed scores: EER 100 %, minDCF 1.
* All scores tied: one operating point besides reject-all; EER 50 % (``roc``), 100 % (``max``),
  50 % (``mean``); minDCF 1.
* ``eer_threshold`` is the operating point with the smallest ``|P_miss − P_fa|`` (the highest
  such θ if several); ``min_dcf_threshold`` the highest θ attaining the minimum. Either may be
  ``+inf`` (reject all), which JSON renders as null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EER_MODES = ("roc", "max", "mean")
THESIS_P_TARGET = 0.01
"""P_target of the thesis ("minDCF at 0.01", NIST SRE16/18); VoxSRC uses 0.05."""


def p_target_key(p_target: float) -> str:
    """The string a P_target is keyed by in results: 0.01 -> "0.01"."""
    return format(float(p_target), "g")


@dataclass(frozen=True)
class DetCurve:
    """Operating points in descending threshold order (first: θ=+inf, reject all)."""

    thresholds: np.ndarray
    p_miss: np.ndarray
    p_fa: np.ndarray

    def __len__(self) -> int:
        return len(self.thresholds)


@dataclass(frozen=True)
class MinDcf:
    """minDCF for one P_target, with its costs and where it is attained."""

    p_target: float
    c_miss: float
    c_fa: float
    min_dcf: float
    threshold: float
    p_miss: float
    p_fa: float


@dataclass(frozen=True)
class VerificationResult:
    """Every number of one verification evaluation, with the parameters that produced it."""

    n_target: int
    n_nontarget: int
    eer: float
    """Equal error rate in percent."""
    eer_threshold: float
    eer_mode: str
    eer_p_miss: float
    eer_p_fa: float
    min_dcf: tuple[MinDcf, ...]
    trial_list_sha256: str | None = None

    def min_dcf_at(self, p_target: float) -> MinDcf:
        for item in self.min_dcf:
            if np.isclose(item.p_target, p_target):
                return item
        raise KeyError(f"no minDCF at P_target={p_target}; have {self.p_targets}")

    @property
    def p_targets(self) -> tuple[float, ...]:
        return tuple(item.p_target for item in self.min_dcf)

    def to_dict(self) -> dict:
        c_miss = sorted({item.c_miss for item in self.min_dcf})
        c_fa = sorted({item.c_fa for item in self.min_dcf})
        return {
            "eer": self.eer,
            "eer_mode": self.eer_mode,
            "eer_threshold": self.eer_threshold,
            "eer_p_miss": self.eer_p_miss,
            "eer_p_fa": self.eer_p_fa,
            "min_dcf": {p_target_key(d.p_target): d.min_dcf for d in self.min_dcf},
            "min_dcf_threshold": {p_target_key(d.p_target): d.threshold for d in self.min_dcf},
            "p_target": [d.p_target for d in self.min_dcf],
            "c_miss": c_miss[0] if len(c_miss) == 1 else c_miss,
            "c_fa": c_fa[0] if len(c_fa) == 1 else c_fa,
            "n_target": self.n_target,
            "n_nontarget": self.n_nontarget,
            "trial_list_sha256": self.trial_list_sha256,
        }


def _check(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    if scores.ndim != 1 or labels.shape != scores.shape:
        raise ValueError(
            f"scores and labels must be 1-D of equal length, got {scores.shape} and {labels.shape}"
        )
    if labels.dtype != bool:
        if not np.isin(labels, (0, 1)).all():
            raise ValueError("labels must be 0 (non-target) or 1 (target)")
        labels = labels.astype(bool)
    if not np.isfinite(scores).all():
        bad = int(np.flatnonzero(~np.isfinite(scores))[0])
        raise ValueError(f"scores must be finite; trial {bad} has {scores[bad]}")
    n_tar = int(labels.sum())
    n_non = labels.size - n_tar
    if n_tar == 0 or n_non == 0:
        raise ValueError(
            "verification metrics need at least one target and one non-target trial; "
            f"got {n_tar} target and {n_non} non-target trials"
        )
    return scores, labels


def _counts(scores: np.ndarray, labels: np.ndarray):
    """Sort once; cumulative accept counts at each operating point (θ = +inf first)."""
    order = np.argsort(scores, kind="stable")[::-1]
    s = scores[order]
    y = labels[order]
    # Last index of each group of tied scores: accepting θ = s[k] accepts everything up to it.
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    tp = np.cumsum(y, dtype=np.int64)[ends]
    fp = (ends + 1) - tp
    thresholds = np.r_[np.inf, s[ends]]
    tp = np.r_[0, tp]
    fp = np.r_[0, fp]
    return thresholds, tp, fp


def _rates(scores, labels):
    scores, labels = _check(scores, labels)
    thresholds, tp, fp = _counts(scores, labels)
    n_tar = int(tp[-1])
    n_non = int(fp[-1])
    p_miss = 1.0 - tp / n_tar
    p_fa = fp / n_non
    return thresholds, p_miss, p_fa, n_tar, n_non


def det_curve(scores, labels) -> DetCurve:
    """P_miss and P_fa at every operating point (see the module docstring)."""
    thresholds, p_miss, p_fa, _, _ = _rates(scores, labels)
    return DetCurve(thresholds=thresholds, p_miss=p_miss, p_fa=p_fa)


def _eer(p_miss: np.ndarray, p_fa: np.ndarray, mode: str) -> tuple[float, int]:
    """(EER as a fraction, index of the operating point closest to P_miss = P_fa)."""
    if mode not in EER_MODES:
        raise ValueError(f"unknown EER mode {mode!r}; choose one of {', '.join(EER_MODES)}")
    gap = np.abs(p_miss - p_fa)
    best = int(np.argmin(gap))
    if mode == "max":
        return float(max(p_miss[best], p_fa[best])), best
    if mode == "mean":
        return float((p_miss[best] + p_fa[best]) / 2), best
    # P_miss - P_fa falls from 1 (reject all) to -1 (accept all); find the crossing segment.
    diff = p_miss - p_fa
    k = int(np.argmax(diff <= 0))  # first point at or past the crossing; k >= 1
    d0, d1 = diff[k - 1], diff[k]
    t = d0 / (d0 - d1)
    value = p_fa[k - 1] + t * (p_fa[k] - p_fa[k - 1])
    return float(value), best


def _min_dcf(p_miss, p_fa, thresholds, p_target: float, c_miss: float, c_fa: float) -> MinDcf:
    if not 0.0 < p_target < 1.0:
        raise ValueError(f"P_target must be strictly between 0 and 1, got {p_target}")
    if c_miss <= 0 or c_fa <= 0:
        raise ValueError(f"costs must be positive, got C_miss={c_miss}, C_fa={c_fa}")
    dcf = c_miss * p_target * p_miss + c_fa * (1.0 - p_target) * p_fa
    c_default = min(c_miss * p_target, c_fa * (1.0 - p_target))
    k = int(np.argmin(dcf))
    return MinDcf(
        p_target=float(p_target), c_miss=float(c_miss), c_fa=float(c_fa),
        min_dcf=float(dcf[k] / c_default), threshold=float(thresholds[k]),
        p_miss=float(p_miss[k]), p_fa=float(p_fa[k]),
    )


def eer(scores, labels, mode: str = "roc") -> float:
    """Equal error rate in percent (see the module docstring for ``mode``)."""
    _, p_miss, p_fa, _, _ = _rates(scores, labels)
    return 100.0 * _eer(p_miss, p_fa, mode)[0]


def min_dcf(scores, labels, p_target: float = THESIS_P_TARGET, c_miss: float = 1.0,
            c_fa: float = 1.0) -> float:
    """Normalised minimum detection cost (see the module docstring)."""
    thresholds, p_miss, p_fa, _, _ = _rates(scores, labels)
    return _min_dcf(p_miss, p_fa, thresholds, p_target, c_miss, c_fa).min_dcf


def verification_metrics(
    scores,
    labels,
    *,
    p_targets=(THESIS_P_TARGET,),
    c_miss: float = 1.0,
    c_fa: float = 1.0,
    eer_mode: str = "roc",
    trial_list_sha256: str | None = None,
) -> VerificationResult:
    """EER and minDCF (one per P_target) from one sort of the scores.

    Args:
        scores: one score per trial, higher = same speaker (negate distances first).
        labels: 1 for a target (same-speaker) trial, 0 for a non-target trial.
        p_targets: prior(s) of a target trial; the thesis uses 0.01 (VoxSRC: 0.05).
        c_miss, c_fa: costs of a miss and of a false alarm (thesis: both 1).
        eer_mode: "roc" (default), "max" or "mean"; see the module docstring.
        trial_list_sha256: recorded in the result so a number names its trial list.

    Returns:
        A frozen VerificationResult; ``to_dict()`` gives ``{"eer": 25.0, "min_dcf":
        {"0.01": 0.333...}, ...}``.

    Raises:
        ValueError: no target or no non-target trial, non-finite scores, labels other than 0/1,
            P_target outside (0, 1), non-positive costs or an unknown EER mode.

    Example:
        >>> r = verification_metrics([0.9, 0.8, 0.4, 0.7, 0.3, 0.2, 0.1], [1, 1, 1, 0, 0, 0, 0])
        >>> round(r.eer, 1), round(r.min_dcf[0].min_dcf, 4)
        (25.0, 0.3333)
    """
    thresholds, p_miss, p_fa, n_tar, n_non = _rates(scores, labels)
    value, best = _eer(p_miss, p_fa, eer_mode)
    p_targets = tuple(p_targets)
    if not p_targets:
        raise ValueError("give at least one P_target")
    dcfs = tuple(_min_dcf(p_miss, p_fa, thresholds, p, c_miss, c_fa) for p in p_targets)
    return VerificationResult(
        n_target=n_tar, n_nontarget=n_non, eer=100.0 * value,
        eer_threshold=float(thresholds[best]), eer_mode=eer_mode,
        eer_p_miss=float(p_miss[best]), eer_p_fa=float(p_fa[best]),
        min_dcf=dcfs, trial_list_sha256=trial_list_sha256,
    )
