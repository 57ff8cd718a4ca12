"""Exact loss Hessians of MSE-trained CNNs (Eq. 1): ``H_L = H_O + H_F``.

Loss: ``L(θ) = (1/n) Σ_i ½‖F(x_i) − y_i‖²``, residual ``r_i = F(x_i) − y_i``.

* Outer-product Hessian ``H_O = (1/n) Σ_i J_iᵀ J_i``, ``J_i = ∂F(x_i)/∂θ`` (``K × p``).
* Functional Hessian ``H_F = (1/n) Σ_i Σ_c r_{ic} ∇²_θ F_c(x_i)``.

This is the production route: exact rationals in FLINT ``fmpq_mat``, with the
Toeplitz derivative of Lemma 1 applied through its index map instead of as a
matrix. With ``z_l = T^l h_{l-1}``, ``h_l = Λ^l z_l``,
``A_{>l} = ∂F/∂z_l = T^L Λ^{L-1} ⋯ T^{l+1} Λ^l`` and
``U_l(h) = ∂(T^l h)/∂vec_r W^l`` (:func:`symhess.nets.derivatives.input_jacobian`):

    J_i = [A_{>1} U_1(h_0) | … | A_{>L} U_L(h_{L-1})],

and for ``l > k`` (``H_F`` is block-hollow: diagonal blocks vanish because
``F`` is linear in each ``W^l``):

    H_F^{(l,k)} = (1/n) Σ_i V_l(A_{>l}ᵀ r_i) · M_{l,k} · U_k(h_{k-1}),
    M_{l,k} = ∂h_{l-1}/∂z_k = Λ^{l-1} T^{l-1} ⋯ T^{k+1} Λ^k,

with ``V_l(g) = (∂vec_r T^l/∂vec_r W^l)ᵀ (g ⊗ I)`` (:func:`symhess.nets.derivatives.output_jacobian`).
These are Propositions 2–4 with the Kronecker products contracted per sample; the
literal Kronecker forms live in :mod:`symhess.hessian.block_formulas` and are checked equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import flint
import numpy as np

from ..linalg.matrices import block_matrix, hstack, submatrix, to_fmpq_mat, vstack
from ..nets.architecture import Architecture, Network
from ..nets.data import Dataset
from ..nets.derivatives import input_jacobian, output_jacobian
from ..nets.toeplitz import ForwardPass, forward, network_toeplitz
from ..scalars import InputError

PARTS = ("outer", "functional", "loss")
"""Names of the three Hessians: ``H_O``, ``H_F``, ``H_L``."""


@dataclass(frozen=True, eq=False)
class HessianParts:
    """Exact ``H_O`` and ``H_F`` (``p × p`` ``fmpq_mat``) of one network on one data set."""

    arch: Architecture
    outer: flint.fmpq_mat
    functional: flint.fmpq_mat

    @property
    def loss(self) -> flint.fmpq_mat:
        """``H_L = H_O + H_F``."""
        return self.outer + self.functional

    def part(self, name: str) -> flint.fmpq_mat:
        """``"outer"``, ``"functional"`` or ``"loss"``."""
        return {"outer": self.outer, "functional": self.functional, "loss": self.loss}[name]

    def block(self, name: str, k: int, l: int) -> flint.fmpq_mat:
        """The ``(k, l)`` block (1-based layers) of part ``name``: rows ``W^k``, columns ``W^l``."""
        offs, shapes = self.arch.param_offsets, self.arch.layers
        rows = slice(offs[k - 1], offs[k - 1] + shapes[k - 1].num_params)
        cols = slice(offs[l - 1], offs[l - 1] + shapes[l - 1].num_params)
        return submatrix(self.part(name), rows, cols)

    def column_block(self, name: str, l: int) -> flint.fmpq_mat:
        """Column block ``l``: all rows, the columns of ``W^l`` (the theorems' unit)."""
        offs, shapes = self.arch.param_offsets, self.arch.layers
        return submatrix(self.part(name), slice(None), slice(offs[l - 1], offs[l - 1] + shapes[l - 1].num_params))


@dataclass(frozen=True, eq=False)
class SampleTerms:
    """Per-sample pieces: forward pass, ``A_{>l}`` for ``l = 1..L`` (index ``l``) and residual."""

    fwd: ForwardPass
    backward: list[flint.fmpq_mat | None]
    residual: np.ndarray


def _masked(T: np.ndarray, mask: np.ndarray | None) -> flint.fmpq_mat:
    """``T Λ`` as ``fmpq_mat`` (columns of ``T`` scaled by the 0/1 ``mask``)."""
    return to_fmpq_mat(T if mask is None else T * mask[np.newaxis, :])


def sample_terms(net: Network, data: Dataset) -> Iterator[SampleTerms]:
    """Forward and backward quantities for every sample, exact."""
    data.check_fits(net.arch)
    mats = network_toeplitz(net)
    L = len(mats)
    linear_cache: list[flint.fmpq_mat | None] | None = None
    for x, y in zip(data.inputs, data.targets):
        fwd = forward(net, x, mats)
        if linear_cache is not None:
            backward = linear_cache
        else:
            backward = [None] * (L + 1)
            backward[L] = flint.fmpq_mat(net.arch.outputs, net.arch.outputs,
                                         [int(i == j) for i in range(net.arch.outputs)
                                          for j in range(net.arch.outputs)])
            for l in range(L, 1, -1):
                backward[l - 1] = backward[l] * _masked(mats[l - 1], fwd.masks[l - 1])
            if net.arch.activation == "linear":
                linear_cache = backward
        yield SampleTerms(fwd, backward, fwd.output - y)


def sample_jacobian(net: Network, terms: SampleTerms) -> flint.fmpq_mat:
    """``J_i = ∂F(x_i)/∂θ`` (``K × p``)."""
    return hstack([terms.backward[s.index] * to_fmpq_mat(input_jacobian(s, terms.fwd.hidden[s.index - 1]))
                   for s in net.arch.layers])


def jacobian(net: Network, data: Dataset) -> flint.fmpq_mat:
    """The stacked Jacobian ``J = [J_1; …; J_n]`` (``nK × p``); ``H_O = Jᵀ J / n``."""
    return vstack([sample_jacobian(net, t) for t in sample_terms(net, data)])


def outer_hessian(net: Network, data: Dataset) -> flint.fmpq_mat:
    """``H_O = (1/n) Σ_i J_iᵀ J_i`` (``p × p``)."""
    J = jacobian(net, data)
    return (J.transpose() * J) * flint.fmpq(1, data.n)


def functional_hessian(net: Network, data: Dataset, residuals: Sequence[Sequence] | None = None) -> flint.fmpq_mat:
    """``H_F = (1/n) Σ_i Σ_c r_{ic} ∇²F_c(x_i)``, assembled from its blocks ``(l, k)``, ``l > k``.

    ``H_F`` is linear in the residuals: by default ``r_i = F(x_i) − y_i`` (MSE); pass
    ``residuals`` (``n`` exact vectors of length ``K``) to weight ``∇²F_c(x_i)`` by any
    ``r_{ic}`` instead (cross-entropy: ``r_i = softmax(F(x_i)) − y_i``, see
    :mod:`symhess.hessian.crossentropy`).
    """
    arch, mats = net.arch, network_toeplitz(net)
    shapes, L = arch.layers, arch.depth
    if residuals is not None and (len(residuals) != data.n or any(len(r) != arch.outputs for r in residuals)):
        raise InputError("residuals", f"{data.n} vectors of length K = {arch.outputs}",
                         [len(r) for r in residuals])
    blocks: dict[tuple[int, int], flint.fmpq_mat] = {}
    for i, terms in enumerate(sample_terms(net, data)):
        h, masks = terms.fwd.hidden, terms.fwd.masks
        r = to_fmpq_mat(np.asarray(terms.residual if residuals is None else list(residuals[i]), dtype=object))
        for k in range(1, L):
            U_k = to_fmpq_mat(input_jacobian(shapes[k - 1], h[k - 1]))
            M = _diag(masks[k])  # M_{k+1,k} = Λ^k
            for l in range(k + 1, L + 1):
                g = terms.backward[l].transpose() * r
                V_l = to_fmpq_mat(output_jacobian(shapes[l - 1], np.array(g.entries(), dtype=object)))
                term = V_l * M * U_k
                blocks[(l, k)] = blocks[(l, k)] + term if (l, k) in blocks else term
                if l < L:
                    M = _diag(masks[l]) * to_fmpq_mat(mats[l - 1]) * M  # M_{l+1,k} = Λ^l T^l M_{l,k}
    scale = flint.fmpq(1, data.n)
    grid = [[None] * L for _ in range(L)]
    for (l, k), blk in blocks.items():
        grid[l - 1][k - 1] = blk * scale
        grid[k - 1][l - 1] = (blk * scale).transpose()
    sizes = [s.num_params for s in shapes]
    return block_matrix(grid, sizes, sizes)


def _diag(mask: np.ndarray | None) -> flint.fmpq_mat:
    n = len(mask)
    return flint.fmpq_mat(n, n, [int(mask[i]) if i == j else 0 for i in range(n) for j in range(n)])


def mse_hessians(net: Network, data: Dataset) -> HessianParts:
    """Exact ``H_O``, ``H_F`` (and ``H_L`` via :attr:`HessianParts.loss`) for MSE."""
    return HessianParts(net.arch, outer_hessian(net, data), functional_hessian(net, data))


def input_covariance(data: Dataset) -> flint.fmpq_mat:
    """``Σ_xx = (1/n) Σ_i x_i x_iᵀ`` (``d_0 × d_0``)."""
    X = to_fmpq_mat(data.inputs)
    return (X.transpose() * X) * flint.fmpq(1, data.n)


def residual_input_covariance(net: Network, data: Dataset) -> flint.fmpq_mat:
    """``Ω = (1/n) Σ_i (F(x_i) − y_i) x_iᵀ`` (``K × d_0``)."""
    R = vstack([to_fmpq_mat(t.residual).transpose() for t in sample_terms(net, data)])
    X = to_fmpq_mat(data.inputs)
    return (R.transpose() * X) * flint.fmpq(1, data.n)
