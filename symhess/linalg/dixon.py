"""Exact solution of ``A X = B`` over ℚ by Dixon's p-adic lifting on float64 BLAS, verified exactly.

``A`` is a non-singular ``r × r`` integer matrix, ``B`` an ``r × s`` integer matrix; the answer is
``X = X_num / d`` with ``X_num`` an integer ``r × s`` matrix and ``d > 0`` (:func:`dixon_solve`).

Method, with a random prime ``q ∈ [2^19, 2^20)`` such that ``A`` is invertible modulo ``q`` and
``C = A⁻¹ mod q`` (row reduction of ``[A | I]`` on BLAS, :mod:`symhess.linalg.modular`):

1. **Denominator.** ``c`` random combinations ``b = B V`` (``V`` an ``s × c`` matrix of random
   integers in ``[−2^10, 2^10]``) are lifted p-adically, ``A⁻¹ b ≡ Σ_i x_i q^i (mod q^k)``, and
   rationally reconstructed (vector rational reconstruction); the reconstruction is checked exactly
   (``A y_num = d_V b``, FLINT). ``d = d_V`` is the denominator of ``A⁻¹ B V``; it divides the
   denominator of ``A⁻¹ B`` and equals it unless a prime power of the latter cancels in all ``c``
   combinations (probability at most ``~2^-c`` per prime). This is only a guess that step 2 proves
   or rejects.
2. **Integer lifting.** ``Y = d A⁻¹ B`` is then an integer matrix and its balanced ``q``-adic digits
   ``Y = Σ_i x_i q^i`` (``|x_i| ≤ (q − 1)/2``) are finitely many. With ``d = Σ_i δ_i q^i`` (balanced
   digits), ``S_0 = 0`` and, for ``i = 0, 1, …``::

       T_i = S_i + δ_i B,   x_i = C T_i mod q (balanced),   S_{i+1} = (T_i − A x_i) / q

   where every division is checked exact. By induction ``q^k S_k = d B − A X_k`` with
   ``X_k = Σ_{i<k} x_i q^i``, an identity of integer matrices. The lifting stops at the first ``k``
   beyond the digits of ``d`` with ``S_k = 0``: then ``A X_k = d B`` **exactly** — this is the
   verification of every row of the system, an exact integer carry check (the same as
   :func:`qadic_residual_is_zero` for ``[A | −B]``), so stopping early is safe and the output is a
   proof, whatever ``C``, the prime, or the reconstruction did. If ``d`` was right the tail
   ``Y_k = (Y − X_k)/q^k`` reaches 0 within the Hadamard bound of ``Y``; otherwise :func:`dixon_solve`
   returns ``None`` at that bound (the caller falls back to FLINT's solver).

The solution is kept as its ``q``-adic digits (:class:`QadicMatrix`, ``k × r × s`` int32, about the
size of the integers themselves): the kernel certificate checks the other rows digit by digit
(:func:`qadic_residual_is_zero`) and never forms the big integers.

**Exactness.** No float decides anything unless it is an exact integer: residues are below ``2^20``
(:mod:`symhess.linalg.modular`); ``A x_i`` is a float64 product of limbs of ``A`` of ``t`` bits with
digits ``|x_i| < 2^19`` over ``r`` terms, ``t = 34 − bitlen(r)``, so every partial sum is below
``r 2^t 2^19 < 2^53`` (:class:`_ExactProduct`). With ``2^e > max |A|, |B|`` and ``|δ_i|, |x_i| < 2^19``:
``|S_{i+1}| ≤ (|S_i| + (r + 1) 2^(e+19)) / q``, so ``|S_i| ≤ (r + 2) 2^e``, and ``|T_i|, |T_i − A x_i| <
(r + 3) 2^(e+19)``; the residual's terms and carries obey the same bounds. These integers are held in
float64 when ``e + bitlen(r + 3) + 19 ≤ 52`` (:func:`fits_float64_plan`), in int64 when ``≤ 62``
(:func:`fits_int64_plan`). Larger entries: ``None``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Sequence

import flint
import numpy as np

from .modular import BLAS_PRIME_BITS, _mod_matmul, _prime_stream, _reduce, _residues, _rref_rows

DIGIT_BITS = BLAS_PRIME_BITS - 1
"""Balanced digits modulo ``q < 2^20`` satisfy ``|x| ≤ (q − 1)/2 < 2^19``."""
COMBINATIONS = 8
"""Random combinations ``B V`` lifted to find the denominator (step 1 of the module docstring)."""
COMBINATION_BITS = 10
"""Entries of ``V`` are random integers in ``[−2^10, 2^10]``."""
PRIMES = 3
"""Primes tried for ``A`` invertible modulo ``q`` before giving up (``A`` is probably singular)."""
RECONSTRUCT_EVERY = 2
"""Step 1 attempts a rational reconstruction every this many lifting steps."""
GATE_ENTRIES = 4
"""... first of these entries alone (the others only once they reconstruct)."""
RESIDUAL_PANEL_ROWS = 256
"""Rows of the symmetric other-row residual (:func:`qadic_residual_is_zero`) per panel (its checked half
is a staircase of panels); a non-symmetric one takes :data:`RESIDUAL_PANEL_ROWS_FULL`."""
RESIDUAL_PANEL_ROWS_FULL = 2048
"""Panels of the non-symmetric residual: fewer, larger BLAS products (measured faster on 2 shared cores)."""


def fits_int64_plan(bits: int, inner: int) -> bool:
    """Whether entries below ``2^bits`` in absolute value, ``inner``-term products with balanced digits
    and the carries of the lifting and of the residual stay below ``2^62`` (module docstring)."""
    return bits + (inner + 3).bit_length() + DIGIT_BITS <= 62


def fits_float64_plan(bits: int, inner: int) -> bool:
    """Whether the same quantities stay below ``2^52``: then they are computed in float64, exactly
    (entries, products, sums and quotients are integers below ``2^52``; :func:`_exact_quotient`)."""
    return bits + (inner + 3).bit_length() + DIGIT_BITS <= 52


def _exact_quotient(u: np.ndarray, q: int) -> tuple[np.ndarray, bool]:
    """``(u / q, whether q divides every entry)`` for integer matrices ``u`` (int64, or float64 below ``2^52``;
    a float64 ``u`` is overwritten).

    float64: ``fl(u · fl(1/q))`` is within ``|u/q| · 2^-52 (1 + 2^-53) < 1/2`` of ``u/q`` (``q ≥ 3``), so
    ``k = rint(·)`` is ``u/q`` when that is an integer; ``u − q k`` (integers below ``2^53``: exact) is
    then 0, and is non-zero whenever ``q ∤ u`` (``q k`` is a multiple of ``q``).
    """
    if u.dtype == np.int64:
        k, rem = np.divmod(u, q)
        return k, not rem.any()
    k = u * (1.0 / q)
    np.rint(k, out=k)
    u -= k * q
    return k, not u.any()


def _mod(t: np.ndarray, q: int) -> np.ndarray:
    """``t mod q`` as float64 residues in ``[0, q)`` (int64, or float64 below ``2^52``: :func:`_reduce`)."""
    return _residues(t, q) if t.dtype == np.int64 else _reduce(t.copy(), q)


def _bits(m: np.ndarray) -> int:
    """``e`` with ``max |m| < 2^e`` (Python ints: exact for object arrays too)."""
    if m.size == 0:
        return 0
    return max(abs(int(m.max())), abs(int(m.min()))).bit_length()


class _ExactProduct:
    """``M @ x`` exactly, for an integer matrix ``M`` (``m × r``) and float64 integers ``|x| < 2^19``.

    ``M = Σ_j 2^(tj) M_j`` with limbs ``|M_j| ≤ 2^t`` (low limbs in ``[0, 2^t)``, the top one signed),
    ``t = 53 − 19 − bitlen(r)``: each float64 product ``M_j @ x`` has partial sums below
    ``r 2^t 2^19 < 2^53``, so it is exact in any summation order. ``as_float`` (one limb; the caller
    checked :func:`fits_float64_plan`): the float64 product itself; otherwise the limbs are combined
    in int64 (the caller guarantees ``|M x| < 2^62``, :func:`fits_int64_plan`).
    """

    def __init__(self, m: np.ndarray, as_float: bool = False):
        m = np.asarray(m).astype(np.int64)
        self.shift = 53 - DIGIT_BITS - max(1, m.shape[1]).bit_length()
        if self.shift < 1:
            raise ValueError("inner dimension too large for exact float64 products")
        limbs = max(1, -(-_bits(m) // self.shift))
        mask = (1 << self.shift) - 1
        self.limbs = []
        for _ in range(limbs - 1):
            self.limbs.append((m & mask).astype(np.float64))
            m = m >> self.shift
        self.limbs.append(m.astype(np.float64))
        self.as_float = as_float
        if as_float and len(self.limbs) > 1:
            raise ValueError("float64 products need one limb")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.as_float:
            return self.limbs[0] @ x
        out = (self.limbs[0] @ x).astype(np.int64)
        for j, limb in enumerate(self.limbs[1:], start=1):
            out += (limb @ x).astype(np.int64) * (1 << (self.shift * j))
        return out


def balanced_digits(n: int, q: int) -> list[int]:
    """``n = Σ_i δ_i q^i`` with ``|δ_i| ≤ (q − 1)/2`` (``q`` odd); ``[]`` for ``n = 0``."""
    out = []
    while n:
        d = n % q
        if d > q // 2:
            d -= q
        out.append(d)
        n = (n - d) // q
    return out


def _balanced(x: np.ndarray, q: int) -> np.ndarray:
    """Residues in ``[0, q)`` (float64, in place) to ``(−q/2, q/2)``."""
    x -= q * (x > q // 2)
    return x


def inverse_mod(a: np.ndarray, q: int) -> np.ndarray | None:
    """``a⁻¹ mod q`` (float64 residues, ``r × r``) or ``None`` if ``q`` divides ``det a``.

    Row reduction of ``[a | I]`` modulo ``q`` (:func:`symhess.linalg.modular._rref_rows`): it has
    ``r`` pivots; ``a`` is invertible iff they are the first ``r`` columns, and then the reduced
    rows ``E = Π a⁻¹ [a | I]`` with ``Π[k, piv_k] = 1``, so row ``piv_k`` of ``a⁻¹`` is ``E[k, r:]``.
    """
    r = a.shape[0]
    aug = np.hstack([_residues(a, q), np.eye(r)])
    E, piv, _ = _rref_rows(aug, np.arange(r), q)
    if len(piv) != r or max(piv) >= r:
        return None
    inv = np.empty((r, r))
    inv[piv] = E[:, r:]
    return inv


def _log2_hadamard(a: np.ndarray, b: np.ndarray) -> float:
    """An upper bound of ``log2`` of every ``|det|`` of ``a`` with one column replaced by a column of ``b``.

    ``Π_k ‖a_k‖ · max_j ‖b_j‖`` (Hadamard; the columns ``a_k`` of a non-singular integer matrix have
    ``‖a_k‖ ≥ 1``). Float64 sums of squares are inflated by their worst relative rounding error.
    Only a cap on the lifting: an underestimate would make :func:`dixon_solve` give up, never err.
    """
    slack = 1.0 + (a.shape[0] + 4) * 2.0 ** -50
    cols = np.maximum((a.astype(np.float64) ** 2).sum(axis=0) * slack, 1.0)
    rhs = max(1.0, float((b.astype(np.float64) ** 2).sum(axis=0).max()) * slack) if b.size else 1.0
    return 0.5 * (float(np.log2(cols).sum()) + math.log2(rhs)) + 1e-6 * a.shape[0] + 1.0


def _lift(a: _ExactProduct, c: np.ndarray, q: int, rhs, shape: tuple[int, int], steps: int):
    """The lifting of the module docstring: yields ``(x_i, S_{i+1})`` for ``i < steps``, or stops early
    (returns) if a division ``(T_i − A x_i)/q`` is not exact (``c`` is not ``A⁻¹ mod q``).

    ``rhs(i)``: the int64 ``r × s`` matrix added at step ``i`` (``δ_i B``, or digit ``i`` of ``B V``), or
    ``None`` for zero, of the dtype of ``a``'s products. ``x_i``: float64 balanced digits, ``|x_i| < 2^19``;
    ``S_{i+1}``: integers, int64 or float64 like ``a``'s products (bounds: module docstring).
    """
    S = np.zeros(shape, dtype=np.float64 if a.as_float else np.int64)
    for i in range(steps):
        add = rhs(i)
        T = S if add is None else S + add
        x = _balanced(_mod_matmul(c, _mod(T, q), q), q)
        S, exact = _exact_quotient(T - a(x), q)
        if not exact:
            return
        yield x, S


def _ratrecon(u: int, m: int, bound: int) -> tuple[int, int] | None:
    """``(n, e)`` with ``n ≡ e u (mod m)``, ``|n| ≤ bound``, ``0 < e ≤ bound``, ``gcd(n, e) = 1``, or ``None``
    (extended Euclid on ``(m, u)`` stopped at the first remainder ``≤ bound``; unique if ``2 bound² < m``)."""
    r0, r1, t0, t1 = m, u % m, 0, 1
    while r1 > bound:
        k = r0 // r1
        r0, r1, t0, t1 = r1, r0 - k * r1, t1, t0 - k * t1
    if t1 == 0 or abs(t1) > bound or math.gcd(r1, abs(t1)) != 1:
        return None
    return (r1, t1) if t1 > 0 else (-r1, -t1)


def _common_denominator(values: list[int], m: int) -> int | None:
    """The least ``d`` with ``d u mod m`` (balanced) ``≤ B = ⌊√(m/2)⌋`` for every ``u`` in ``values`` and
    ``d ≤ B`` (vector rational reconstruction: each entry's reconstruction multiplies the running
    denominator), or ``None``."""
    bound = math.isqrt(m // 2)
    d = 1
    for u in values:
        w = d * u % m
        if min(w, m - w) <= bound:
            continue
        got = _ratrecon(w, m, bound)
        if got is None:
            return None
        d *= got[1]
        if d > bound:
            return None
    return d


def _denominator(a: _ExactProduct, c: np.ndarray, aint: np.ndarray, b: np.ndarray, q: int,
                 rng: random.Random) -> int | None:
    """Step 1 of the module docstring: the exactly checked denominator of ``A⁻¹ B V`` (or ``None``)."""
    s = b.shape[1]
    k = min(COMBINATIONS, s)
    top = 2 ** COMBINATION_BITS
    v = np.array([[rng.randint(-top, top) for _ in range(k)] for _ in range(s)], dtype=np.int64)
    bv = b @ v  # |entries| < s 2^(e+10) < 2^62 (checked by the caller): exact int64
    digits = []
    rest = bv.copy()
    dtype = np.float64 if a.as_float else np.int64
    while rest.any():
        d = _balanced(np.mod(rest, q).astype(np.float64), q)
        digits.append(d.astype(dtype))
        rest = (rest - d.astype(np.int64)) // q
    steps = int(2 * _log2_hadamard(aint, bv) / math.log2(q)) + 3  # q^k > 2 N D, N, D ≤ Hadamard
    lifted: list[np.ndarray] = []
    for i, (x, _) in enumerate(_lift(a, c, q, lambda i: digits[i] if i < len(digits) else None, bv.shape, steps)):
        lifted.append(x.astype(np.int64))
        if (i + 1) % RECONSTRUCT_EVERY and i + 1 < steps:
            continue
        power = q ** len(lifted)
        # a cheap gate (speed only): the first GATE_ENTRIES entries must reconstruct before all are tried
        gate = [0] * min(GATE_ENTRIES, bv.size)
        for dg in reversed(lifted):
            gate = [u * q + int(v) for u, v in zip(gate, dg.flat)]
        if _common_denominator([u % power for u in gate], power) is None:
            continue
        value = np.zeros(bv.shape, dtype=object)
        for dg in reversed(lifted):
            value = value * q + dg.astype(object)
        flat = [int(u) % power for u in value.ravel()]
        d = _common_denominator(flat, power)
        if d is None:
            continue
        nums = [(d * u) % power for u in flat]
        nums = [u - power if u > power // 2 else u for u in nums]
        y = flint.fmpz_mat(bv.shape[0], bv.shape[1], nums)
        if flint.fmpz_mat(aint.tolist()) * y == flint.fmpz_mat(bv.tolist()) * d:
            return d
    return None


@dataclass(frozen=True)
class QadicMatrix:
    """An integer matrix ``X = Σ_i digits[i] q^i`` by its balanced ``q``-adic digits (``k × r × s`` int32,
    ``|digits| ≤ (q − 1)/2``)."""

    q: int
    digits: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.digits.shape[1]), int(self.digits.shape[2])

    def to_fmpz_mat(self) -> flint.fmpz_mat:
        """The integers as a FLINT matrix (Horner on groups of 3 digits, ``|group| < q^3/2 < 2^60``: int64)."""
        r, s = self.shape
        out = flint.fmpz_mat(r, s)
        q3 = self.q ** 3
        k = self.digits.shape[0]
        for top in range(((k - 1) // 3) * 3, -1, -3):
            g = np.zeros((r, s), dtype=np.int64)
            for j in range(min(k, top + 3) - 1, top - 1, -1):
                g = g * self.q + self.digits[j]
            out = out * q3 + flint.fmpz_mat(g.tolist())
        return out


def qadic_residual_is_zero(aP: np.ndarray, aF: np.ndarray, x: QadicMatrix, den: int, symmetric: bool = False) -> bool:
    """Whether ``Z = aP X + aF den`` is exactly zero (``aP`` ``m × r``, ``aF`` ``m × s``, ``X`` ``r × s``).

    With ``X = Σ_j x_j q^j`` and ``den = Σ_j δ_j q^j`` (balanced digits), ``Z = Σ_j q^j t_j`` with
    ``t_j = aP x_j + δ_j aF``, exact integer matrices (:class:`_ExactProduct`). ``Z = 0`` iff, carrying
    from the lowest digit (``c_0 = t_0``, ``c_{j+1} = c_j / q + t_{j+1}``), every ``c_j`` is divisible
    by ``q`` and the last carry is 0 (``Z = q^j (c_j + Σ_{k>j} q^(k−j) t_k)`` at every step): an exact
    integer identity check, in row panels. Needs :func:`fits_int64_plan` for ``aP, aF`` (the carries
    stay below ``2^62``; below ``2^52`` with :func:`fits_float64_plan`, then in float64).

    ``symmetric``: the caller knows ``Z`` is symmetric (``m = s``; the kernel certificate of a symmetric
    matrix with pivot rows = pivot columns ``P`` and ``F`` the others: ``aP = a[F,P]``, ``aF = a[F,F]`` and
    ``X`` an exactly verified solution of ``a[P,P] X = −den a[P,F]``, so ``Z = den (a[F,F] − a[F,P] a[P,P]⁻¹
    a[P,F])``, ``den`` times a symmetric Schur complement); then only the entries ``Z[i, j]`` with ``j``
    at least the first row of ``i``'s panel are checked, about half.
    """
    q = x.q
    dd = balanced_digits(int(den), q)
    k = max(x.digits.shape[0], len(dd))
    e = max(_bits(np.asarray(aP)), _bits(np.asarray(aF)), 1)
    if not fits_int64_plan(e, aP.shape[1]):
        raise ValueError("entries too large for the exact int64 plan")
    if symmetric and aP.shape[0] != aF.shape[1]:
        raise ValueError("a symmetric residual needs as many rows as columns")
    as_float = fits_float64_plan(e, aP.shape[1])
    dtype = np.float64 if as_float else np.int64
    panels = []  # (first column, exact product with aP's rows, aF's rows and columns, carry)
    size = RESIDUAL_PANEL_ROWS if symmetric else RESIDUAL_PANEL_ROWS_FULL
    for start in range(0, aP.shape[0], size):
        first = start if symmetric else 0
        F = np.asarray(aF[start:start + size, first:]).astype(dtype)
        panels.append([first, _ExactProduct(aP[start:start + size], as_float), F, np.zeros(F.shape, dtype=dtype)])
    for j in range(k):
        xj = x.digits[j].astype(np.float64) if j < x.digits.shape[0] else None  # converted once per digit
        for panel in panels:
            first, prod, F, carry = panel
            t = prod(xj[:, first:]) if xj is not None else np.zeros_like(F)
            t += carry
            if j < len(dd):
                t += F * dd[j]
            panel[3], exact = _exact_quotient(t, q)
            if not exact:
                return False
    return not any(panel[3].any() for panel in panels)


def dixon_solve(a: np.ndarray, b: np.ndarray, seed: int = 0,
                forced_primes: Sequence[int] = ()) -> tuple[QadicMatrix, int] | None:
    """``(X_num, d)`` with ``a X_num = d b`` verified exactly, ``d > 0`` (``a`` ``r × r``, ``b`` ``r × s``, integers).

    The module docstring has the method and the proof. ``None`` when it cannot: ``a`` singular modulo
    :data:`PRIMES` primes (probably singular over ℚ), entries too large for the int64/float64 plan,
    or the lifting found no verified solution within the Hadamard bound (the denominator guessed in
    step 1 was wrong). ``forced_primes``: used first (a test seam; primes outside ``[3, 2^20)`` are skipped).
    ``X_num / d`` need not be in lowest terms.
    """
    a, b = np.asarray(a), np.asarray(b)
    r, s = b.shape
    if a.shape != (r, r) or r == 0:
        raise ValueError(f"need a square system, got {a.shape} and {b.shape}")
    e = max(_bits(a), _bits(b), 1)
    if not fits_int64_plan(e, r) or e + max(1, s).bit_length() + COMBINATION_BITS > 62:
        return None
    as_float = fits_float64_plan(e, r)
    aint, bint = a.astype(np.int64), b.astype(np.int64)
    bmul = bint.astype(np.float64) if as_float else bint  # δ_i B: |δ_i B| < 2^(e+19), exact either way
    if s == 0 or not bint.any():
        return QadicMatrix(3, np.zeros((0, r, s), dtype=np.int32)), 1
    rng = random.Random(f"dixon-{seed}")
    stream = _prime_stream(rng, forced_primes, BLAS_PRIME_BITS)
    for _ in range(PRIMES + len(forced_primes)):
        q = next(stream)
        if q < 3 or q >= 2 ** BLAS_PRIME_BITS:  # balanced digits and the quotient need an odd q; exactness q < 2^20
            continue
        c = inverse_mod(aint, q)
        if c is None:
            continue
        prod = _ExactProduct(aint, as_float)
        d = _denominator(prod, c, aint, bint, q, rng)
        if d is None:
            return None
        delta = balanced_digits(d, q)
        cap = max(len(delta), int((_log2_hadamard(aint, bint) + 1) / math.log2(q)) + 2)
        digits = np.empty((min(cap, len(delta) + 8), r, s), dtype=np.int32)  # grown by doubling if needed
        rhs = (lambda i: bmul * delta[i] if i < len(delta) else None)
        for i, (x, S) in enumerate(_lift(prod, c, q, rhs, (r, s), cap)):
            if i == digits.shape[0]:
                digits = np.concatenate([digits, np.empty((min(cap, 2 * i) - i, r, s), dtype=np.int32)])
            np.copyto(digits[i], x, casting="unsafe")  # integers |x| < 2^19: exact
            if i + 1 >= len(delta) and not S.any():  # q^(i+1) S = d b − a X_num = 0: verified
                return QadicMatrix(q, digits[:i + 1]), d
        return None
    return None
