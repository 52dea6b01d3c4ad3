"""The student-teacher losses and their gradient routing (Hori et al. 2019, Eqs. 9-11):
L_ST never reaches the teacher, the teacher's CE never reaches the student, the context MSE
reaches both; a fixed teacher (st, st-mse) is bit-identical after training, a joint one
(jst) is not."""

from __future__ import annotations

import pytest
import torch

from avtool.tasks.dialog.batch import collate
from avtool.tasks.dialog.build import build_net
from avtool.tasks.dialog.losses import (
    StudentTeacher,
    combine,
    soft_target_ce,
    student_teacher_terms,
)
from tests.tasks.dialog.conftest import make_examples, tiny_config


def _pair(joint: bool) -> StudentTeacher:
    torch.manual_seed(0)
    return StudentTeacher(build_net(tiny_config()), build_net(tiny_config()), joint=joint)


def _grad_norms(model: StudentTeacher) -> tuple[float, float]:
    def norm(net) -> float:
        return float(sum(p.grad.norm() for p in net.parameters() if p.grad is not None))

    return norm(model.student), norm(model.teacher)


def test_jst_gradient_routing():
    model = _pair(joint=True).train()
    batch = collate(make_examples(6), with_description=True)
    norms = {}
    for term in ("st", "teacher_ce", "mse"):
        model.zero_grad(set_to_none=True)
        student_teacher_terms(model, batch)[term].backward()
        norms[term] = _grad_norms(model)
    assert norms["st"][0] > 0 and norms["st"][1] == 0  # soft targets: the student only
    assert norms["teacher_ce"][0] == 0 and norms["teacher_ce"][1] > 0  # hard CE: the teacher
    assert norms["mse"][0] > 0 and norms["mse"][1] > 0  # context MSE: both
    model.zero_grad(set_to_none=True)
    terms = student_teacher_terms(model, batch)
    combine(terms, "jst", 1.0).backward()
    assert all(n > 0 for n in _grad_norms(model))


def test_soft_targets_equal_cross_entropy_against_a_one_hot_teacher():
    logits = torch.randn(2, 3, 5)
    target = torch.tensor([[1, 4, 2], [3, 2, 0]])
    one_hot = torch.nn.functional.one_hot(target, 5).float() * 1e4
    expected = torch.nn.functional.cross_entropy(logits[target != 0], target[target != 0])
    assert soft_target_ce(logits, one_hot, target) == pytest.approx(float(expected), abs=1e-5)


@pytest.mark.parametrize("loss, joint", [("st", False), ("st-mse", False), ("jst", True)])
def test_fixed_teacher_is_untouched_and_joint_teacher_learns(loss, joint):
    model = _pair(joint=joint)
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    student_before = {k: v.clone() for k, v in model.student.state_dict().items()}
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    batch = collate(make_examples(6), with_description=True)
    model.train()
    assert model.teacher.training == joint and model.student.training
    for _ in range(2):
        optimizer.zero_grad()
        combine(student_teacher_terms(model, batch), loss, 1.0).backward()
        optimizer.step()
    after = model.teacher.state_dict()
    same = all(torch.equal(before[k], after[k]) for k in before)
    assert same != joint
    assert not all(torch.equal(student_before[k], v)
                   for k, v in model.student.state_dict().items())
