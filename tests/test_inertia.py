"""Exact inertia by LDLᵀ congruence, against independently computed eigenvalue signs."""

import random
from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy

from symhess.linalg.inertia import inertia
from symhess.scalars import InputError


def sympy_inertia(rows) -> tuple[int, int, int]:
    """Signs of the eigenvalues from sympy's exact real-root isolation of the characteristic polynomial."""
    M = sympy.Matrix(rows)
    x = sympy.Symbol("x")
    roots = sympy.Poly(M.charpoly(x).as_expr(), x).real_roots()
    assert len(roots) == M.rows  # symmetric: every eigenvalue is real
    return (sum(1 for r in roots if r > 0), sum(1 for r in roots if r < 0), sum(1 for r in roots if r == 0))


def random_symmetric(rng: random.Random, n: int, scale: int = 4, zero_diagonal: bool = False) -> list[list[int]]:
    A = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            v = 0 if (zero_diagonal and i == j) else rng.randint(-scale, scale)
            A[i][j] = A[j][i] = v
    return A


@pytest.mark.parametrize("rows, expected", [
    ([[2, 0], [0, -3]], (1, 1, 0)),
    ([[0, 1], [1, 0]], (1, 1, 0)),               # needs a 2×2 pivot
    ([[1, 2], [2, 4]], (1, 0, 1)),               # rank 1, eigenvalues 5, 0
    ([[0, 0, 1], [0, 0, 0], [1, 0, 0]], (1, 1, 1)),
    ([[1, 1, 0], [1, 1, 1], [0, 1, 0]], (2, 1, 0)),   # Schur complement [[0, 1], [1, 0]] after one pivot
    ([[0] * 3] * 3, (0, 0, 3)),
    ([[-1, 0, 0], [0, -2, 0], [0, 0, -5]], (0, 3, 0)),
])
def test_small_known(rows, expected):
    assert inertia(rows).as_tuple() == expected
    assert sympy_inertia(rows) == expected


def test_random_small_against_sympy():
    rng = random.Random(1)
    for trial in range(40):
        n = rng.randint(1, 6)
        rows = random_symmetric(rng, n, zero_diagonal=trial % 3 == 0)
        if trial % 4 == 1 and n > 1:  # force a rank deficiency: last row/col = sum of the first two
            for i in range(n):
                rows[i][n - 1] = rows[i][0] + (rows[i][1] if n > 2 else 0)
            rows[n - 1] = [rows[i][n - 1] for i in range(n)]
            rows[n - 1][n - 1] = rows[0][n - 1] + (rows[1][n - 1] if n > 2 else 0)
        got = inertia(rows)
        assert got.as_tuple() == sympy_inertia(rows), rows
        assert got.size == n


def test_congruence_with_known_signs():
    """``P D Pᵀ`` with ``P`` invertible has the inertia of ``D`` (Sylvester), ``D`` chosen."""
    rng = random.Random(2)
    for _ in range(15):
        n = rng.randint(2, 12)
        d = [rng.choice([-3, -1, 0, 0, 1, 2, Fraction(1, 3)]) for _ in range(n)]
        while True:
            P = sympy.Matrix(n, n, lambda i, j: rng.randint(-3, 3))
            if P.det() != 0:
                break
        A = P * sympy.diag(*[sympy.Rational(str(v)) for v in d]) * P.T
        expected = (sum(1 for v in d if v > 0), sum(1 for v in d if v < 0), sum(1 for v in d if v == 0))
        assert inertia(A).as_tuple() == expected


def test_random_against_numpy_when_well_conditioned():
    rng = random.Random(3)
    checked = 0
    for _ in range(30):
        n = rng.randint(5, 25)
        rows = random_symmetric(rng, n, scale=9)
        ev = np.linalg.eigvalsh(np.array(rows, dtype=float))
        if np.min(np.abs(ev)) < 1e-6 * np.max(np.abs(ev)):
            continue  # float signs not trustworthy: not a reference
        assert inertia(rows).as_tuple() == (int((ev > 0).sum()), int((ev < 0).sum()), 0)
        checked += 1
    assert checked >= 20


def test_block_hollow_two_blocks_is_balanced():
    """``[[0, B], [Bᵀ, 0]]`` has eigenvalues ``±σ_i(B)``: inertia ``(rank B, rank B, p − 2 rank B)``."""
    rng = random.Random(4)
    for _ in range(10):
        a, b = rng.randint(1, 6), rng.randint(1, 6)
        B = sympy.Matrix(a, b, lambda i, j: rng.randint(-2, 2))
        M = sympy.BlockMatrix([[sympy.zeros(a, a), B], [B.T, sympy.zeros(b, b)]]).as_explicit()
        r = B.rank()
        assert inertia(M).as_tuple() == (r, r, a + b - 2 * r)


def test_accepts_flint_and_rationals():
    A = flint.fmpq_mat(2, 2, [flint.fmpq(1, 2), flint.fmpq(1, 3), flint.fmpq(1, 3), flint.fmpq(-1, 7)])
    assert inertia(A).as_tuple() == (1, 1, 0)
    assert inertia(np.array([[Fraction(1, 2), 0], [0, Fraction(1, 5)]], dtype=object)).as_tuple() == (2, 0, 0)


@pytest.mark.parametrize("bad", [[[1.0, 0.0], [0.0, 1.0]], [[1, 2], [3, 4]], [[1, 2, 3]]])
def test_refuses_floats_and_non_symmetric(bad):
    with pytest.raises(InputError):
        inertia(bad)
