"""MALTA's training objective (paper §3.3): regression plus attention calibration.

* ``L_reg`` (Eq. 1): smooth-L1 (beta 1) of the normalised start and end, summed over the two;
  over the batch summed (ABLR's code, ``reduction="sum"``, default) or averaged (``"mean"``);
* ``L_cal`` (Eq. 2): ``-sum_j w_j log(a_m,j)`` with w the normalised ground-truth weights,
  summed over the modalities (``log(a_V a_A) = log a_V + log a_A``: each modality's step-3
  attention is calibrated on its own), averaged over the batch as ABLR does;
* ``L = lambda_reg L_reg + lambda_cal L_cal``: ABLR's 1 and 5 by default (the paper's
  "linear interpolation" gives no weight). The hard-attention skyline has no attention to
  calibrate: its loss is L_reg alone.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

EPS = 1e-12
REDUCTIONS = ("sum", "mean")


def regression_loss(pred: torch.Tensor, target: torch.Tensor, reduction: str = "sum"
                    ) -> torch.Tensor:
    per_item = F.smooth_l1_loss(pred, target, reduction="none", beta=1.0).sum(1)
    return per_item.sum() if reduction == "sum" else per_item.mean()


def calibration_loss(attention: dict[str, torch.Tensor], weights: torch.Tensor
                     ) -> torch.Tensor:
    if not attention:
        return weights.new_zeros(())
    log_sum = sum(torch.log(a + EPS) for a in attention.values())
    return -(weights * log_sum).sum(1).mean()


def malta_loss(pred, target, attention, weights, lambda_reg: float = 1.0,
               lambda_cal: float = 5.0, reduction: str = "sum"
               ) -> tuple[torch.Tensor, dict[str, float]]:
    reg = regression_loss(pred, target, reduction)
    cal = calibration_loss(attention, weights)
    return lambda_reg * reg + lambda_cal * cal, {"reg": float(reg.detach()),
                                                 "cal": float(cal.detach())}
