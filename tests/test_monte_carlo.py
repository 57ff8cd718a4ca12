"""The Monte Carlo rank of large matrices: one elimination, then Schur-complement checks modulo more primes.

Expected values come from FLINT (``fmpz_mat.rank``, Python-int products) or from the certified path,
never from the code under test.
"""

from __future__ import annotations

import random

import flint
import numpy as np
import pytest

from symhess.linalg.modular import limb_count, product_mod, rank_mod_blas
from symhess.linalg.monte_carlo import monte_carlo_rank, schur_checks
from symhess.linalg.rank import integer_rank

PRIMES = [999983, 524309, 786433]


def _low_rank(m: int, n: int, r: int, seed: int, scale: int = 50, unlucky: int | None = None) -> np.ndarray:
    """``X diag(d) Y`` with random ``X`` (``m × r``), ``Y`` (``r × n``); ``d = (1, …, 1, unlucky)`` drops the
    rank modulo ``unlucky`` by one, not over ℚ."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-scale, scale, size=(m, r))
    if unlucky:
        X[:, -1] *= unlucky
    return (X @ rng.integers(-scale, scale, size=(r, n))).astype(np.int64)


def test_product_mod_is_exact_for_int64_entries_and_long_rows():
    rng = np.random.default_rng(0)
    a = rng.integers(-2 ** 62, 2 ** 62, size=(5, 5000))
    a[0, :3] = [2 ** 63 - 1, -2 ** 63, -1]
    X = np.stack([rng.integers(0, q, 5000) for q in PRIMES], axis=1).astype(np.float64)
    got = product_mod(a, X, np.asarray(PRIMES, dtype=np.float64), limb_count(2 ** 63))
    for i in range(5):
        for c, q in enumerate(PRIMES):
            assert got[i, c] == sum(int(a[i, j]) * int(X[j, c]) for j in range(5000)) % q


def test_schur_checks_accept_the_right_pivots_and_refute_too_few():
    a = _low_rank(120, 90, 12, seed=1)
    r, cols, rows = rank_mod_blas(a, PRIMES[0])
    assert r == flint.fmpz_mat(a.tolist()).rank() == 12
    assert schur_checks(a, rows, cols, PRIMES[1:], random.Random(0)) == [True, True]
    # a rank-11 claim: the Schur complement of an 11 x 11 minor is non-zero, every prime sees it
    assert schur_checks(a, rows[:11], cols[:11], PRIMES[1:], random.Random(0)) == [False, False]


def test_schur_checks_skip_a_prime_dividing_the_pivot_minor():
    a = np.array([[2, 1, 3], [1, 5, 6], [0, 0, 0]], dtype=np.int64)  # det [[2,1],[1,5]] = 9: singular mod 3
    assert schur_checks(a, [0, 1], [0, 1], [3, 7], random.Random(0)) == [None, True]


def test_monte_carlo_rank_matches_flint():
    for seed, (m, n, r) in enumerate([(200, 150, 31), (260, 260, 80), (90, 90, 90)]):
        a = _low_rank(m, n, r, seed)
        got, elim, checks, bound = monte_carlo_rank(a, seed=seed)
        assert got == flint.fmpz_mat(a.tolist()).rank()
        assert bound <= 1e-12 and len(elim) == 1
        assert (not checks) == (got == min(m, n))  # full rank needs no check


def test_an_unlucky_elimination_prime_is_caught_and_replaced():
    a = _low_rank(150, 120, 20, seed=3, unlucky=7)
    assert rank_mod_blas(a, 7)[0] == 19 and flint.fmpz_mat(a.tolist()).rank() == 20
    got, elim, checks, bound = monte_carlo_rank(a, forced_primes=[7])
    assert got == 20 and elim[0] == 7 and elim[1] == checks[0] and bound <= 1e-12
    # one prime only: the wrong rank, with no evidence (error bound 1: a tiny prime proves nothing)
    got, _, _, bound = monte_carlo_rank(a, primes=1, forced_primes=[7])
    assert got == 19 and bound == 1.0


def test_integer_rank_takes_the_check_path_beyond_small_matrices():
    a = _low_rank(2100, 2100, 25, seed=4)
    mc = integer_rank(a, certify=False)
    cert = integer_rank(a, column_blocks=None)
    assert mc.rank == cert.rank == 25 and cert.certified and not mc.certified
    assert mc.path == "monte-carlo" and mc.details["error_bound"] <= 1e-12
    assert len(mc.details["elimination_primes"]) == 1 and mc.details["check_primes"]
    assert "Schur complement" in mc.certificate


@pytest.mark.parametrize("r", [0, 1, 5])
def test_error_bound_is_a_probability_and_falls_with_more_primes(r):
    from symhess.linalg.monte_carlo import _error_bound

    one = _error_bound(1000, r, [PRIMES[0]], max_rank=10)
    two = _error_bound(1000, r, PRIMES[:2], max_rank=10)
    assert 0 <= two <= one <= 1
    assert _error_bound(1000, 10, PRIMES, max_rank=10) == 0.0


def test_blocked_elimination_with_tiny_inner_chunks(monkeypatch):
    """Many basis blocks, products reduced every 8 terms: the same rank, pivots and pivot minor as FLINT."""
    import symhess.linalg.modular as modular

    monkeypatch.setattr(modular, "BLAS_INNER", 8)
    a = _low_rank(90, 70, 40, seed=5)
    r, cols, rows = modular.rank_mod_blas(a, PRIMES[0], panel=16)
    assert r == 40 == flint.fmpz_mat(a.tolist()).rank()
    assert flint.nmod_mat(a[np.ix_(rows, cols)].tolist(), PRIMES[0]).det() != 0
    assert schur_checks(a, rows, cols, PRIMES[1:], random.Random(0)) == [True, True]


@pytest.mark.parametrize("channels,certify_limit,path", [(22, 0, "monte-carlo"), (12, 10000, "certified")])
def test_peak_stays_within_the_estimate(channels, certify_limit, path):
    """Fresh process: the whole-process peak of ``hessian_ranks(parts=("loss",))`` is below the estimate it made
    before assembling (which counts what the process held already). p = 2574 past SMALL_ENTRIES (the
    Schur-check Monte Carlo path, loss-only estimate); p = 1044 certified (the general estimate)."""
    import json
    import subprocess
    import sys

    code = f"""
import json
from symhess.hessian.assembly import hessian_ranks
from symhess.linalg.memory import peak_rss_bytes
from symhess.nets.architecture import Architecture, ConvLayer, random_network
from symhess.nets.data import random_dataset
arch = Architecture(16, (ConvLayer({channels}, 3), ConvLayer({channels}, 3)), 4, "linear")
net, data = random_network(arch, 0), random_dataset(arch, 16, 0)
rep = hessian_ranks(net, data, parts=("loss",), certify_limit={certify_limit})
print(json.dumps({{"p": rep.params, "peak": peak_rss_bytes(), "estimate": rep.memory_estimate_bytes,
                  "path": rep.ranks["loss"].path}}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True).stdout.strip().splitlines()[-1])
    p = out["p"]
    assert out["path"] == path and 8 * p * p < out["peak"] <= out["estimate"], out
