"""Fast assembly of the MSE Hessians in integer arithmetic (issue 5).

Same Hessians as :func:`symhess.hessian.hessians.mse_hessians` (Eq. 1, Props 2–4), computed with
vectorised numpy arithmetic instead of Python objects in hot loops.

**Clearing denominators.** Each layer's weights are written ``W^l = Ŵ^l / s_l`` with ``Ŵ^l``
integer and ``s_l`` the least common denominator of the layer; inputs ``X = X̂ / s_x``,
targets ``Y = Ŷ / s_y``. With ``S_l = s_x s_1 ⋯ s_l`` every hidden vector is ``h_l = ĥ_l / S_l``
(ReLU masks read the sign of the integer ``ẑ_l``), the residual is ``r = r̂ / (S_L s_y)`` with
``r̂ = ẑ_L s_y − Ŷ S_L``, and (multiplying column block ``k`` by ``s_k``):

    J   = Ĵ / S_L,                     H_O = Ĵᵀ Ĵ / (n S_L²),
    H_F = F̂ / (n S_L² s_y),            H_L = (s_y Ĵᵀ Ĵ + F̂) / (n S_L² s_y).

Ranks are those of the integer matrices ``Ĵ`` (= rank ``H_O``: rank ``JᵀJ`` = rank ``J`` over ℚ),
``F̂`` and ``s_y ĴᵀĴ + F̂``.

**Structure.** With ``h_{k-1}`` the layer input, ``U_k(h) = ∂(T^k h)/∂vec_r W^k`` is applied
through the *windows* of ``h`` (an index gather, :func:`windows`): ``(E U_k(h))[a, (o,i,j)] =
Σ_t E[a, (o,t)] h[i, s t + j − p]``, a matmul over ``t``. Likewise
``(V_l(g) Q)[(o,i,j), c] = Σ_t g[o,t] Q[(i, s t + j − p), c]``. Then

* ``J_i`` column block ``k`` is ``A_{>k} U_k(h_{k-1})`` with ``A_{>L} = I``,
  ``A_{>l-1} = A_{>l} T^l Λ^{l-1}`` (backward pass of the identity);
* ``H_F^{(l,k)} = Σ_i V_l(g_l) D_{l-1,k}`` for ``l > k``, with ``g_L = r``, ``g_{l-1} = Λ^{l-1} T^{lᵀ} g_l``
  and the forward Jacobians ``D_{l,k} = ∂h_l/∂θ_k``: ``D_{k+1,k} = Λ T^{k+1} Λ^k U_k(h_{k-1})``,
  ``D_{l+1,k} = Λ^{l+1} T^{l+1} D_{l,k}``. For ``l = k + 1`` (and shared weights in layer ``k``)
  ``V_l(g) Λ^k U_k(h)`` is block-diagonal in the channel ``o`` of layer ``k``:
  ``[(o', i, j), (o, i', j')] = δ_{i o} (V_l(g) Q)[(o', i, j), (i', j')]`` with
  ``Q[(o, t), (i', j')] = Λ^k[o,t] h[i', s t + j' − p]``, so ``D_{k,k}`` is never stored.

**Exact integer products** (:mod:`symhess.linalg.integer`): every product and sum of integer
arrays is exact (float64 BLAS only below a proven bound, else int64, else Python integers).
Blocks are joined only after every scaling, in a dtype chosen by
:func:`~symhess.linalg.integer.common_dtype` (widening casts only), so nothing can wrap.
Window positions are computed in Python integers, so any stride or padding (even ``10^30``) is exact.

``arithmetic="float64"`` runs the same code in plain float64 (weights rounded to doubles,
no scaling): the peers' baseline for the benchmarks, never used for an exact answer.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..linalg.integer import INT64_LIMIT, clear_denominators, common_dtype, exact_add, exact_matmul, exact_mul, max_abs
from ..linalg.memory import (CALL_OVERHEAD_BYTES, check_fits, estimate_rank_bytes, loss_assembly_bytes, loss_rank_bound, peak_rss_bytes,
                             resident_bytes)
from ..linalg.monte_carlo import monte_carlo_rank_bytes
from ..linalg.rank import float64_rank, integer_rank
from ..nets.architecture import Architecture, LayerShape, Network
from ..nets.data import Dataset
from ..nets.sequential import SequentialNetwork
from ..nets.derivatives import _index_map_cached
from ..nets.toeplitz import ReluKinkError
from ..scalars import InputError
from .integer_hessians import IntegerHessians
from .sequential_assembly import assemble_sequential

ARITHMETICS = ("exact", "float64")


# ---------------------------------------------------------------- Toeplitz structure as index gathers

def layer_matrix(weight: np.ndarray, shape: LayerShape) -> np.ndarray:
    """``T̂^l`` (``m_l d_l × m_{l-1} d_{l-1}``) from the cleared kernel, via Lemma 1's index map."""
    idx = _index_map_cached(shape)
    flat = weight.reshape(-1)
    out = np.zeros(idx.shape, dtype=weight.dtype)
    mask = idx >= 0
    out[mask] = flat[idx[mask]]
    return out


@functools.lru_cache(maxsize=256)
def window_positions(shape: LayerShape) -> np.ndarray:
    """``pos[t, j]``: the input position ``s t + j − p`` read by output ``t``, tap ``j``; ``d_{l-1}``
    (a zero slot) where it falls in the padding.

    Computed in Python integers and stored only after reduction to ``[0, d_{l-1}]``, so any
    stride or padding (say ``10^30``, which int64 cannot hold) is handled exactly, and the
    padding is never materialised.
    """
    d_in, s, pad = shape.in_dim, shape.stride, shape.padding
    pos = np.empty((shape.out_dim, shape.kernel_size), dtype=np.int64)
    for t in range(shape.out_dim):
        for j in range(shape.kernel_size):
            c = s * t + j - pad
            pos[t, j] = c if 0 <= c < d_in else d_in
    pos.setflags(write=False)
    return pos


def windows(x: np.ndarray, shape: LayerShape) -> np.ndarray:
    """Receptive fields of layer ``shape`` over row-blocks of ``x``.

    ``x``: ``(N, m_{l-1} d_{l-1}, c)``; result ``(N, d_l, m_{l-1} k_l, c)`` with
    ``[n, t, (i, j), :] = x[n, (i, s t + j − p), :]`` (zero where the index falls in the padding).
    """
    N, _, c = x.shape
    m_in, d_in, k = shape.in_channels, shape.in_dim, shape.kernel_size
    y = x.reshape(N, m_in, d_in, c)
    pos = window_positions(shape)
    if (pos == d_in).any():  # some tap reads the padding: append one zero slot
        y = np.concatenate([y, np.zeros((N, m_in, 1, c), dtype=x.dtype)], axis=2)
    g = y[:, :, pos, :]  # (N, m_in, d_l, k, c)
    return g.transpose(0, 2, 1, 3, 4).reshape(N, shape.out_dim, m_in * k, c)


def apply_input_jacobian(E: np.ndarray, patches: np.ndarray, shape: LayerShape) -> np.ndarray:
    """``E U_l(h)`` per sample: ``E`` ``(N_E, a, m_l d_l)``, ``patches = windows(h)[..., 0]`` ``(N, d_l, m_{l-1} k_l)``.

    Result ``(N, a, p_l)``: ``[n, a, (o,i,j)] = Σ_t E[n, a, (o,t)] h_n[i, s t + j − p]`` (shared);
    ``[n, a, (t,o,i,j)] = E[n, a, (o,t)] h_n[i, s t + j − p]`` (locally connected).
    """
    Ne, a = E.shape[0], E.shape[1]
    m, d = shape.out_channels, shape.out_dim
    N = max(Ne, patches.shape[0])
    if shape.shared:
        return exact_matmul(E.reshape(Ne, a * m, d), patches).reshape(N, a, shape.num_params)
    Et = E.reshape(Ne, a, m, d).transpose(0, 1, 3, 2)  # (Ne, a, d, m)
    return exact_mul(Et[..., None], patches[:, None, :, None, :]).reshape(N, a, shape.num_params)


def apply_output_jacobian_sum(g: np.ndarray, Q: np.ndarray, shape: LayerShape) -> np.ndarray:
    """``Σ_n V_l(g_n) Q_n``: ``g`` ``(N, m_l d_l)``, ``Q`` ``(N, m_{l-1} d_{l-1}, c)``; result ``(p_l, c)``.

    ``(V_l(g) Q)[(o,i,j), c] = Σ_t g[o,t] Q[(i, s t + j − p), c]`` (shared) or
    ``[(t,o,i,j), c] = g[o,t] Q[(i, s t + j − p), c]`` (locally connected).
    """
    N, c = Q.shape[0], Q.shape[2]
    m, d = shape.out_channels, shape.out_dim
    W = windows(Q, shape).reshape(N, d, -1)  # (N, d_l, m_{l-1} k_l c)
    G = g.reshape(N, m, d)
    if shape.shared:
        out = exact_matmul(G.transpose(1, 0, 2).reshape(m, N * d), W.reshape(N * d, -1))
    else:
        out = exact_matmul(G.transpose(2, 1, 0), W.transpose(1, 0, 2))  # (d, m, ·)
    return out.reshape(shape.num_params, c)


def _adjacent_block(g: np.ndarray, mask: np.ndarray | None, patches: np.ndarray,
                    upper: LayerShape, lower: LayerShape) -> np.ndarray:
    """``Σ_n V_{k+1}(g_n) Λ^k U_k(h_n)`` (``p_{k+1} × p_k``) without forming ``U_k``.

    See the module docstring: ``R = Σ_n V_{k+1}(g_n) Q_n`` with ``Q[(o,t), ·] = Λ^k[o,t] windows(h)[t, ·]``,
    then ``block[(·, i, j), (o, ·)] = δ_{io} R[(·, i, j), ·]``.
    """
    N = max(g.shape[0], patches.shape[0])
    m_k, d_k, c = lower.out_channels, lower.out_dim, patches.shape[2]
    Q = np.broadcast_to(patches[:, None, :, :], (patches.shape[0], m_k, d_k, c))
    if mask is not None:
        Q = Q * mask.reshape(-1, m_k, d_k)[..., None].astype(Q.dtype)
    Q = np.broadcast_to(Q, (N, m_k, d_k, c)).reshape(N, m_k * d_k, c)
    R = apply_output_jacobian_sum(g, Q, upper)
    k_up = upper.kernel_size
    pre = upper.num_params // (m_k * k_up)
    out = np.zeros((pre, m_k, k_up, m_k, c), dtype=R.dtype)
    diag = np.arange(m_k)
    out[:, diag, :, diag, :] = R.reshape(pre, m_k, k_up, c).transpose(1, 0, 2, 3)
    return out.reshape(upper.num_params, lower.num_params)


# ---------------------------------------------------------------- the assembly

@dataclass(frozen=True, eq=False)
class _Pass:
    """Batched forward/backward quantities (leading axis: samples, or 1 when shared by all)."""

    mats: list[np.ndarray]          # T̂^l, l = 1..L (index l-1)
    scales: list[int]               # s_l
    hidden: list[np.ndarray]        # ĥ_l, (n, m_l d_l), l = 0..L-1
    masks: list[np.ndarray | None]  # Λ^l diagonal (n, m_l d_l) int, l = 1..L-1 (index 0 unused); None if linear
    residual: np.ndarray            # r̂ (n, K)
    output_scale: int               # S_L
    target_scale: int               # s_y


def _forward(net: Network, data: Dataset, arithmetic: str) -> _Pass:
    """Integer forward pass of all samples at once, and the cleared residual."""
    data.check_fits(net.arch)
    if net.is_symbolic:
        raise InputError("weights", "numbers (the fast assembly is numeric; use symhess.hessian.symbolic)", "symbols")
    arch = net.arch
    mats, scales = [], []
    for w, s in zip(net.weights, arch.layers):
        w_int, s_l = clear_denominators(w, arithmetic)
        mats.append(layer_matrix(w_int, s))
        scales.append(s_l)
    X, s_x = clear_denominators(data.inputs, arithmetic)
    Y, s_y = clear_denominators(data.targets, arithmetic)
    relu = arch.activation == "relu"
    h, S = X, s_x
    hidden, masks = [h], [None]
    for l, T in enumerate(mats, start=1):
        z = exact_matmul(h, T.T)
        S *= scales[l - 1]
        if l == len(mats):
            residual = exact_add(exact_mul(z, s_y), exact_mul(Y, -S))
            return _Pass(mats, scales, hidden, masks, residual, S, s_y)
        if relu:
            bad = _kinks(z, h, arch.layers[l - 1])
            if bad:
                raise ReluKinkError(f"layer {l} pre-activation",
                                    "no exactly-zero ReLU pre-activation (the Hessian is undefined at a kink); "
                                    "redraw the instance", bad)
            mask = (z > 0).astype(np.int64)
            h = z * mask.astype(z.dtype)
            masks.append(mask)
        else:
            h = z
            masks.append(None)
        hidden.append(h)
    raise AssertionError("unreachable")


def _kinks(z: np.ndarray, h: np.ndarray, shape: LayerShape) -> list[int]:
    """Units with an exactly-zero pre-activation ``z = T h`` in some sample whose receptive field is not all zero.

    A zero unit whose whole receptive field is zero is structurally dead (``z ≡ 0`` near the current
    weights), not a kink: the same rule as :func:`symhess.nets.toeplitz.kink_units`.
    """
    zero = z == 0
    if not zero.any():
        return []
    support = (_index_map_cached(shape) >= 0).astype(np.int64)
    live = (h != 0).astype(np.int64) @ support.T  # (n, units): non-zero inputs in the receptive field
    return sorted(set(np.nonzero(zero & (live > 0))[1].tolist()))


def _masked(a: np.ndarray, mask: np.ndarray | None, axis_from_end: int = 1) -> np.ndarray:
    """``a`` times a 0/1 mask ``(n, width)`` broadcast over the last axis (``axis_from_end=1``) or the middle."""
    if mask is None:
        return a
    m = mask.astype(a.dtype) if a.dtype != object else mask
    if axis_from_end == 1:
        return a * m[:, None, :]
    return a * m[:, :, None]


def assemble(net: Network, data: Dataset, functional: bool = True, outer: bool = True,
             arithmetic: str = "exact") -> IntegerHessians:
    """Jacobian, ``ĴᵀĴ`` (if ``outer``) and ``F̂`` (if ``functional``) of ``net`` on ``data``.

    Exact integers by default (see the module docstring for the scales); ``arithmetic="float64"``
    for the float baseline.
    """
    if arithmetic not in ARITHMETICS:
        raise InputError("arithmetic", "'exact' or 'float64'", arithmetic)
    arch = net.arch
    fp = _forward(net, data, arithmetic)
    shapes, L, K = arch.layers, arch.depth, arch.outputs
    n = data.n
    eye = np.eye(K, dtype=np.float64 if arithmetic == "float64" else np.int64)[None]
    patches = [windows(fp.hidden[k - 1][:, :, None], shapes[k - 1])[..., 0] for k in range(1, L + 1)]

    # Jacobian: block k = s_k A_{>k} U_k(h_{k-1}); A_{>L} = I, A_{>l-1} = A_{>l} T^l Λ^{l-1}.
    A = eye
    blocks: list[np.ndarray] = [None] * L  # type: ignore[list-item]
    for k in range(L, 0, -1):
        blocks[k - 1] = exact_mul(apply_input_jacobian(A, patches[k - 1], shapes[k - 1]), fp.scales[k - 1])
        if k > 1:
            A = _masked(exact_matmul(A, fp.mats[k - 1]), fp.masks[k - 1])
    blocks = [np.broadcast_to(b, (n,) + b.shape[1:]).reshape(n * K, -1) for b in blocks]
    J = np.concatenate(common_dtype(blocks), axis=1)

    O = exact_matmul(J.T, J) if outer else None
    F = _functional(fp, shapes, patches, arithmetic) if functional else None
    return IntegerHessians(arch, n, J, O, F, fp.output_scale, fp.target_scale, arithmetic)


def _functional(fp: _Pass, shapes: Sequence[LayerShape], patches: list[np.ndarray], arithmetic: str) -> np.ndarray:
    """``F̂``: blocks ``(l, k)``, ``l > k``, ``s_l s_k Σ_i V_l(ĝ_l) D̂_{l-1,k}`` and their transposes."""
    L = len(shapes)
    g: list[np.ndarray | None] = [None] * (L + 1)
    g[L] = fp.residual
    for l in range(L, 1, -1):  # g_{l-1} = Λ^{l-1} T^{lᵀ} g_l
        gl = exact_matmul(g[l], fp.mats[l - 1])
        g[l - 1] = gl if fp.masks[l - 1] is None else gl * fp.masks[l - 1].astype(gl.dtype)
    offs = np.cumsum([0] + [s.num_params for s in shapes])
    found: dict[tuple[int, int], np.ndarray] = {}
    for k in range(1, L):
        lower = shapes[k - 1]
        if lower.shared:
            found[(k + 1, k)] = _adjacent_block(g[k + 1], fp.masks[k], patches[k - 1][:, :, :], shapes[k], lower)
        else:
            D_kk = _masked(apply_input_jacobian(np.eye(lower.toeplitz_shape[0], dtype=patches[k - 1].dtype)[None],
                                                patches[k - 1], lower), fp.masks[k], axis_from_end=2)
            found[(k + 1, k)] = apply_output_jacobian_sum(g[k + 1], D_kk, shapes[k])
        if k + 1 < L:  # D_{k+1,k} = Λ^{k+1} T^{k+1} Λ^k U_k(h_{k-1})
            D = _masked(apply_input_jacobian(_masked(fp.mats[k][None], fp.masks[k]), patches[k - 1], lower),
                        fp.masks[k + 1], axis_from_end=2)
            for l in range(k + 2, L + 1):
                found[(l, k)] = apply_output_jacobian_sum(g[l], D, shapes[l - 1])
                if l < L:
                    D = _masked(exact_matmul(fp.mats[l - 1], D), fp.masks[l], axis_from_end=2)
    # Scale first, then choose the dtype: s_l s_k can push an int64 block beyond int64 (then the
    # block is Python ints, and so is F̂); choosing the dtype before scaling cast such a block back.
    keys = list(found)
    scaled = common_dtype([exact_mul(found[(l, k)], fp.scales[l - 1] * fp.scales[k - 1]) for l, k in keys])
    p = int(offs[-1])
    F = np.zeros((p, p), dtype=scaled[0].dtype if scaled else np.int64)
    for (l, k), blk in zip(keys, scaled):
        F[offs[l - 1]:offs[l], offs[k - 1]:offs[k]] = blk
        F[offs[k - 1]:offs[k], offs[l - 1]:offs[l]] = blk.T
    return F


# ---------------------------------------------------------------- ranks: the library entry point

DEFAULT_CERTIFY_LIMIT = 10000
"""Parameter counts up to which ranks are certified by default (beyond: Monte Carlo, labelled so). At p = 9,360 a certified H_L rank took 395 s and 2.8 GB on 2 shared cores (docs/performance.md)."""


@dataclass(frozen=True, eq=False)
class HessianRanks:
    """Ranks of the requested Hessian parts with the path taken, timings and peak memory.

    ``ranks[name]`` is a :class:`~symhess.linalg.rank.RankResult` (``path`` ``"certified"``,
    ``"monte-carlo"`` or ``"float64"``; ``details["matrix"]`` says which matrix was ranked).
    ``column_blocks[name]``: ranks of column blocks ``l = 1..L`` (when asked for).
    ``seconds`` holds ``"assembly"``, one entry per part, and ``"total"``.
    """

    params: int
    ranks: dict
    seconds: dict
    peak_memory_bytes: int
    memory_estimate_bytes: int
    certify_limit: int
    column_blocks: dict = field(default_factory=dict)

    @property
    def certified(self) -> bool:
        return all(r.certified for r in self.ranks.values())

    @property
    def path(self) -> str:
        """The weakest path used: ``"float64"``, ``"monte-carlo"`` or ``"certified"``."""
        paths = {r.path for r in self.ranks.values()}
        return next((p for p in ("float64", "monte-carlo") if p in paths), "certified")

    def to_dict(self) -> dict:
        return {"params": self.params, "ranks": {k: r.rank for k, r in self.ranks.items()},
                "method": "float64" if self.path == "float64" else "exact", "certified": self.certified,
                "path": self.path, "column_blocks": {k: list(v) for k, v in self.column_blocks.items()},
                "results": {k: r.to_dict() for k, r in self.ranks.items()},
                "seconds": dict(self.seconds), "peak_memory_bytes": self.peak_memory_bytes,
                "memory_estimate_bytes": self.memory_estimate_bytes, "certify_limit": self.certify_limit}


OUTER_ROWS = 512
"""Row blocks of ``ĴᵀĴ`` added into ``F̂`` at a time by :func:`_add_outer_in_place`."""


def _add_outer_in_place(A: IntegerHessians) -> IntegerHessians | None:
    """``H_L``'s integer matrix ``s_y ĴᵀĴ + F̂`` built in ``F̂``'s buffer, ``ĴᵀĴ`` a row block at a time
    (never a second ``p × p`` matrix); ``None`` when int64 is not proven to hold it.

    Every entry is bounded by ``s_y · nK · max|Ĵ|² + max|F̂|``; below ``2^62`` each block product
    (:func:`exact_matmul`, itself exact) and each sum is an exact int64.
    """
    J, F, s = A.jacobian, A.functional, A.target_scale
    if F is None or F.dtype != np.int64 or J.dtype != np.int64:
        return None
    if s * J.shape[0] * max_abs(J) ** 2 + max_abs(F) >= INT64_LIMIT:
        return None
    for start in range(0, F.shape[0], OUTER_ROWS):
        block = exact_matmul(J[:, start:start + OUTER_ROWS].T, J)
        if s != 1:
            block *= s
        F[start:start + OUTER_ROWS] += block
    return _LossOnly(A.arch, A.n, J, F, None, A.output_scale, A.target_scale, A.arithmetic)


def _loss_in_place(A: IntegerHessians) -> IntegerHessians:
    """``A`` whose ``outer`` is replaced by ``s_y ĴᵀĴ + F̂`` computed in place (int64, when proven below
    ``2^62``) and whose ``functional`` is dropped; ``integer("loss")`` is then that matrix."""
    O, F, s = A.outer, A.functional, A.target_scale
    if (O is None or F is None or O.dtype != np.int64 or F.dtype != np.int64
            or max_abs(O) * s + max_abs(F) >= INT64_LIMIT):
        return A
    O *= s
    O += F
    del F
    return _LossOnly(A.arch, A.n, A.jacobian, O, None, A.output_scale, A.target_scale, A.arithmetic)


class _LossOnly(IntegerHessians):
    """:class:`IntegerHessians` holding only ``H_L``'s integer matrix (in the ``outer`` slot)."""

    def integer(self, name: str) -> np.ndarray:
        if name == "loss":
            return self.outer
        if name == "jacobian":
            return self.jacobian
        raise ValueError(f"only the loss Hessian was kept, not {name!r}")


def _finite(m: np.ndarray, name: str) -> np.ndarray:
    """``m`` if it is finite; the float64 baseline overflowed (inf or nan) otherwise: refuse it rather than rank garbage."""
    if not np.isfinite(m).all():
        raise InputError("--method float64", "a network whose float64 Hessians stay finite (the exact "
                         "method has no such limit)", f"inf/nan in the float64 {name}")
    return m


def assemble_any(net: Network | SequentialNetwork, data: Dataset, functional: bool = True, outer: bool = True,
                 arithmetic: str = "exact") -> IntegerHessians:
    """The fast integer assembly of ``net``: :func:`assemble` for a 1D network, else
    :func:`~symhess.hessian.sequential_assembly.assemble_sequential` (any layer stack)."""
    if isinstance(net, SequentialNetwork):
        return assemble_sequential(net, data, functional=functional, outer=outer, arithmetic=arithmetic)
    return assemble(net, data, functional=functional, outer=outer, arithmetic=arithmetic)


def _diagonal_factors(A: IntegerHessians, matrix: str, offsets: Sequence[int]) -> list[tuple[int, np.ndarray]] | None:
    """Claimed factors of the diagonal blocks of ``matrix``'s integer form (checked exactly by
    :func:`symhess.linalg.rank.row_reduced_block` before use): ``H_L``'s block ``l`` is ``s_y Ĵ_lᵀ Ĵ_l`` and
    ``F̂``'s is 0 when the network is linear in each layer's parameters (``F̂`` has no diagonal blocks)."""
    J = A.jacobian
    if J is None or matrix not in ("loss", "functional"):
        return None
    rows = J.shape[0] if matrix == "loss" else 0
    scale = A.target_scale if matrix == "loss" else 1
    return [(scale, J[:rows, lo:hi]) for lo, hi in zip(offsets[:-1], offsets[1:])]


def hessian_ranks(net: Network | SequentialNetwork, data: Dataset, parts: Sequence[str] = ("outer", "functional", "loss"),
                  certify_limit: int = DEFAULT_CERTIFY_LIMIT, memory_limit: int | None = None,
                  seed: int = 0, primes: int | None = None, method: str = "exact",
                  column_blocks: Sequence[str] = ()) -> HessianRanks:
    """Ranks of ``H_O``, ``H_F``, ``H_L`` (any of ``parts``) by the fast integer path (:func:`assemble_any`).

    ``method="exact"``: certified (:func:`symhess.linalg.rank.integer_rank`) when ``p ≤ certify_limit``;
    otherwise the maximum rank modulo ``primes`` random primes, labelled ``"monte-carlo"`` with
    its error bound. ``method="float64"``: the same assembly in float64 and numpy's SVD rank
    (the peers' baseline). ``rank H_O`` is computed from the stacked Jacobian ``Ĵ`` (``nK × p``)
    when ``nK < p`` (rank ``JᵀJ`` = rank ``J`` over ℚ; likewise a column block of ``H_O`` has
    the rank of the same columns of ``Ĵ``). ``column_blocks``: parts (``"outer"``,
    ``"functional"``) whose column blocks ``l = 1..L`` are ranked too. Raises
    :class:`InputError` before assembling if the estimated memory exceeds ``memory_limit`` (default:
    half the machine's RAM): :func:`symhess.linalg.memory.estimate_rank_bytes`, or for ``H_L`` alone
    beyond the certify limit ``8 p² + max(loss_assembly_bytes, monte_carlo_rank_bytes)`` with the
    structural :func:`~symhess.linalg.memory.loss_rank_bound`; plus what the process holds already
    and :data:`~symhess.linalg.memory.CALL_OVERHEAD_BYTES` (the peak reported is the whole process's).
    """
    for name in (*parts, *column_blocks):
        if name not in ("outer", "functional", "loss"):
            raise InputError("parts", "a subset of outer, functional, loss", name)
    if method not in ("exact", "float64"):
        raise InputError("method", "'exact' or 'float64'", method)
    arch, p = net.arch, net.arch.num_params
    certify = p <= certify_limit
    wanted = set(parts) | set(column_blocks)
    loss_only = wanted == {"loss"} and method == "exact"
    general = estimate_rank_bytes(arch, data.n, tuple(parts) + tuple(column_blocks))
    estimate = general
    if loss_only and not certify:  # one int64 p × p buffer and the Monte Carlo working set
        estimate = 8 * p * p + max(loss_assembly_bytes(arch, data.n),
                                   monte_carlo_rank_bytes(p, p, loss_rank_bound(arch, data.n)))
    held = resident_bytes() + CALL_OVERHEAD_BYTES  # the peak is the whole process's: count what it holds
    estimate += held
    check_fits(estimate, memory_limit)
    start = time.perf_counter()
    via_jacobian = data.n * arch.outputs < p
    A = None
    if loss_only:  # H_L alone: F̂ + s_y ĴᵀĴ in one p × p buffer, ĴᵀĴ never formed whole
        A = _add_outer_in_place(assemble_any(net, data, functional=True, outer=False))
        if A is None:  # entries beyond int64: the general path, with its own estimate
            estimate = general + held
            check_fits(estimate, memory_limit)
    if A is None:
        with np.errstate(over="ignore", invalid="ignore"):  # float64 overflow is detected just below
            A = assemble_any(net, data, functional=bool(wanted & {"functional", "loss"}),
                         outer="loss" in wanted or ("outer" in wanted and not via_jacobian),
                         arithmetic="float64" if method == "float64" else "exact")
        if loss_only:
            A = _loss_in_place(A)  # drop ĴᵀĴ and F̂ (one p × p matrix less at the peak)
    seconds = {"assembly": time.perf_counter() - start}
    offsets = list(arch.param_offsets) + [p]

    def rank_of(name: str, columns: slice = slice(None)):
        matrix = "jacobian" if name == "outer" and via_jacobian else name
        if method == "float64":
            with np.errstate(over="ignore", invalid="ignore"):
                res = float64_rank(_finite(A.to_float(matrix)[:, columns], matrix))
        else:
            whole = columns == slice(None)
            square = whole and matrix != "jacobian"
            res = integer_rank(A.integer(matrix)[:, columns], certify=certify, seed=seed, primes=primes,
                               symmetric=True if square else None,
                               column_blocks=offsets if square else None, memory_limit=memory_limit,
                               block_factors=_diagonal_factors(A, matrix, offsets) if square else None)
        res.details["matrix"] = matrix
        return res

    ranks = {}
    for name in parts:
        t0 = time.perf_counter()
        ranks[name] = rank_of(name)
        seconds[name] = ranks[name].details["seconds"] = time.perf_counter() - t0
    blocks = {name: tuple(rank_of(name, slice(offsets[l], offsets[l + 1])).rank for l in range(arch.depth))
              for name in column_blocks}
    seconds["total"] = time.perf_counter() - start
    return HessianRanks(p, ranks, seconds, peak_rss_bytes(), estimate, certify_limit, blocks)
