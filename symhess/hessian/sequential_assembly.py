"""Fast exact assembly for any layer stack: the route of :mod:`symhess.hessian.sequential` in integers.

Same matrices as :func:`symhess.hessian.sequential.sequential_hessians`, as an
:class:`~symhess.hessian.integer_hessians.IntegerHessians` (integer matrices and exact scales), with
numpy arrays and the proven-exact products of :mod:`symhess.linalg.integer` instead of FLINT
rationals, so the ranks go straight to :func:`symhess.linalg.rank.integer_rank`.

**Clearing denominators.** Every layer's local map is an integer matrix over a scale:
a weight layer ``T = T̂ / c_l``, ``b = b̂ / c_l`` (``c_l`` the common denominator of its weight
and bias); average pooling ``M = M̂ / k``; ReLU, max pooling and Flatten are 0/1 (``c = 1``).
With inputs ``X = X̂ / s_x`` and ``S_q = s_x Π_{q' ≤ q} c_{q'}``, every layer output is
``ĥ_q / S_q`` with ``ĥ_q = M̂_q ĥ_{q-1}`` (plus ``b̂ S_{q-1}`` for a bias); the pieces (ReLU
signs, max-pool arg-maxes, ties) are read on ``ĥ`` (a positive scale changes none of them).
With ``S = S_N`` (the output scale), ``Â_{>q}`` the integer backward products and the integer
``Û_l = [U_l(ĥ_{l-1}) | S_{l-1} B_l]``, the route's formulas become (docs/theory.md §9)

    Ĵ_l = c_l Â_{>l} Û_l,            J = Ĵ / S,
    F̂_{(m,l)} = c_l c_m Σ_i V_m(ĝ_m) M̂_{m-1} ⋯ M̂_{l+1} Û_l,   ĝ_m = Â_{>m}ᵀ r̂,  r̂ = s_y ĥ_N − S ŷ,
    H_F = F̂ / (n S² s_y),

the scales the fast 1D assembly (:mod:`symhess.hessian.assembly`) uses, so ranks and every
downstream consumer treat both the same way. ``arithmetic="float64"`` runs the same code in
float64 (the peers' baseline), never for an exact answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..linalg.integer import INT64_LIMIT, clear_denominators, common_dtype, exact_add, exact_matmul, exact_mul
from ..nets.data import Dataset
from ..nets.layers.base import constant_signatures
from ..nets.sequential import PlacedLayer, SequentialNetwork
from .integer_hessians import IntegerHessians
from .sequential import output_signatures, raise_kinks, weight_matrix

ARITHMETICS = ("exact", "float64")


@dataclass(frozen=True, eq=False)
class _Layer:
    """A weight layer's integer pieces: ``T̂`` (``out × in``), ``b̂`` (or ``None``) and ``c_l``."""

    placed: PlacedLayer
    T: np.ndarray
    bias: np.ndarray | None
    scale: int
    index: np.ndarray


def _weight_layers(net: SequentialNetwork, arithmetic: str) -> dict[int, _Layer]:
    out = {}
    for placed, (w, b) in zip(net.arch.layers, net.params):
        T = weight_matrix(placed, w)
        values = np.concatenate([T.reshape(-1), b if b is not None else np.array([], dtype=object)])
        ints, c = clear_denominators(values, arithmetic)
        T_hat = ints[:T.size].reshape(T.shape)
        b_hat = ints[T.size:] if b is not None else None
        out[placed.position] = _Layer(placed, T_hat, b_hat, c, placed.layer.index_map(placed.in_shape))
    return out


def _u_hat(layer: _Layer, h: np.ndarray, S_prev: int) -> np.ndarray:
    """``Û_l = [U_l(ĥ) | S_{l-1} B_l]`` (``out × p_l``), integer."""
    placed, idx = layer.placed, layer.index
    has_bias = placed.bias_shape is not None
    dtype = object if h.dtype == object or (has_bias and S_prev >= INT64_LIMIT) else h.dtype
    out = np.zeros((placed.out_size, placed.num_params), dtype=dtype)
    a, c = np.nonzero(idx >= 0)
    out[a, idx[a, c]] = h[c]  # one input per (output, parameter): a conv/dense index map never repeats
    if has_bias:
        out[np.arange(placed.out_size), placed.num_weights + placed.layer.bias_map(placed.in_shape)] = S_prev
    return out


def _v_hat(layer: _Layer, g: np.ndarray) -> np.ndarray:
    """``[V_m(ĝ) ; 0]`` (``p_m × in``): ``V[idx[a, c], c] = ĝ[a]``, bias rows zero."""
    placed, idx = layer.placed, layer.index
    out = np.zeros((placed.num_params, placed.in_size), dtype=g.dtype)
    a, c = np.nonzero(idx >= 0)
    out[idx[a, c], c] = g[a]
    return out


def assemble_sequential(net: SequentialNetwork, data: Dataset, functional: bool = True, outer: bool = True,
                        arithmetic: str = "exact") -> IntegerHessians:
    """Integer ``Ĵ``, ``ĴᵀĴ`` and ``F̂`` with their scales (module docstring); ``functional=False``
    skips ``F̂``, ``outer=False`` leaves ``ĴᵀĴ`` to be formed on demand."""
    if arithmetic not in ARITHMETICS:
        raise ValueError(f"arithmetic must be one of {ARITHMETICS}")
    arch = net.arch
    data.check_fits(arch)
    placed = arch.placed
    layers = _weight_layers(net, arithmetic)
    X, s_x = clear_denominators(data.inputs, arithmetic)
    Y, s_y = clear_denominators(data.targets, arithmetic)
    offs = list(arch.param_offsets) + [arch.num_params]
    jac_rows, blocks = [], {}
    scales_seen: list[int] | None = None
    for i in range(data.n):
        h, S = X[i], s_x
        signatures = constant_signatures(h)
        inputs, in_scales, maps, scales = [], [], [], []
        for q, pl in enumerate(placed):
            inputs.append(h)
            in_scales.append(S)
            if pl.has_params:
                layer = layers[q]
                signatures = output_signatures(pl, signatures)
                z = exact_matmul(layer.T, h)
                if layer.bias is not None:
                    z = exact_add(z, exact_mul(layer.bias[pl.layer.bias_map(pl.in_shape)], S))
                M, c = layer.T, layer.scale
            else:
                local = pl.layer.local_map(h, pl.in_shape, signatures, q)
                raise_kinks(pl, local, i)
                signatures = local.signatures
                M, c = local.numerator, local.denominator
                if arithmetic == "float64":
                    M, c = M / float(c), 1
                z = exact_matmul(M, h)
            maps.append(M)
            scales.append(c)
            S = S * c
            h = z
        if scales_seen is None:
            scales_seen = scales
        elif scales != scales_seen:  # the scale of each local map is structural (1, or k for averages)
            raise AssertionError(f"local-map scales changed between samples: {scales_seen} vs {scales}")
        # backward products Â_{>q}
        A = [None] * len(placed)
        K = arch.outputs
        A[-1] = np.eye(K, dtype=np.float64 if arithmetic == "float64" else np.int64)
        for q in range(len(placed) - 1, 0, -1):
            A[q - 1] = exact_matmul(A[q], maps[q])
        u_hats = {q: _u_hat(layers[q], inputs[q], in_scales[q]) for q in layers}
        jac_rows.append(np.concatenate(common_dtype(
            [exact_mul(exact_matmul(A[q], u_hats[q]), layers[q].scale) for q in sorted(layers)]), axis=1))
        if not functional:
            continue
        r = exact_add(exact_mul(h, s_y), exact_mul(Y[i], -S))
        for q_l in sorted(layers):
            D = u_hats[q_l]
            for q in range(q_l + 1, len(placed)):
                if q in layers:
                    g = exact_matmul(A[q].T, r)
                    term = exact_matmul(_v_hat(layers[q], g), D)
                    key = (q, q_l)
                    blocks[key] = exact_add(blocks[key], term) if key in blocks else term
                D = exact_matmul(maps[q], D)
    J = np.concatenate(common_dtype(jac_rows), axis=0)
    F = None
    if functional:
        F = _functional_matrix(arch, layers, blocks, offs, arithmetic)
    output_scale = S if arithmetic == "exact" else 1
    return IntegerHessians(arch, data.n, J, exact_matmul(J.T, J) if outer else None, F, output_scale, s_y,
                           arithmetic)


def _functional_matrix(arch, layers: dict[int, _Layer], blocks: dict, offs: list[int], arithmetic: str) -> np.ndarray:
    """``F̂`` (``p × p``) from the summed blocks, each times ``c_l c_m``, mirrored."""
    number = {q: layers[q].placed.index - 1 for q in layers}
    keys = sorted(blocks)
    scaled = common_dtype([exact_mul(blocks[k], layers[k[0]].scale * layers[k[1]].scale) for k in keys])
    p = arch.num_params
    dtype = scaled[0].dtype if scaled else (np.float64 if arithmetic == "float64" else np.int64)
    F = np.zeros((p, p), dtype=dtype)
    for (q_m, q_l), blk in zip(keys, scaled):
        m, l = number[q_m], number[q_l]
        F[offs[m]:offs[m + 1], offs[l]:offs[l + 1]] = blk
        F[offs[l]:offs[l + 1], offs[m]:offs[m + 1]] = blk.T
    return F
