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
from typing import Any, Sequence

import flint
import numpy as np

from ..scalars import InputError
from .dixon import dixon_solve, fits_int64_plan, qadic_residual_is_zero
from .integer import common_dtype, exact_matmul, exact_mul, max_abs
from .matrices import to_fmpq_mat
from .memory import default_limit_bytes
from .modular import _PRIME_BITS, BLAS_PRIME_BITS, _prime_stream, random_prime, rank_mod_blas
from .monte_carlo import (MC_CHECK_VECTORS, MC_ERROR_TARGET, MC_MAX_PRIMES, MC_MIN_PRIMES, _error_bound,
                          monte_carlo_rank)

METHODS = ("exact", "float64")


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
    return to_fmpq_mat(arr).numer_denom()[0]


class CertificateError(ArithmeticError):
    """No prime gave a verified kernel within ``max_tries``: the rank is *not* certified (never guessed)."""


def integer_array(a: Any) -> np.ndarray:
    """:func:`as_fmpz_mat` as a numpy object array of Python ints (the input of :func:`integer_rank`)."""
    N = as_fmpz_mat(a)
    out = np.empty((N.nrows(), N.ncols()), dtype=object)
    for i, row in enumerate(N.tolist()):
        out[i, :] = [int(v) for v in row]
    return out


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


CERTIFICATES = ("schur", "kernel")


def integer_rank(a: np.ndarray, certify: bool = True, seed: int = 0, primes: int | None = None,
                 symmetric: bool | None = None, max_tries: int = 4,
                 forced_primes: Sequence[int] = (), certificate: str = "kernel",
                 column_blocks: Sequence[int] | None = None, memory_limit: int | None = None,
                 block_factors: Sequence[tuple[int, np.ndarray]] | None = None) -> RankResult:
    """Exact rank of an integer numpy matrix (``int64``, or object of Python ints): the fast path.

    **Lower bound** (a proof): rank ``r`` modulo a random 62-bit prime ``q0`` with pivot rows
    ``R`` and columns ``P`` (:func:`rank_mod`, row panels, no Python-int list of the whole
    matrix); ``det a[R,P] ≢ 0 mod q0`` hence ``≠ 0`` over ℤ. A symmetric matrix takes ``R = P``
    (a principal minor on a column basis of a symmetric matrix is non-singular over any field);
    a wide matrix is handled through its transpose.

    **Upper bound** (a proof), ``certificate``:

    * ``"kernel"`` (default): an exactly verified rational kernel basis (FLINT ``fmpz_mat.solve``,
      :func:`_kernel_certificate_np`, residual in row panels); measured faster than ``"schur"``
      with FLINT's 62-bit ``nmod_mat`` (docs/performance.md);
    * ``"schur"``: the Schur complement of ``a[R,P]`` is zero modulo primes whose
      product exceeds twice a Hadamard bound of ``det · S`` (:func:`schur_certificate`;
      docs/performance.md, "The Schur-complement certificate").

    ``column_blocks`` (column offsets ``0 = c_0 < … < c_L = n``): first try the cheaper upper
    bound ``rank a ≤ Σ_l rank a[:, c_l:c_{l+1}]`` (sub-additivity of rank), each block rank
    certified the same way; if the sum equals ``r`` the rank is proved without touching the
    whole Schur complement; otherwise the whole matrix is certified. ``block_factors`` (one
    ``(s_l, F_l)`` per block, for a square ``a`` whose rows are indexed like its columns): the
    diagonal block is claimed to be ``s_l F_lᵀ F_l``; where that holds exactly and ``F_l`` has fewer
    rows, block ``l``'s rank is that of a smaller matrix (:func:`row_reduced_block`).

    ``memory_limit`` (bytes; default half the RAM): the kernel basis has ``r (n − r)`` rationals of
    up to a Hadamard bound of bits; if :func:`kernel_certificate_bytes` exceeds the limit, the
    Schur certificate (word-size memory only) is used instead, before anything is allocated.

    ``certify=False``: the maximum rank modulo ``primes`` random primes of :data:`BLAS_PRIME_BITS`
    bits (:func:`rank_mod_blas`), labelled ``"monte-carlo"`` with ``details["error_bound"]``;
    ``primes=None``: as many as it takes for an error bound below :data:`MC_ERROR_TARGET`.

    ``forced_primes`` are used, in order, as the elimination prime ``q0`` before any random
    prime (a test seam: a prime dividing a pivot minor gives a rank too low modulo it; the
    upper-bound certificate then fails and the next prime is tried). After ``max_tries``
    primes without a certificate, :class:`CertificateError` is raised: a rank is never claimed
    without proof.
    """
    arr = np.asarray(a)
    if arr.ndim != 2 or arr.dtype.kind not in "iuO":
        raise InputError("matrix", "a 2-D integer array (int64 or object of int)", f"{arr.dtype} {arr.shape}")
    if certificate not in CERTIFICATES:
        raise InputError("certificate", "'schur' or 'kernel'", certificate)
    shape = (int(arr.shape[0]), int(arr.shape[1]))
    if 0 in shape:
        return RankResult(0, shape, "exact", True, "certified", "empty matrix")
    work = arr.T if shape[0] < shape[1] else arr
    biggest = max_abs(arr)
    rng = random.Random(seed)
    if not certify:
        return _monte_carlo_result(work, shape, biggest, seed, forced_primes, primes)
    if biggest == 0:
        return RankResult(0, shape, "exact", True, "certified", "zero matrix")
    stream = _prime_stream(rng, forced_primes)
    sym = symmetric if symmetric is not None else (shape[0] == shape[1] and bool(np.array_equal(arr, arr.T)))
    verify_rng = random.Random(f"verify-{seed}")
    tried: list[int] = []
    side = " (of the transpose)" if work is not arr else ""
    for _ in range(max_tries):
        q = next(stream)
        tried.append(q)
        r, cols, rows = _eliminate(work, q, want_rows=not sym)
        if sym:
            rows = cols
        base = {"primes": tried, "nullity": work.shape[1] - r, "transposed": work is not arr,
                "symmetric": sym, "certificate": certificate}
        lower = f"lower: minor on {r} pivot rows/cols non-zero mod prime {q}; "
        if column_blocks is not None and work is arr and len(column_blocks) > 2:
            parts = []
            reduced = []
            for l, (lo, hi) in enumerate(zip(column_blocks[:-1], column_blocks[1:])):
                block = row_reduced_block(arr, lo, hi, *block_factors[l]) if block_factors else None
                if block is None:
                    block = arr[:, lo:hi]
                else:
                    reduced.append(l)
                parts.append(integer_rank(block, seed=seed, max_tries=max_tries,
                                          certificate=certificate, memory_limit=memory_limit).rank)
            base["row_reduced_blocks"] = reduced
            if sum(parts) == r:
                return RankResult(r, shape, "exact", True, "certified",
                                  lower + f"upper: sum of certified column-block ranks {parts}",
                                  dict(base, column_block_ranks=parts, upper="column blocks"))
            base["column_block_ranks"] = parts  # not tight: certify the whole matrix
        use = certificate
        if use == "kernel":
            limit = default_limit_bytes() if memory_limit is None else memory_limit
            if kernel_certificate_bytes(work, rows, cols) > limit:
                use = base["certificate"] = "schur"  # same proof strength, word-size memory
        if use == "schur":
            ok, info = schur_certificate(work, rows, cols, q, verify_rng)
            text = (f"upper: Schur complement of that minor zero modulo {info['verification_primes'] + 1} "
                    f"primes (product > 2^{info['bound_bits']:.0f}, twice its Hadamard bound){side}")
        else:
            ok, info = _kernel_certificate_np(work, rows, cols), {}
            text = f"upper: {work.shape[1] - r} kernel vectors{side} verified exactly"
        if ok:
            return RankResult(r, shape, "exact", True, "certified", lower + text, dict(base, **info))
    raise CertificateError(f"rank not certified: no verified upper bound after {max_tries} primes {tried} "
                           "(with random 62-bit primes this is astronomically unlikely)")


FACTOR_CHECK_ROWS = 512
"""Rows of ``s F_lᵀ F_l`` formed at a time when :func:`row_reduced_block` checks a diagonal block."""


def row_reduced_block(a: np.ndarray, lo: int, hi: int, scale: int, factor: np.ndarray) -> np.ndarray | None:
    """A matrix with the rank of the column block ``A = a[:, lo:hi]``, smaller when ``a[lo:hi, lo:hi]`` has a thin factor.

    Rows of ``A``: ``X = a[R̄, lo:hi]`` (``R̄`` = the rows outside ``lo:hi``) and ``Y = a[lo:hi, lo:hi]``.
    If ``Y = s Fᵀ F`` exactly (``s > 0``; ``F`` = ``factor``, ``k × (hi − lo)``, checked here in row
    chunks with exact products), then ``rank A = rank [X; F]`` over ℚ: the row space of ``A`` is
    ``row(X) + row(Y)``, ``row(Y) ⊆ row(F)`` since ``Y = (s Fᵀ) F``, and ``rank Y = rank F`` since
    ``Fᵀ F v = 0 ⇒ ‖F v‖² = 0 ⇒ F v = 0``; so ``row(Y) = row(F)``. ``k = 0`` covers a zero diagonal
    block (``Y = 0``: ``rank A = rank X``). Used for ``H_L = s_y ĴᵀĴ + F̂`` and ``F̂``, whose diagonal
    blocks are ``s_y Ĵ_lᵀ Ĵ_l`` and 0 when the network is linear in each layer's parameters
    (checked, not assumed). Returns ``[X; F]``, or ``None`` if ``F`` is not thinner than the block
    or the identity does not hold.
    """
    width = hi - lo
    F = np.asarray(factor)
    if scale <= 0 or F.ndim != 2 or F.shape[1] != width or F.shape[0] >= width or a.shape[0] != a.shape[1]:
        return None
    for start in range(0, width, FACTOR_CHECK_ROWS):
        stop = min(width, start + FACTOR_CHECK_ROWS)
        expected = exact_mul(exact_matmul(F[:, start:stop].T, F), scale) if F.shape[0] else 0
        if not np.array_equal(a[lo + start:lo + stop, lo:hi], np.broadcast_to(expected, (stop - start, width))):
            return None
    rest = np.concatenate([a[:lo, lo:hi], a[hi:, lo:hi]], axis=0)
    if F.shape[0] == 0:
        return rest
    return np.concatenate(common_dtype([rest, F]), axis=0)


def _monte_carlo_result(work: np.ndarray, shape: tuple[int, int], biggest: int, seed: int,
                        forced_primes: Sequence[int], primes: int | None) -> RankResult:
    """``integer_rank(certify=False)``: a rank modulo random primes, labelled ``"monte-carlo"`` with its error bound.

    Matrices up to :data:`SMALL_ENTRIES` entries: the maximum of FLINT's whole-matrix rank modulo 62-bit
    primes (3 give an error bound far below the target). Larger int64 ones: :func:`monte_carlo_rank`
    (one elimination modulo a 20-bit prime on BLAS, then Schur-complement checks modulo further
    primes). Larger ones beyond int64: the maximum over eliminations modulo 20-bit primes.
    """
    small = work.shape[0] * work.shape[1] <= SMALL_ENTRIES
    if not small and work.dtype == np.int64:
        r, eliminated, checked, bound = monte_carlo_rank(work, seed, primes, forced_primes)
        return RankResult(r, shape, "exact", False, "monte-carlo",
                          f"rank modulo a random {eliminated[-1].bit_length()}-bit prime, the Schur complement of "
                          f"its pivot minor zero on {MC_CHECK_VECTORS} random vectors modulo {len(checked)} further "
                          f"random primes (not proved; error probability <= {bound:.3g})",
                          {"primes": eliminated + checked, "elimination_primes": eliminated,
                           "check_primes": checked, "error_bound": bound})
    stream = _prime_stream(random.Random(seed), forced_primes, _PRIME_BITS if small else BLAS_PRIME_BITS)
    full = min(work.shape)
    used: list[int] = []
    ranks: list[int] = []
    least = MC_MIN_PRIMES if primes is None else primes
    while len(used) < least or (primes is None and len(used) < MC_MAX_PRIMES
                                and _error_bound(biggest, max(ranks), used, full) > MC_ERROR_TARGET):
        used.append(next(stream))
        ranks.append(_rank_only(work, used[-1]))
    r = max(ranks)
    bound = _error_bound(biggest, r, used, full)
    return RankResult(r, shape, "exact", False, "monte-carlo",
                      f"max rank modulo {len(used)} random primes of {used[-1].bit_length()} bits (not proved; "
                      f"error probability <= {bound:.3g})",
                      {"primes": used, "error_bound": bound})


def _kernel_certificate_np(a: np.ndarray, rows: list[int], cols: list[int]) -> bool:
    """Step 4 on a numpy integer matrix: solve ``a[R,P] X = −a[R,F]`` exactly, verify the other rows.

    The solve is :func:`symhess.linalg.dixon.dixon_solve` (p-adic lifting on float64 BLAS; it verifies
    rows ``R`` exactly itself), with FLINT's ``fmpz_mat.solve`` as the fallback (rows ``R`` hold by
    construction of its exact solution). The rows outside ``R`` are checked with exact integer
    products ``a[R̄,P] X_num + a[R̄,F] δ = 0`` (``X = X_num / δ``): digit by digit for the Dixon
    solution (:func:`symhess.linalg.dixon.qadic_residual_is_zero`), limb by limb for FLINT's.
    """
    n = a.shape[1]
    free = np.setdiff1d(np.arange(n), cols)
    if free.size == 0:
        return True
    P, R = np.asarray(cols), np.asarray(rows)
    other = np.setdiff1d(np.arange(a.shape[0]), R)
    solved = None
    if fits_int64_plan(max_abs(a).bit_length(), len(cols)):  # also for the other rows' residual
        solved = dixon_solve(a[np.ix_(R, P)].astype(np.int64), -a[np.ix_(R, free)].astype(np.int64))
    if solved is not None:
        if other.size == 0:
            return True
        # symmetric a with R = P: the residual is den times the (symmetric) Schur complement
        sym = np.array_equal(other, free) and a.shape[0] == a.shape[1] and bool(np.array_equal(a, a.T))
        return qadic_residual_is_zero(a[np.ix_(other, P)], a[np.ix_(other, free)], *solved, symmetric=sym)
    minor = flint.fmpz_mat(a[np.ix_(R, P)].tolist())
    rhs = flint.fmpz_mat([[-int(v) for v in row] for row in a[np.ix_(R, free)].tolist()])
    try:
        x = minor.solve(rhs)
    except ZeroDivisionError:
        return False
    x_num, den = x.numer_denom()
    if other.size == 0:
        return True
    limbs = _limb_plan(a, len(cols))
    if limbs is not None:  # exact integer residual on float64 BLAS, limb by limb
        return _residual_is_zero_limbs(a[np.ix_(other, P)], a[np.ix_(other, free)], x_num, int(den), limbs)
    for start in range(0, other.size, PANEL_ROWS):  # row panels: no huge product held at once
        I = other[start:start + PANEL_ROWS]
        residual = (flint.fmpz_mat(a[np.ix_(I, P)].tolist()) * x_num
                    + flint.fmpz_mat(a[np.ix_(I, free)].tolist()) * den)
        if not residual.is_zero():
            return False
    return True


def _limb_plan(a: np.ndarray, inner: int) -> int | None:
    """Bytes per limb ``g`` for :func:`_residual_is_zero_limbs` on ``a`` (``None``: entries too large, use FLINT).

    Needs ``inner · 2^e · 2^(8g) < 2^52`` with ``2^e > max|a|``: every product of an entry of ``a``
    with a limb, summed over ``inner`` terms, is then an integer float64 holds exactly.
    """
    e = max_abs(a).bit_length()
    g = (52 - e - max(1, inner).bit_length()) // 8
    return g if g >= 1 else None


def _residual_is_zero_limbs(aP: np.ndarray, aF: np.ndarray, x_num: flint.fmpz_mat, den: int, g: int) -> bool:
    """Whether ``Z = aP · x_num + aF · den`` is exactly zero, with float64 BLAS products only.

    ``x_num`` is written in two's complement on ``8 g L`` bits: ``x_num = Σ_j U_j 2^(sj) − 2^(sL) N``
    with limbs ``0 ≤ U_j < 2^s`` (``s = 8g``) and ``N`` the 0/1 sign matrix; ``den = Σ_j d_j 2^(sj)``.
    So ``Z = Σ_j 2^(sj) t_j`` with ``t_j = aP U_j + d_j aF − [j = L] aP N``, each an exact int64
    matrix (:func:`_limb_plan`: products summed below ``2^52``). ``Z = 0`` iff carrying from the
    lowest limb up, ``c_0 = t_0``, ``c_{j+1} = c_j / 2^s + t_{j+1}``, every ``c_j`` is divisible by
    ``2^s`` and the last carry is 0 (``Z = 2^(sj) (c_j + Σ_{k>j} 2^(s(k−j)) t_k)`` at every step).
    The carries stay below ``2^54`` in absolute value: int64, exact.
    """
    s = 8 * g
    r, f = x_num.nrows(), x_num.ncols()
    ints = [int(v) for v in x_num.entries()]
    top = max((abs(v) for v in ints), default=0).bit_length() + 1  # with a sign bit
    L = max(1, -(-top // s))
    raw = np.frombuffer(b"".join(v.to_bytes(g * L, "little", signed=True) for v in ints), dtype=np.uint8)
    raw = raw.reshape(r, f, L, g)
    weights = (256.0 ** np.arange(g))
    d_limbs = []
    while den:
        d_limbs.append(den & ((1 << s) - 1))
        den >>= s
    P = aP.astype(np.float64)
    F = aF.astype(np.int64)
    carry = np.zeros((aP.shape[0], f), dtype=np.int64)
    mask = (1 << s) - 1
    for j in range(max(L + 1, len(d_limbs))):
        t = carry
        if j < L:
            U = raw[:, :, j, :] @ weights  # limb j of every entry, < 2^s
            t = t + (P @ U).astype(np.int64)
        if j < len(d_limbs):
            t = t + F * d_limbs[j]
        if j == L:
            negative = (raw[:, :, L - 1, g - 1] >= 128).astype(np.float64)
            t = t - (P @ negative).astype(np.int64)
        if (t & mask).any():
            return False
        carry = t >> s
    return not carry.any()


# ---------------------------------------------------------------- low-memory modular elimination

PANEL_ROWS = 256
"""Rows converted to FLINT at a time: no Python-int list of a whole matrix is ever built."""


def _nmod(block: np.ndarray, q: int) -> flint.nmod_mat:
    """``block mod q`` as an ``nmod_mat`` (``block`` int64 or object of ints, at least 1 × 1)."""
    return flint.nmod_mat((block % q).tolist(), q)


def _submatrix(m: flint.nmod_mat, cols: Sequence[int], q: int) -> flint.nmod_mat:
    """Columns ``cols`` of a small ``nmod_mat`` (entry by entry: used for ``r × r'`` pieces only)."""
    return flint.nmod_mat([[int(m[i, j]) for j in cols] for i in range(m.nrows())], q)


SMALL_ENTRIES = 2 ** 22
"""Matrices up to this many entries are converted to FLINT whole for a rank-only computation
(``nmod_mat.rank`` is ~2× faster than the RREF :func:`rank_mod` needs; the list costs ≤ ~150 MB)."""


def _rank_only(a: np.ndarray, q: int) -> int:
    """Rank of ``a`` modulo ``q`` (Monte Carlo path): the whole FLINT matrix when small; otherwise
    :func:`rank_mod_blas` (``q < 2^20``) or :func:`rank_mod`."""
    if a.shape[0] * a.shape[1] <= SMALL_ENTRIES:
        return flint.nmod_mat((a % q).tolist(), q).rank()
    return _eliminate(a, q)[0]


def rank_mod(a: np.ndarray, q: int, want_rows: bool = False,
             panel: int = PANEL_ROWS) -> tuple[int, list[int], list[int] | None]:
    """Rank of the integer matrix ``a`` modulo the prime ``q``, its pivot columns, and (if asked) pivot rows.

    Row panels of ``PANEL_ROWS`` rows are reduced against a reduced row echelon basis ``E`` of
    the rows seen so far (kept as FLINT ``nmod_mat`` row blocks, zero outside... identity on the
    pivot columns): ``B' = B − B[:, piv] E``; the non-zero part of ``B'`` is brought to RREF and
    appended, and the older blocks are cleared on the new pivot columns. This is Gaussian
    elimination modulo ``q`` (``O(m n r)`` operations, FLINT matrix products), holding only
    ``r × n`` entries plus one panel. Pivot columns are those of the RREF of ``a`` (so
    ``a[:, P]`` is a column basis modulo ``q``); pivot rows ``R`` (``want_rows``): rows each
    independent modulo ``q`` of the rows before them, so ``a[R, :]`` spans the row space and
    ``a[R, P]`` is non-singular modulo ``q``.
    """
    m, n = a.shape
    blocks: list[tuple[flint.nmod_mat, list[int]]] = []
    rows: list[int] = []
    for start in range(0, m, panel):
        raw = a[start:start + panel] % q
        B = flint.nmod_mat(raw.tolist(), q)
        for E, piv in blocks:
            B = B - flint.nmod_mat(raw[:, piv].tolist(), q) * E
        red, r = B.rref()
        if r == 0:
            continue
        flat = red.entries()
        new_rows = [[int(v) for v in flat[i * n:(i + 1) * n]] for i in range(r)]
        new_piv = [next(j for j, v in enumerate(row) if v) for row in new_rows]
        R = flint.nmod_mat(new_rows, q)
        blocks = [(E - _submatrix(E, new_piv, q) * R, piv) for E, piv in blocks]
        blocks.append((R, new_piv))
        if want_rows:  # independent rows of B' (B' is zero on the old pivot columns)
            red_t, r_t = B.transpose().rref()
            rows.extend(start + c for c in _pivots(red_t, r_t))
    cols = [j for _, piv in blocks for j in piv]
    return len(cols), cols, (rows if want_rows else None)


# ---------------------------------------------------------------- the Schur-complement certificate

def _log2_row_norm_bounds(a: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """For each row ``i`` in ``rows``: an upper bound of ``log2 sqrt(‖a[i, cols]‖² + max_j a[i, j]²)``.

    The bound of the Euclidean norm of row ``i`` of any ``a[·, cols ∪ {j}]``. Float64 sums of
    non-negative terms are inflated by their worst relative rounding error; entries beyond
    ``2^500`` are summed as Python integers.
    """
    sub = a[np.ix_(rows, cols)]
    full = a[rows]
    big = max(abs(int(full.max())), abs(int(full.min())))
    if big < 2 ** 500:
        s = (sub.astype(np.float64) ** 2).sum(axis=1) + np.abs(full.astype(np.float64)).max(axis=1) ** 2
        slack = 1.0 + (sub.shape[1] + 4) * 2.0 ** -50
        s = np.maximum(s * slack, 1.0)
        return 0.5 * np.log2(s) + 1e-9
    out = []
    for i in range(len(rows)):
        s = sum(int(v) * int(v) for v in sub[i]) + max(int(v) * int(v) for v in full[i])
        out.append(0.5 * max(1, s.bit_length()))
    return np.array(out)


def schur_bound_bits(a: np.ndarray, rows: Sequence[int], cols: Sequence[int]) -> float:
    """``log2 B`` with ``B`` bounding every entry of ``det(a[R,P]) · S`` (``S`` the Schur complement).

    ``det(a[R,P]) S[i, j] = det a[R ∪ {i}, P ∪ {j}]`` (bordered determinant), an ``(r+1)``-minor;
    Hadamard: at most the product of its row norms, each bounded by :func:`_log2_row_norm_bounds`.
    """
    R = np.asarray(rows, dtype=np.int64)
    P = np.asarray(cols, dtype=np.int64)
    other = np.setdiff1d(np.arange(a.shape[0]), R)
    inside = float(_log2_row_norm_bounds(a, R, P).sum()) if R.size else 0.0
    outside = float(_log2_row_norm_bounds(a, other, P).max()) if other.size else 0.0
    return inside + outside


def schur_certificate(a: np.ndarray, rows: Sequence[int], cols: Sequence[int], q0: int,
                      rng: random.Random, panel: int = PANEL_ROWS) -> tuple[bool, dict]:
    """Upper bound ``rank a ≤ r`` (``r = |P|``) by a Schur complement zero modulo enough primes.

    Hypotheses: ``a[R, P]`` is non-singular modulo the prime ``q0`` and ``rank_{q0} a = r``
    (:func:`rank_mod`). With ``S = a[R̄,P̄] − a[R̄,P] a[R,P]⁻¹ a[R,P̄]``, ``rank a = r + rank S``
    over ℚ, and the integer matrix ``det(a[R,P]) S`` has entries bounded by ``B``
    (:func:`schur_bound_bits`). It is ``≡ 0`` modulo ``q0`` (rank modulo ``q0`` is ``r``) and
    is checked ``≡ 0`` modulo further random primes ``q`` (each with ``det a[R,P] ≢ 0 mod q``:
    ``S ≡ a[R̄,P̄] − a[R̄,P] (a[R,P] mod q)⁻¹ a[R,P̄]``, computed in row panels) until the
    product of the primes exceeds ``2B``; then ``det · S = 0`` exactly (an integer of absolute
    value at most ``B`` divisible by a number above ``2B``), so ``S = 0`` and ``rank a = r``.
    Returns ``(verified, details)``; ``False`` means a prime found ``S ≢ 0``: the rank is
    higher than ``r`` (``q0`` was unlucky).
    """
    m, n = a.shape
    r = len(cols)
    free = np.setdiff1d(np.arange(n), cols)
    other = np.setdiff1d(np.arange(m), rows)
    details = {"bound_bits": 0.0, "verification_primes": 0}
    if free.size == 0 or other.size == 0:
        return True, details
    if r == 0:  # rank 0 modulo q0: the matrix must be zero
        return (max_abs(a) == 0), details
    R, P = np.asarray(rows), np.asarray(cols)
    need = schur_bound_bits(a, rows, cols) + 1.0  # log2(2B)
    details["bound_bits"] = need
    have = q0.bit_length() - 1  # q0 ≥ 2^(bits-1)
    used = {q0}
    rp, rf = a[np.ix_(R, P)], a[np.ix_(R, free)]
    while have <= need:
        q = random_prime(rng)
        if q in used:
            continue
        used.add(q)
        try:
            Y = _nmod(rp, q).solve(_nmod(rf, q))  # a[R,P]^{-1} a[R,P̄] mod q
        except ZeroDivisionError:  # q divides det a[R,P]: not usable, not counted
            continue
        for start in range(0, other.size, panel):
            I = other[start:start + panel]
            S = _nmod(a[np.ix_(I, free)], q) - _nmod(a[np.ix_(I, P)], q) * Y
            if S != flint.nmod_mat(S.nrows(), S.ncols(), q):
                details["verification_primes"] += 1
                details["rejected_by"] = q
                return False, details
        details["verification_primes"] += 1
        have += q.bit_length() - 1
    details["proved_bits"] = have
    return True, details


def kernel_certificate_bytes(a: np.ndarray, rows: Sequence[int], cols: Sequence[int]) -> int:
    """Bytes the kernel certificate needs: the exact solution ``X_num`` (``r × (n − r)`` integers of up
    to :func:`schur_bound_bits` bits, 16 B of overhead each), three times for FLINT's lifting
    workspace and the residual panel, plus the panel conversions."""
    r, free = len(cols), a.shape[1] - len(cols)
    if r == 0 or free == 0:
        return 0
    bits = schur_bound_bits(a, rows, cols)
    return int(3 * r * free * (bits / 8 + 16) + 64 * PANEL_ROWS * a.shape[1])


# ---------------------------------------------------------------- modular elimination on float64 BLAS

def _eliminate(a, q: int, want_rows: bool = False) -> tuple[int, list[int], list[int] | None]:
    """:func:`rank_mod_blas` for primes below ``2^20`` (the default), FLINT's :func:`rank_mod` for larger ones."""
    if q < 2 ** BLAS_PRIME_BITS:
        r, cols, rows = rank_mod_blas(a, q)
        return r, cols, (rows if want_rows else None)
    return rank_mod(a, q, want_rows=want_rows)


