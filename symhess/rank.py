"""Matrix rank: exact and certified over ℚ (FLINT), or the float64 peer baseline.

Exact path (:func:`exact_rank`), for a rational matrix ``A`` (``m × n``):

1. Clear denominators: ``A = N / δ`` with ``N`` an integer matrix (``fmpq_mat.numer_denom``);
   ranks of ``A`` and ``N`` agree.
2. Reduce ``N`` modulo a random word-size prime ``ρ`` and row-reduce it (FLINT ``nmod_mat.rref``):
   rank ``r_ρ``, pivot columns ``P``; a second reduction of ``N[:, P]ᵀ`` gives pivot rows ``R``.
3. **Lower bound** ``rank A ≥ r_ρ``: the minor ``det N[R, P]`` is non-zero modulo ``ρ``, hence
   non-zero over ℤ (a rank modulo a prime never exceeds the rational rank).
4. **Upper bound** ``rank A ≤ r_ρ``: with ``F`` the non-pivot columns, solve ``N[R, P] X = −N[R, F]``
   exactly over ℚ (FLINT, p-adic lifting) and verify ``N[:, P] X + N[:, F] = 0`` exactly.
   The columns of ``[X; I]`` (rows ordered ``P``, ``F``) are then ``n − r_ρ`` independent kernel
   vectors (they contain an identity block), so ``rank A ≤ n − (n − r_ρ)``.
   If the verification fails, ``ρ`` was unlucky (``r_ρ`` below the true rank); another prime
   is drawn.

Both bounds are proofs, so ``certified=True`` means the rank is exactly right, with no
probability involved. ``certify=False`` skips step 4 and returns the maximum rank over
several primes: a *Monte Carlo* result, labelled as such, with an error-probability bound.

Float64 path (:func:`float64_rank`): numpy's SVD rank with numpy's default tolerance
``σ_max · max(m, n) · ε``, reported with the largest dropped and smallest kept singular
values, so the threshold ambiguity is visible. This is the peers' method, kept only as a
baseline to compare against.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Sequence

import flint
import numpy as np

from .scalars import InputError

METHODS = ("exact", "float64")

_PRIME_BITS = 62
"""Primes are drawn uniformly-ish from ``[2^61, 2^62)``: word-size for FLINT's ``nmod_mat``."""


@dataclass(frozen=True)
class RankResult:
    """A rank and how it was obtained.

    ``method``: ``"exact"`` or ``"float64"``. ``certified``: both bounds proved (exact path,
    step 4 done). ``path``: ``"certified"``, ``"monte-carlo"`` or ``"float64"``.
    ``certificate``: human-readable account of the proof (or of the threshold).
    ``details``: numbers behind it (primes used, singular values around the cut, ...).
    """

    rank: int
    shape: tuple[int, int]
    method: str
    certified: bool
    path: str
    certificate: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["shape"] = list(self.shape)
        return out


def as_fmpz_mat(a: Any) -> flint.fmpz_mat:
    """An integer matrix with the same rank as ``a`` (``fmpq_mat``, ``fmpz_mat``, or 2-D array).

    Rational entries are cleared by their common denominator; object arrays of ``Fraction``
    and integer numpy arrays are accepted. Floats are refused: the exact path takes no float.
    """
    if isinstance(a, flint.fmpz_mat):
        return a
    if isinstance(a, flint.fmpq_mat):
        return a.numer_denom()[0]
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise InputError("matrix", "a 2-D matrix", arr.shape)
    if arr.dtype.kind == "f":
        raise InputError("matrix", "exact entries (integers or rationals), not floats; use method='float64'",
                         str(arr.dtype))
    if arr.dtype.kind in "iu":
        return flint.fmpz_mat(arr.tolist())
    from .matrices import to_fmpq_mat

    return to_fmpq_mat(arr).numer_denom()[0]


class CertificateError(ArithmeticError):
    """No prime gave a verified kernel within ``max_tries``: the rank is *not* certified (never guessed)."""


def _prime_stream(rng: random.Random, forced: Sequence[int]) -> Iterator[int]:
    """``forced`` primes first, in order, then random ones (the seam that lets tests inject an unlucky prime)."""
    for q in forced:
        if not flint.fmpz(int(q)).is_prime():
            raise InputError("forced_primes", "primes", q)
        yield int(q)
    while True:
        yield random_prime(rng)


def random_prime(rng: random.Random, bits: int = _PRIME_BITS) -> int:
    """A random prime in ``[2^(bits-1), 2^bits)`` (FLINT's primality test is proven below 2^64)."""
    while True:
        c = rng.randrange(2 ** (bits - 1), 2 ** bits) | 1
        if flint.fmpz(c).is_prime():
            return c


def _pivots(reduced: flint.nmod_mat, rank: int) -> list[int]:
    """Pivot column of each of the first ``rank`` rows of a reduced row echelon form."""
    ncols, entries = reduced.ncols(), reduced.entries()
    pivots, col = [], 0
    for row in range(rank):
        base = row * ncols
        while int(entries[base + col]) == 0:
            col += 1
        pivots.append(col)
    return pivots


def exact_rank(a: Any, certify: bool = True, seed: int = 0, primes: int = 2, max_tries: int = 4,
               forced_primes: Sequence[int] = ()) -> RankResult:
    """Exact rank of a rational matrix over ℚ (``fmpq_mat``, ``fmpz_mat`` or an exact 2-D array).

    Denominators are cleared (:func:`as_fmpz_mat`) and the integer matrix goes to
    :func:`integer_rank`, the one implementation of the proofs (see the module docstring):
    ``certify=True`` gives a proved rank, ``certify=False`` the maximum rank modulo ``primes``
    random primes (Monte Carlo, with ``details["error_bound"]``). ``forced_primes``: primes
    used before any random one (tests inject an unlucky prime through it).
    """
    n = as_fmpz_mat(a)
    ints = np.empty((n.nrows(), n.ncols()), dtype=object)
    for i, row in enumerate(n.tolist()):
        ints[i, :] = [int(v) for v in row]
    return integer_rank(ints, certify=certify, seed=seed, primes=primes, max_tries=max_tries,
                        forced_primes=forced_primes)


def _error_bound(biggest: int, rank: int, primes: int) -> float:
    """Probability bound that ``primes`` random primes all miss the rank ``rank``.

    A non-zero ``r × r`` minor ``μ`` satisfies ``|μ| ≤ (√r · max|a_ij|)^r`` (Hadamard), so it
    has at most ``log₂|μ| / (bits − 1)`` prime factors in ``[2^(bits−1), 2^bits)``; the range
    holds about ``2^(bits−1) / (bits · ln 2)`` primes.
    """
    if rank == 0:
        return 0.0
    biggest = max(1, biggest)
    log2_minor = rank * (0.5 * np.log2(rank) + np.log2(biggest))
    bad = log2_minor / (_PRIME_BITS - 1)
    count = 2.0 ** (_PRIME_BITS - 1) / (_PRIME_BITS * np.log(2))
    return float(min(1.0, bad / count) ** primes)


def float64_rank(a: Any) -> RankResult:
    """The peers' baseline: ``numpy.linalg.matrix_rank`` with its default tolerance.

    Reports ``tol = σ_max · max(m, n) · ε`` with the smallest kept and largest dropped
    singular value, so the reader can judge the margin.
    """
    if isinstance(a, (flint.fmpq_mat, flint.fmpz_mat)):
        arr = np.array([[float(v) for v in row] for row in a.tolist()], dtype=np.float64)
    else:
        arr = np.asarray(a, dtype=np.float64)
    shape = (arr.shape[0], arr.shape[1])
    if 0 in shape:
        return RankResult(0, shape, "float64", False, "float64", "empty matrix")
    sv = np.linalg.svd(arr, compute_uv=False)
    tol = float(sv.max() * max(shape) * np.finfo(np.float64).eps)
    r = int((sv > tol).sum())
    kept = float(sv[r - 1]) if r > 0 else None
    dropped = float(sv[r]) if r < len(sv) else None
    return RankResult(r, shape, "float64", False, "float64",
                      f"numpy SVD, singular values > tol = {tol:.3g}",
                      {"tol": tol, "smallest_kept": kept, "largest_dropped": dropped})


def rank(a: Any, method: str = "exact", certify: bool = True, seed: int = 0) -> RankResult:
    """Rank by ``method``: ``"exact"`` (:func:`exact_rank`) or ``"float64"`` (:func:`float64_rank`)."""
    if method == "exact":
        return exact_rank(a, certify=certify, seed=seed)
    if method == "float64":
        return float64_rank(a)
    raise InputError("method", "'exact' or 'float64'", method)


def integer_rank(a: np.ndarray, certify: bool = True, seed: int = 0, primes: int = 3,
                 symmetric: bool | None = None, max_tries: int = 4,
                 forced_primes: Sequence[int] = ()) -> RankResult:
    """Exact rank of an integer numpy matrix (``int64``, or object of Python ints): the fast path.

    Same proofs as :func:`exact_rank` (lower bound: a minor non-zero modulo a prime; upper
    bound: an exactly verified kernel basis), with cheaper bookkeeping for large matrices:

    * sub-matrices are gathered with numpy, never through Python lists of the whole matrix;
    * a wide matrix (``m < n``) is certified through its transpose (same rank, ``m − r``
      instead of ``n − r`` kernel vectors; a full-row-rank matrix needs none);
    * a symmetric matrix takes its pivot columns ``P`` as pivot rows: the principal minor
      ``a[P, P]`` on a basis of the column space is non-singular (over any field), so no
      second elimination is needed;
    * only the rows outside the pivot rows are verified (the solve makes the others exact).

    ``certify=False``: the maximum rank modulo ``primes`` random 62-bit primes (FLINT
    ``nmod_mat.rank``), labelled ``"monte-carlo"`` with ``details["error_bound"]``.

    ``forced_primes`` are used, in order, before any random prime (a test seam: a prime
    dividing a pivot minor gives a rank that is too low modulo it; its kernel certificate
    fails and the next prime is tried). After ``max_tries`` primes without a verified
    kernel, :class:`CertificateError` is raised: a rank is never claimed without proof.
    """
    arr = np.asarray(a)
    if arr.ndim != 2 or arr.dtype.kind not in "iuO":
        raise InputError("matrix", "a 2-D integer array (int64 or object of int)", f"{arr.dtype} {arr.shape}")
    shape = (int(arr.shape[0]), int(arr.shape[1]))
    if 0 in shape:
        return RankResult(0, shape, "exact", True, "certified", "empty matrix")
    work = arr.T if shape[0] < shape[1] else arr
    biggest = max(abs(int(arr.max())), abs(int(arr.min())))
    N = flint.fmpz_mat(work.tolist())
    rng = random.Random(seed)
    stream = _prime_stream(rng, forced_primes)
    if not certify:
        used = [next(stream) for _ in range(primes)]
        r = max(flint.nmod_mat(N, q).rank() for q in used)
        return RankResult(r, shape, "exact", False, "monte-carlo",
                          f"max rank modulo {primes} random {_PRIME_BITS}-bit primes (not proved; "
                          f"error probability <= {_error_bound(biggest, r, primes):.3g})",
                          {"primes": used, "error_bound": _error_bound(biggest, r, primes)})
    if biggest == 0:
        return RankResult(0, shape, "exact", True, "certified", "zero matrix")
    sym = symmetric if symmetric is not None else (shape[0] == shape[1] and bool(np.array_equal(arr, arr.T)))
    tried: list[int] = []
    for _ in range(max_tries):
        q = next(stream)
        tried.append(q)
        red, r = flint.nmod_mat(N, q).rref()
        cols = _pivots(red, r)
        if sym:
            rows = cols
        else:
            red_t, r_t = flint.nmod_mat(flint.fmpz_mat(work[:, cols].T.tolist()), q).rref()
            rows = _pivots(red_t, r_t)
        if _kernel_certificate_np(work, rows, cols):
            nullity = work.shape[1] - r
            side = " (of the transpose)" if work is not arr else ""
            return RankResult(
                r, shape, "exact", True, "certified",
                f"lower: minor on {r} pivot rows/cols non-zero mod prime {q}; "
                f"upper: {nullity} kernel vectors{side} verified exactly",
                {"primes": tried, "nullity": nullity, "transposed": work is not arr, "symmetric": sym})
    raise CertificateError(f"rank not certified: no verified kernel after {max_tries} primes {tried} "
                           "(with random 62-bit primes this is astronomically unlikely)")


def _kernel_certificate_np(a: np.ndarray, rows: list[int], cols: list[int]) -> bool:
    """Step 4 on a numpy integer matrix: solve ``a[R,P] X = −a[R,F]`` exactly, verify the other rows.

    Rows ``R`` hold by construction of the exact solution; the rows outside ``R`` are checked
    with exact integer products ``a[R̄,P] X_num + a[R̄,F] δ = 0`` (``X = X_num / δ``).
    """
    n = a.shape[1]
    free = np.setdiff1d(np.arange(n), cols)
    if free.size == 0:
        return True
    P, R = np.asarray(cols), np.asarray(rows)
    minor = flint.fmpz_mat(a[np.ix_(R, P)].tolist())
    rhs = flint.fmpz_mat([[-int(v) for v in row] for row in a[np.ix_(R, free)].tolist()])
    try:
        x = minor.solve(rhs)
    except ZeroDivisionError:
        return False
    x_num, den = x.numer_denom()
    other = np.setdiff1d(np.arange(a.shape[0]), R)
    if other.size == 0:
        return True
    residual = (flint.fmpz_mat(a[np.ix_(other, P)].tolist()) * x_num
                + flint.fmpz_mat(a[np.ix_(other, free)].tolist()) * den)
    return residual.is_zero()
