"""Training losses of the dialog task: cross entropy and the three student-teacher losses of
Hori et al. (Interspeech 2019, §4), with their gradient routing.

With P-hat the teacher's word distributions and g-hat its fused context vectors, both
teacher-forced on the same reference answer Y (so step i of one meets step i of the other;
the description lengthens only the teacher's question), and g the student's:

* ``ce``:     L = CE(P, Y), one network (reading a description or not);
* ``st``:     L_ST = -sum_i sum_y P-hat(y) log P(y)                         (Eq. 9)
* ``st-mse``: L'_ST = L_ST + lambda_c sum_i MSE(g_i, g-hat_i)                (Eq. 10)
* ``jst``:    L_JST = L_ST + CE(P-hat, Y) + lambda_c sum_i MSE(g_i, g-hat_i)  (Eq. 11)

Routing (`StudentTeacher`): with ``st`` and ``st-mse`` the teacher is fixed (no gradient,
evaluation mode, so its soft targets are deterministic). With ``jst`` both learn, but the
teacher's distribution enters L_ST as a constant (detached): L_ST trains the student only,
the teacher's CE trains the teacher only, and the MSE term pulls both context vectors
together. Every term is averaged over the answer tokens of the batch (the paper sums over
positions per answer: the same up to the learning rate and the weight of lambda_c).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from avtool.tasks.dialog.vocab import PAD

ST_LOSSES = ("st", "st-mse", "jst")


def token_mask(target: torch.Tensor) -> torch.Tensor:
    return target != PAD


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of the target words (padding ignored)."""
    return F.cross_entropy(logits.flatten(0, 1).float(), target.flatten(), ignore_index=PAD)


def soft_target_ce(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                   target: torch.Tensor) -> torch.Tensor:
    """Eq. 9 per token: the teacher's distribution is a constant (never gets a gradient)."""
    soft = torch.softmax(teacher_logits.float(), dim=-1).detach()
    per_token = -(soft * torch.log_softmax(student_logits.float(), dim=-1)).sum(dim=-1)
    mask = token_mask(target)
    return per_token[mask].mean()


def context_mse(student_g: torch.Tensor, teacher_g: torch.Tensor, target: torch.Tensor
                ) -> torch.Tensor:
    """Mean over answer tokens of MSE(g_i, g-hat_i); reaches both networks."""
    per_token = ((student_g.float() - teacher_g.float()) ** 2).mean(dim=-1)
    return per_token[token_mask(target)].mean()


def token_accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    mask = token_mask(target)
    return float((logits.detach().argmax(dim=-1)[mask] == target[mask]).float().mean())


class StudentTeacher(nn.Module):
    """A student (no description) and a teacher (description + question) trained together.

    `joint` False (``st``, ``st-mse``): the teacher is frozen (``requires_grad`` off) and stays
    in evaluation mode whatever `train()` says; True (``jst``): both are trained.
    """

    def __init__(self, student: nn.Module, teacher: nn.Module, joint: bool) -> None:
        super().__init__()
        self.student, self.teacher, self.joint = student, teacher, joint
        if not joint:
            self.teacher.requires_grad_(False)

    def train(self, mode: bool = True) -> StudentTeacher:
        super().train(mode)
        if not self.joint:
            self.teacher.eval()
        return self

    def forward(self, batch):
        """((student logits, g), (teacher logits, g-hat)), both teacher-forced on the answer."""
        student = self.student(batch)
        if self.joint:
            teacher = self.teacher(batch.reading_description())
        else:
            with torch.no_grad():
                teacher = self.teacher(batch.reading_description())
        return student, teacher


def student_teacher_terms(model: StudentTeacher, batch) -> dict[str, torch.Tensor]:
    """Every term of Eqs. 9-11 for one batch (unweighted)."""
    (s_logits, s_g), (t_logits, t_g) = model(batch)
    target = batch.target
    return {"st": soft_target_ce(s_logits, t_logits, target),
            "mse": context_mse(s_g, t_g, target),
            "teacher_ce": cross_entropy(t_logits, target),
            "student_ce": cross_entropy(s_logits, target).detach(),
            "acc": torch.tensor(token_accuracy(s_logits, target))}


def combine(terms: dict[str, torch.Tensor], loss: str, lambda_c: float) -> torch.Tensor:
    """Eq. 9, 10 or 11 from the terms of `student_teacher_terms`."""
    if loss == "st":
        return terms["st"]
    if loss == "st-mse":
        return terms["st"] + lambda_c * terms["mse"]
    if loss == "jst":
        return terms["st"] + terms["teacher_ce"] + lambda_c * terms["mse"]
    raise ValueError(f"not a student-teacher loss: {loss!r}")
