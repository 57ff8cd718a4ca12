"""``rank H_O`` equals the rank of the NTK Gram matrix ``J Jᵀ``; same non-zero spectrum.

The paper (Section 4, "a word about H_O"): "the outer-product Hessian shares exactly the
same non-zero spectrum as the Neural Tangent Kernel". With ``J = [J_1; …; J_n]`` the
stacked ``nK × p`` Jacobian (:func:`symhess.hessian.hessians.jacobian`), ``H_O = Jᵀ J / n`` and the
empirical NTK Gram matrix is ``Θ = J Jᵀ`` (``nK × nK``). Checked exactly on every generic
draw, ``H_O`` taken from the production Hessians (:func:`symhess.hessian.hessians.mse_hessians`) and
``J`` from an independent route: exact finite differences of a convolution-loop forward pass
(:mod:`proofs_checks._independent`; the differences are exact because ``F`` is affine in each
parameter). Taking ``J`` from the production route too would make (1) a tautology
(``rank JᵀJ = rank JJᵀ`` for any ``J``):

1. ``rank H_O = rank Θ`` (both certified over ℚ; ``p × p`` against ``nK × nK``);
2. ``n H_O`` and ``Θ`` have the same non-zero eigenvalues with multiplicities, without
   computing any: ``x^{nK} χ_{n H_O}(x) = x^p χ_Θ(x)`` for the exact characteristic
   polynomials (``χ_{AB}`` and ``χ_{BA}`` differ by a power of ``x``).
"""

from __future__ import annotations

import flint

from symhess.nets.architecture import Architecture, ConvLayer, LocalLayer

from ._independent import difference_hessians
from .framework import CheckResult, Claim, compare_exact, each_seed
from .instances import Instance, certified_rank, generic_draw

NAME = "Remark: rank H_O = rank of the NTK Gram matrix J Jᵀ"
STATEMENT = ("rank H_O = rank of the NTK Gram matrix J J^T (J the stacked nK x p Jacobian; certified ranks), "
             "and n H_O, J J^T share their non-zero spectrum: x^(nK) charpoly(n H_O) = x^p charpoly(J J^T)")


def check_seed(inst: Instance, seed: int, label: str) -> list[CheckResult]:
    """Ranks and characteristic polynomials of ``n H_O`` and ``Θ = J Jᵀ`` on one generic draw."""
    d = generic_draw(inst, seed)
    J = difference_hessians(d.net, d.data, functional=False).jacobian  # not the production J
    ntk = J * J.transpose()
    H_O = d.hessians.outer
    rank_o, rank_ntk = certified_rank(H_O), certified_rank(ntk)
    nK, p = ntk.nrows(), H_O.nrows()
    x = flint.fmpq_poly([0, 1])
    lhs = x ** nK * (H_O * flint.fmpq(d.data.n)).charpoly()
    rhs = x ** p * ntk.charpoly()
    return [
        compare_exact(NAME, f"{label} [rank]", rank_ntk, rank_o,
                      f"rank H_O ({p} x {p}) = {rank_o}, rank J J^T ({nK} x {nK}) = {rank_ntk}"),
        compare_exact(NAME, f"{label} [non-zero spectrum]", True, lhs == rhs,
                      "x^(nK) charpoly(n H_O) == x^p charpoly(J J^T), exact over Q"),
    ]


def check(inst: Instance) -> list[CheckResult]:
    return each_seed(NAME, inst, lambda seed, label: check_seed(inst, seed, label))


def instances(full: bool = False) -> list[Instance]:
    """Both regimes ``p > nK`` and ``p < nK``; linear and ReLU; stride/padding; FCN; LCN."""
    out = [
        Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 2)), 2, "linear"), 4, (0,)),
        Instance(Architecture(6, (ConvLayer(2, 3),), 1, "linear"), 20, (0,)),  # p = 14 < nK = 20
        Instance(Architecture(8, (ConvLayer(2, 3, stride=2, padding=1), ConvLayer(3, 2)), 2, "linear"), 4, (0,)),
        Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 3)), 2, "relu"), 4, (3,), "gaussian"),
        Instance(Architecture.fully_connected(4, [3, 3], 2), 4, (0,)),
    ]
    if full:
        out += [
            Instance(Architecture(8, (ConvLayer(4, 3), ConvLayer(4, 3)), 3, "linear"), 8, (0, 1)),
            Instance(Architecture(10, (ConvLayer(4, 3), ConvLayer(4, 3)), 3, "relu"), 6, (2, 8, 14), "gaussian"),
            Instance(Architecture(6, (LocalLayer(3, 2, stride=2),), 2, "linear"), 12, (0,)),
            Instance(Architecture(12, (ConvLayer(3, 3), ConvLayer(3, 3)), 3, "linear"), 20, (0,)),
        ]
    return out


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("remark", "outer", "ntk"))
