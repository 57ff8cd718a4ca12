"""Lemma 1: the derivative of the layer Toeplitz matrix with respect to its kernel.

Notation (row-wise vectorisation ``vec_r``, numerator layout):

* ``P ∈ {0,1}^{D×D}``, ``D = d + 2p``: the cyclic permutation ``P e_j = e_{j+1 mod D}``.
* ``Ĩ = I_{D×k}``: the tall identity (first ``k`` columns of ``I_D``).
* ``E = [0_{p×d}; I_d; 0_{p×d}] ∈ {0,1}^{D×d}``: the embedding of the input into its
  zero-padded copy (``E = I`` when ``p = 0``).

Row ``t`` of ``T(w)`` is ``(Eᵀ P^{s t} Ĩ w)ᵀ``: the filter shifted by ``s t`` inside the
padded input, restricted to the real input. Hence

    vec_r T(w) = [Eᵀ Ĩ; Eᵀ P^s Ĩ; …; Eᵀ P^{s(d'-1)} Ĩ] w,

and for a whole layer (blocks ``(o, i)`` of ``T^l`` are ``T(W^l[o, i, :])``; row-block
``o`` of ``T^l`` depends only on ``W^l[o]``):

    ∂ vec_r T^l / ∂ vec_r W^l = I_{m_l} ⊗ Z,   Z = Σ_t e_t ⊗ (I_{m_{l-1}} ⊗ Eᵀ P^{s t} Ĩ),

with ``e_t ∈ R^{d_l}`` the ``t``-th unit column. No wrap-around of ``P`` ever occurs
(``s t + k - 1 ≤ D - 1``), so ``P`` could equally be the shift matrix; we keep the
cyclic permutation of the formulas note. With ``p = 0``, ``s = 1`` this is the
formula of the notes verbatim.

Where this differs from the formulas note (and the paper's Appendix A.1), and why:

* **Padding.** The note's ``P`` is ``d × d`` and ``Ĩ = I_{d×k}``: that describes only
  ``p = 0``. With zero padding the filter slides over the *padded* input, so ``P`` and ``Ĩ``
  live at ``D = d + 2p`` and ``Eᵀ`` cuts the padded positions away (those taps multiply
  zeros and have no Toeplitz entry). Using the note's ``d × d`` ``P`` when ``p > 0`` is
  wrong: ``d = 3, k = 2, p = 1`` gives row ``t = 0`` as ``(w_0, w_1, 0)`` instead of
  ``(w_1, 0, 0)`` (``tests/test_lemma1.py`` keeps this counterexample).
* **Stride.** Only the powers change, ``P^t → P^{s t}``, as the note says.
* **Orientation.** ``P e_j = e_{j+1}`` shifts a column vector down by one; the paper's
  "clockwise rotation of rows" is the same matrix read on ``Ĩ``'s rows.

Machine-checked against sympy's Jacobian of ``vec_r T^l(W)`` over a grid of geometries
in ``proofs_checks/lemma1.py``.

:func:`toeplitz_derivative` builds this matrix from the Kronecker formula;
:func:`kernel_index_map` is the same 0/1 matrix stored as an index map (one kernel
index, or ``-1``, per Toeplitz entry), which the fast Hessian assembly uses.

**2D (and nD).** :func:`lemma1_2d_derivative` builds ``Π (I_{mC} ⊗ D_1 ⊗ D_2)`` from the
single-channel 1D derivatives ``D_a`` (:func:`shift_selection_derivative`) and the
``vec_r``-of-Kronecker permutation ``Π`` (docs/theory.md §9.1); ``proofs_checks/lemma1_2d.py``
checks it against sympy's Jacobian and the ``Conv`` layer's index map.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .architecture import LayerShape


def rotation(n: int, power: int = 1) -> np.ndarray:
    """``P^power`` for the ``n × n`` cyclic permutation ``P e_j = e_{(j+1) mod n}`` (int array)."""
    P = np.zeros((n, n), dtype=np.int64)
    for j in range(n):
        P[(j + power) % n, j] = 1
    return P


def tall_identity(n: int, k: int) -> np.ndarray:
    """``I_{n×k}``: the first ``k`` columns of ``I_n``."""
    return np.eye(n, k, dtype=np.int64)


def padding_embedding(d: int, padding: int) -> np.ndarray:
    """``E ∈ {0,1}^{(d+2p) × d}`` placing the input inside its zero padding."""
    E = np.zeros((d + 2 * padding, d), dtype=np.int64)
    E[padding:padding + d, :] = np.eye(d, dtype=np.int64)
    return E


def filter_derivative(shape: LayerShape) -> np.ndarray:
    """``∂ vec_r T(w) / ∂ w = [Eᵀ P^{s t} Ĩ]_{t=0..d'-1}`` (``d' d × k``) for one filter."""
    D = shape.in_dim + 2 * shape.padding
    E, I_tall = padding_embedding(shape.in_dim, shape.padding), tall_identity(D, shape.kernel_size)
    return np.vstack([E.T @ rotation(D, shape.stride * t) @ I_tall for t in range(shape.out_dim)])


def toeplitz_derivative(shape: LayerShape) -> np.ndarray:
    """Lemma 1: ``∂ vec_r T^l / ∂ vec_r W^l = I_{m_l} ⊗ Σ_t e_t ⊗ (I_{m_{l-1}} ⊗ Eᵀ P^{s t} Ĩ)``.

    Shape ``(m_l d_l m_{l-1} d_{l-1}) × p_l``, a 0/1 int array. For a locally
    connected layer (no sharing) every Toeplitz entry has its own parameter and the
    derivative is the 0/1 selection matrix read off :func:`kernel_index_map`.
    """
    if not shape.shared:
        idx = kernel_index_map(shape).reshape(-1)
        out = np.zeros((idx.size, shape.num_params), dtype=np.int64)
        rows = np.nonzero(idx >= 0)[0]
        out[rows, idx[rows]] = 1
        return out
    D = shape.in_dim + 2 * shape.padding
    E, I_tall = padding_embedding(shape.in_dim, shape.padding), tall_identity(D, shape.kernel_size)
    I_in = np.eye(shape.in_channels, dtype=np.int64)
    Z = sum(np.kron(np.eye(shape.out_dim, 1, -t, dtype=np.int64),
                    np.kron(I_in, E.T @ rotation(D, shape.stride * t) @ I_tall))
            for t in range(shape.out_dim))
    return np.kron(np.eye(shape.out_channels, dtype=np.int64), Z)


def kernel_index_map(shape: LayerShape) -> np.ndarray:
    """Index form of Lemma 1: ``idx[(o,t), (i,c)] = vec_r`` index of ``W^l[o,i,j]`` or ``-1``.

    ``j = c - s t + p`` when ``0 <= j < k``, else ``-1`` (a structural zero of ``T^l``).
    Shape ``T^l.shape``. Equals the position of the single 1 in each row of
    :func:`toeplitz_derivative` (checked in the tests). For a locally connected
    layer the parameter is ``W^l[t, o, i, j]``.
    """
    m_out, m_in, k = shape.out_channels, shape.in_channels, shape.kernel_size
    d_in, d_out = shape.in_dim, shape.out_dim
    idx = np.full((m_out * d_out, m_in * d_in), -1, dtype=np.int64)
    for o in range(m_out):
        for t in range(d_out):
            for i in range(m_in):
                for j in range(k):
                    c = shape.stride * t + j - shape.padding
                    if 0 <= c < d_in:
                        flat = (o * m_in + i) * k + j
                        idx[o * d_out + t, i * d_in + c] = flat if shape.shared else t * m_out * m_in * k + flat
    return idx


def _index_map_cached(shape: LayerShape) -> np.ndarray:
    cached = _INDEX_CACHE.get(shape)
    if cached is None:
        cached = _INDEX_CACHE[shape] = kernel_index_map(shape)
    return cached


_INDEX_CACHE: dict[LayerShape, np.ndarray] = {}


def input_jacobian(shape: LayerShape, h: np.ndarray) -> np.ndarray:
    """``U_l(h) = ∂(T^l h)/∂ vec_r W^l = (I_{m_l d_l} ⊗ hᵀ) ∂vec_r T^l/∂vec_r W^l``.

    ``h`` has length ``m_{l-1} d_{l-1}``; result ``(m_l d_l) × p_l`` object array:
    ``U[(o,t), (o,i,j)] = h[i, s t + j - p]`` (zero outside the input).
    """
    idx = _index_map_cached(shape)
    out = np.empty((idx.shape[0], shape.num_params), dtype=object)
    out.fill(0)
    rows, cols = np.nonzero(idx >= 0)
    for r, c in zip(rows.tolist(), cols.tolist()):
        out[r, idx[r, c]] = h[c]
    return out


def output_jacobian(shape: LayerShape, g: np.ndarray) -> np.ndarray:
    """``V_l(g) = ∂(gᵀ T^l)ᵀ/∂ vec_r W^l`` transposed: ``(∂vec_r T^l/∂vec_r W^l)ᵀ (g ⊗ I)``.

    ``g`` has length ``m_l d_l``; result ``p_l × (m_{l-1} d_{l-1})`` object array with
    ``gᵀ T^l u = Σ_q (V_l(g) u)_q w_q``: ``V[(o,i,j), (i,c)] = Σ_t g[o,t]`` over ``c = s t + j - p``.
    """
    idx = _index_map_cached(shape)
    out = np.empty((shape.num_params, idx.shape[1]), dtype=object)
    out.fill(0)
    rows, cols = np.nonzero(idx >= 0)
    for r, c in zip(rows.tolist(), cols.tolist()):
        out[idx[r, c], c] = out[idx[r, c], c] + g[r]
    return out


# --------------------------------------------------------------------------- Lemma 1 in 2D (and nD)

def shift_selection_derivative(d: int, k: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """``D_a = [vec_r S^{(0)} | … | vec_r S^{(k-1)}]`` (``P d × k``): one axis, one channel.

    ``S^{(j)}[t, u] = [u = s t + j − p]`` (``P × d``, ``P = ⌊(d + 2p − k)/s⌋ + 1``) is the shift
    selection of tap ``j``; column ``j`` of ``D_a`` is its row-wise vectorisation. This is the
    single-channel 1D Lemma 1 derivative :func:`filter_derivative` (``[Eᵀ P^{st} Ĩ]_t``), reused as is.
    """
    out = (d + 2 * padding - k) // stride + 1
    return filter_derivative(LayerShape(1, 1, 1, k, stride, padding, d, out))


def vec_r_kronecker_permutation(shapes: Sequence[tuple[int, int]]) -> np.ndarray:
    """``Π`` with ``vec_r(A_1 ⊗ ⋯ ⊗ A_F) = Π (vec_r A_1 ⊗ ⋯ ⊗ vec_r A_F)`` for ``A_f`` of shape ``shapes[f]``.

    The right side is indexed ``((r_1, c_1), …, (r_F, c_F))``, the left ``((r_1, …, r_F), (c_1, …, c_F))``
    (row-major), since ``(A_1 ⊗ ⋯ ⊗ A_F)[(r_1..r_F), (c_1..c_F)] = Π_f A_f[r_f, c_f]``. Returned as the
    0/1 permutation matrix (int64), size ``Π_f r_f c_f``.
    """
    rows = [r for r, _ in shapes]
    cols = [c for _, c in shapes]
    n = int(np.prod(rows)) * int(np.prod(cols))
    factors = [a for rc in shapes for a in rc]  # (r_1, c_1, r_2, c_2, …)
    Pi = np.zeros((n, n), dtype=np.int64)
    for src, idx in enumerate(np.ndindex(*factors)):
        r_idx, c_idx = idx[0::2], idx[1::2]
        dst = int(np.ravel_multi_index(r_idx, rows)) * int(np.prod(cols)) + int(np.ravel_multi_index(c_idx, cols))
        Pi[dst, src] = 1
    return Pi


def lemma1_nd_derivative(in_channels: int, out_channels: int, spatial: Sequence[int], kernel: Sequence[int],
                         stride: Sequence[int], padding: Sequence[int]) -> np.ndarray:
    """Lemma 1 for a convolution over ``len(spatial)`` axes: ``Π (I_{mC} ⊗ D_1 ⊗ ⋯ ⊗ D_N)``.

    ``T(W) = Σ_{o,i,j} W[o,i,j_1,…] (e_o e_iᵀ) ⊗ S_1^{(j_1)} ⊗ ⋯ ⊗ S_N^{(j_N)}``, so
    ``vec_r T = Π Σ W[o,i,j] vec_r(e_o e_iᵀ) ⊗ vec_r S_1^{(j_1)} ⊗ ⋯ = Π (I_{mC} ⊗ D_1 ⊗ ⋯ ⊗ D_N) vec_r W``
    with ``D_a`` from :func:`shift_selection_derivative` and ``Π`` from :func:`vec_r_kronecker_permutation`
    (factors ``m × C``, ``P_1 × d_1``, …). Rows: ``vec_r T`` (``(o, t), (i, u)`` row-major), columns
    ``vec_r W`` (``(o, i, j_1, …)``). docs/theory.md §9.1.
    """
    axes = len(spatial)
    if not (len(kernel) == len(stride) == len(padding) == axes):
        raise ValueError("one kernel size, stride and padding per spatial axis")
    Ds = [shift_selection_derivative(d, k, s, p) for d, k, s, p in zip(spatial, kernel, stride, padding)]
    outs = [D.shape[0] // d for D, d in zip(Ds, spatial)]
    inner = np.eye(out_channels * in_channels, dtype=np.int64)
    for D in Ds:
        inner = np.kron(inner, D)
    Pi = vec_r_kronecker_permutation([(out_channels, in_channels)] + list(zip(outs, spatial)))
    return Pi @ inner


def lemma1_2d_derivative(in_channels: int, out_channels: int, spatial: Sequence[int], kernel: Sequence[int],
                         stride: Sequence[int] = (1, 1), padding: Sequence[int] = (0, 0)) -> np.ndarray:
    """Lemma 1 in 2D: ``∂vec_r T/∂vec_r W = Π (I_{mC} ⊗ D_1 ⊗ D_2)`` for ``Conv2d`` (docs/theory.md §9.1).

    ``D_a = [vec_r S_a^{(0)} | … | vec_r S_a^{(k_a − 1)}]``, ``S_a^{(j)}[t, u] = [u = s_a t + j − p_a]``;
    ``Π`` the ``vec_r``-of-Kronecker permutation ``((o,i),(t_1,u_1),(t_2,u_2)) → ((o,t_1,t_2),(i,u_1,u_2))``.
    Shape ``(m P_1 P_2 · C d_1 d_2) × (m C k_1 k_2)``, 0/1 int64.
    """
    if len(spatial) != 2:
        raise ValueError("lemma1_2d_derivative is for two spatial axes (lemma1_nd_derivative for others)")
    return lemma1_nd_derivative(in_channels, out_channels, spatial, kernel, stride, padding)
