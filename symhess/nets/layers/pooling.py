"""Pooling layers in any number of spatial axes: average (linear) and max (piecewise linear).

Input ``(C, *spatial)``, window ``kernel_size``, ``stride`` (default: the window, as in torch),
no padding, floor mode (``torch.nn.AvgPool1d/2d``, ``MaxPool1d/2d`` defaults). Output
``(C, *out)``. With the window table of :func:`~.base.window_table` (``P × k``):

* average: ``y[c, t] = (1/k) Σ_j x[c, table[t, j]]`` — a fixed rational matrix ``P_avg``
  (``P_avg = (1/k) Σ_j I_C ⊗ S^{(j)}``), so the network stays polynomial in ``θ``.
* max: ``y[c, t] = x[c, table[t, j*]]`` with ``j*`` the arg-max of the window: at a point with
  a unique maximum in every window this is a fixed 0/1 selection matrix, exactly like a ReLU
  mask. A tie between maximal entries that are not the same function of ``θ`` (equal
  signatures, :class:`~.base.LocalMap`) is a kink, reported like a ReLU zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...scalars import InputError
from .base import LocalMap, Shape, constant, is_constant, kernel_axes, own, per_axis, size, spatial_output, window_table


@dataclass(frozen=True)
class _Pool:
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        kernel = kernel_axes(self.kernel_size)
        object.__setattr__(self, "kernel_size", kernel)
        object.__setattr__(self, "stride", per_axis(self.stride, len(kernel), 0, "stride", 1)
                           if self.stride is not None else kernel)

    @property
    def dims(self) -> int:
        return len(self.kernel_size)

    def _spatial(self, in_shape: Shape, where: str) -> Shape:
        if len(in_shape) != self.dims + 1:
            raise InputError(f"{where}.input", f"shape (C, {', '.join('d' * self.dims)}) for {self.name}",
                             list(in_shape))
        return tuple(in_shape[1:])

    def out_shape(self, in_shape: Shape, where: str = "layer") -> Shape:
        spatial = self._spatial(in_shape, where)
        zeros = (0,) * self.dims
        return (in_shape[0],) + spatial_output(spatial, self.kernel_size, self.stride, zeros, where)

    def windows(self, in_shape: Shape) -> np.ndarray:
        """Window table ``(P, k)`` (never ``-1``: no padding)."""
        return window_table(self._spatial(in_shape, "layer"), self.kernel_size, self.stride, (0,) * self.dims)

    def _unit_windows(self, in_shape: Shape) -> np.ndarray:
        """``(C P, k)``: flat input units of each flat output unit ``c P + t``."""
        table, D = self.windows(in_shape), size(in_shape[1:])
        return np.concatenate([c * D + table for c in range(in_shape[0])])


@dataclass(frozen=True)
class AvgPool(_Pool):
    """Average over each window (exact rational weights ``1/k``)."""

    @property
    def name(self) -> str:
        return f"AvgPool{self.dims}d"

    def local_map(self, x: np.ndarray, in_shape: Shape, signatures: np.ndarray, position: int) -> LocalMap:
        """The constant map ``P_avg``; an average of constants is a constant, of equal functions that function."""
        units = self._unit_windows(in_shape)
        M = np.zeros((units.shape[0], size(in_shape)), dtype=np.int64)
        M[np.arange(units.shape[0])[:, np.newaxis], units] = 1
        out = np.empty(units.shape[0], dtype=object)
        for a, row in enumerate(units):
            sigs = [signatures[u] for u in row]
            if all(is_constant(g) for g in sigs):
                out[a] = constant(sum(x[u] for u in row))  # the window sum: outputs of one layer share the scale
            else:
                out[a] = sigs[0] if all(g == sigs[0] for g in sigs) else own(position, a)
        return LocalMap(M, units.shape[1], (), out)

    def pattern(self, x: np.ndarray) -> None:
        return None

    def forward(self, x: np.ndarray, pattern: None = None) -> np.ndarray:
        """Direct window averages of ``x`` (``(C, *spatial)`` object array)."""
        out_shape = self.out_shape(x.shape)
        k = size(self.kernel_size)
        out = np.empty(out_shape, dtype=object)
        for c in range(x.shape[0]):
            for t in np.ndindex(*out_shape[1:]):
                acc = 0
                for j in np.ndindex(*self.kernel_size):
                    acc = acc + x[(c,) + tuple(s * ti + ji for ti, ji, s in zip(t, j, self.stride))]
                out[(c,) + t] = acc * Fraction(1, k)
        return out


@dataclass(frozen=True)
class MaxPool(_Pool):
    """Maximum over each window; a tie of maxima that are different functions of θ is a kink."""

    @property
    def name(self) -> str:
        return f"MaxPool{self.dims}d"

    def local_map(self, x: np.ndarray, in_shape: Shape, signatures: np.ndarray, position: int) -> LocalMap:
        """The selection of each window's maximum (the first one of a harmless tie)."""
        units = self._unit_windows(in_shape)
        M = np.zeros((units.shape[0], size(in_shape)), dtype=np.int64)
        kinks, out = [], np.empty(units.shape[0], dtype=object)
        for a, row in enumerate(units):
            values = [x[u] for u in row]
            top = max(values)
            winners = [u for u, v in zip(row, values) if v == top]
            if any(signatures[u] != signatures[winners[0]] for u in winners):
                kinks.append(a)
            M[a, winners[0]] = 1
            out[a] = signatures[winners[0]]
        return LocalMap(M, 1, tuple(kinks), out)

    def pattern(self, x: np.ndarray) -> np.ndarray:
        """Offset (row-major tap) of the first maximum of every window, computed by direct loops."""
        out_shape = self.out_shape(x.shape)
        choice = np.empty(out_shape, dtype=object)
        for c in range(x.shape[0]):
            for t in np.ndindex(*out_shape[1:]):
                best = None
                for j in np.ndindex(*self.kernel_size):
                    v = x[(c,) + tuple(s * ti + ji for ti, ji, s in zip(t, j, self.stride))]
                    if best is None or v > best[0]:
                        best = (v, j)
                choice[(c,) + t] = best[1]
        return choice

    def forward(self, x: np.ndarray, pattern: np.ndarray | None = None) -> np.ndarray:
        """``x`` at each window's chosen tap (``pattern`` from :meth:`pattern`, default: ``x``'s own)."""
        choice = self.pattern(x) if pattern is None else pattern
        out = np.empty(choice.shape, dtype=object)
        for idx in np.ndindex(*choice.shape):
            c, t = idx[0], idx[1:]
            out[idx] = x[(c,) + tuple(s * ti + ji for ti, ji, s in zip(t, choice[idx], self.stride))]
        return out
