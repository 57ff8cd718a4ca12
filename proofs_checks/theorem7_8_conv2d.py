"""Theorems 7 and 8 for one hidden ``Conv2d`` layer + ``Linear`` (no bias, linear): exact (docs/theory.md §9.2).

``k = C k_1 k_2`` (patch size), ``d_1 = P_1 P_2`` (output positions), ``q = min(m, k)``:

* ``rank H_O = min(K r, q(K d_1 + k − q))`` (:func:`symhess.theory.sequential_bounds.conv_theorem7_terms`);
* ``rank H_F = 2m min(k, s d_1)`` (:func:`symhess.theory.sequential_bounds.conv_theorem8_terms`).

Claimed exact (attained generically) for stride 1 and no padding: the generic rank (maximum certified
exact rank over the seeds, draws with ``r < min(n, d_0)`` or ``s < min(K, r)`` dropped) must equal the
formula, else the result is ``violated``. With stride or zero padding both are upper bounds (as in 1D,
§5.1): those instances are checked as bounds on every draw (``holds`` is not a failure there).
The sweep covers both terms of both theorems binding, ``m ≤ k`` and ``m > k``, several channels and
non-square inputs and kernels.
"""

from __future__ import annotations

from symhess.nets.layers import Dense, Flatten, conv2d
from symhess.nets.sequential import SequentialArchitecture
from symhess.theory.sequential_bounds import conv_theorem7_terms, conv_theorem8_terms

from ._sequential import StackInstance, compare_draws, draws
from .framework import Claim, exact_verdicts

NAME = "Theorems 7/8 for Conv2d (one hidden layer, exact)"


def arch(C: int, spatial: tuple[int, int], m: int, kernel: tuple[int, int], K: int,
         stride: tuple[int, int] = (1, 1), padding: tuple[int, int] = (0, 0)) -> SequentialArchitecture:
    return SequentialArchitecture((C,) + spatial, (conv2d(m, kernel, stride, padding), Flatten(), Dense(K)))


def plain(arch_: SequentialArchitecture) -> bool:
    conv = arch_.layers[0].layer
    return set(conv.stride) == {1} and set(conv.padding) == {0}


def instance(a: SequentialArchitecture, seeds=(0, 1, 2)) -> StackInstance:
    return StackInstance(a, a.input_dim + a.outputs + 1, tuple(seeds))


# (C, spatial, m, kernel, K): which term binds is noted (T7 / T8)
DEFAULT = [
    arch(1, (4, 4), 1, (2, 2), 3),   # T7 q(Kd_1+k-q) = 30 < Kr; T8 2mk
    arch(2, (3, 3), 2, (3, 3), 1),   # T7 Kr; T8 2m s d_1 = 4
    arch(1, (4, 5), 3, (2, 3), 2),   # T7 Kr; T8 2mk, non-square
    arch(2, (3, 4), 2, (2, 2), 2),   # T7 q(...) = 36 < Kr = 48
    arch(1, (5, 4), 5, (2, 2), 2),   # m > k
    arch(1, (5, 5), 2, (3, 3), 2, (2, 2), (1, 1)),   # strided, padded: bounds only
]
FULL = DEFAULT + [
    arch(1, (4, 4), 2, (2, 2), 2), arch(1, (3, 5), 2, (3, 2), 2), arch(2, (3, 3), 3, (2, 3), 2),
    arch(1, (4, 4), 1, (3, 3), 3), arch(2, (3, 3), 3, (2, 1), 1), arch(1, (5, 3), 4, (1, 2), 3),
    arch(3, (3, 3), 2, (2, 2), 2), arch(1, (6, 4), 3, (3, 2), 1), arch(2, (4, 3), 1, (2, 2), 4),
    arch(1, (4, 6), 2, (2, 3), 2, (1, 2), (0, 1)), arch(2, (4, 4), 2, (2, 2), 2, (2, 2), (0, 0)),
    arch(1, (5, 5), 3, (2, 2), 2, (1, 1), (1, 1)),
]


def instances(full: bool) -> list[StackInstance]:
    return [instance(a) for a in (FULL if full else DEFAULT)]


def check(inst: StackInstance):
    exact = plain(inst.arch)
    ds = draws(inst, generic_residuals=exact)
    out = [compare_draws(NAME, inst, "H_O = min(Kr, q(Kd_1+k-q))" if exact else "H_O <= min(Kr, q(Kd_1+k-q))",
                         ds, "outer", lambda d: conv_theorem7_terms(inst.arch, d.ranks).value, generic=exact),
           compare_draws(NAME, inst, "H_F = 2m min(k, s d_1)" if exact else "H_F <= 2m min(k, s d_1)",
                         ds, "functional", lambda d: conv_theorem8_terms(inst.arch, d.ranks).value, generic=exact)]
    return exact_verdicts(out) if exact else out


CLAIM = Claim(NAME, "one hidden Conv2d (k = C k1 k2, d_1 = P1 P2 positions) + Linear, linear, no bias: "
              "rank H_O = min(Kr, q(K d_1 + k - q)), q = min(m, k); rank H_F = 2m min(k, s d_1); exact for "
              "stride 1, no padding; upper bounds with stride/padding",
              check, instances, tags=("theorem", "rank", "2d"))
