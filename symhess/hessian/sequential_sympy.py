"""Route (b) for any sequential network: sympy differentiates the loss built by direct loops.

Independent of :mod:`symhess.hessian.sequential` (no index maps, no local-map matrices): the
network output ``F(x; θ)`` is built symbolically with each layer's own ``forward`` (direct
cross-correlation / averaging / selection loops), with the piecewise-linear layers' *pieces*
(ReLU signs, max-pool arg-maxes) read from a numeric pass at the current point, then

    H_O = (1/n) Σ_i J_iᵀ J_i,  J_i = ∂F(x_i)/∂θ,     H_F = (1/n) Σ_i Σ_c r_ic ∂²F_c(x_i)/∂θ²

by ``sympy.diff``, evaluated at ``θ``. Slow (use ``p`` up to a few dozen); it is the check,
not the production route. The caller guarantees a kink-free point (the production route
raises on kinks; here the first arg-max is taken).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from ..nets.data import Dataset
from ..nets.sequential import SequentialNetwork


def _forward(net: SequentialNetwork, x: np.ndarray, params, patterns: list | None) -> tuple[np.ndarray, list]:
    """Direct forward pass; returns the flat output and the pieces used (recorded when ``patterns`` is None)."""
    h = np.asarray(x, dtype=object).reshape(net.arch.input_shape)
    used, weights = [], iter(params)
    for q, placed in enumerate(net.arch.placed):
        if placed.has_params:
            w, b = next(weights)
            h = placed.layer.forward(h, w, b)
            used.append(None)
        else:
            piece = placed.layer.pattern(h) if patterns is None else patterns[q]
            used.append(piece)
            h = placed.layer.forward(h, piece)
    return h.reshape(-1), used


def _symbols(net: SequentialNetwork) -> tuple[list[sympy.Symbol], list]:
    theta = [sympy.Symbol(f"t{j}", real=True) for j in range(net.arch.num_params)]
    symbolic = net.with_theta(theta)
    return theta, list(symbolic.params)


@dataclass(frozen=True)
class SympyHessians:
    """``H_O``, ``H_F`` as ``sympy.Matrix`` (exact rationals)."""

    outer: sympy.Matrix
    functional: sympy.Matrix

    @property
    def loss(self) -> sympy.Matrix:
        return self.outer + self.functional


def sympy_hessians(net: SequentialNetwork, data: Dataset) -> SympyHessians:
    """Exact ``H_O``, ``H_F`` of the MSE loss by symbolic differentiation (see module docstring)."""
    theta, sym_params = _symbols(net)
    point = {t: sympy.Rational(v.numerator, v.denominator) for t, v in zip(theta, net.theta())}
    p, n = len(theta), data.n
    H_O = sympy.zeros(p, p)
    H_F = sympy.zeros(p, p)
    for x, y in zip(data.inputs, data.targets):
        out_num, pieces = _forward(net, x, net.params, None)
        F, _ = _forward(net, x, sym_params, pieces)
        for c, Fc in enumerate(F):
            Fc = sympy.expand(Fc)
            grad = [sympy.diff(Fc, t) for t in theta]
            g_val = sympy.Matrix([gi.subs(point) for gi in grad])
            H_O += g_val * g_val.T
            r = sympy.Rational(out_num[c].numerator, out_num[c].denominator) - \
                sympy.Rational(y[c].numerator, y[c].denominator)
            if r != 0:
                for a in range(p):
                    if grad[a] == 0:
                        continue
                    for b in range(a, p):
                        v = sympy.diff(grad[a], theta[b]).subs(point)
                        if v != 0:
                            H_F[a, b] += r * v
                            if a != b:
                                H_F[b, a] += r * v
    return SympyHessians(H_O / n, H_F / n)
