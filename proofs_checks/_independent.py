"""Route (c): Jacobian and Hessians by *exact* finite differences of a plain forward pass.

Independent of everything the production route (:mod:`symhess.hessian.hessians`) and the block
formulas (:mod:`symhess.hessian.block_formulas`) share: no Toeplitz matrix, no Lemma 1 index map,
no :func:`symhess.nets.toeplitz.forward`. The network is evaluated by the convolution loops of
:func:`symhess.hessian.symbolic.network_outputs` on exact rationals, with the ReLU activation
pattern read off at the base point and then held fixed.

Why the differences are exact, not approximations: with the pattern fixed, the output
``F(θ) = W^L Λ T^{L-1}(W^{L-1}) ⋯ Λ T^1(W^1) x`` is *multilinear in the layers* (each
``T^l`` is linear in ``W^l``). So along one coordinate ``θ_a`` it is affine, and on the
plane of two coordinates ``θ_a, θ_b`` of different layers it is bilinear
``c₀ + c₁ t_a + c₂ t_b + c₃ t_a t_b``; of the same layer it is affine. Hence, exactly,

    ∂F/∂θ_a        = F(θ + e_a) − F(θ),
    ∂²F/∂θ_a∂θ_b   = F(θ + e_a + e_b) − F(θ + e_a) − F(θ + e_b) + F(θ)     (a ≠ b),
    ∂²F/∂θ_a²      = F(θ + 2e_a) − 2F(θ + e_a) + F(θ)  ( = 0 ).

At a kink-free point of a ReLU network the fixed-pattern network has the same Jacobian
and Hessian as the ReLU network (the pattern is locally constant), so the same formulas
give the ReLU Hessians at that point. Nothing here looks at the structure of the Hessian:
the diagonal blocks of ``H_F`` are *computed* (and come out zero only if ``F`` really is
linear in each layer), not set to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import flint

from symhess.hessian.hessians import HessianParts
from symhess.hessian.symbolic import network_outputs
from symhess.nets.architecture import Network
from symhess.nets.data import Dataset


def _fmpq(v) -> flint.fmpq:
    f = Fraction(v)
    return flint.fmpq(f.numerator, f.denominator)


@dataclass(frozen=True, eq=False)
class DifferenceHessians(HessianParts):
    """Exact ``J`` (``nK × p``, rows sample-major), ``H_O = JᵀJ/n``, ``H_F`` and ``H_L`` by differences
    (the parts interface of :class:`symhess.hessian.hessians.HessianParts`, computed independently of it)."""

    jacobian: flint.fmpq_mat


def _shifted(net: Network, theta: list, shifts: Sequence[tuple[int, int]]) -> Network:
    t = list(theta)
    for a, by in shifts:
        t[a] = t[a] + by
    return net.with_theta(t)


def difference_hessians(net: Network, data: Dataset, functional: bool = True) -> DifferenceHessians:
    """Route (c) on ``(net, data)``; ``functional=False`` skips ``H_F`` (it costs ``p²/2`` forward passes)."""
    data.check_fits(net.arch)
    theta = list(net.theta())
    p, K, n = len(theta), net.arch.outputs, data.n
    singles = [_shifted(net, theta, [(a, 1)]) for a in range(p)]
    rows: list[list[flint.fmpq]] = []
    hf = [[flint.fmpq(0)] * p for _ in range(p)]
    for x, y in zip(data.inputs, data.targets):
        xs = list(x)
        base, pattern = network_outputs(net, xs)
        pattern = pattern if net.arch.activation == "relu" else None

        def out(m: Network) -> list:
            return network_outputs(m, xs, pattern)[0]

        f_a = [out(m) for m in singles]
        for c in range(K):
            rows.append([_fmpq(f_a[a][c] - base[c]) for a in range(p)])
        if not functional:
            continue
        r = [base[c] - y[c] for c in range(K)]
        for a in range(p):
            for b in range(a, p):
                if a == b:
                    f_ab = out(_shifted(net, theta, [(a, 2)]))
                    second = [f_ab[c] - 2 * f_a[a][c] + base[c] for c in range(K)]
                else:
                    f_ab = out(_shifted(net, theta, [(a, 1), (b, 1)]))
                    second = [f_ab[c] - f_a[a][c] - f_a[b][c] + base[c] for c in range(K)]
                v = _fmpq(sum(r[c] * second[c] for c in range(K)))
                hf[a][b] += v
                if a != b:
                    hf[b][a] += v
    J = flint.fmpq_mat(rows)
    scale = flint.fmpq(1, n)
    F = flint.fmpq_mat(hf) * scale if functional else flint.fmpq_mat(p, p)
    return DifferenceHessians(net.arch, (J.transpose() * J) * scale, F, J)
