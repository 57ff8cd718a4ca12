"""The fully-connected layer (``torch.nn.Linear``) on a flat input.

Input ``(N,)`` (after :class:`~.flatten.Flatten`), weight ``W`` of shape ``(K, N)``, optional
bias ``b``: ``z = W h + b``. As a weight layer ``T(W) = W`` and the index map is
``idx[a, c] = a N + c`` (every entry its own parameter). The paper's final layer is this
layer without bias on the channel-major flattening of the last conv output (Section 4.1:
a conv whose filter spans its whole input).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...scalars import InputError
from .base import Shape, check_int


@dataclass(frozen=True)
class Dense:
    """``out_features`` outputs, optional bias."""

    out_features: int
    bias: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "out_features", check_int(self.out_features, "out_features", 1))
        if not isinstance(self.bias, bool):
            raise InputError("bias", "true or false", self.bias)

    name = "Linear"

    def out_shape(self, in_shape: Shape, where: str = "layer") -> Shape:
        if len(in_shape) != 1:
            raise InputError(f"{where}.input", "a flat input (put Flatten before Linear)", list(in_shape))
        return (self.out_features,)

    def weight_shape(self, in_shape: Shape) -> Shape:
        """``(K, N)``, torch's ``weight.shape``."""
        return (self.out_features, in_shape[0])

    def bias_shape(self, in_shape: Shape) -> Shape | None:
        return (self.out_features,) if self.bias else None

    def index_map(self, in_shape: Shape) -> np.ndarray:
        """``idx[a, c] = a N + c``, shape ``(K, N)``."""
        return np.arange(self.out_features * in_shape[0], dtype=np.int64).reshape(self.out_features, in_shape[0])

    def bias_map(self, in_shape: Shape) -> np.ndarray:
        """``bias_map[a] = a``."""
        return np.arange(self.out_features, dtype=np.int64)

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        """``W x + b`` by explicit sums (object arrays, exact or sympy)."""
        out = np.empty(self.out_features, dtype=object)
        for a in range(self.out_features):
            acc = bias[a] if bias is not None else 0
            for c in range(x.shape[0]):
                acc = acc + weight[a, c] * x[c]
            out[a] = acc
        return out
