"""Kinks of any layer stack: a constructed max-pool tie is refused, a tie between equal functions is not.

The pooling sweeps draw weights far from kinks, so a kink detector that never fires would change
no verdict there. This claim constructs the cases on ``Conv1d(1, 1, k=2) – MaxPool1d(2) – Flatten –
Linear(1)`` with filter ``(1, 1)`` and dense weight ``1`` (so the two pooled units are
``w_0 x_0 + w_1 x_1`` and ``w_0 x_1 + w_1 x_2``):

* ``x = (1, 2, 1)``: both units are ``3`` but different functions of ``θ`` (``w_0 + 2w_1`` and
  ``2w_0 + w_1``): a kink; the rational route and the integer assembly must refuse it;
* ``x = (2, 2, 2)``: both units are ``2w_0 + 2w_1``, the same function: a harmless tie, accepted,
  and both routes give the same Hessians as sympy differentiation with either choice;
* ``x = (1, 2, 2)``: no tie.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from symhess.hessian.sequential import sequential_hessians
from symhess.hessian.sequential_assembly import assemble_sequential
from symhess.hessian.sequential_sympy import sympy_hessians
from symhess.linalg.matrices import to_sympy_matrix
from symhess.nets.data import Dataset
from symhess.nets.layers import Dense, Flatten, MaxPool, conv1d
from symhess.nets.layers.base import KinkError
from symhess.nets.sequential import SequentialArchitecture, SequentialNetwork

from .framework import CheckResult, Claim, compare_exact

NAME = "Layer-stack kinks: a max-pool tie of different functions refused, of equal functions accepted"
KINK, EQUAL, SMOOTH = (1, 2, 1), (2, 2, 2), (1, 2, 2)


def maxpool_instance(x: tuple[int, int, int]) -> tuple[SequentialNetwork, Dataset]:
    """The constructed network and one sample ``x`` (target 0)."""
    arch = SequentialArchitecture((1, 3), (conv1d(1, 2), MaxPool((2,)), Flatten(), Dense(1)))
    net = SequentialNetwork(arch, ((np.array([[[Fraction(1), Fraction(1)]]], dtype=object), None),
                                   (np.array([[Fraction(1)]], dtype=object), None)))
    return net, Dataset(np.array([[Fraction(v) for v in x]], dtype=object), np.array([[Fraction(0)]], dtype=object))


def _refused(route, net, data) -> bool:
    try:
        route(net, data)
    except KinkError:
        return True
    return False


def check(_: str) -> list[CheckResult]:
    out = []
    for x, kink in ((KINK, True), (EQUAL, False), (SMOOTH, False)):
        net, data = maxpool_instance(x)
        label = f"x = {x}"
        for name, route in (("rational route", sequential_hessians), ("integer assembly", assemble_sequential)):
            out.append(compare_exact(NAME, label, kink, _refused(route, net, data), f"{name} refuses (kink expected)"))
        if not kink:
            H, S = sequential_hessians(net, data), sympy_hessians(net, data)
            same = to_sympy_matrix(H.loss) == S.loss
            out.append(compare_exact(NAME, label, True, same, "H_L equals sympy's differentiation"))
    return out


def instances(full: bool) -> list[str]:
    return ["constructed"]


CLAIM = Claim(NAME, "the exact layer-stack routes refuse a max-pool tie between different functions of theta, "
              "accept a tie between equal functions (with sympy's Hessian), and accept untied windows",
              check, instances, tags=("beyond", "kinks"))
