"""Biases: how they enter the Hessians, and the bounds with biases (docs/theory.md §9.4).

Checked on every draw (certified exact ranks):

* **structure** (identity): in ``H_F`` a bias ``b_l`` couples only with the *weights* of later layers:
  the entries ``H_F[b_l, b_m]`` (any ``l, m``), ``H_F[b_l, W^m]`` for ``m ≤ l`` vanish, so the last
  layer's bias has a zero row and column (observed: the number of such non-zero entries, expected 0);
* one hidden ``Conv`` with biases, linear: Theorem 7 ``min(K r₁, q(Kd_1 + k − q) + K_b, q'(Kd_1 + k' − q') + K_c)``
  and Theorem 8 ``2m min(k', s₁ d_1)`` with ``k' = k + 1`` (:mod:`symhess.theory.sequential_bounds`);
* **homogeneous coordinates** (identity): the bias net is the bias-free net with a constant channel in the
  input and in every hidden layer composed with an affine injection ``ι(θ) = Eθ + c``
  (:func:`symhess.theory.sequential_bounds.augmented_network`), so ``H = Eᵀ H_aug E`` exactly (observed:
  differing entries; stacks without MaxPool, whose constant windows tie);
* the homogeneous-coordinates bound ``min(p, bound of the augmented bias-free net)`` (``r → r₁ = rank [X, 1]``,
  ``q → min(m + 1, (C + 1) k_1 k_2)``) where every conv has a constant tap, and the generic bounds
  (``min(nK, p − σ, K r₁, Toeplitzed FCN)``, ``2 rank N``) on deeper stacks, with ReLU too.

Tight cases (the verdicts say which): Theorems 7/8 with biases at stride 1, no padding — e.g.
``1x4x5 Conv2d(1,3x3,b) Linear(3,b)``: ``rank H_O = 29 = q(Kd_1+k−q) + K``, ``rank H_F = 20 = 2m(k+1)``.
"""

from __future__ import annotations

import numpy as np

from symhess.hessian.sequential import sequential_hessians
from symhess.linalg.matrices import to_fmpq_mat, to_object
from symhess.nets.data import Dataset
from symhess.nets.layers import Dense, Flatten, MaxPool, ReLU, conv1d, conv2d
from symhess.nets.sequential import SequentialArchitecture
from symhess.scalars import InputError
from symhess.theory.sequential_bounds import (augmented_architecture, augmented_inputs, augmented_network,
                                              conv_theorem7_terms, conv_theorem8_terms, homogeneous_bounds,
                                              homogeneous_valid, one_hidden, sequential_bounds)

from ._block_routes import differing_entries
from ._sequential import StackDraw, StackInstance, compare_draws, draws
from .framework import Claim, compare_exact

NAME = "Biases: Hessian structure and rank bounds (homogeneous coordinates)"


def misplaced_bias_entries(d: StackDraw) -> int:
    """Non-zero entries of ``H_F`` where a bias meets a bias or an earlier-or-same layer's weights."""
    arch = d.net.arch
    H = to_object(sequential_hessians(d.net, d.data).functional)
    bad = 0
    for pl in arch.layers:
        if pl.bias_shape is None:
            continue
        rows = range(pl.offset + pl.num_weights, pl.offset + pl.num_params)
        for pm in arch.layers:
            cols = list(range(pm.offset + pm.num_weights, pm.offset + pm.num_params))  # every bias
            if pm.index <= pl.index:
                cols += list(range(pm.offset, pm.offset + pm.num_weights))  # weights of layers <= l
            bad += int(sum(1 for r in rows for c in cols if H[r, c] != 0))
    return bad


def homogeneous_mismatch(d: StackDraw) -> int:
    """Differing entries between ``H`` of the bias net and ``Eᵀ H_aug E`` (``ι(θ) = Eθ + c``, §9.4)."""
    net, data = d.net, d.data
    aug = augmented_network(net)
    zero = np.array(augmented_network(net.with_theta([0] * net.arch.num_params)).theta(), dtype=object)
    cols = []
    for i in range(net.arch.num_params):
        e = [0] * net.arch.num_params
        e[i] = 1
        cols.append(np.array(augmented_network(net.with_theta(e)).theta(), dtype=object) - zero)
    E = to_fmpq_mat(np.array(cols, dtype=object).T)
    h = sequential_hessians(net, data)
    h_aug = sequential_hessians(aug, Dataset(augmented_inputs(net.arch, data.inputs), data.targets))
    Et = E.transpose()
    return sum(differing_entries(getattr(h, part), Et * getattr(h_aug, part) * E) for part in ("outer", "functional"))


def one_hidden_linear(arch: SequentialArchitecture) -> bool:
    try:
        return not one_hidden(arch).piecewise
    except InputError:
        return False


def net2d(C, spatial, m, kernel, K, hb, ob, padding=(0, 0)) -> SequentialArchitecture:
    return SequentialArchitecture((C,) + spatial, (conv2d(m, kernel, padding=padding, bias=hb), Flatten(),
                                                   Dense(K, bias=ob)))


DEFAULT = [
    StackInstance(net2d(1, (4, 5), 1, (3, 3), 3, True, True), 24),
    StackInstance(net2d(1, (4, 4), 1, (3, 3), 2, True, False), 19),
    StackInstance(net2d(2, (3, 3), 3, (2, 2), 1, True, True), 20),
    StackInstance(net2d(1, (4, 4), 2, (2, 2), 2, False, True), 19),
    StackInstance(net2d(1, (3, 3), 2, (2, 2), 2, True, True, (1, 1)), 12),   # no constant tap
    StackInstance(SequentialArchitecture((1, 6), (conv1d(2, 3, bias=True), ReLU(), conv1d(2, 2, bias=True), Flatten(),
                                                  Dense(2, bias=True))), 9),
]
FULL = DEFAULT + [
    StackInstance(net2d(1, (4, 4), 2, (2, 2), 2, True, True), 19),
    StackInstance(net2d(1, (4, 4), 5, (2, 2), 2, True, True), 19),
    StackInstance(net2d(1, (4, 4), 2, (3, 3), 1, True, False), 18),
    StackInstance(net2d(2, (3, 3), 1, (2, 2), 2, True, True), 21),
    StackInstance(net2d(1, (5, 5), 2, (3, 3), 2, True, True, (1, 1)), 28),
    StackInstance(SequentialArchitecture((1, 4, 4), (conv2d(2, 2, bias=True), conv2d(2, 2, bias=True), Flatten(),
                                                     Dense(2, bias=True))), 19),
    StackInstance(SequentialArchitecture((1, 4, 4), (Flatten(), Dense(3, bias=True), Dense(2, bias=True))), 19),
    StackInstance(SequentialArchitecture((2, 3, 3), (conv2d(2, 2, padding=1, bias=True), ReLU(), Flatten(),
                                                     Dense(3, bias=True), ReLU(), Dense(2, bias=True))), 6),
]


def instances(full: bool) -> list[StackInstance]:
    return FULL if full else DEFAULT


def check(inst: StackInstance):
    ds = draws(inst)
    arch = inst.arch
    bad = sum(misplaced_bias_entries(d) for d in ds)
    out = [compare_exact(NAME, f"{inst.label} [H_F: a bias meets only later weights]", 0, bad,
                         f"non-zero H_F entries at (bias, bias) or (bias_l, W^m), m <= l, over {len(ds)} draws")]
    if one_hidden_linear(arch):
        out.append(compare_draws(NAME, inst, "H_O <= Thm 7 with biases", ds, "outer",
                                 lambda d: conv_theorem7_terms(arch, d.ranks).value))
        out.append(compare_draws(NAME, inst, "H_F <= Thm 8 with biases: 2m min(k+1, s1 d_1)", ds, "functional",
                                 lambda d: conv_theorem8_terms(arch, d.ranks).value))
    if homogeneous_valid(arch) and not any(isinstance(p.layer, MaxPool) for p in arch.placed):
        bad = sum(homogeneous_mismatch(d) for d in ds)
        out.append(compare_exact(NAME, f"{inst.label} [H = Eᵀ H_aug E (homogeneous coordinates)]", 0, bad,
                                 f"differing entries of H_O and H_F over {len(ds)} draws; augmented net "
                                 f"{augmented_architecture(arch).describe()}"))
    if homogeneous_valid(arch):
        out.append(compare_draws(NAME, inst, "H_O <= min(p, augmented net)", ds, "outer",
                                 lambda d: homogeneous_bounds(arch, d.ranks)[0]))
        out.append(compare_draws(NAME, inst, "H_F <= min(p, augmented net)", ds, "functional",
                                 lambda d: homogeneous_bounds(arch, d.ranks)[1]))
    for part in ("outer", "functional", "loss"):
        out.append(compare_draws(NAME, inst, f"H_{part[0].upper()} <= sequential_bounds", ds, part,
                                 lambda d, part=part: getattr(sequential_bounds(arch, d.ranks), part)))
    return out


CLAIM = Claim(NAME, "a bias couples only with later weights in H_F; one hidden conv with biases: Theorems 7/8 "
              "with k' = k + 1, r1 = rank[X, 1], s1 = rank[Omega, mean residual]; homogeneous coordinates: "
              "rank <= min(p, bound of the augmented bias-free net) where every conv has a constant tap",
              check, instances, tags=("beyond", "bias"))
