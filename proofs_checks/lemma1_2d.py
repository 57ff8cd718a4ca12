"""Lemma 1 in 2D: ``∂vec_r T/∂vec_r W = Π (I_{mC} ⊗ D_1 ⊗ D_2)`` for ``Conv2d`` (docs/theory.md §9.1).

The matrix built by :func:`symhess.nets.derivatives.lemma1_2d_derivative` (Kronecker products of the
single-channel 1D derivatives ``D_a`` and the ``vec_r``-of-Kronecker permutation ``Π``) is compared,
on a grid of geometries (kernel, stride, zero padding, channels, non-square inputs), with

* sympy's Jacobian of ``vec_r T(W)``, where ``T(W)`` is built *independently*: column ``c`` of
  ``T`` is ``Conv.forward`` (direct cross-correlation loops, no index map) applied to the basis
  vector ``e_c`` with a *symbolic* kernel ``W``;
* the ``Conv`` layer's index map as a 0/1 matrix
  (:func:`symhess.nets.sequential.parameter_derivative`, what every Hessian route uses).

Observed values are numbers of differing entries (expected ``0``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sympy

from symhess.nets.derivatives import lemma1_2d_derivative
from symhess.nets.layers import Dense, Flatten, conv2d
from symhess.nets.sequential import SequentialArchitecture, parameter_derivative

from .framework import CheckResult, Claim, compare_exact

NAME = "Lemma 1 in 2D (doubly-block Toeplitz derivative)"


@dataclass(frozen=True)
class Conv2dGeometry:
    """One ``Conv2d`` geometry: ``C`` in-channels, ``m`` out-channels, input ``d_1 × d_2``."""

    in_channels: int
    out_channels: int
    spatial: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)

    @property
    def label(self) -> str:
        return (f"Conv2d C={self.in_channels} m={self.out_channels} in={self.spatial[0]}x{self.spatial[1]} "
                f"k={self.kernel[0]}x{self.kernel[1]} s={self.stride[0]}x{self.stride[1]} "
                f"p={self.padding[0]}x{self.padding[1]}")

    def placed(self):
        layer = conv2d(self.out_channels, self.kernel, self.stride, self.padding)
        arch = SequentialArchitecture((self.in_channels,) + self.spatial, (layer, Flatten(), Dense(1)))
        return arch.layers[0]


def sympy_jacobian(geo: Conv2dGeometry) -> sympy.Matrix:
    """``∂vec_r T(W)/∂vec_r W`` by sympy, ``T``'s columns = ``Conv.forward`` of the basis vectors."""
    placed = geo.placed()
    W = np.empty(placed.weight_shape, dtype=object)
    for n, idx in enumerate(np.ndindex(*placed.weight_shape)):
        W[idx] = sympy.Symbol(f"w{n}", real=True)
    columns = []
    for c in range(placed.in_size):
        e = np.zeros(placed.in_size, dtype=object)
        e[c] = 1
        columns.append(placed.layer.forward(e.reshape(placed.in_shape), W, None).reshape(-1))
    T = np.array(columns, dtype=object).T  # (out, in)
    entries = sympy.Matrix([sympy.sympify(v) for v in T.reshape(-1)])
    return entries.jacobian(sympy.Matrix(list(W.reshape(-1))))


def check(geo: Conv2dGeometry) -> list[CheckResult]:
    D = lemma1_2d_derivative(geo.in_channels, geo.out_channels, geo.spatial, geo.kernel, geo.stride, geo.padding)
    J = sympy_jacobian(geo)
    index_map = parameter_derivative(geo.placed())
    where = f"{geo.label}, D {D.shape[0]}x{D.shape[1]}"
    if J.shape != D.shape:
        differing = D.size
    else:
        differing = sum(1 for (r, c), v in np.ndenumerate(D) if J[r, c] != int(v))
    return [
        compare_exact(NAME, f"{where} [Π(I ⊗ D_1 ⊗ D_2) vs sympy Jacobian of Conv.forward]", 0, differing,
                      f"{differing} differing entries; sympy Jacobian {J.shape[0]}x{J.shape[1]}"),
        compare_exact(NAME, f"{where} [Π(I ⊗ D_1 ⊗ D_2) vs the layer's index map]", 0,
                      int((index_map != D).sum()) if index_map.shape == D.shape else D.size,
                      "symhess.nets.sequential.parameter_derivative"),
    ]


DEFAULT = [
    Conv2dGeometry(1, 1, (3, 4), (2, 2)),
    Conv2dGeometry(2, 2, (4, 3), (2, 3), (2, 1), (1, 0)),
    Conv2dGeometry(1, 2, (3, 5), (3, 2), (1, 2), (1, 1)),
    Conv2dGeometry(2, 1, (5, 2), (1, 2), (3, 1), (0, 1)),
]


def instances(full: bool) -> list[Conv2dGeometry]:
    """Default: four mixed geometries; full: a grid over channels, kernels, strides, paddings (non-square)."""
    if not full:
        return DEFAULT
    out = []
    for C, m, spatial, kernel, stride, padding in itertools.product(
            (1, 2), (1, 2), ((3, 4), (4, 3)), ((1, 2), (2, 2), (3, 2)), ((1, 1), (2, 1), (1, 2)), ((0, 0), (1, 0), (1, 1))):
        if all(k <= d + 2 * p for k, d, p in zip(kernel, spatial, padding)):
            out.append(Conv2dGeometry(C, m, spatial, kernel, stride, padding))
    return out


CLAIM = Claim(
    name=NAME,
    statement="∂vec_r T/∂vec_r W = Π (I_{mC} ⊗ D_1 ⊗ D_2), D_a = [vec_r S_a^{(j)}]_j the 1D single-channel "
              "derivatives, Π the vec_r-of-Kronecker permutation; equals sympy's Jacobian of Conv.forward and "
              "the Conv layer's index map",
    check=check,
    instances=instances,
    tags=("identity", "lemma", "2d"),
)
