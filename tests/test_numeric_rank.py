"""The mpmath gap rule (symhess.linalg.numeric_rank) against the certified exact rank, and its edge cases."""

import random
from fractions import Fraction

import flint
import mpmath
import pytest

from symhess.linalg.numeric_rank import gap_rank, mpf_to_fraction, singular_values
from symhess.linalg.rank import exact_rank, float64_rank
from symhess.scalars import InputError


def _low_rank(rows: int, cols: int, rank: int, seed: int) -> flint.fmpq_mat:
    """``B C`` with ``B`` (rows × rank), ``C`` (rank × cols) random rationals: rank ≤ ``rank``."""
    rng = random.Random(seed)

    def draw(r, c):
        return flint.fmpq_mat(r, c, [flint.fmpq(rng.randint(-9, 9), rng.randint(1, 7)) for _ in range(r * c)])

    if rank == 0:
        return flint.fmpq_mat(rows, cols)
    return draw(rows, rank) * draw(rank, cols)


def _hilbert(n: int) -> flint.fmpq_mat:
    return flint.fmpq_mat(n, n, [flint.fmpq(1, i + j + 1) for i in range(n) for j in range(n)])


@pytest.mark.parametrize("shape", [(7, 7), (9, 5), (4, 10)])
def test_gap_rank_equals_certified_exact_rank_on_rational_matrices(shape):
    rows, cols = shape
    for seed in range(min(shape) + 1):
        target = seed  # ranks 0 .. min(shape)
        M = _low_rank(rows, cols, target, seed)
        exact = exact_rank(M)
        assert exact.certified
        g = gap_rank(M, 50)
        assert g.rank == exact.rank, (shape, seed, g)
        assert g.clear


def test_hilbert_resolved_where_float64_is_not():
    H = _hilbert(14)
    exact = exact_rank(H)
    assert exact.rank == 14 and exact.certified
    assert float64_rank(H).rank < 14  # the peers' threshold drops true singular values
    g = gap_rank(H, 50)
    assert g.rank == 14
    assert g.largest_dropped is None  # full rank: the gap is to the noise floor
    assert g.gap_decades >= 50 / 3


def test_zero_and_empty_matrices():
    for M in (flint.fmpq_mat(3, 5), flint.fmpq_mat(0, 4)):
        g = gap_rank(M)
        assert g.rank == 0 and g.clear
        assert "zero" in g.certificate


def test_full_rank_rectangular_at_two_precisions():
    M = _low_rank(6, 9, 6, 3)
    assert exact_rank(M).rank == 6
    assert gap_rank(M, 50).rank == gap_rank(M, 80).rank == 6


def test_no_clear_gap_is_reported_not_guessed():
    # singular values 1, 1e-5, ..., 1e-45: evenly spread down to the working precision
    D = flint.fmpq_mat(10, 10, [flint.fmpq(1, 10 ** (5 * i)) if i == j else 0 for i in range(10) for j in range(10)])
    g = gap_rank(D, 50)
    assert g.rank is None and not g.clear
    assert "no clear gap" in g.certificate
    assert g.to_dict()["rank"] is None


def test_grey_zone_value_needs_more_precision():
    # a true singular value 1e-30 is below dps/2 at dps=50 (no clear gap) and resolved at dps=80
    D = flint.fmpq_mat(3, 3, [1, 0, 0, 0, flint.fmpq(1, 10 ** 30), 0, 0, 0, 0])
    assert exact_rank(D).rank == 2
    assert gap_rank(D, 50).rank is None
    assert gap_rank(D, 80).rank == 2


def test_singular_values_match_known_values():
    D = flint.fmpq_mat(2, 3, [3, 0, 0, 0, -4, 0])
    assert [float(s) for s in singular_values(D, 30)] == [4.0, 3.0]


def test_mpf_to_fraction_is_exact():
    with mpmath.workdps(40):
        x = mpmath.mpf(1) / 3
        f = mpf_to_fraction(x)
        assert f.denominator & (f.denominator - 1) == 0  # a binary rational
        assert abs(f - Fraction(1, 3)) < Fraction(1, 10 ** 39)
        assert mpf_to_fraction(-x) == -f


def test_bad_precision_is_an_input_error():
    with pytest.raises(InputError, match="dps"):
        gap_rank(flint.fmpq_mat(2, 2), dps=5)
