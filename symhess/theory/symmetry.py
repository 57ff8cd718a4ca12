"""The channel-mixing symmetry of a linear CNN and the dimension of its orbits (Theorem 5).

Mixing the channels of hidden layer ``l`` by ``G_l ∈ GL(m_l)`` commutes with convolution
(any stride, padding, weight sharing or not): ``W^l → G_l W^l`` (on the out-channel index),
``W^{l+1} → W^{l+1} G_l^{-1}`` (on the in-channel index) leaves ``F`` unchanged. All
hidden layers at once: the group ``GL(m_1) × ⋯ × GL(m_{L-1})``. Its Lie algebra acts by

    ψ_θ(A_1, …, A_{L-1}) = (A_l W^l − W^l A_{l-1})_{l=1..L},   A_0 = 0, A_L = 0,

a linear map ``⊕_l gl(m_l) → R^p`` (``p × Σ_l m_l²``). Its image is the tangent space of
the orbit through ``θ``, which lies in ``ker J(θ)`` (``F`` is constant on the orbit), so

    rank H_O(θ) = rank J(θ) ≤ p − dim orb,   dim orb = rank ψ = Σ_l m_l² − dim Stab,

with ``Stab = {(A_l) : A_l W^l = W^l A_{l-1} ∀l}`` the *joint* stabiliser (a chain of
equations). Counting a stabiliser per hidden layer and adding the orbit dimensions (the
first version of symhess) over-counts: the per-layer tangent spaces of adjacent layers
share directions (counterexamples in ``docs/theory.md`` §3).

**Generic value.** ``rank ψ_θ`` is the rank of a matrix polynomial in ``θ``; its maximum
``orb*`` is attained on a dense open set. For every ``θ``: ``rank J(θ) ≤ max_θ' rank J(θ')
= rank J(θ_g) ≤ p − orb*`` (``θ_g`` generic for both), so ``p − orb*`` bounds the rank at
*every* weight point. Any value ``≤ orb*`` keeps the bound valid, which gives two ways:

* :func:`joint_orbit_dimension`: ``rank ψ`` at a fixed pseudo-random integer point,
  computed modulo a prime (``rank_ρ ≤ rank_ℚ ≤ orb*``: a proven lower bound, equal to
  ``orb*`` unless the point or the prime is unlucky);
* :func:`independent_orbit_dimension`: a closed form. Layers ``l`` and ``l' ≥ l + 2``
  act on disjoint parameters (``W^l, W^{l+1}`` vs ``W^{l'}, W^{l'+1}``), so their orbit
  dimensions add; the single-layer orbit is ``m_l² − (m_l − m_{l-1}k_l)_+ (m_l − m_{l+1}k_{l+1})_+``
  (``k`` counts the filter taps *and*, unshared, the positions). The best set of pairwise
  non-adjacent layers is found by dynamic programming.
"""

from __future__ import annotations

import random
from functools import lru_cache

import flint

from ..nets.architecture import Architecture, LayerShape

ORBIT_PRIME = (1 << 61) - 1
"""A Mersenne prime; ranks modulo it never exceed the rational rank."""

MAX_DENSE_ENTRIES = 12_000_000
"""Above this many entries of ``ψ`` only the closed form is used (the bound stays valid)."""


def _taps(shape: LayerShape) -> int:
    """Weights per (out, in) channel pair: ``k_l``, times ``d_l`` when not shared."""
    return shape.kernel_size * (1 if shape.shared else shape.out_dim)


def single_layer_orbit(arch: Architecture, l: int) -> int:
    """Generic orbit dimension of ``GL(m_l)`` alone, ``1 ≤ l < L``.

    Stabiliser ``{A : A W^l = 0, W^{l+1} A = 0}``: ``A`` vanishes on the span of the
    ``m_{l-1} k_l`` columns ``W^l[:, i, j]`` and maps into the kernel of the
    ``m_{l+1} k_{l+1} × m_l`` stack of ``W^{l+1}[:, :, j]``; generically
    ``dim = (m_l − m_{l-1}k_l)_+ (m_l − m_{l+1}k_{l+1})_+``.
    """
    below, above = arch.layers[l - 1], arch.layers[l]
    m = below.out_channels
    free_in = max(0, m - below.in_channels * _taps(below))
    free_out = max(0, m - above.out_channels * _taps(above))
    return m * m - free_in * free_out


def independent_orbit_dimension(arch: Architecture) -> int:
    """Closed-form lower bound on the generic joint orbit dimension.

    ``max_{S} Σ_{l ∈ S} single_layer_orbit(l)`` over sets ``S ⊆ {1..L-1}`` with no two
    adjacent layers (their groups act on disjoint parameters, so the orbit of the product
    group has the sum as its dimension). Dynamic programming along the layers.
    """
    take, skip = 0, 0
    for l in range(1, arch.depth):
        take, skip = skip + single_layer_orbit(arch, l), max(take, skip)
    return max(take, skip)


def orbit_generator_matrix(arch: Architecture, weights: list[list[int]], prime: int) -> flint.nmod_mat:
    """``ψ_θ`` modulo ``prime`` as a ``p × Σ_l m_l²`` matrix (integer weights, flat per layer).

    Column ``(l, a, b)`` is ``E_ab`` of ``gl(m_l)``: it adds row ``b`` of ``W^l``'s out-channel
    index to row ``a`` (``Ẇ^l[…, a, i, j] = W^l[…, b, i, j]``) and subtracts in-channel ``a`` of
    ``W^{l+1}`` into in-channel ``b`` (``Ẇ^{l+1}[…, o, b, j] = −W^{l+1}[…, o, a, j]``).
    """
    shapes, offsets = arch.layers, arch.param_offsets
    cols = sum(sh.out_channels ** 2 for sh in shapes[:-1])
    entries: dict[tuple[int, int], int] = {}
    col = 0
    for l in range(1, arch.depth):
        below, above = shapes[l - 1], shapes[l]
        m = below.out_channels
        for a in range(m):
            for b in range(m):
                _mix_out(entries, below, offsets[l - 1], weights[l - 1], a, b, col)
                _mix_in(entries, above, offsets[l], weights[l], a, b, col)
                col += 1
    mat = flint.nmod_mat(arch.num_params, cols, prime)
    for (row, c), v in entries.items():
        mat[row, c] = v % prime
    return mat


def _flat_index(shape: LayerShape, pos: int, o: int, i: int, j: int) -> int:
    """Index of ``W[pos?, o, i, j]`` in ``vec_r W`` (``pos`` only for unshared layers)."""
    m_out, m_in, k = shape.out_channels, shape.in_channels, shape.kernel_size
    return ((pos * m_out + o) * m_in + i) * k + j


def _positions(shape: LayerShape) -> range:
    return range(1 if shape.shared else shape.out_dim)


def _mix_out(entries: dict, shape: LayerShape, offset: int, w: list[int], a: int, b: int, col: int) -> None:
    for pos in _positions(shape):
        for i in range(shape.in_channels):
            for j in range(shape.kernel_size):
                row = offset + _flat_index(shape, pos, a, i, j)
                entries[row, col] = entries.get((row, col), 0) + w[_flat_index(shape, pos, b, i, j)]


def _mix_in(entries: dict, shape: LayerShape, offset: int, w: list[int], a: int, b: int, col: int) -> None:
    for pos in _positions(shape):
        for o in range(shape.out_channels):
            for j in range(shape.kernel_size):
                row = offset + _flat_index(shape, pos, o, b, j)
                entries[row, col] = entries.get((row, col), 0) - w[_flat_index(shape, pos, o, a, j)]


@lru_cache(maxsize=4096)
def joint_orbit_dimension(arch: Architecture, seed: int = 0) -> int | None:
    """``rank ψ_θ`` modulo :data:`ORBIT_PRIME` at the integer point of ``seed`` (≤ ``orb*``).

    ``None`` when ``ψ`` has more than :data:`MAX_DENSE_ENTRIES` entries (use the closed form).
    The point: weights uniform in ``[−2^20, 2^20]`` from ``random.Random(f"orbit:{seed}")``.
    """
    cols = sum(sh.out_channels ** 2 for sh in arch.layers[:-1])
    if cols == 0:
        return 0
    if arch.num_params * cols > MAX_DENSE_ENTRIES:
        return None
    rng = random.Random(f"orbit:{seed}")
    weights = [[rng.randint(-(1 << 20), 1 << 20) for _ in range(sh.num_params)] for sh in arch.layers]
    return orbit_generator_matrix(arch, weights, ORBIT_PRIME).rank()


def orbit_dimension(arch: Architecture) -> int:
    """The orbit dimension Theorem 5 subtracts: a proven lower bound on ``orb*``.

    ``max(joint_orbit_dimension, independent_orbit_dimension)``; both are ``≤ orb*``, so
    ``p − orbit_dimension(arch)`` bounds ``rank H_O`` at every weight point, and it is
    never negative (``orb* ≤ p``).
    """
    joint = joint_orbit_dimension(arch)
    return max(joint or 0, independent_orbit_dimension(arch))
