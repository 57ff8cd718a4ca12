"""Eq. 1, the Gauss–Newton decomposition of the loss Hessian: ``H_L = H_O + H_F``.

For the MSE loss ``L(θ) = (1/n) Σ_i ½‖F(x_i) − y_i‖²``:

    ∇²_θ L = (1/n) Σ_i J_iᵀ J_i  +  (1/n) Σ_i Σ_c r_{ic} ∇²_θ F_c(x_i)  =  H_O + H_F.

Checked exactly, entry by entry over ℚ, with the two sides from independent routes:
``H_L`` is sympy's Hessian of the loss polynomial (:func:`symhess.hessian.symbolic.direct_hessians`,
plain convolution loops, no Toeplitz matrices), ``H_O`` and ``H_F`` come from the production
route (:func:`symhess.hessian.hessians.mse_hessians`: Toeplitz matrices, Lemma 1's index map and the
block formulas). The fast integer assembly used by ``symhess rank``, the tables and the
benchmarks (:func:`symhess.hessian.assembly.assemble`, its own index gathers and scales) is compared
with sympy's ``H_L`` the same way, as a second result per draw. It is an identity, so it must hold on every draw, generic or not; only an
exact ReLU kink (Hessian undefined) is reported as a degenerate instance.
Sympy is slow, so the instances are tiny (``p ≤ 30``).
"""

from __future__ import annotations

from symhess.hessian.assembly import assemble
from symhess.hessian.hessians import mse_hessians
from symhess.hessian.symbolic import direct_hessians
from symhess.linalg.matrices import to_sympy_matrix
from symhess.nets.architecture import Architecture, ConvLayer, LocalLayer, random_network
from symhess.nets.data import random_dataset

from .framework import CheckResult, Claim, compare_exact, each_seed
from .instances import Instance

NAME = "Eq. 1 (Gauss-Newton decomposition H_L = H_O + H_F)"
STATEMENT = ("Eq. 1 (Gauss–Newton): H_L = H_O + H_F for MSE; H_L by sympy differentiation of the loss, "
             "H_O and H_F by the production (Toeplitz) route; exact equality over Q on every draw")


def check_seed(inst: Instance, seed: int, label: str) -> list[CheckResult]:
    """``H_L`` (sympy) ``==`` ``H_O + H_F`` (production, and fast assembly) on the draw ``seed``.

    Observed: the number of differing entries.
    """
    net, data = random_network(inst.arch, seed), random_dataset(inst.arch, inst.n, seed, inst.kind)
    parts = mse_hessians(net, data)  # raises ReluKinkError at a kink: reported as degenerate
    direct = direct_hessians(net, data)["loss"]
    p = inst.arch.num_params
    fast = assemble(net, data)
    out = []
    for route, (outer, functional) in (("production", (parts.outer, parts.functional)),
                                       ("fast assembly", (fast.to_fmpq("outer"), fast.to_fmpq("functional")))):
        other = to_sympy_matrix(outer + functional)
        differing = sum(1 for a, b in zip(direct, other) if a != b)
        out.append(compare_exact(NAME, label if route == "production" else f"{label} [{route}]", 0, differing,
                                 f"entries of H_L − (H_O + H_F) ({route}) that are non-zero, out of p² = {p * p}"))
    return out


def check(inst: Instance) -> list[CheckResult]:
    return each_seed(NAME, inst, lambda seed, label: check_seed(inst, seed, label))


def instances(full: bool = False) -> list[Instance]:
    """Tiny nets: linear and ReLU, stride and padding, a locally connected layer, depth 2 and 3."""
    out = [
        Instance(Architecture(5, (ConvLayer(2, 2, stride=2, padding=1),), 2, "linear"), 2, (0,)),
        Instance(Architecture(6, (ConvLayer(2, 3, stride=2, padding=1),), 2, "relu"), 2, (0,)),
        Instance(Architecture(5, (ConvLayer(2, 2), ConvLayer(1, 2)), 1, "linear"), 2, (0,)),
    ]
    if full:
        out += [
            Instance(Architecture(6, (ConvLayer(2, 3), ConvLayer(2, 2, stride=2, padding=1)), 2, "linear"), 3, (0, 1)),
            Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 2)), 2, "relu"), 3, (3, 5), "gaussian"),
            Instance(Architecture(6, (LocalLayer(2, 3, stride=3),), 2, "linear"), 3, (0,)),
            Instance(Architecture.fully_connected(3, [2, 2], 2), 2, (0,)),
        ]
    return out


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("eq1", "identity"))
