"""Exact MSE Hessians of any :class:`~symhess.nets.sequential.SequentialNetwork` (Eq. 1 for all layer types).

Same conventions as :mod:`symhess.hessian.hessians`: ``L(θ) = (1/n) Σ_i ½‖F(x_i) − y_i‖²``,
``H_O = (1/n) Σ_i J_iᵀ J_i``, ``H_F = (1/n) Σ_i Σ_c r_ic ∇²F_c(x_i)``, exact in FLINT ``fmpq_mat``.

Every layer is, at the current point, a linear map of its input: a weight layer
``z = T(W) h + B b`` (``T`` from the layer's index map), a parameter-free layer ``z = M(h) h``
(its :class:`~symhess.nets.layers.base.LocalMap`, constant near a kink-free point). Write
``A_{>q} = ∂F/∂(output of layer q)`` (``A_{>last} = I_K``, ``A_{>q-1} = A_{>q} M_q``) and, for a
weight layer ``l`` with input ``h``,

    U_l(h) = ∂(T(W) h)/∂vec_r W,   U_l(h)[a, idx[a, c]] = h[c];   ∂z/∂b = B,
    V_l(g) = U_l(·)ᵀ contracted with g:  V_l(g)[idx[a, c], c] = g[a].

Then ``J_i = [A_{>l} U_l(h_{l-1}) | A_{>l} B_l]_l`` and, since ``F`` is affine in each layer's
parameters with the pieces fixed (``∂²F/∂θ_l² = 0``), the functional Hessian has only the
off-diagonal layer blocks, for weight layers ``l`` before ``m``:

    H_F^{(m,l)} = (1/n) Σ_i [V_m(A_{>m}ᵀ r_i) ; 0_bias] · D_{m,l},
    D_{m,l} = ∂(input of m)/∂θ_l = M_{m-1} ⋯ M_{l+1} [U_l(h_{l-1}) | B_l],

(the bias rows of ``m`` are zero: ``∂F/∂b_m`` does not depend on earlier parameters). This is
the 1D production route of :mod:`symhess.hessian.hessians` with the Toeplitz matrices, ReLU
masks, pooling maps and biases all seen through one interface; on a 1D network it gives the
same matrices entry for entry (``tests/test_sequential.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Sequence

import flint
import numpy as np

from ..linalg.matrices import block_matrix, to_fmpq_mat, vstack
from ..nets.data import Dataset
from ..nets.layers import WEIGHT_LAYERS
from ..nets.layers.base import LocalMap, constant, constant_signatures, is_constant, kink_error, own
from ..nets.sequential import PlacedLayer, SequentialNetwork, parameter_derivative, toeplitzed
from ..scalars import InputError
from ..linalg.integer import shrink
from .integer_hessians import IntegerHessians
from .hessians import HessianParts


def weight_matrix(placed: PlacedLayer, weight: np.ndarray) -> np.ndarray:
    """``T(W)`` (``out × in`` object array): ``T[a, c] = vec_r(W)[idx[a, c]]``, zero where ``idx = -1``."""
    idx = placed.layer.index_map(placed.in_shape)
    flat = np.append(weight.reshape(-1), Fraction(0))  # idx = -1 reads the appended zero
    return flat[idx]


def input_jacobian(placed: PlacedLayer, h: np.ndarray) -> np.ndarray:
    """``[U_l(h) | B_l]`` (``out × num_params``): ``∂z/∂(vec_r W, b)`` at layer input ``h``."""
    idx = placed.layer.index_map(placed.in_shape)
    out = np.full((placed.out_size, placed.num_params), Fraction(0), dtype=object)
    a, c = np.nonzero(idx >= 0)
    np.add.at(out, (a, idx[a, c]), h[c])
    if placed.bias_shape is not None:
        bias = placed.layer.bias_map(placed.in_shape)
        out[np.arange(placed.out_size), placed.num_weights + bias] = Fraction(1)
    return out


def output_jacobian(placed: PlacedLayer, g: np.ndarray) -> np.ndarray:
    """``[V_l(g) ; 0]`` (``num_params × in``): ``V_l(g)[idx[a, c], c] = Σ g[a]``, bias rows zero."""
    idx = placed.layer.index_map(placed.in_shape)
    out = np.full((placed.num_params, placed.in_size), Fraction(0), dtype=object)
    a, c = np.nonzero(idx >= 0)
    np.add.at(out, (idx[a, c], c), g[a])
    return out


@dataclass(frozen=True, eq=False)
class SamplePass:
    """One sample: the input of every layer (flat), every layer's local map ``M_q`` and the output."""

    inputs: list[np.ndarray]
    maps: list[flint.fmpq_mat]
    output: np.ndarray


def output_signatures(placed: PlacedLayer, signatures: np.ndarray) -> np.ndarray:
    """Signatures (:data:`~symhess.nets.layers.base.Signature`) of a weight layer's outputs.

    A unit whose receptive field holds only constants is ``Σ θ_j v_j (+ b)``: the constant ``0``
    without bias when every ``v_j = 0`` (the 1D "structurally dead unit"), else
    ``("a", position, pairs, bias index)``; any other unit is its own function.
    """
    idx = placed.layer.index_map(placed.in_shape)
    bias = placed.layer.bias_map(placed.in_shape) if placed.bias_shape is not None else None
    out = np.empty(placed.out_size, dtype=object)
    for a in range(placed.out_size):
        cols = np.nonzero(idx[a] >= 0)[0]
        if all(is_constant(signatures[c]) for c in cols):
            pairs = tuple((int(idx[a, c]), signatures[c][1]) for c in cols if signatures[c][1] != 0)
            if not pairs and bias is None:
                out[a] = constant(0)
            else:
                out[a] = ("a", placed.position, pairs, None if bias is None else int(bias[a]))
        else:
            out[a] = own(placed.position, a)
    return out


def raise_kinks(placed: PlacedLayer, local: LocalMap, sample: int | None) -> None:
    """Raise :class:`~symhess.nets.layers.base.KinkError` if the local map has kinks (names layer and unit)."""
    if local.kinks:
        raise kink_error(f"layer {placed.position} ({placed.layer.name}) input", placed.out_shape,
                         list(local.kinks), sample)


def local_fmpq(local: LocalMap) -> flint.fmpq_mat:
    """A local map as ``fmpq_mat``."""
    num = flint.fmpq_mat(flint.fmpz_mat(local.numerator.tolist()))
    return num if local.denominator == 1 else num * flint.fmpq(1, local.denominator)


def sample_pass(net: SequentialNetwork, x: Sequence, sample: int | None = None,
                matrices: dict[int, tuple[np.ndarray, flint.fmpq_mat]] | None = None) -> SamplePass:
    """Forward pass of one flat input ``x``; a kink raises :class:`~symhess.nets.layers.base.KinkError`."""
    params = {p.position: wb for p, wb in zip(net.arch.layers, net.params)}
    matrices = weight_matrices(net) if matrices is None else matrices
    h = np.array(list(x), dtype=object)
    signatures = constant_signatures(h)
    inputs, maps = [], []
    for placed in net.arch.placed:
        inputs.append(h)
        if placed.has_params:
            T, T_mat = matrices[placed.position]
            z = T.dot(h)
            bias = params[placed.position][1]
            if bias is not None:
                z = z + bias[placed.layer.bias_map(placed.in_shape)]
            signatures = output_signatures(placed, signatures)
            maps.append(T_mat)
        else:
            local = placed.layer.local_map(h, placed.in_shape, signatures, placed.position)
            raise_kinks(placed, local, sample)
            M = local_fmpq(local)
            z = np.array([Fraction(int(v.p), int(v.q)) for v in (M * to_fmpq_mat(h)).entries()], dtype=object)
            signatures = local.signatures
            maps.append(M)
        h = z
    return SamplePass(inputs, maps, h)


def weight_matrices(net: SequentialNetwork) -> dict[int, tuple[np.ndarray, flint.fmpq_mat]]:
    """``T(W)`` of each weight layer (by position), as an object array and as ``fmpq_mat``."""
    out = {}
    for placed, (w, _) in zip(net.arch.layers, net.params):
        T = weight_matrix(placed, w)
        out[placed.position] = (T, to_fmpq_mat(T))
    return out


def _fractions(m: flint.fmpq_mat) -> np.ndarray:
    """The entries of ``m`` (row-major) as an object array of ``Fraction``."""
    return np.array([Fraction(int(v.p), int(v.q)) for v in m.entries()], dtype=object)


def _identity(n: int) -> flint.fmpq_mat:
    return flint.fmpq_mat(n, n, [int(i == j) for i in range(n) for j in range(n)])


def backward_maps(net: SequentialNetwork, sp: SamplePass) -> list[flint.fmpq_mat]:
    """``A_{>q}`` for every layer position ``q`` (``K × out_size_q``)."""
    placed = net.arch.placed
    A: list[flint.fmpq_mat] = [None] * len(placed)  # type: ignore[list-item]
    A[-1] = _identity(net.arch.outputs)
    for q in range(len(placed) - 1, 0, -1):
        A[q - 1] = A[q] * sp.maps[q]
    return A


def samples(net: SequentialNetwork, data: Dataset) -> Iterator[tuple[SamplePass, list[flint.fmpq_mat]]]:
    """Forward and backward quantities of every sample."""
    data.check_fits(net.arch)
    mats = weight_matrices(net)
    for i, x in enumerate(data.inputs):
        sp = sample_pass(net, x, sample=i, matrices=mats)
        yield sp, backward_maps(net, sp)


def parameter_jacobians(net: SequentialNetwork, sp: SamplePass) -> list[flint.fmpq_mat]:
    """``[U_l(h_{l-1}) | B_l]`` of every weight layer ``l`` (``out_l × p_l``) for one sample."""
    return [to_fmpq_mat(input_jacobian(p, sp.inputs[p.position])) for p in net.arch.layers]


def sample_jacobian(net: SequentialNetwork, A: list[flint.fmpq_mat], ujs: list[flint.fmpq_mat]) -> flint.fmpq_mat:
    """``J_i = [A_{>l} U_l | A_{>l} B_l]_l`` (``K × p``)."""
    blocks = [A[p.position] * u for p, u in zip(net.arch.layers, ujs)]
    return block_matrix([blocks], [net.arch.outputs], [p.num_params for p in net.arch.layers])


def jacobian(net: SequentialNetwork, data: Dataset) -> flint.fmpq_mat:
    """``J = [J_1; …; J_n]`` (``nK × p``)."""
    return vstack([sample_jacobian(net, A, parameter_jacobians(net, sp)) for sp, A in samples(net, data)])


@dataclass(frozen=True, eq=False)
class SequentialHessians(HessianParts):
    """:class:`~symhess.hessian.hessians.HessianParts` with the stacked Jacobian ``J`` (``nK × p``)."""

    jacobian: flint.fmpq_mat | None = None
    n: int = 1

    def integers(self) -> IntegerHessians:
        """The same matrices as :class:`~symhess.hessian.integer_hessians.IntegerHessians` (integers and scales).

        ``S`` = common denominator of ``J`` (``Ĵ = S J``), ``s_y`` = common denominator of
        ``n S² H_F`` (``F̂ = n S² s_y H_F``): exactly the scales ``IntegerHessians`` documents, so every
        rank routine of the fast route applies unchanged.
        """
        S = _denominator(self.jacobian)
        J_hat = _integer_array(self.jacobian * S)
        F_scaled = self.functional * (self.n * S * S)
        s_y = _denominator(F_scaled)
        return IntegerHessians(self.arch, self.n, J_hat, None, _integer_array(F_scaled * s_y), S, s_y)


def _denominator(m: flint.fmpq_mat) -> int:
    """Least common denominator of the entries of ``m``."""
    return int(m.numer_denom()[1]) if m.nrows() and m.ncols() else 1


def _integer_array(m: flint.fmpq_mat) -> np.ndarray:
    """An integer-valued ``fmpq_mat`` as an int64 array when every entry fits, else Python ints."""
    rows = [[int(v) for v in row] for row in m.numer_denom()[0].tolist()]
    arr = np.array(rows, dtype=object).reshape(m.nrows(), m.ncols())
    return shrink(arr)


def sequential_hessians(net: SequentialNetwork, data: Dataset,
                        residuals: Sequence[Sequence] | None = None) -> SequentialHessians:
    """Exact ``H_O`` and ``H_F`` (``H_L`` = their sum) and ``J``; ``residuals`` replace ``F(x_i) − y_i`` in ``H_F``."""
    arch = net.arch
    if residuals is not None and (len(residuals) != data.n or any(len(r) != arch.outputs for r in residuals)):
        raise InputError("residuals", f"{data.n} vectors of length K = {arch.outputs}",
                         [len(r) for r in residuals])
    weight_layers = arch.layers
    L = len(weight_layers)
    blocks: dict[tuple[int, int], flint.fmpq_mat] = {}
    jacobians = []
    for i, (sp, A) in enumerate(samples(net, data)):
        y = data.targets[i]
        r = np.array(list(residuals[i]) if residuals is not None else list(sp.output - y), dtype=object)
        r_mat = to_fmpq_mat(r)
        ujs = parameter_jacobians(net, sp)
        jacobians.append(sample_jacobian(net, A, ujs))
        for l, pl in enumerate(weight_layers):
            D = ujs[l]  # ∂(output of layer l)/∂θ_l
            for q in range(pl.position + 1, len(arch.placed)):
                later = arch.placed[q]
                if later.has_params:
                    m = later.index - 1
                    g = A[q].transpose() * r_mat
                    V = to_fmpq_mat(output_jacobian(later, _fractions(g)))
                    term = V * D
                    blocks[(m, l)] = blocks[(m, l)] + term if (m, l) in blocks else term
                D = sp.maps[q] * D
    scale = flint.fmpq(1, data.n)
    grid: list[list[flint.fmpq_mat | None]] = [[None] * L for _ in range(L)]
    for (m, l), blk in blocks.items():
        grid[m][l] = blk * scale
        grid[l][m] = (blk * scale).transpose()
    sizes = [pl.num_params for pl in weight_layers]
    J = vstack(jacobians)
    outer = (J.transpose() * J) * scale
    return SequentialHessians(arch, outer, block_matrix(grid, sizes, sizes), J, data.n)


def pulled_back_hessians(net: SequentialNetwork, data: Dataset) -> HessianParts:
    """Route (a), Prop. 4 for any layer stack: ``H = Dᵀ Ĥ D`` with ``Ĥ`` the Toeplitzed network's Hessians.

    ``Ĥ`` (size ``Σ_l out_l in_l (+ out_l)``) comes from :func:`sequential_hessians` on
    :func:`~symhess.nets.sequential.toeplitzed`; ``D = blockdiag_l`` of
    :func:`~symhess.nets.sequential.parameter_derivative` (Lemma 1 and the bias maps).
    """
    hat = sequential_hessians(toeplitzed(net), data)
    derivs = [to_fmpq_mat(parameter_derivative(p)) for p in net.arch.layers]
    D = block_matrix([[d if i == j else None for j, d in enumerate(derivs)] for i in range(len(derivs))],
                     [d.nrows() for d in derivs], [d.ncols() for d in derivs])
    Dt = D.transpose()
    return HessianParts(net.arch, Dt * hat.outer * D, Dt * hat.functional * D)



def residual_input_covariance(net: SequentialNetwork, data: Dataset) -> flint.fmpq_mat:
    """``Ω = (1/n) Σ_i (F(x_i) − y_i) x_iᵀ`` (``K × d_0``, ``x_i`` flat), exact; ``s = rank Ω``."""
    mats = weight_matrices(net)
    rows = [np.array(list(sample_pass(net, x, i, mats).output - y), dtype=object)
            for i, (x, y) in enumerate(zip(data.inputs, data.targets))]
    R = to_fmpq_mat(np.array(rows, dtype=object))
    return (R.transpose() * to_fmpq_mat(data.inputs)) * flint.fmpq(1, data.n)
