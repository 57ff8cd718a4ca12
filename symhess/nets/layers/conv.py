"""Convolution layers in any number of spatial axes (1D ``Conv1d``, 2D ``Conv2d``).

Cross-correlation as in ``torch.nn.functional.conv1d/conv2d`` (groups 1, dilation 1, zero
padding), optional bias. Input ``(C, *spatial)``, weight ``W`` of shape ``(m, C, *kernel)``,
output ``(m, *out)`` with ``out_a = floor((d_a + 2 p_a − k_a) / s_a) + 1``:

    z[o, t] = Σ_{i, j} W[o, i, j] · x[i, s t + j − p]  (+ b[o]),

with ``t``, ``j`` multi-indices (zero outside the input). As a matrix on ``vec_r x``,
``T(W) = Σ_{o,i,j} W[o,i,j] · e_o e_iᵀ ⊗ S^{(j)}`` where ``S^{(j)}[t, u] = [u = s t + j − p]``;
in 2D ``S^{(j_1, j_2)} = S_1^{(j_1)} ⊗ S_2^{(j_2)}`` is a Kronecker product of the two 1D shift
selections, which makes ``T(W)`` doubly-block Toeplitz. Lemma 1 (1D) and its 2D analogue
(docs/theory.md §9.1) are statements about :meth:`Conv.index_map`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...scalars import InputError
from .base import Shape, check_int, kernel_axes, per_axis, size, spatial_output, window_table


@dataclass(frozen=True)
class Conv:
    """``out_channels`` filters of size ``kernel_size`` (one entry per spatial axis)."""

    out_channels: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] | None = None
    bias: bool = False

    def __post_init__(self) -> None:
        kernel = kernel_axes(self.kernel_size)
        dims = len(kernel)
        object.__setattr__(self, "out_channels", check_int(self.out_channels, "out_channels", 1))
        object.__setattr__(self, "kernel_size", kernel)
        object.__setattr__(self, "stride", per_axis(self.stride, dims, 1, "stride", 1))
        object.__setattr__(self, "padding", per_axis(self.padding, dims, 0, "padding", 0))
        if not isinstance(self.bias, bool):
            raise InputError("bias", "true or false", self.bias)

    @property
    def dims(self) -> int:
        """Number of spatial axes (1 for Conv1d, 2 for Conv2d)."""
        return len(self.kernel_size)

    @property
    def name(self) -> str:
        return f"Conv{self.dims}d"

    def _split(self, in_shape: Shape, where: str) -> tuple[int, Shape]:
        if len(in_shape) != self.dims + 1:
            raise InputError(f"{where}.input", f"shape (C, {', '.join('d' * self.dims)}) for {self.name}",
                             list(in_shape))
        return in_shape[0], tuple(in_shape[1:])

    def out_shape(self, in_shape: Shape, where: str = "layer") -> Shape:
        """``(m, *out)``."""
        _, spatial = self._split(in_shape, where)
        return (self.out_channels,) + spatial_output(spatial, self.kernel_size, self.stride, self.padding, where)

    def weight_shape(self, in_shape: Shape) -> Shape:
        """``(m, C, *kernel)``, torch's ``weight.shape``."""
        return (self.out_channels, in_shape[0]) + self.kernel_size

    def bias_shape(self, in_shape: Shape) -> Shape | None:
        """``(m,)`` with a bias, else ``None``."""
        return (self.out_channels,) if self.bias else None

    def windows(self, in_shape: Shape) -> np.ndarray:
        """:func:`~.base.window_table` of this layer: ``(positions out, taps)``."""
        _, spatial = self._split(in_shape, "layer")
        return window_table(spatial, self.kernel_size, self.stride, self.padding)

    def index_map(self, in_shape: Shape) -> np.ndarray:
        """``idx[a, c]``: position in ``vec_r W`` of ``T(W)[a, c]``, or ``-1`` (Lemma 1 as an index map).

        ``a = o · P + t`` (``P`` output positions), ``c = i · D + u`` (``D`` input positions);
        ``idx[a, c] = (o C + i) k + j`` where ``u = table[t, j]``. Shape ``(m P, C D)``.
        """
        C, spatial = self._split(in_shape, "layer")
        table = self.windows(in_shape)
        P, k = table.shape
        D, m = size(spatial), self.out_channels
        idx = np.full((m * P, C * D), -1, dtype=np.int64)
        t, j = np.nonzero(table >= 0)
        u = table[t, j]
        for o in range(m):
            for i in range(C):
                idx[o * P + t, i * D + u] = (o * C + i) * k + j
        return idx

    def bias_map(self, in_shape: Shape) -> np.ndarray:
        """``bias_map[a] = o`` for ``a = o · P + t``: output unit ``a`` gets ``b[o]``."""
        P = self.windows(in_shape).shape[0]
        return np.repeat(np.arange(self.out_channels, dtype=np.int64), P)

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        """Direct cross-correlation loops on an object array ``x`` of shape ``(C, *spatial)``.

        Independent of :meth:`index_map` (the sympy route differentiates this), exact for
        ``Fraction`` and sympy entries.
        """
        C, spatial = x.shape[0], x.shape[1:]
        out_spatial = spatial_output(spatial, self.kernel_size, self.stride, self.padding, "layer")
        out = np.empty((self.out_channels,) + out_spatial, dtype=object)
        for o in range(self.out_channels):
            for t in np.ndindex(*out_spatial):
                acc = bias[o] if bias is not None else 0
                for i in range(C):
                    for j in np.ndindex(*self.kernel_size):
                        pos = tuple(s * ti + ji - p for ti, ji, s, p in zip(t, j, self.stride, self.padding))
                        if all(0 <= q < d for q, d in zip(pos, spatial)):
                            acc = acc + weight[(o, i) + j] * x[(i,) + pos]
                out[(o,) + t] = acc
        return out


def conv1d(out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0, bias: bool = False) -> Conv:
    """``torch.nn.Conv1d``-style layer."""
    return Conv(out_channels, (kernel_size,), (stride,), (padding,), bias)


def conv2d(out_channels: int, kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] = 0, bias: bool = False) -> Conv:
    """``torch.nn.Conv2d``-style layer (``kernel_size`` ``3`` means ``3 × 3``)."""
    pair = (lambda v: (v, v) if isinstance(v, int) else tuple(v))
    return Conv(out_channels, pair(kernel_size), pair(stride), pair(padding), bias)
