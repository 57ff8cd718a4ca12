"""The rank certificate itself: an unlucky prime is rejected, on sweep Hessians.

Every rank in this registry is certified by :func:`symhess.linalg.rank.integer_rank`: a minor
non-zero modulo a prime ``q`` (lower bound) and an exactly verified kernel basis (upper
bound). With random 62-bit primes an *unlucky* prime — one dividing the pivot minor, so
that the rank modulo ``q`` is too low — never occurs in practice, so the upper-bound half
would go untested. This check manufactures unlucky primes on real Hessians of the sweep:

with ``N`` the integer matrix of ``H_part`` (rank ``r``, certified), ``B = N[:, P]`` its ``r``
pivot columns (full column rank) and ``S = diag(1, …, q, …, 1)`` scaling one column by the
prime ``q``, the matrices

* ``B S`` (tall, ``p × r``: the general path),
* ``(B S)ᵀ`` (wide: the transposed path),
* ``S Bᵀ B S`` (``r × r`` symmetric: the symmetric path)

all have rank ``r`` over ℚ but rank ``≤ r − 1`` modulo ``q``. :func:`integer_rank` is run with
``forced_primes=[q]`` first: it must refuse ``q`` (its kernel does not verify) and certify
``r`` with the next prime. Two unlucky primes: ``2^61 − 1`` (FLINT elimination, entries beyond the
float64 plans: FLINT's solve and residual) and ``786433 < 2^20`` (BLAS elimination, the Dixon solve
and its digit residual). ``observed`` = the six certified ranks, ``expected`` = ``[r] * 6``;
a certificate that skipped the kernel verification would report ``r − 1``.
"""

from __future__ import annotations

import random

import flint
import numpy as np

from symhess.linalg.modular import random_prime
from symhess.linalg.rank import _pivots, integer_array, integer_rank
from symhess.nets.architecture import Architecture, ConvLayer

from .framework import CheckResult, Claim, compare_exact, each_seed
from .instances import Instance, generic_draw

NAME = "Rank certificate: an unlucky prime is rejected (exact kernel verification)"
STATEMENT = ("integer_rank with a forced prime q dividing a pivot minor (a column of the pivot columns of a sweep "
             "Hessian scaled by q) refuses q and certifies the true rank, on the general, transposed and "
             "symmetric paths")

UNLUCKY = 2 ** 61 - 1
"""A Mersenne prime, used as the manufactured unlucky prime (entries beyond 2^61: FLINT's solve)."""
UNLUCKY_BLAS = 786433
"""A prime in ``[2^19, 2^20)`` (``3 · 2^18 + 1``): the elimination runs on float64 BLAS and, entries being
small, the kernel is solved by Dixon lifting and checked digit by digit (``symhess.linalg.dixon``)."""


def check_seed(inst: Instance, seed: int, label: str) -> list[CheckResult]:
    d = generic_draw(inst, seed)
    out = []
    for part in ("outer", "functional"):
        N = integer_array(d.hessians.part(part))
        r = d.rank(part)
        if r == 0:
            continue
        q0 = random_prime(random.Random(seed))
        red, r0 = flint.nmod_mat(flint.fmpz_mat(N.tolist()), q0).rref()
        ranks, refused, mod_q = [], [], []
        for unlucky in (UNLUCKY, UNLUCKY_BLAS):
            B = N[:, _pivots(red, r0)].copy()
            B[:, 0] = [v * unlucky for v in B[:, 0]]
            sym = B.T.dot(B)
            matrices = {"general": B, "transposed": B.T.copy(), "symmetric": sym}
            mod_q += [flint.nmod_mat(flint.fmpz_mat(m.tolist()), unlucky).rank() for m in matrices.values()]
            for m in matrices.values():
                res = integer_rank(m, forced_primes=[unlucky], seed=seed)
                ranks.append(res.rank if res.certified else None)
                refused.append(res.details.get("primes", [None])[0] == unlucky and len(res.details["primes"]) > 1)
        out.append(_factor_case(N, label, part))
        out.append(compare_exact(NAME, f"{label} [{part}: certified ranks with an unlucky prime]", [r] * 6, ranks,
                                 f"rank mod q of general/transposed/symmetric, q = 2^61 - 1 then {UNLUCKY_BLAS}: "
                                 f"{mod_q} (< r = {r} when the prime is unlucky); q refused: {refused}"))
    return out


def _factor_case(N, label: str, part: str) -> CheckResult:
    """Column blocks through diagonal factors (``row_reduced_block``): on ``S = WᵀW`` (``W`` the first third of
    the rows of ``N``) the right factors are used and give FLINT's rank; a factor off by one entry is refused."""
    k = max(1, N.shape[0] // 3)
    W = np.array(N[:k], dtype=object)
    S = W.T.dot(W)
    offs = [0, (N.shape[1] + 1) // 2, N.shape[1]]
    right = [(1, W[:, lo:hi]) for lo, hi in zip(offs[:-1], offs[1:])]
    wrong = [(1, w.copy()) for _, w in right]
    for _, w in wrong:
        w[0, 0] += 1
    good = integer_rank(S, column_blocks=offs, block_factors=right)
    bad = integer_rank(S, column_blocks=offs, block_factors=wrong)
    expected = flint.fmpz_mat(S.tolist()).rank()
    thin = [l for l in range(2) if offs[l + 1] - offs[l] > k]
    return compare_exact(NAME, f"{label} [{part}: diagonal factors: right ones used, wrong ones refused]",
                         [expected, expected, thin, []],
                         [good.rank, bad.rank, good.details.get("row_reduced_blocks", thin),
                          bad.details.get("row_reduced_blocks", [])],
                         f"S = WᵀW, W = {k} rows of N; column blocks {offs}")


def check(inst: Instance) -> list[CheckResult]:
    return each_seed(NAME, inst, lambda seed, label: check_seed(inst, seed, label))


def instances(full: bool = False) -> list[Instance]:
    out = [
        Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 2)), 2, "linear"), 4, (0,)),
        Instance(Architecture(8, (ConvLayer(2, 3, stride=2, padding=1),), 2, "linear"), 5, (1,)),
        Instance(Architecture.fully_connected(4, [3, 3], 2), 4, (0,)),
    ]
    if full:
        out.append(Instance(Architecture(10, (ConvLayer(3, 3), ConvLayer(3, 3)), 2, "linear"), 8, (0, 1)))
    return out


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("certificate", "self-check"))
