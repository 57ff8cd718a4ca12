"""Exact matrices: conversions between numpy object arrays and FLINT ``fmpq_mat``.

The symbolic code builds matrices as numpy object arrays (entries ``Fraction`` or
sympy expressions); the exact numeric engine is FLINT (``flint.fmpq_mat``). This
module is the one bridge between the two, plus block assembly for ``fmpq_mat``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import flint
import numpy as np
import sympy

from ..scalars import to_fmpq


def to_fmpq_mat(a: np.ndarray) -> flint.fmpq_mat:
    """Object array (entries exact rationals) -> ``fmpq_mat`` of the same shape."""
    a = np.asarray(a, dtype=object)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    rows, cols = a.shape
    return flint.fmpq_mat(rows, cols, [to_fmpq(v) for v in a.reshape(-1)])


def to_object(m: flint.fmpq_mat) -> np.ndarray:
    """``fmpq_mat`` -> object array of ``Fraction``."""
    out = np.empty((m.nrows(), m.ncols()), dtype=object)
    for idx, v in zip(np.ndindex(*out.shape), m.entries()):
        out[idx] = Fraction(int(v.p), int(v.q))
    return out


def to_sympy_matrix(a: np.ndarray | flint.fmpq_mat) -> sympy.Matrix:
    """Object array or ``fmpq_mat`` -> ``sympy.Matrix`` (rationals stay exact)."""
    if isinstance(a, flint.fmpq_mat):
        a = to_object(a)
    a = np.asarray(a, dtype=object)
    return sympy.Matrix(a.shape[0], a.shape[1],
                        [sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v
                         for v in a.reshape(-1)])


def block_matrix(grid: Sequence[Sequence[flint.fmpq_mat | None]],
                 row_sizes: Sequence[int], col_sizes: Sequence[int]) -> flint.fmpq_mat:
    """Assemble an ``fmpq_mat`` from a grid of blocks; ``None`` is a zero block."""
    total_r, total_c = sum(row_sizes), sum(col_sizes)
    entries: list = [flint.fmpq(0)] * (total_r * total_c)
    r0 = 0
    for bi, rs in enumerate(row_sizes):
        c0 = 0
        for bj, cs in enumerate(col_sizes):
            blk = grid[bi][bj]
            if blk is not None:
                vals = blk.entries()
                for r in range(rs):
                    base = (r0 + r) * total_c + c0
                    entries[base:base + cs] = vals[r * cs:(r + 1) * cs]
            c0 += cs
        r0 += rs
    return flint.fmpq_mat(total_r, total_c, entries)


def hstack(blocks: Sequence[flint.fmpq_mat]) -> flint.fmpq_mat:
    """``[B_1, B_2, …]`` side by side (equal row counts)."""
    return block_matrix([list(blocks)], [blocks[0].nrows()], [b.ncols() for b in blocks])


def vstack(blocks: Sequence[flint.fmpq_mat]) -> flint.fmpq_mat:
    """``[B_1; B_2; …]`` stacked (equal column counts)."""
    return block_matrix([[b] for b in blocks], [b.nrows() for b in blocks], [blocks[0].ncols()])


def submatrix(m: flint.fmpq_mat, rows: slice, cols: slice) -> flint.fmpq_mat:
    """``m[rows, cols]`` for contiguous slices."""
    r = range(m.nrows())[rows]
    c = range(m.ncols())[cols]
    vals = m.entries()
    n = m.ncols()
    return flint.fmpq_mat(len(r), len(c), [vals[i * n + j] for i in r for j in c])


def is_zero(m: flint.fmpq_mat) -> bool:
    """Whether every entry of ``m`` is exactly zero."""
    return all(v == 0 for v in m.entries())
