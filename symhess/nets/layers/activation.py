"""The ReLU activation, ``h = max(z, 0)`` entrywise, as a piecewise-linear layer.

Local map at ``z``: ``Λ = diag([z > 0])`` (Eq. 3's ``Λ^l``). ``z_u = 0`` is a kink unless
unit ``u`` is constant near the point (:class:`~.base.LocalMap`); a constant zero gets mask ``0``.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from .base import LocalMap, Shape, constant, is_constant, size


@dataclass(frozen=True)
class ReLU:
    """``max(z, 0)``; keeps the shape."""

    name = "ReLU"

    def out_shape(self, in_shape: Shape, where: str = "layer") -> Shape:
        return tuple(in_shape)

    def local_map(self, x: np.ndarray, in_shape: Shape, signatures: np.ndarray, position: int) -> LocalMap:
        n = size(in_shape)
        positive = np.array([v > 0 for v in x], dtype=bool)
        kinks = tuple(int(u) for u in range(n) if x[u] == 0 and not is_constant(signatures[u]))
        out = np.empty(n, dtype=object)
        out[:] = [signatures[u] if positive[u] else constant(0) for u in range(n)]
        return LocalMap(np.diag(positive.astype(np.int64)), 1, kinks, out)

    def pattern(self, x: np.ndarray) -> np.ndarray:
        """The 0/1 mask ``[x > 0]`` (same shape as ``x``)."""
        return np.vectorize(lambda v: 1 if v > 0 else 0, otypes=[object])(x)

    def forward(self, x: np.ndarray, pattern: np.ndarray | None = None) -> np.ndarray:
        """``mask · x`` with the given mask (default: ``x``'s own)."""
        return (self.pattern(x) if pattern is None else pattern) * x
