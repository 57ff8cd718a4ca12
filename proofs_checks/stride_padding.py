"""Strides and zero padding (Section 7 mentions strides): which bounds still hold, exactly.

The Toeplitz framework covers stride ``s`` and padding ``p`` (``T[t, c] = w[c − s t + p]``),
so Proposition 4 (``H = Dᵀ Ĥ D``) still holds and gives bounds for any geometry. Checked:

* every linear-network bound of :func:`symhess.theory.bounds.network_bounds` at the draw's
  ``(r, s)`` (for non-plain geometries: Theorem 5 with the Toeplitzed widths ``m_l d_l``
  and the channel-mixing orbits, Theorem 6 as the Toeplitzed-FCN bound per column block
  capped at ``p_l``; Theorem 10 when stride = filter size divides ``d_0``);
* one hidden layer, the **extension derived here** (``docs/beyond.md`` §Strides): Theorems
  7 and 8 with ``d_1 = floor((d_0 + 2p − k)/s) + 1`` the actual output length,
  ``rank H_O ≤ min(K r, q(K d_1 + k − q))``, ``q = min(m, k)``, and
  ``rank H_F ≤ 2 m min(k, s_Ω d_1)`` (``s_Ω = rank Ω``). The ``H_F`` argument is Theorem 8's
  verbatim: channel ``o`` of ``B`` is the ``K d_1 × k`` matrix of windows
  ``Ω[c, s t + j − p]`` (zero outside ``0..d_0−1``), whose rows lie in the span of the
  windows of the ``s_Ω`` rows spanning ``Ω``. For ``H_O``: ``F(x) = G x`` with
  ``G_c = Σ_o Σ_t V[c,o,t] shift_{st−p}(W_o)`` truncated to ``0..d_0−1``; the
  parametrisation ``(V, W) ↦ G`` has ``K m d_1 + m k`` parameters and the ``GL(m)`` channel
  mixing (orbit ``q²`` generically) is invisible in ``G``; truncation is a projection.

Whether those one-hidden-layer bounds are attained (tight) is reported per result.
"""

from __future__ import annotations

from symhess.nets.architecture import Architecture, ConvLayer

from ._beyond import BeyondInstance, Measured, compare_over_draws, measured_draws
from .framework import Claim

NAME = "Strides and padding: which bounds hold"


def strided_theorem7(m: Measured) -> int:
    """``min(K r, q (K d_1 + k − q))``, ``q = min(m, k)``, ``d_1`` the strided, padded output length."""
    arch = m.net.arch
    sh = arch.layers[0]
    q = min(sh.out_channels, sh.kernel_size)
    return min(arch.outputs * m.r, q * (arch.outputs * sh.out_dim + sh.kernel_size - q))


def strided_theorem8(m: Measured) -> int:
    """``2 m min(k, s d_1)``."""
    sh = m.net.arch.layers[0]
    return 2 * sh.out_channels * min(sh.kernel_size, m.s * sh.out_dim)


def geometry(d0: int, layers: list[tuple[int, int, int, int]], K: int) -> Architecture:
    """``layers``: ``(channels, filter size, stride, padding)`` per hidden layer."""
    return Architecture(d0, tuple(ConvLayer(*layer) for layer in layers), K)


ONE_HIDDEN = [(2, 3, 2, 0), (2, 3, 1, 1), (3, 3, 2, 2), (2, 4, 3, 2), (3, 2, 3, 0), (1, 3, 4, 0)]
DEFAULT = [BeyondInstance(geometry(9, [g], 2), 12, (0, 1)) for g in ONE_HIDDEN] + [
    BeyondInstance(geometry(10, [(2, 3, 2, 1), (2, 2, 1, 1)], 2), 13, (0, 1)),
]
FULL = [BeyondInstance(geometry(d0, [(m, k, st, pad)], K), d0 + K + 1, (0, 1, 2))
        for d0, K in ((9, 2), (10, 3)) for m in (1, 2, 4) for k in (2, 3, 4) for st in (1, 2, 3) for pad in (0, 1, 2)
        if (st, pad) != (1, 0) and k <= d0 + 2 * pad] + [
    BeyondInstance(geometry(10, [(3, 3, 1, 1), (3, 3, 2, 0)], 2), 13, (0, 1, 2)),
    BeyondInstance(geometry(12, [(2, 3, 2, 0), (3, 2, 2, 1)], 3), 16, (0, 1, 2)),
    BeyondInstance(geometry(12, [(2, 4, 2, 2), (2, 3, 2, 1)], 2), 15, (0, 1, 2)),
]


def instances(full: bool) -> list[BeyondInstance]:
    return FULL if full else DEFAULT


def check(inst: BeyondInstance):
    draws = measured_draws(inst)
    source = draws[0].linear_bounds.source
    out = [compare_over_draws(NAME, inst, f"H_{part[0].upper()} <= {source}", draws, part,
                              lambda m, part=part: getattr(m.linear_bounds, part))
           for part in ("outer", "functional", "loss")]
    if inst.arch.depth == 2:
        out.append(compare_over_draws(NAME, inst, "H_O <= Thm 7 with strided d_1", draws, "outer", strided_theorem7))
        out.append(compare_over_draws(NAME, inst, "H_F <= Thm 8 with strided d_1", draws, "functional",
                                      strided_theorem8))
    return out


CLAIM = Claim(NAME, "linear CNNs with stride and zero padding: network_bounds hold; one hidden layer: "
              "Theorems 7/8 with the strided, padded d_1 hold (tightness reported)",
              check, instances, tags=("beyond", "stride"))
