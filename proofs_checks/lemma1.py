"""Lemma 1: ``∂ vec_r T^l / ∂ vec_r W^l`` from the rotation ``P``, its powers, ``Ĩ`` and Kronecker products.

The matrix built by :func:`symhess.nets.derivatives.toeplitz_derivative`
(``I_{m_l} ⊗ Σ_t e_t ⊗ (I_{m_{l-1}} ⊗ Eᵀ P^{s t} Ĩ)``, with the padding embedding
``E``) is compared with an independent computation: sympy's Jacobian of the entries
of ``T^l(W)`` (built by :func:`symhess.nets.toeplitz.layer_toeplitz` from *symbolic*
kernels) with respect to the kernel symbols. Also checked: the derivative is 0/1
with exactly one 1 in every row whose Toeplitz entry is structurally non-zero (a
non-zero polynomial) and none elsewhere, and the index map used by the production
route points at that 1.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sympy

from symhess.nets.architecture import LayerShape
from symhess.nets.derivatives import kernel_index_map, toeplitz_derivative
from symhess.nets.toeplitz import layer_toeplitz, output_length

from .framework import CheckResult, Claim, compare_exact

NAME = "Lemma 1 (Toeplitz derivative)"


@dataclass(frozen=True)
class LayerInstance:
    """One conv layer geometry (``shared=False``: a locally connected layer)."""

    in_channels: int
    out_channels: int
    kernel_size: int
    in_dim: int
    stride: int = 1
    padding: int = 0
    shared: bool = True

    @property
    def shape(self) -> LayerShape:
        d_out = output_length(self.in_dim, self.kernel_size, self.stride, self.padding)
        return LayerShape(1, self.in_channels, self.out_channels, self.kernel_size, self.stride, self.padding,
                          self.in_dim, d_out, self.shared)

    @property
    def label(self) -> str:
        kind = "conv" if self.shared else "local"
        return (f"{kind} m_in={self.in_channels} m_out={self.out_channels} k={self.kernel_size} "
                f"d={self.in_dim} s={self.stride} p={self.padding}")


def symbolic_kernel(shape: LayerShape) -> np.ndarray:
    """An object array of distinct sympy symbols, shape ``shape.weight_shape``."""
    out = np.empty(shape.weight_shape, dtype=object)
    for n, idx in enumerate(np.ndindex(*shape.weight_shape)):
        out[idx] = sympy.Symbol(f"w{n}", real=True)
    return out


def sympy_jacobian(shape: LayerShape) -> sympy.Matrix:
    """``∂ vec_r T^l(W) / ∂ vec_r W`` by sympy differentiation of the symbolic Toeplitz matrix."""
    W = symbolic_kernel(shape)
    T = layer_toeplitz(W, shape)
    entries = sympy.Matrix([sympy.sympify(v) for v in T.reshape(-1)])
    return entries.jacobian(sympy.Matrix(list(W.reshape(-1))))


def structurally_nonzero_rows(shape: LayerShape) -> np.ndarray:
    """Bool per entry of ``vec_r T^l``: the entry is a non-zero polynomial in the kernel."""
    T = layer_toeplitz(symbolic_kernel(shape), shape)
    return np.array([sympy.sympify(v) != 0 for v in T.reshape(-1)])


def check(inst: LayerInstance) -> list[CheckResult]:
    """Three identities per layer geometry; observed values are counts of offending entries/rows."""
    shape = inst.shape
    D = toeplitz_derivative(shape)
    J = sympy_jacobian(shape)
    differing = sum(1 for (r, c), v in np.ndenumerate(D) if J[r, c] != int(v))
    nonzero = structurally_nonzero_rows(shape)
    ones = (D == 1).sum(axis=1)
    bad_rows = int(((D != 0) & (D != 1)).any(axis=1).sum() + (ones[nonzero] != 1).sum() + (ones[~nonzero] != 0).sum())
    idx = kernel_index_map(shape).reshape(-1)
    bad_map = sum(1 for r in range(D.shape[0]) if (idx[r] >= 0) != bool(nonzero[r])
                  or (idx[r] >= 0 and D[r, idx[r]] != 1))
    where = f"{inst.label}, D {D.shape[0]}x{D.shape[1]}"
    return [
        compare_exact(NAME, f"{where} [Kronecker formula vs sympy Jacobian]", 0, differing,
                      f"{differing} differing entries"),
        compare_exact(NAME, f"{where} [0/1, one 1 per structurally non-zero row]", 0, bad_rows,
                      f"{int(nonzero.sum())} structurally non-zero rows of {D.shape[0]}"),
        compare_exact(NAME, f"{where} [index map points at the 1]", 0, bad_map, "kernel_index_map"),
    ]


def instances(full: bool) -> list[LayerInstance]:
    """Grid over (in-channels, out-channels, filter size, input length, stride, padding), plus local layers."""
    channels = (1, 2, 3) if full else (1, 2)
    kernels, dims = ((1, 2, 3, 4), (3, 5, 7)) if full else ((1, 2, 3), (3, 5))
    strides, paddings = ((1, 2, 3), (0, 1, 2)) if full else ((1, 2), (0, 1))
    out = [LayerInstance(mi, mo, k, d, s, p)
           for mi, mo, k, d, s, p in itertools.product(channels, channels, kernels, dims, strides, paddings)
           if k <= d + 2 * p]
    out += [LayerInstance(2, 2, 2, 6, 2, 0, shared=False), LayerInstance(1, 2, 3, 5, 1, 1, shared=False)]
    return out


CLAIM = Claim(
    name=NAME,
    statement="∂vec_r T^l/∂vec_r W^l = I_{m_l} ⊗ Σ_t e_t ⊗ (I_{m_{l-1}} ⊗ Eᵀ P^{st} Ĩ), a 0/1 matrix "
              "with one 1 per structurally non-zero Toeplitz entry",
    check=check,
    instances=instances,
    tags=("identity", "lemma"),
)
