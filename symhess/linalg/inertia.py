"""Exact inertia of a symmetric rational matrix, by Sylvester's law of inertia.

The inertia of a symmetric ``A ∈ ℚ^{p×p}`` is ``(n_+, n_-, n_0)``: the numbers of
positive, negative and zero eigenvalues. No eigenvalue is computed here. Instead ``A``
is reduced by *congruences* ``A ↦ E A Eᵀ`` (``E`` invertible over ℚ), which by
Sylvester's law leave the inertia unchanged, to a block-diagonal ``D`` whose blocks
are ``1×1`` or ``2×2``: a symmetric ``LDLᵀ`` factorisation with symmetric pivoting,

    Π A Πᵀ = L D Lᵀ,    L unit lower triangular,  D = diag(D_1, …, D_t),

in the style of Bunch–Kaufman, but over ℚ, so "pivoting" only has to avoid an exact
zero, never a small number:

* a non-zero diagonal entry ``d = S_ii`` of the active (Schur complement) matrix ``S``
  is a ``1×1`` pivot; eliminating it leaves ``S' = S_{-i,-i} − c cᵀ / d`` with
  ``c = S_{-i, i}``, and contributes the sign of ``d``;
* if the whole diagonal of ``S`` is zero but ``S_ij = b ≠ 0``, the ``2×2`` block
  ``E = [[0, b], [b, 0]]`` (``det E = −b² < 0``: one positive and one negative
  eigenvalue) is the pivot; ``S' = S_{-ij,-ij} − C E⁻¹ Cᵀ = S_{-ij,-ij} − (c_i c_jᵀ + c_j c_iᵀ)/b``;
* if ``S = 0``, its size is added to ``n_0``.

Every Schur complement is a matrix of ratios of minors of ``A``, so entries stay small.
All arithmetic is FLINT ``fmpq`` (exact). ``n_+ + n_- = rank A`` holds by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flint
import numpy as np

from ..scalars import InputError
from .matrices import to_fmpq_mat


@dataclass(frozen=True)
class Pivot:
    """One diagonal block of ``D``: the original indices it eliminated and its entries.

    ``indices`` has one index (``1×1`` pivot ``[[d]]``) or two (``2×2`` pivot
    ``[[0, b], [b, 0]]``); ``block`` is the block as a tuple of row tuples (``fmpq``).
    """

    indices: tuple[int, ...]
    block: tuple[tuple[flint.fmpq, ...], ...]

    @property
    def signs(self) -> tuple[int, int]:
        """``(positive, negative)`` eigenvalue counts of the block."""
        if len(self.indices) == 1:
            d = self.block[0][0]
            return (1, 0) if d > 0 else (0, 1)
        return (1, 1)  # [[0, b], [b, 0]] with b != 0: eigenvalues ±|b|


@dataclass(frozen=True)
class Inertia:
    """``(positive, negative, zero)`` eigenvalue counts of a symmetric ``p × p`` matrix.

    ``pivots`` are the blocks of ``D`` in elimination order (``rank = Σ`` block sizes).
    """

    positive: int
    negative: int
    zero: int
    pivots: tuple[Pivot, ...] = ()

    @property
    def rank(self) -> int:
        """``n_+ + n_-``."""
        return self.positive + self.negative

    @property
    def size(self) -> int:
        return self.positive + self.negative + self.zero

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.positive, self.negative, self.zero)

    def certificate(self) -> str:
        ones = sum(1 for p in self.pivots if len(p.indices) == 1)
        twos = len(self.pivots) - ones
        return (f"LDLᵀ congruence over ℚ: {ones} 1×1 and {twos} 2×2 pivots, {self.zero} zero rows left "
                f"(Sylvester's law of inertia)")


def as_symmetric_fmpq(a: Any) -> np.ndarray:
    """A symmetric exact matrix as an object array of ``flint.fmpq`` (``p × p``).

    Accepts ``fmpq_mat``, ``fmpz_mat``, a ``sympy.Matrix`` of rationals, or a 2-D array of
    exact entries (ints, ``Fraction``); floats are refused (the exact path takes no float).
    """
    if isinstance(a, (flint.fmpq_mat, flint.fmpz_mat)):
        rows = [[flint.fmpq(v) for v in row] for row in a.tolist()]
    else:
        if hasattr(a, "tolist") and not isinstance(a, np.ndarray):  # sympy.Matrix
            a = np.array(a.tolist(), dtype=object)
        arr = np.asarray(a)
        if arr.dtype.kind == "f" or any(isinstance(v, float) for v in arr.reshape(-1).tolist()):
            raise InputError("matrix", "exact entries (integers or rationals), not floats", str(arr.dtype))
        if arr.ndim != 2:
            raise InputError("matrix", "a 2-D matrix", arr.shape)
        rows = [[flint.fmpq(v) for v in row] for row in to_fmpq_mat(arr.astype(object)).tolist()]
    out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for i, row in enumerate(rows):
        out[i, :] = row
    if out.shape[0] != out.shape[1]:
        raise InputError("matrix", "a square matrix", list(out.shape))
    if not (out == out.T).all():
        raise InputError("matrix", "a symmetric matrix", "A != Aᵀ")
    return out


def _eliminate(S: np.ndarray, index: list[int]) -> tuple[np.ndarray, list[int], Pivot] | None:
    """One pivot step on the active matrix ``S`` (original indices ``index``); ``None`` if ``S = 0``.

    Returns the Schur complement, its original indices and the pivot used.
    """
    diag = np.array([v != 0 for v in S.diagonal()], dtype=bool)
    if diag.any():
        i = int(np.flatnonzero(diag)[0])
        d = S[i, i]
        c = np.delete(S[:, i], i)
        rest = np.delete(np.delete(S, i, axis=0), i, axis=1)
        if len(c):
            rest = rest - np.multiply.outer(c, c / d)
        return rest, index[:i] + index[i + 1:], Pivot((index[i],), ((d,),))
    nz = np.argwhere(S != 0)
    if len(nz) == 0:
        return None
    i, j = (int(v) for v in nz[0])  # i < j is not needed: the block is symmetric
    b = S[i, j]
    keep = [t for t in range(S.shape[0]) if t not in (i, j)]
    ci, cj = S[keep, i], S[keep, j]
    rest = S[np.ix_(keep, keep)]
    if keep:
        rest = rest - (np.multiply.outer(ci, cj / b) + np.multiply.outer(cj, ci / b))
    zero = flint.fmpq(0)
    return rest, [index[t] for t in keep], Pivot((index[i], index[j]), ((zero, b), (b, zero)))


def inertia(a: Any) -> Inertia:
    """Exact inertia ``(n_+, n_-, n_0)`` of a symmetric rational matrix ``a`` (``p × p``).

    Reduces ``a`` by symmetric 1×1 / 2×2 pivots (see the module docstring); by Sylvester's
    law the counts of positive / negative pivot eigenvalues are those of ``a``.
    """
    S = as_symmetric_fmpq(a)
    index = list(range(S.shape[0]))
    pivots: list[Pivot] = []
    while S.shape[0]:
        step = _eliminate(S, index)
        if step is None:
            break
        S, index, piv = step
        pivots.append(piv)
    pos = sum(p.signs[0] for p in pivots)
    neg = sum(p.signs[1] for p in pivots)
    return Inertia(pos, neg, len(index) if S.shape[0] else 0, tuple(pivots))

