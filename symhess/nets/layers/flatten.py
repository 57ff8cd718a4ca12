"""``torch.nn.Flatten``: ``(C, *spatial)`` → ``(C · prod(spatial),)`` in row-major order.

Every tensor is already handled as ``vec_r``, so the local map is the identity; only the
shape changes (a :class:`~.dense.Dense` layer needs a flat input).
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from .base import LocalMap, Shape, size


@dataclass(frozen=True)
class Flatten:
    """Reshape to one axis."""

    name = "Flatten"

    def out_shape(self, in_shape: Shape, where: str = "layer") -> Shape:
        return (size(in_shape),)

    def local_map(self, x: np.ndarray, in_shape: Shape, signatures: np.ndarray, position: int) -> LocalMap:
        return LocalMap(np.eye(size(in_shape), dtype=np.int64), 1, (), signatures.copy())

    def pattern(self, x: np.ndarray) -> None:
        return None

    def forward(self, x: np.ndarray, pattern: None = None) -> np.ndarray:
        return x.reshape(-1)
