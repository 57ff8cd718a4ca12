"""Modular arithmetic on float64 BLAS, exactly: random primes, residues, products and row reduction modulo ``q < 2^20``.

Residues modulo a prime ``q < 2^20`` are float64 integers in ``[0, q)``; a product of residues
summed over at most :data:`BLAS_INNER` terms is an integer below ``2^52``, which float64 holds
exactly whatever the summation order (BLAS blocking, FMA). Shared by the elimination of
:mod:`symhess.linalg.rank` and the p-adic solver of :mod:`symhess.linalg.dixon`.
"""

from __future__ import annotations

import random
from typing import Iterator, Sequence

import flint
import numpy as np

from ..scalars import InputError

_PRIME_BITS = 62
"""Primes are drawn uniformly-ish from ``[2^61, 2^62)``: word-size for FLINT's ``nmod_mat``."""
BLAS_PRIME_BITS = 20
"""Elimination primes lie in ``[2^19, 2^20)``: residues are float64 integers below ``2^20``."""
BLAS_INNER = 2 ** 12
"""Inner dimension of one float64 product of residues: ``2^12 (2^20 − 1)² < 2^52``, so every partial
sum, in any summation order (BLAS blocking, FMA), is an integer below ``2^52``: exact."""


def _prime_stream(rng: random.Random, forced: Sequence[int], bits: int | None = None) -> Iterator[int]:
    """``forced`` primes first, in order, then random ones of ``bits`` bits (default :data:`BLAS_PRIME_BITS`;
    the seam that lets tests inject an unlucky prime)."""
    for q in forced:
        if not flint.fmpz(int(q)).is_prime():
            raise InputError("forced_primes", "primes", q)
        yield int(q)
    while True:
        yield random_prime(rng, bits or BLAS_PRIME_BITS)


def random_prime(rng: random.Random, bits: int = _PRIME_BITS) -> int:
    """A random prime in ``[2^(bits-1), 2^bits)`` (FLINT's primality test is proven below 2^64)."""
    while True:
        c = rng.randrange(2 ** (bits - 1), 2 ** bits) | 1
        if flint.fmpz(c).is_prime():
            return c


def _mod_matmul(x: np.ndarray, y: np.ndarray, q: int) -> np.ndarray:
    """``x @ y mod q`` for float64 residues in ``[0, q)``, ``q < 2^20``, exactly (see :data:`BLAS_INNER`)."""
    if q >= 2 ** BLAS_PRIME_BITS:
        raise ValueError(f"prime {q} too large for exact float64 products")
    k = x.shape[1]
    out = None
    for s in range(0, max(k, 1), BLAS_INNER):
        t = _reduce(x[:, s:s + BLAS_INNER] @ y[s:s + BLAS_INNER], q)  # integers < 2^52: exact
        out = t if out is None else _reduce(out + t, q)
    return out


def _reduce(x: np.ndarray, q: int) -> np.ndarray:
    """``x mod q`` in place, for float64 integers ``|x| < 2^52`` and ``q < 2^20`` (exact).

    ``y = fl(x · fl(1/q))`` is within ``|x|/q · 2^-51 < 1`` of ``x/q``, so ``f = floor(y)`` is
    ``floor(x/q)`` or off by one; ``x − q f`` (integers below ``2^53``: exact) lies in
    ``[−q, 2q)`` and one correction each way gives ``[0, q)``. (``np.fmod`` is ~50× slower.)
    """
    f = x * (1.0 / q)
    np.floor(f, out=f)
    f *= q
    np.subtract(x, f, out=x)
    np.add(x, q, out=x, where=x < 0)  # masked in place: no temporary products
    np.subtract(x, q, out=x, where=x >= q)
    return x


def _sub_mod(x: np.ndarray, y: np.ndarray, q: int) -> np.ndarray:
    """``(x − y) mod q`` for residues in ``[0, q)``."""
    z = x - y
    np.add(z, q, out=z, where=z < 0)
    return z


def _residues(block: np.ndarray, q: int) -> np.ndarray:
    """``block mod q`` (int64 or Python ints) as float64 integers in ``[0, q)``."""
    return np.mod(block, q).astype(np.float64)


BLAS_LEAF_ROWS = 32
"""Blocks of at most this many rows are reduced row by row (:func:`_rref_small`), larger ones by halves."""


def _rref_small(B: np.ndarray, idx: np.ndarray, q: int) -> tuple[np.ndarray, list[int], list[int]]:
    """:func:`_rref_rows` for a few rows: Gauss–Jordan one row at a time, reducing lazily.

    ``M`` is kept unreduced: each step subtracts ``c · row`` with ``c`` (column ``j`` reduced) and the
    normalised pivot row in ``[0, q)``, a product below ``2^40``; after ``b`` steps
    ``|M| < 2^20 + b · 2^40 < 2^52`` (``b`` rows, at most :data:`BLAS_LEAF_ROWS`), so every entry is an exact
    float64 integer, congruent to the reduced value. Only the row about to pivot and the column
    being cleared are reduced per step; ``M`` once at the end.
    """
    if B.shape[0] >= 2 ** 11:  # 2^20 + b · 2^40 < 2^52 needs b < 2^12; keep a margin
        raise ValueError("a leaf of the lazy Gauss–Jordan holds fewer than 2^11 rows")
    M = B.copy()
    piv: list[int] = []
    keep: list[int] = []
    for i in range(M.shape[0]):
        row = _reduce(M[i].copy(), q)
        nz = np.flatnonzero(row)
        if nz.size == 0:  # a combination of the rows before it
            continue
        j = int(nz[0])
        row = _reduce(row * float(pow(int(row[j]), -1, q)), q)
        c = _reduce(M[:, j].copy(), q)
        c[i] = 0.0
        M[:, j:] -= c[:, None] * row[j:]  # row is zero before j; column j now ≡ 0 in every other row
        M[i] = row
        piv.append(j)
        keep.append(i)
    return _reduce(M[keep], q), piv, [int(idx[i]) for i in keep]


def _rref_rows(B: np.ndarray, idx: np.ndarray, q: int) -> tuple[np.ndarray, list[int], list[int]]:
    """Row reduction of the residues ``B`` (``b × n``) modulo ``q``, recursively on halves of the rows.

    Returns ``(E, piv, rows)``: ``E`` (``r × n``) spans the rows of ``B`` modulo ``q`` with
    ``E[:, piv] = I``; ``rows`` are the indices (from ``idx``) of the rows of ``B`` that are
    independent modulo ``q`` of the rows before them. The second half is reduced against the
    first half's ``E`` (one BLAS product), reduced recursively, then the first half's ``E`` is
    cleared on the new pivot columns (one product): Gaussian elimination, ``O(b n r)``. A row
    that becomes zero is dropped (it is a combination of the rows before it).
    """
    nz = B.any(axis=1)
    if not nz.all():
        B, idx = B[nz], idx[nz]
    b = B.shape[0]
    if b == 0:
        return B, [], []
    if b <= BLAS_LEAF_ROWS:
        return _rref_small(B, idx, q)
    h = b // 2
    E1, p1, r1 = _rref_rows(B[:h], idx[:h], q)
    rest = B[h:]
    if p1:
        rest = _sub_mod(rest, _mod_matmul(rest[:, p1], E1, q), q)
    E2, p2, r2 = _rref_rows(rest, idx[h:], q)
    if not p2:
        return E1, p1, r1
    if p1:
        E1 = _sub_mod(E1, _mod_matmul(E1[:, p2], E2, q), q)
    return np.vstack([E1, E2]), p1 + p2, r1 + r2


# ---------------------------------------------------------------- elimination modulo q

BLAS_PANEL_ROWS = 512
"""Rows reduced modulo ``q`` at a time by :func:`rank_mod_blas` (one ``512 × n`` float64 panel)."""




def _blocks_product(B: np.ndarray, blocks: list[tuple[list[int], np.ndarray]], q: int) -> np.ndarray:
    """``B[:, P] E mod q`` for ``E`` stored as row blocks ``(P_j, E_j)``: ``Σ_j B[:, P_j] E_j``, reduced once
    per :data:`BLAS_INNER` summed terms (each partial sum an integer below ``2^52``: exact)."""
    out = np.zeros((B.shape[0], blocks[0][1].shape[1]))
    acc, inner = None, 0
    for p_j, E_j in blocks:
        if acc is not None and inner + len(p_j) > BLAS_INNER:
            out = _reduce(out + _reduce(acc, q), q)
            acc, inner = None, 0
        if len(p_j) > BLAS_INNER:  # one block alone too long (wider panels than the default)
            out = _reduce(out + _mod_matmul(B[:, p_j], E_j, q), q)
            continue
        prod = B[:, p_j] @ E_j
        acc = prod if acc is None else np.add(acc, prod, out=acc)
        inner += len(p_j)
    if acc is not None:
        out = _reduce(out + _reduce(acc, q), q)
    return out


def rank_mod_blas(a, q: int, panel: int = BLAS_PANEL_ROWS) -> tuple[int, list[int], list[int]]:
    """Rank of the integer matrix ``a`` modulo a prime ``q < 2^20``, pivot columns ``P`` and pivot rows ``R``.

    The same elimination as :func:`rank_mod` (row panels reduced against a basis ``E`` of the rows
    seen so far, ``E[:, P] = I``), on float64 BLAS where it is exact: residues are below
    ``2^20`` and products are summed over at most :data:`BLAS_INNER` terms, so every
    intermediate is an integer below ``2^53`` (:func:`_mod_matmul`). ``a`` needs only
    ``a.shape`` and row slices ``a[i:j]`` (int64 or Python ints): a row-panel generator can stand
    in for a matrix that is never formed. ``E`` is kept as the row blocks found panel by panel
    (never stacked, updated block by block in place): ``8 r n`` bytes plus a few ``panel × n``
    temporaries. ``a[:, P]`` is a column basis modulo ``q`` and ``det a[R, P] ≢ 0 (mod q)``.
    """
    m, n = a.shape
    blocks: list[tuple[list[int], np.ndarray]] = []  # (pivots of the block, its rows of E)
    piv: list[int] = []
    rows: list[int] = []
    for start in range(0, m, panel):
        B = _residues(a[start:start + panel], q)
        if blocks:
            B = _sub_mod(B, _blocks_product(B, blocks, q), q)
        E2, p2, r2 = _rref_rows(B, np.arange(start, start + B.shape[0]), q)
        if not p2:
            continue
        for p_j, E_j in blocks:  # clear the older rows on the new pivot columns
            E_j[:] = _sub_mod(E_j, _mod_matmul(E_j[:, p2], E2, q), q)
        blocks.append((p2, E2))
        piv += p2
        rows += r2
    return len(piv), piv, rows


# ---------------------------------------------------------------- products of int64 matrices modulo many primes

LIMB_BITS = 20
"""Limbs of an int64 matrix in :func:`product_mod`: ``|limb| < 2^20``, residues ``< 2^20``, inner
chunks of :data:`BLAS_INNER` ``= 2^12`` terms: partial sums below ``2^52`` (exact)."""


def limb_count(biggest: int) -> int:
    """Limbs of :data:`LIMB_BITS` bits writing integers ``|x| ≤ biggest`` (the top one signed, ``|top| ≤ 2^19``)."""
    e, k = max(1, int(biggest).bit_length()), 0
    while e - k * LIMB_BITS > LIMB_BITS - 1:
        k += 1
    return k + 1


def product_mod(a: np.ndarray, X: np.ndarray, qs: np.ndarray, limbs: int) -> np.ndarray:
    """``(a @ X) mod q_c`` for every column ``c`` (``q_c = qs[c] < 2^20``), exactly, without reducing ``a``.

    ``a``: ``b × n`` int64 (``|a| < 2^(20 limbs − 1)``), ``X``: ``n × c`` float64 residues
    (column ``c`` in ``[0, q_c)``). ``a = Σ_j A_j 2^(20 j)`` with ``0 ≤ A_j < 2^20`` (two's
    complement bits, ``a & mask`` and arithmetic shifts) and a signed top limb ``|A_top| ≤ 2^19``;
    each ``A_j X`` over ``2^12`` inner terms is below ``2^52`` (exact), is reduced modulo ``q_c``
    and combined with ``2^(20 j) mod q_c``. One limb split serves every prime of ``qs``.
    """
    mask = (1 << LIMB_BITS) - 1
    weights = [np.array([pow(2, LIMB_BITS * j, int(q)) for q in qs], dtype=np.float64) for j in range(limbs)]
    rest = np.asarray(a, dtype=np.int64)
    out = np.zeros((a.shape[0], X.shape[1]))
    for j in range(limbs):
        if j < limbs - 1:
            limb = (rest & mask).astype(np.float64)
            rest = rest >> LIMB_BITS
        else:
            limb = rest.astype(np.float64)
        for s in range(0, a.shape[1], BLAS_INNER):
            part = _reduce(limb[:, s:s + BLAS_INNER] @ X[s:s + BLAS_INNER], qs)
            out = _reduce(out + part * weights[j], qs)  # < 2^20 + 2^40: exact
    return out


def solve_mod(A: np.ndarray, T: np.ndarray, q: int) -> np.ndarray | None:
    """``A⁻¹ T mod q`` for residues ``A`` (``r × r``), ``T`` (``r × k``); ``None`` if ``A`` is singular modulo ``q``.

    The reduced row echelon form of ``[A | T]`` is ``[I | A⁻¹T]`` exactly when its pivots are the
    first ``r`` columns (:func:`_rref_rows`, Gaussian elimination on BLAS, ``O(r³)``).
    """
    r = A.shape[0]
    E, piv, _ = _rref_rows(np.hstack([A, T]), np.arange(r), q)
    if len(piv) < r or max(piv, default=-1) >= r:
        return None
    W = np.empty((r, T.shape[1]))
    W[piv] = E[:, r:]
    return W
