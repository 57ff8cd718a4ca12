"""ReLU networks (paper Figure 2(c)): which rank bounds hold, checked exactly.

At kink-free weights a ReLU net is, locally, the linear net with each sample's masks
``Λ^l(x_i)`` fixed, so its Hessians are exact rationals (:mod:`symhess.nets.relu`). The paper
says its linear-network bounds "hold in practice" for ReLU. Exactly, they do **not** in
general: ``F`` is no longer linear in ``x``, so the outer-product Hessian is not limited by
``K r`` (each sample's Jacobian sees its own masks). What is claimed and checked here
(derivation in ``docs/beyond.md`` §ReLU):

* ``rank H_O = rank J ≤ min(n K, p − Σ_{l<L} m_l)``: ``J`` has ``nK`` rows, and the positive
  rescaling of each hidden channel (``W^l[o] → c W^l[o]``, ``W^{l+1}[:, o] → W^{l+1}[:, o]/c``,
  ``c > 0``; ``relu(c z) = c relu(z)``) leaves ``F`` unchanged, one kernel direction per
  hidden channel (the linear net's ``GL(m_l)`` mixing symmetry shrinks to these);
* one hidden layer: ``rank H_F ≤ 2 m min(k, d_1 min(K, n))`` (Theorem 8's block-hollow
  argument with the per-sample masks inside ``B``: channel ``o`` contributes the rank of a
  ``K d_1 × k`` matrix whose ``t``-th ``K × k`` block is ``Σ_i Λ_i[o,t] r_i x̃_{i,t}ᵀ``), and
  ``rank H_L ≤`` the sum of the two.

The linear-network bounds (:func:`symhess.theory.bounds.network_bounds` at the draw's ``r``, ``s``)
are reported in each detail as findings (``FINDING: … exceeded by …``), never as the verdict.
"""

from __future__ import annotations

from symhess.nets.architecture import Architecture, ConvLayer
from symhess.theory.bounds import relu_functional_terms, relu_outer_terms

from ._beyond import BeyondInstance, Measured, compare_over_draws, finding, measured_draws
from .framework import Claim

NAME = "ReLU nets: rank bounds (Figure 2(c))"


def relu_outer_bound(m: Measured) -> int:
    """``min(n K, p − Σ_{l<L} m_l)`` (:func:`symhess.theory.bounds.relu_outer_terms`)."""
    return relu_outer_terms(m.net.arch, m.data.n).value


def relu_functional_bound(m: Measured) -> int:
    """One hidden layer: ``2 m min(k, d_1 min(K, n))`` (:func:`symhess.theory.bounds.relu_functional_terms`)."""
    return relu_functional_terms(m.net.arch, m.data.n).value


def relu_arch(d0: int, layers: list[tuple[int, int, int, int]], K: int) -> Architecture:
    return Architecture(d0, tuple(ConvLayer(*layer) for layer in layers), K, "relu")


DEFAULT = [BeyondInstance(relu_arch(8, [(3, k, 1, 0)], 2), 10) for k in (1, 3, 5, 8)] + [
    BeyondInstance(relu_arch(10, [(2, 3, 1, 0), (2, 2, 1, 0)], 2), 12),
    BeyondInstance(relu_arch(9, [(2, 3, 2, 1)], 2), 11),
]
FULL = [BeyondInstance(relu_arch(8, [(3, k, 1, 0)], 2), n, (0, 1, 2)) for k in range(1, 9) for n in (10, 30)] + [
    BeyondInstance(relu_arch(10, [(3, 3, 1, 0), (3, 3, 1, 0)], 2), 12, (0, 1, 2)),
    BeyondInstance(relu_arch(10, [(2, 3, 1, 0), (2, 2, 1, 0)], 3), 40, (0, 1, 2)),
    BeyondInstance(relu_arch(12, [(2, 3, 2, 1), (3, 2, 1, 1)], 2), 14, (0, 1, 2)),
    BeyondInstance(relu_arch(16, [(3, 3, 1, 0)], 3), 20, (0, 1), "digits"),
]


def instances(full: bool) -> list[BeyondInstance]:
    return FULL if full else DEFAULT


def check(inst: BeyondInstance):
    draws = measured_draws(inst)
    lin = {part: (lambda m, part=part: getattr(m.linear_bounds, part)) for part in ("outer", "functional", "loss")}
    source = draws[0].linear_bounds.source
    notes = {part: finding(draws, f"linear bound ({source})", lin[part], part) for part in lin}
    out = [compare_over_draws(NAME, inst, "H_O <= min(nK, p - sum m_l)", draws, "outer", relu_outer_bound,
                              notes["outer"])]
    if inst.arch.depth == 2:
        out.append(compare_over_draws(NAME, inst, "H_F <= 2m min(k, d_1 min(K, n))", draws, "functional",
                                      relu_functional_bound, notes["functional"]))
        out.append(compare_over_draws(NAME, inst, "H_L <= sum of both", draws, "loss",
                                      lambda m: relu_outer_bound(m) + relu_functional_bound(m), notes["loss"]))
    else:
        out.append(compare_over_draws(NAME, inst, "H_L <= p", draws, "loss", lambda m: m.net.arch.num_params,
                                      f"{notes['functional']}; {notes['loss']}"))
    return out


CLAIM = Claim(NAME, "ReLU at kink-free weights: rank H_O <= min(nK, p - sum_l m_l); one hidden layer: "
              "rank H_F <= 2m min(k, d_1 min(K, n)); the linear bounds are reported as findings",
              check, instances, tags=("beyond", "relu"))
