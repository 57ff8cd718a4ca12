"""The Dixon p-adic solver (``symhess.linalg.dixon``): its solutions equal FLINT's ``fmpz_mat.solve``
(compared in lowest terms), it never returns an unverified solution (corruptions are injected), and
the digit-by-digit residual of the kernel certificate rejects a one-unit error."""

import math
import random

import flint
import numpy as np
import pytest

from symhess.linalg import dixon
from symhess.linalg.dixon import QadicMatrix, balanced_digits, dixon_solve, qadic_residual_is_zero
from symhess.linalg.modular import _reduce, random_prime
from symhess.linalg.rank import _kernel_certificate_np, integer_rank, rank_mod


def _lowest(num: flint.fmpz_mat, den: int) -> tuple[list[int], int]:
    """``num / den`` with the common factor of all entries and ``den`` removed."""
    entries = [int(v) for v in num.entries()]
    g = math.gcd(int(den), *entries)
    return [v // g for v in entries], int(den) // g


def _flint(a: np.ndarray, b: np.ndarray) -> tuple[list[int], int]:
    x = flint.fmpz_mat(a.tolist()).solve(flint.fmpz_mat(b.tolist()))
    num, den = x.numer_denom()
    return _lowest(num, int(den))


def _random(rng, rows, cols, bits):
    return np.array([[rng.randint(-2 ** bits, 2 ** bits) for _ in range(cols)] for _ in range(rows)], dtype=np.int64)


@pytest.mark.parametrize("r, s, bits_a, bits_b", [(1, 1, 3, 3), (1, 4, 20, 2), (4, 1, 20, 20), (7, 3, 2, 20),
                                                  (12, 30, 20, 20), (25, 9, 10, 30), (40, 40, 1, 1),
                                                  (30, 2, 30, 5)])
def test_dixon_equals_flint(r, s, bits_a, bits_b):
    rng = random.Random(r * 1000 + s)
    for trial in range(2):
        a, b = _random(rng, r, r, bits_a), _random(rng, r, s, bits_b)
        if flint.fmpz_mat(a.tolist()).det() == 0:
            continue
        x, den = dixon_solve(a, b, seed=trial)
        assert den > 0 and x.shape == (r, s)
        assert _lowest(x.to_fmpz_mat(), den) == _flint(a, b)
        assert np.abs(x.digits).max(initial=0) <= x.q // 2


@pytest.mark.parametrize("r, step, extra", [(8, 3, 1), (30, 2 ** 10, 9)])
def test_dixon_small_denominator_large_numerators(r, step, extra):
    """Numerators with many more digits than the denominator: lifting must go on after ``d``'s digits
    (``extra = 9``: past the first allocation of digits, which then grows)."""
    rng = random.Random(3)
    a = np.eye(r, dtype=np.int64) + np.diag([step] * (r - 1), 1)  # unimodular, inverse entries up to step^(r-1)
    b = _random(rng, r, 4, 30)
    x, den = dixon_solve(a, b)
    assert x.digits.shape[0] > len(balanced_digits(den, x.q)) + extra
    assert _lowest(x.to_fmpz_mat(), den) == _flint(a, b)


def test_dixon_object_input_and_zero_rhs():
    a = np.array([[2, 1], [1, 3]], dtype=object)
    b = np.array([[1, 0], [0, 1]], dtype=object)
    x, den = dixon_solve(a, b)
    assert _lowest(x.to_fmpz_mat(), den) == ([3, -1, -1, 2], 5)
    x, den = dixon_solve(a, np.zeros((2, 3), dtype=np.int64))
    assert den == 1 and x.to_fmpz_mat() == flint.fmpz_mat(2, 3)


def test_dixon_singular_gives_none():
    a = np.array([[1, 2, 3], [2, 4, 6], [0, 1, 5]], dtype=np.int64)
    assert dixon_solve(a, np.ones((3, 2), dtype=np.int64)) is None


def test_dixon_too_large_entries_give_none():
    a = np.array([[2 ** 50, 1], [1, 1]], dtype=object)
    assert dixon_solve(a, np.ones((2, 1), dtype=np.int64)) is None


def test_forced_prime_dividing_det_is_skipped():
    a = np.array([[7, 1, 0], [0, 1, 0], [0, 3, 1]], dtype=np.int64)  # det 7
    b = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.int64)
    x, den = dixon_solve(a, b, forced_primes=[7])
    assert x.q != 7 and _lowest(x.to_fmpz_mat(), den) == _flint(a, b)
    x, den = dixon_solve(a, b, forced_primes=[11])  # a tiny prime that works
    assert x.q == 11 and _lowest(x.to_fmpz_mat(), den) == _flint(a, b)
    x, den = dixon_solve(a, b, forced_primes=[2, 2 ** 61 - 1, 7, 13])  # unusable primes skipped
    assert x.q == 13 and _lowest(x.to_fmpz_mat(), den) == _flint(a, b)


def _system(seed=5, r=15, s=6):
    rng = random.Random(seed)
    return _random(rng, r, r, 12), _random(rng, r, s, 12)


def test_wrong_denominator_is_rejected(monkeypatch):
    a, b = _system()
    good = dixon._denominator
    monkeypatch.setattr(dixon, "_denominator", lambda *args: good(*args) + 1)
    assert dixon_solve(a, b) is None  # d + 1: d·X never becomes an integer matrix
    monkeypatch.setattr(dixon, "_denominator", lambda *args: 2 * good(*args))
    x, den = dixon_solve(a, b)  # a multiple of the denominator: still a (verified) solution
    assert _lowest(x.to_fmpz_mat(), den) == _flint(a, b)


def test_wrong_inverse_or_digit_is_rejected(monkeypatch):
    a, b = _system()
    good = dixon.inverse_mod

    def off_by_one(m, q):
        c = good(m, q)
        c[0, 0] = (c[0, 0] + 1) % q
        return c

    monkeypatch.setattr(dixon, "inverse_mod", off_by_one)
    assert dixon_solve(a, b) is None
    monkeypatch.undo()
    real = dixon._balanced
    calls = []

    def counted(x, q):
        calls.append(1)
        return real(x, q)

    monkeypatch.setattr(dixon, "_balanced", counted)
    assert dixon_solve(a, b) is not None
    total, calls[:] = len(calls), []

    def one_digit_off(x, q):  # the digit before the last of the integer lifting, one unit off
        out = counted(x, q)
        if len(calls) == total - 1:
            out[0, 0] += 1
        return out

    monkeypatch.setattr(dixon, "_balanced", one_digit_off)
    assert dixon_solve(a, b) is None


@pytest.mark.parametrize("bits", [10, 33])  # float64 carries, then int64 carries with two limbs
def test_qadic_residual_detects_a_one_unit_error(bits):
    rng = random.Random(bits)
    r, s, m = 6, 5, 9
    a, b = _random(rng, r, r, bits), _random(rng, r, s, bits)
    x, den = dixon_solve(a, b)
    w = _random(rng, m, r, 0)  # other rows: combinations of the rows of [a | −b]
    aP, aF = w @ a, -(w @ b)
    assert dixon.fits_float64_plan(max(int(np.abs(aP).max()), int(np.abs(aF).max())).bit_length(), r) == (bits < 30)
    assert len(dixon._ExactProduct(aP).limbs) == (1 if bits < 30 else 2)
    assert qadic_residual_is_zero(aP, aF, x, den)
    assert not qadic_residual_is_zero(aP, aF, x, den + 1)
    assert not qadic_residual_is_zero(aP, aF, QadicMatrix(x.q, -x.digits), den)
    for j in (0, x.digits.shape[0] - 1):
        bad = x.digits.copy()
        bad[j, 2, 1] += 1
        assert not qadic_residual_is_zero(aP, aF, QadicMatrix(x.q, bad), den)
    longer = np.concatenate([x.digits, np.zeros((1, r, s), dtype=np.int32)])
    longer[-1, 0, 0] = 1  # an extra top digit: caught by the last carry
    assert not qadic_residual_is_zero(aP, aF, QadicMatrix(x.q, longer), den)


def test_reduce_is_exact_for_negative_values():
    q = random_prime(random.Random(2), 20)
    xs = [-1, -q, -q - 1, -(2 ** 52) + 1, -((2 ** 52 // q) * q)] + [random.Random(i).randrange(-2 ** 52 + 1, 0)
                                                                   for i in range(200)]
    got = _reduce(np.array(xs, dtype=np.float64), q)
    assert [int(v) for v in got] == [v % q for v in xs]


def test_kernel_certificate_uses_dixon_and_rejects_an_unlucky_prime():
    rng = random.Random(4)
    U, V = _random(rng, 30, 8, 6), _random(rng, 8, 20, 6)
    a = U @ V  # rank 8
    res = integer_rank(a)
    assert res.certified and res.rank == 8
    rk, cols, rows = rank_mod(a, 7, want_rows=True)
    if rk < 8:  # 7 unlucky: the verification of the other rows must fail
        assert not _kernel_certificate_np(a, rows, cols)
    rk, cols, rows = rank_mod(a, 2 ** 61 - 1, want_rows=True)
    assert rk == 8 and _kernel_certificate_np(a, rows, cols)
    bad = a.copy()
    bad[np.setdiff1d(np.arange(30), rows)[0], 0] += 1  # rank 9 now, but pivots of rank 8
    assert not _kernel_certificate_np(bad, rows, cols)


def test_symmetric_residual_checks_half_and_still_rejects():
    rng = random.Random(9)
    U = _random(rng, 40, 6, 5)
    a = U @ np.diag([1, -2, 3, 1, -1, 2]) @ U.T  # symmetric, rank 6
    rk, cols, _ = rank_mod(a, 2 ** 61 - 1, want_rows=True)
    assert rk == 6 and _kernel_certificate_np(a, cols, cols)
    free = np.setdiff1d(np.arange(40), cols)
    i, j = int(free[-1]), int(free[0])  # i > j: the lower triangle, outside the checked half
    sym = a.copy()
    sym[i, j] += 1
    sym[j, i] += 1
    assert not _kernel_certificate_np(sym, cols, cols)  # symmetric perturbation: seen in the upper half
    lower = a.copy()
    lower[i, j] += 1
    assert not _kernel_certificate_np(lower, cols, cols)  # no longer symmetric: every entry checked
    x, den = dixon_solve(a[np.ix_(cols, cols)], -a[np.ix_(cols, free)])
    aP, aF = a[np.ix_(free, cols)], a[np.ix_(free, free)]
    assert qadic_residual_is_zero(aP, aF, x, den, symmetric=True)
    bad = aF.copy()
    bad[0, -1] += 1  # upper triangle
    assert not qadic_residual_is_zero(aP, bad, x, den, symmetric=True)
    bad = aF.copy()
    bad[-1, 0] += 1  # lower triangle: only the full check sees it
    assert not qadic_residual_is_zero(aP, bad, x, den)
