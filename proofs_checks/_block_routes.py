"""Shared machinery of the route-comparison claims (Propositions 2, 3, 4).

Each of those claims compares the literal block formulas (route (a),
:mod:`symhess.hessian.block_formulas`) with the production Hessians
(:mod:`symhess.hessian.hessians`) and, on the smallest instances, with sympy's direct
differentiation of the loss (route (b), :mod:`symhess.hessian.symbolic`). Route (a) and the
production route share the Toeplitz matrices and the forward pass
(:func:`symhess.nets.toeplitz.forward`), so an error there would be invisible to their
comparison: Propositions 2 and 3 therefore compare every block of route (a) with
route (c), exact finite differences of a plain convolution-loop forward pass
(:mod:`proofs_checks._independent`; no Toeplitz matrix, no index map), on every
instance, and the whole of route (a) with the production Hessian. An identity is
checked entry by entry, exactly; the observed value is the number of entries that
differ (``0`` expected), so a failure says how badly it failed.

Not a claim itself (the registry skips modules starting with ``_``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import flint
import numpy as np
import sympy

from symhess.hessian.block_formulas import (BlockFormulaHessians, ToeplitzedNetwork, block_formula_hessians,
                                            functional_block, outer_block, parameter_block)
from symhess.hessian.hessians import HessianParts, mse_hessians
from symhess.hessian.symbolic import direct_hessians
from symhess.linalg.matrices import to_fmpq_mat
from symhess.nets.architecture import Architecture, ConvLayer, Network, random_network
from symhess.nets.data import Dataset, random_dataset
from symhess.nets.relu import kink_free

from ._independent import DifferenceHessians, difference_hessians
from .framework import CheckResult, compare_exact, degenerate

DIRECT_MAX_PARAMS = 16
"""Largest ``p`` for which the sympy route (b) is run in a check (it is slow)."""


@dataclass(frozen=True)
class RouteInstance:
    """A network architecture, ``n`` samples, and the seeds tried until a draw has no ReLU kink."""

    arch: Architecture
    n: int
    seeds: tuple[int, ...] = tuple(range(12))
    kind: str = "integer"
    rational: bool = False

    @property
    def label(self) -> str:
        weights = "rational" if self.rational else "integer"
        return f"{self.arch.describe()}, n={self.n}, {weights} weights, {self.kind} data"

    @property
    def direct(self) -> bool:
        """Whether sympy's direct Hessian is also compared (small ``p`` only)."""
        return self.arch.num_params <= DIRECT_MAX_PARAMS


def kink_free_draw(arch: Architecture, n: int, seeds: tuple[int, ...], kind: str = "integer",
                   rational: bool = False, companion: Callable[[Network], Network] | None = None,
                   scale: int = 3) -> tuple[Network, Dataset, int] | None:
    """The first ``(network, data, seed)`` with no ReLU kink (:func:`symhess.nets.toeplitz.kink_units`), or ``None``.

    Weights and data from :func:`symhess.nets.architecture.random_network` and
    :func:`symhess.nets.data.random_dataset` with range ``scale``. ``companion(net)``, when given, must be kink-free too (the Toeplitzed FCN of Prop 4:
    a CNN unit whose receptive field is all zero is harmless in the CNN, but a kink of
    the FCN, where the structural zeros of ``T^l`` are free parameters).
    Linear networks never kink, so their first seed is returned.
    """
    for seed in seeds:
        net = random_network(arch, seed, scale=scale, rational=rational)
        data = random_dataset(arch, n, seed, kind, scale=scale)
        if all(kink_free(candidate, data) is None for candidate in [net] + ([companion(net)] if companion else [])):
            return net, data, seed
    return None


def differing_entries(a: flint.fmpq_mat, b: flint.fmpq_mat) -> int:
    """Number of positions where ``a`` and ``b`` differ (shapes must agree)."""
    if (a.nrows(), a.ncols()) != (b.nrows(), b.ncols()):
        raise ValueError(f"shape mismatch {a.nrows()}x{a.ncols()} vs {b.nrows()}x{b.ncols()}")
    return sum(1 for u, v in zip(a.entries(), b.entries()) if u != v)


def identity_result(claim: str, instance: str, what: str, observed: flint.fmpq_mat,
                    expected: flint.fmpq_mat) -> CheckResult:
    """``holds`` iff the two exact matrices are equal; observed = number of differing entries."""
    diff = differing_entries(observed, expected)
    return compare_exact(claim, f"{instance} [{what}]", 0, diff,
                         f"{observed.nrows()}x{observed.ncols()}, {diff} differing entries")


def default_instances(full: bool) -> list[RouteInstance]:
    """Small linear and ReLU nets with stride and padding (``full``: also deeper and wider)."""
    out = []
    for act in ("linear", "relu"):
        out.append(RouteInstance(Architecture(4, (ConvLayer(2, 2, stride=2, padding=1),), 1, act), 2))
        out.append(RouteInstance(Architecture(6, (ConvLayer(2, 3), ConvLayer(2, 2, stride=2, padding=1)), 2, act), 3))
        if full:
            out.append(RouteInstance(Architecture(9, (ConvLayer(2, 3, padding=1), ConvLayer(3, 2, stride=2),
                                                      ConvLayer(2, 2, padding=1)), 2, act), 4,
                                     kind="gaussian", rational=True))
            out.append(RouteInstance(Architecture(7, (ConvLayer(3, 7),), 3, act), 4))  # an FCN
    return out


@dataclass(frozen=True, eq=False)
class RouteResults:
    """Both routes on one kink-free draw (``direct`` only for small ``p``)."""

    label: str
    tn: ToeplitzedNetwork
    route_a: BlockFormulaHessians
    production: HessianParts
    direct: dict[str, sympy.Matrix] | None
    _independent: dict = field(default_factory=dict)

    def independent(self, functional: bool = True) -> DifferenceHessians:
        """Route (c): exact finite differences of the convolution-loop forward pass (cached)."""
        if functional not in self._independent:
            self._independent[functional] = difference_hessians(self.tn.net, self.tn.data, functional)
        return self._independent[functional]


def evaluate(claim: str, inst: RouteInstance, with_direct: bool = True,
             companion: Callable[[Network], Network] | None = None) -> RouteResults | CheckResult:
    """Compute both routes on the first kink-free draw, or a ``degenerate instance`` result.

    ``with_direct``: also sympy's direct Hessian when ``inst.direct`` (small ``p``);
    ``companion``: see :func:`kink_free_draw`.
    """
    found = kink_free_draw(inst.arch, inst.n, inst.seeds, inst.kind, inst.rational, companion)
    if found is None:
        return degenerate(claim, inst.label, f"every seed in {list(inst.seeds)} hits an exact ReLU kink")
    net, data, seed = found
    direct = None
    if with_direct and inst.direct:
        direct = direct_hessians(net, data)
    return RouteResults(f"{inst.label}, seed={seed}", ToeplitzedNetwork.build(net, data),
                        block_formula_hessians(net, data), mse_hessians(net, data), direct)


def block_pairs(L: int) -> Iterator[tuple[int, int]]:
    """``(k, l)`` with ``1 ≤ k ≤ l ≤ L`` (the lower triangle follows by symmetry)."""
    return ((k, l) for k in range(1, L + 1) for l in range(k, L + 1))


def parameter_submatrix(M: flint.fmpq_mat, arch: Architecture, k: int, l: int) -> flint.fmpq_mat:
    """Block ``(k, l)`` (rows ``W^k``, columns ``W^l``, 1-based) of a ``p × p`` matrix."""
    offs, shapes = arch.param_offsets, arch.layers
    r0, c0 = offs[k - 1], offs[l - 1]
    rows, cols = shapes[k - 1].num_params, shapes[l - 1].num_params
    return flint.fmpq_mat(rows, cols, [M[r0 + i, c0 + j] for i in range(rows) for j in range(cols)])


def compare_blocks(claim: str, res: RouteResults, part: str) -> list[CheckResult]:
    """Per block ``(k, l)``: ``D_kᵀ Ĥ^{(k,l)} D_l`` (Prop 2 or 3) equals the exact Hessian's block.

    The reference for the blocks is route (c) (exact finite differences, independent of the
    Toeplitz forward pass the block formulas and the production route share); the whole of
    route (a) is compared with the production Hessian too. For linear nets the covariance
    form (``Σ_xx``, ``Ω``) is checked as well as the per-sample form; with small ``p``,
    route (a) against sympy's direct Hessian.
    """
    block_of = outer_block if part == "outer" else functional_block
    net = res.tn.net
    reference = res.independent(functional=part != "outer").part(part)
    out = []
    forms = ("covariance", "per-sample") if net.arch.activation == "linear" else ("per-sample",)
    for k, l in block_pairs(net.arch.depth):
        blocks = {form: to_fmpq_mat(parameter_block(net, block_of(res.tn, k, l, form), k, l)) for form in forms}
        for form, blk in blocks.items():
            out.append(identity_result(claim, res.label, f"{part} block ({k},{l}), {form} form vs exact differences",
                                       blk, parameter_submatrix(reference, net.arch, k, l)))
    out.append(identity_result(claim, res.label, f"{part}: Dᵀ Ĥ D vs production", res.route_a.as_fmpq(part),
                               res.production.part(part)))
    if res.direct is not None:
        out.append(identity_result(claim, res.label, f"{part}: route (a) vs sympy direct",
                                   res.route_a.as_fmpq(part), sympy_to_fmpq(res.direct[part])))
    return out


def sympy_to_fmpq(m: sympy.Matrix) -> flint.fmpq_mat:
    """A rational ``sympy.Matrix`` as ``fmpq_mat`` (a non-rational entry raises)."""
    return to_fmpq_mat(np.array(m.tolist(), dtype=object))
