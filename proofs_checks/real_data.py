"""Real data: the rank bounds on scikit-learn's digits, exactly.

The bounds depend on the data only through ``r = rank Σ_xx`` and ``s = rank Ω``; on real
images these need not be generic (border pixels are almost always zero, so the length-64
signals have ``r ≤ 61`` over the whole set). The check evaluates
:func:`symhess.theory.bounds.network_bounds` at each draw's own exact ``(r, s)`` and compares the
certified exact ranks of ``H_O``, ``H_F``, ``H_L`` (MSE, one-hot targets; ``K = 1``:
regression on the label). Real data are not a random draw, so a rank-deficient ``Σ_xx`` is
not a degenerate instance here: it is the data. ``seeds`` choose which images are used.
"""

from __future__ import annotations

from symhess.nets.architecture import Architecture, ConvLayer

from ._beyond import BeyondInstance, compare_over_draws, measured_draws
from .framework import Claim

NAME = "Real data (digits): rank bounds"


def digits_instance(d0: int, layers: list[tuple[int, int]], K: int, n: int, seeds=(0, 1)) -> BeyondInstance:
    return BeyondInstance(Architecture(d0, tuple(ConvLayer(m, k) for m, k in layers), K), n, tuple(seeds), "digits")


DEFAULT = [
    digits_instance(16, [(2, 3)], 3, 20),
    digits_instance(16, [(3, 5)], 2, 24),
    digits_instance(16, [(2, 16)], 3, 20),
    digits_instance(16, [(2, 3), (2, 3)], 3, 20),
    digits_instance(16, [(2, 4)], 1, 18),
]
FULL = DEFAULT + [
    digits_instance(16, [(m, k)], K, n, (0, 1, 2)) for m in (1, 3) for k in (2, 6, 9) for K in (2, 4) for n in (10, 40)
] + [
    digits_instance(64, [(2, 5)], 2, 80),
    digits_instance(64, [(2, 9), (2, 5)], 2, 70),
    digits_instance(4, [(3, 2)], 2, 8, (0, 1, 2)),
]


def instances(full: bool) -> list[BeyondInstance]:
    return FULL if full else DEFAULT


def check(inst: BeyondInstance):
    draws = measured_draws(inst, require_full_rank=False)
    source = draws[0].linear_bounds.source
    return [compare_over_draws(NAME, inst, f"H_{part[0].upper()} <= {source}", draws, part,
                               lambda m, part=part: getattr(m.linear_bounds, part))
            for part in ("outer", "functional", "loss")]


CLAIM = Claim(NAME, "on scikit-learn digits (pooled 8x8 images as 1D signals), exact ranks of H_O, H_F, H_L "
              "respect network_bounds at the data's exact r and s", check, instances, tags=("beyond", "real-data"))
