"""The *Toeplitzed* layer of Proposition 4: every entry of the layer matrix its own parameter.

Replacing each weight layer ``z = T(W) h + B b`` of a network by ``z = T̂ h + b̂`` with ``T̂``
(``out × in``) and ``b̂`` (``out``) free gives the "Toeplitzed" network; its parameters are
``vec_r T̂`` and ``b̂``, and the original ones enter linearly, ``vec_r T̂ = D_W vec_r W``,
``b̂ = B b`` (Lemma 1's derivative and the bias map), so ``H = Dᵀ Ĥ D`` (Prop. 4) with
``D = blockdiag_l(D_W^l ⊕ B^l)`` — the route of :func:`symhess.hessian.sequential.pulled_back_hessians`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Shape, size


@dataclass(frozen=True)
class FreeAffine:
    """``z = T̂ h (+ b̂)`` with ``T̂`` of shape ``(prod(out_shape), prod(in))`` and ``b̂`` per output unit."""

    out: Shape
    bias: bool = False

    name = "FreeAffine"

    def out_shape(self, in_shape: Shape, where: str = "layer") -> Shape:
        return tuple(self.out)

    def weight_shape(self, in_shape: Shape) -> Shape:
        return (size(self.out), size(in_shape))

    def bias_shape(self, in_shape: Shape) -> Shape | None:
        return (size(self.out),) if self.bias else None

    def index_map(self, in_shape: Shape) -> np.ndarray:
        """``idx[a, c] = a · in + c``."""
        return np.arange(size(self.out) * size(in_shape), dtype=np.int64).reshape(size(self.out), size(in_shape))

    def bias_map(self, in_shape: Shape) -> np.ndarray:
        return np.arange(size(self.out), dtype=np.int64)

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        flat = x.reshape(-1)
        out = np.empty(size(self.out), dtype=object)
        for a in range(out.shape[0]):
            acc = bias[a] if bias is not None else 0
            for c in range(flat.shape[0]):
                acc = acc + weight[a, c] * flat[c]
            out[a] = acc
        return out.reshape(self.out)
