"""Monte Carlo ranks: the error bound of a rank modulo random primes, and the large-matrix algorithm.

:func:`monte_carlo_rank` eliminates once modulo a random 20-bit prime (:func:`~symhess.linalg.modular.rank_mod_blas`)
and then checks that the Schur complement of the pivot minor vanishes on random vectors modulo
further primes (:func:`schur_checks`, Freivalds), all in one exact limb-by-limb pass
(:func:`~symhess.linalg.modular.product_mod`). The result is labelled ``"monte-carlo"``, never
certified; the error bound and its derivation are in docs/performance.md ("Monte Carlo at 3·10⁴
parameters").
"""

from __future__ import annotations

import random
from typing import Sequence

import numpy as np

from .integer import max_abs
from .modular import (_PRIME_BITS, BLAS_PANEL_ROWS, BLAS_PRIME_BITS, _prime_stream, _residues, _sub_mod, limb_count,
                      product_mod, rank_mod_blas, solve_mod)


def _hadamard_log2(biggest: int, size: int) -> float:
    """``log₂`` of Hadamard's bound ``(√s · max|a_ij|)^s`` on an ``s × s`` minor (``s = size``)."""
    return size * (0.5 * np.log2(max(1, size)) + np.log2(max(1, biggest)))


def _divides_probability(log2_value: float, bits: int) -> float:
    """Bound on the probability that a uniform random prime in ``[2^(b−1), 2^b)`` divides a fixed non-zero
    integer ``μ`` with ``log₂|μ| ≤ log2_value``.

    ``μ`` has at most ``log₂|μ| / (b − 1)`` prime factors in the range; the range holds more than
    ``2^b / ln 2^b − 1.25506 · 2^(b−1) / ln 2^(b−1)`` primes (Rosser–Schoenfeld:
    ``x / ln x < π(x) < 1.25506 x / ln x`` for ``x ≥ 17``). Tiny primes (``b < 8``) prove nothing: 1.
    """
    if bits < 8:
        return 1.0
    count = 2.0 ** bits / (bits * np.log(2)) - 1.25506 * 2.0 ** (bits - 1) / ((bits - 1) * np.log(2))
    return float(min(1.0, log2_value / (bits - 1) / count))


def _error_bound(biggest: int, rank: int, primes: int | Sequence[int], max_rank: int | None = None) -> float:
    """Probability bound that random primes all miss a rank above ``rank`` (each gave at most ``rank``).

    ``primes``: the primes used (their bit lengths count), or a number of 62-bit primes. If the
    rank is above ``r``, a fixed ``(r+1) × (r+1)`` minor is non-zero and every prime divides it
    (:func:`_divides_probability` with Hadamard's bound, :func:`_hadamard_log2`). 0 when ``rank``
    is ``max_rank`` (``min(m, n)``: nothing to miss) or the matrix is zero.
    """
    if biggest == 0 or (max_rank is not None and rank >= max_rank):
        return 0.0
    bits = [_PRIME_BITS] * primes if isinstance(primes, int) else [int(q).bit_length() for q in primes]
    log2_minor = _hadamard_log2(biggest, rank + 1)
    return float(np.prod([_divides_probability(log2_minor, b) for b in bits]))


MC_ERROR_TARGET = 1e-12
"""``primes=None`` (the default of :func:`integer_rank`): the Monte Carlo rank uses at least
:data:`MC_MIN_PRIMES` primes, and more (up to :data:`MC_MAX_PRIMES`) until its error bound is below this."""
MC_MIN_PRIMES = 3
MC_MAX_PRIMES = 24


MC_CHECK_VECTORS = 2
"""Random vectors per verification prime (Freivalds): a Schur complement non-zero modulo ``q`` is missed
with probability at most ``q^-k``."""
MC_MAX_CHECKS = 64
"""At most this many verification primes after one elimination (each costs one pass over the matrix)."""
def schur_checks(a: np.ndarray, rows: Sequence[int], cols: Sequence[int], primes: Sequence[int],
                 rng: random.Random, vectors: int = MC_CHECK_VECTORS, panel: int = BLAS_PANEL_ROWS) -> list[bool | None]:
    """For each prime ``q < 2^20``: is the Schur complement ``S`` of ``a[R,P]`` zero on random vectors modulo ``q``?

    ``S = a[R̄,P̄] − a[R̄,P] a[R,P]⁻¹ a[R,P̄]`` and ``rank a = |P| + rank S``. With ``V`` uniform
    in ``F_q^{(n−r) × k}``, ``x[P̄] = V`` and ``x[P] = −a[R,P]⁻¹ a[R,P̄] V (mod q)``, ``a x = [0; S V]``:
    so ``a x ≡ 0`` exactly when ``S V ≡ 0 (mod q)``. Returns per prime ``None`` (``a[R,P]``
    singular modulo ``q``: no evidence), ``False`` (``S ≢ 0 mod q``: proves ``rank a > r``) or
    ``True`` (``S V ≡ 0``; if ``S ≢ 0 mod q`` this happens with probability ``≤ q^-k``, Freivalds).
    Two passes over the rows (``R`` first, then all), all primes at once: ``O(m n k t + t r³)``
    time, ``O(r² + panel · n)`` memory. ``a``: int64 ``m × n``, read by row slices and ``a[R_chunk]``.
    """
    m, n = a.shape
    t, k = len(primes), vectors
    P, R = np.asarray(cols, dtype=np.intp), np.asarray(rows, dtype=np.intp)
    free = np.setdiff1d(np.arange(n), P)
    qs = np.repeat(np.asarray(primes, dtype=np.float64), k)  # column i k + j belongs to prime i
    draw = np.random.default_rng(rng.getrandbits(64))
    X = np.zeros((n, t * k))
    X[free] = draw.integers(0, np.repeat(np.asarray(primes, dtype=np.int64), k), size=(free.size, t * k))
    limbs = limb_count(max_abs(a))
    T = np.vstack([product_mod(a[R[i:i + panel]], X, qs, limbs) for i in range(0, R.size, panel)])  # a[R, P̄] V
    pivot_block = a[np.ix_(R, P)]
    status: list[bool | None] = [True] * t
    for i, q in enumerate(primes):
        W = solve_mod(_residues(pivot_block, q), T[:, i * k:(i + 1) * k], q)
        if W is None:
            status[i] = None
            X[:, i * k:(i + 1) * k] = 0
        else:
            X[P, i * k:(i + 1) * k] = _sub_mod(np.zeros_like(W), W, q)
    for start in range(0, m, panel):
        nonzero = product_mod(a[start:start + panel], X, qs, limbs).any(axis=0).reshape(t, k).any(axis=1)
        for i in np.flatnonzero(nonzero):
            status[i] = False
    return status


def monte_carlo_rank_bytes(m: int, n: int, rank_bound: int) -> int:
    """Working set of :func:`monte_carlo_rank` on an ``m × n`` matrix (not counting the matrix) whose rank is at
    most ``rank_bound``: the elimination basis (``8 r n``, :func:`rank_mod_blas`) or the Schur checks'
    pivot block, its residues and the solve of ``[A | T]`` (``6 · 8 r²``), plus a dozen float64
    panels of :data:`BLAS_PANEL_ROWS` rows."""
    r = min(rank_bound, m, n)
    return 8 * r * n + 6 * 8 * r * r + 12 * 8 * BLAS_PANEL_ROWS * n


def _check_miss_bound(biggest: int, rank: int, q: int, vectors: int) -> float:
    """Probability bound that one verification prime ``q`` misses a rank above ``rank`` (:func:`schur_checks`).

    If ``rank a > r``, some entry of ``δ S`` (``δ = det a[R,P]``) is a non-zero ``(r+1)``-minor
    ``μ``; the check misses only if ``q | δ μ`` (Hadamard: ``log₂|δ μ| ≤ L_r + L_{r+1}``) or, with
    ``S ≢ 0 mod q``, the random vectors miss (``≤ q^-k``).
    """
    b = int(q).bit_length()
    if b < 8:
        return 1.0
    log2 = _hadamard_log2(biggest, rank) + _hadamard_log2(biggest, rank + 1)
    return min(1.0, _divides_probability(log2, b) + 2.0 ** (-(b - 1) * vectors))


def monte_carlo_rank(work: np.ndarray, seed: int = 0, primes: int | None = None,
                     forced_primes: Sequence[int] = ()) -> tuple[int, list[int], list[int], float]:
    """Rank of a large integer matrix modulo random primes: one elimination, then cheap Schur checks.

    1. ``r, P, R`` = :func:`rank_mod_blas` modulo ``q_0`` (``r ≤ rank a``, always).
    2. Verification primes ``q_1, q_2, …`` (:func:`schur_checks`): a ``False`` proves ``rank a > r``;
       then step 1 is redone modulo that prime (its rank is at least ``r + 1``) and the evidence restarts.
    Error bound: ``P_0 ∏ P_i`` with ``P_0`` the chance that ``q_0`` divides a fixed non-zero
    ``(r+1)``-minor (1 after a restart: that prime was not drawn blindly) and ``P_i``
    :func:`_check_miss_bound`. ``primes=None``: verification primes until the bound is below
    :data:`MC_ERROR_TARGET` (at most :data:`MC_MAX_CHECKS`); else ``primes`` primes in all.
    ``work``: int64. ``forced_primes`` come first (as in :func:`integer_rank`: a test seam).
    Returns ``(rank, elimination primes, verification primes, error bound)``.
    """
    rng = random.Random(seed)
    stream = _prime_stream(rng, forced_primes, BLAS_PRIME_BITS)
    biggest = max_abs(work)
    q = next(stream)
    eliminations, checks = [q], []
    r, cols, rows = rank_mod_blas(work, q)
    bound = _divides_probability(_hadamard_log2(biggest, r + 1), q.bit_length())
    while True:
        if r >= min(work.shape) or biggest == 0:
            return r, eliminations, checks, 0.0  # nothing above r to miss
        if primes is None:
            per = _check_miss_bound(biggest, r, 2 ** (BLAS_PRIME_BITS - 1) + 1, MC_CHECK_VECTORS)
            if bound <= MC_ERROR_TARGET:
                want = 0
            elif per >= 1:
                want = MC_MAX_CHECKS
            else:  # the fewest primes of this size whose bounds multiply below the target
                want = min(MC_MAX_CHECKS, int(np.ceil(np.log(MC_ERROR_TARGET / bound) / np.log(per))))
        else:
            want = max(0, primes - len(eliminations) - len(checks))
        batch = [next(stream) for _ in range(want)]
        if not batch:
            return r, eliminations, checks, bound
        status = schur_checks(work, rows, cols, batch, rng)
        failed = [q for q, s in zip(batch, status) if s is False]
        if not failed:
            checks += batch
            for q in batch:
                bound *= _check_miss_bound(biggest, r, q, MC_CHECK_VECTORS)
            if primes is not None or bound <= MC_ERROR_TARGET or len(batch) >= MC_MAX_CHECKS:
                return r, eliminations, checks, bound
            continue
        checks += batch
        eliminations.append(failed[0])
        before = r
        r, cols, rows = rank_mod_blas(work, failed[0])
        if r <= before:  # a refuted check proves rank > before, and the pivot minor is a unit mod that prime
            raise RuntimeError(f"internal error: Schur check modulo {failed[0]} refuted rank {before}, "
                               f"but the rank modulo it is {r}")
        bound = 1.0
