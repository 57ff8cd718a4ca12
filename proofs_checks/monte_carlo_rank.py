"""The Monte Carlo rank path (``certify=False``) against the certified rank.

Every rank of the registry is certified, so the Monte Carlo path of
:func:`symhess.linalg.rank.integer_rank` (``certify=False``: the maximum rank modulo a few random
primes, no proof; what ``symhess rank --no-certify`` prints) is never exercised by the other
claims. Two statements:

* on sweep Hessians (``H_O``, ``H_F`` of generic draws) the Monte Carlo rank of
  :func:`symhess.linalg.rank.exact_rank` with ``certify=False`` equals the certified rank;
* the rank modulo one prime can only be *too low*, so the Monte Carlo rank must be the
  **maximum** over its primes: with an unlucky prime ``q`` forced first (``diag(N, q)`` has
  rank ``rank N + 1`` over ℚ but ``rank N`` modulo ``q``), :func:`integer_rank` with
  ``certify=False`` still returns ``rank N + 1``;
* the large-matrix algorithm :func:`symhess.linalg.rank.monte_carlo_rank` (one elimination, then
  Schur-complement checks modulo further primes; used beyond ``SMALL_ENTRIES``), run here on the
  same small Hessians: with the unlucky prime 7 forced as its elimination prime on ``diag(N, 7)``
  (rank ``rank N`` modulo 7), a check refutes that rank and the result is ``rank N + 1``.
"""

from __future__ import annotations

import numpy as np

from symhess.linalg.integer import INT64_LIMIT, max_abs
from symhess.linalg.monte_carlo import monte_carlo_rank
from symhess.linalg.rank import exact_rank, integer_array, integer_rank

from .framework import CheckResult, Claim, compare_exact, each_seed
from .instances import Instance, conv_arch, generic_draw

NAME = "Monte Carlo rank (certify=False) = certified rank"
STATEMENT = ("exact_rank/integer_rank with certify=False equal the certified rank on sweep Hessians, also when an "
             "unlucky prime (one dividing a pivot minor) is among the primes used; monte_carlo_rank's Schur checks "
             "refute an unlucky elimination prime")

UNLUCKY = 2 ** 61 - 1


def check_seed(inst: Instance, seed: int, label: str) -> list[CheckResult]:
    d = generic_draw(inst, seed)
    out = []
    for part in ("outer", "functional"):
        M = d.hessians.part(part)
        certified = d.rank(part)
        mc = exact_rank(M, certify=False, seed=seed)
        out.append(compare_exact(NAME, f"{label} [{part}: Monte Carlo = certified]", [certified, "monte-carlo"],
                                 [mc.rank, mc.path]))
        N = integer_array(M)
        rows, cols = N.shape
        padded = np.zeros((rows + 1, cols + 1), dtype=object)
        padded[:rows, :cols] = N
        padded[rows, cols] = UNLUCKY
        forced = integer_rank(padded, certify=False, seed=seed, primes=3, forced_primes=[UNLUCKY])
        out.append(compare_exact(NAME, f"{label} [{part}: diag(N, q), unlucky q forced: Monte Carlo = rank N + 1]",
                                 certified + 1, forced.rank, f"q = 2^61 - 1 used first; primes {forced.details}"))
        if max_abs(N) < INT64_LIMIT:
            small = np.zeros((rows + 1, cols + 1), dtype=np.int64)
            small[:rows, :cols] = N.astype(np.int64)
            small[rows, cols] = 7
            got, elim, checks, bound = monte_carlo_rank(small, seed=seed, forced_primes=[7])
            out.append(compare_exact(NAME, f"{label} [{part}: diag(N, 7), 7 forced: Schur checks give rank N + 1]",
                                     certified + 1, got, f"elimination primes {elim}, {len(checks)} check primes, "
                                     f"error bound {bound:.2g}"))
    return out


def check(inst: Instance) -> list[CheckResult]:
    return each_seed(NAME, inst, lambda seed, label: check_seed(inst, seed, label))


def instances(full: bool = False) -> list[Instance]:
    archs = [conv_arch(8, [(2, 3)], 2), conv_arch(9, [(2, 3), (2, 2)], 2)]
    return [Instance(a, a.input_dim + a.outputs + 1, (0, 1)) for a in archs]


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("rank", "certificate"))
