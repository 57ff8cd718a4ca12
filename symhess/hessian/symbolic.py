"""Route (b): Hessians by direct symbolic differentiation of the loss.

Independent of the Toeplitz machinery on purpose: the network is evaluated by
plain convolution loops (:func:`conv1d`), the loss is a sympy polynomial in the
weights, and sympy differentiates it. Used to check the production route
(:mod:`symhess.hessian.hessians`) and the block formulas (:mod:`symhess.hessian.block_formulas`)
on small networks.

For ReLU networks the activation pattern is fixed at the given weights (the loss is
a polynomial on the open region where no pre-activation changes sign), so the
result is the Hessian at that point.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy

from ..nets.architecture import Network, symbolic_network
from ..nets.data import Dataset
from ..scalars import to_sympy


def conv1d(weight: np.ndarray, x: list[list], stride: int = 1, padding: int = 0) -> list[list]:
    """Direct cross-correlation: ``out[o][t] = Σ_{i,j} W[o,i,j] x[i][s t + j − p]``.

    ``x`` is a list of ``m_in`` channels of length ``d``; zero padding outside. A 4-D
    ``weight`` ``(d_out, m_out, m_in, k)`` is a locally connected layer: ``W[t,o,i,j]``.
    """
    m_out, m_in, k = weight.shape[-3:]
    d = len(x[0])
    d_out = (d + 2 * padding - k) // stride + 1
    out = []
    for o in range(m_out):
        row = []
        for t in range(d_out):
            acc = 0
            for i in range(m_in):
                for j in range(k):
                    c = stride * t + j - padding
                    if 0 <= c < d:
                        acc += (weight[o, i, j] if weight.ndim == 3 else weight[t, o, i, j]) * x[i][c]
            row.append(acc)
        out.append(row)
    return out


def network_outputs(net: Network, x: Sequence, patterns: list[list[list[int]]] | None = None
                    ) -> tuple[list, list[list[list[int]]]]:
    """``F(x)`` by conv loops; the final layer is dense on the channel-major flattening.

    ReLU: ``patterns`` (0/1 per hidden unit) fixes the activation pattern; when
    ``None`` it is read off from the (numeric) pre-activations and returned.
    """
    h: list[list] = [list(x)]
    found: list[list[list[int]]] = []
    layers = net.arch.layers
    for l, (s, w) in enumerate(zip(layers[:-1], net.weights[:-1])):
        z = conv1d(w, h, s.stride, s.padding)
        if net.arch.activation == "relu":
            pat = patterns[l] if patterns is not None else [[1 if v > 0 else 0 for v in ch] for ch in z]
            found.append(pat)
            z = [[v * b for v, b in zip(ch, pb)] for ch, pb in zip(z, pat)]
        h = z
    flat = [v for ch in h for v in ch]
    W = net.weights[-1].reshape(net.arch.outputs, -1)
    out = [sum(W[c, q] * flat[q] for q in range(len(flat))) for c in range(net.arch.outputs)]
    return out, (patterns if patterns is not None else found)


def direct_hessians(net: Network, data: Dataset) -> dict[str, sympy.Matrix]:
    """``{"outer", "functional", "loss"}`` Hessians at ``net``'s weights, by sympy.

    ``loss`` is ``sympy.hessian`` of ``(1/n) Σ ½‖F(x_i) − y_i‖²``; ``outer`` is
    ``(1/n) Σ J_iᵀ J_i`` with ``J_i`` from ``Matrix.jacobian``; ``functional`` is
    ``(1/n) Σ_i Σ_c r_ic hessian(F_c)``. All three are computed separately, so
    ``loss == outer + functional`` is itself a check of Eq. (1).
    If ``net`` is symbolic, the results are sympy expressions in its symbols.
    """
    data.check_fits(net.arch)
    sym = net if net.is_symbolic else symbolic_network(net.arch, prefix="_th")
    theta = sympy.Matrix([to_sympy(v) for v in sym.theta()])
    subs = {} if net.is_symbolic else {a: to_sympy(b) for a, b in zip(sym.theta(), net.theta())}
    p = len(theta)
    loss = sympy.Integer(0)
    outer, functional = sympy.zeros(p, p), sympy.zeros(p, p)
    n = data.n
    for x, y in zip(data.inputs, data.targets):
        xs = [to_sympy(v) for v in x]
        patterns = None
        if net.arch.activation == "relu":
            _, patterns = network_outputs(net, xs)
        F = sympy.Matrix(network_outputs(sym, xs, patterns)[0])
        r = F - sympy.Matrix([to_sympy(v) for v in y])
        loss += (r.T * r)[0, 0] / 2
        J = F.jacobian(theta)
        outer += J.T * J
        for c in range(len(F)):
            functional += r[c] * sympy.hessian(F[c], theta)
    loss_h = sympy.hessian(loss, theta)
    result = {"outer": outer / n, "functional": functional / n, "loss": loss_h / n}
    if subs:
        result = {k: v.xreplace(subs) for k, v in result.items()}
    return {k: v.applyfunc(sympy.expand) for k, v in result.items()}
