"""The scalable rank path: panel elimination modulo a prime, the Schur-complement certificate,
the column-block upper bound. Each must agree with the kernel certificate and never claim a
wrong rank (unlucky primes are injected through ``forced_primes``)."""

import random

import flint
import numpy as np
import pytest

from symhess.linalg.modular import random_prime
from symhess.linalg.rank import CertificateError, integer_rank, rank_mod, schur_bound_bits, schur_certificate

UNLUCKY = 7
LUCKY = 2305843009213693951  # 2^61 − 1


def _low_rank(rng, m, n, r, scale, symmetric):
    """An ``m × n`` integer matrix of rank ``≤ r`` with entries up to about ``scale^2 r`` (object dtype)."""
    U = np.array([[rng.randint(-scale, scale) for _ in range(r)] for _ in range(m)], dtype=object)
    if symmetric:
        D = np.diag(np.array([rng.choice([-1, 1]) * rng.randint(1, 5) for _ in range(r)], dtype=object))
        return U @ D @ U.T
    V = np.array([[rng.randint(-scale, scale) for _ in range(n)] for _ in range(r)], dtype=object)
    return U @ V


CASES = [(m, n, r, scale, sym) for m, n, r in [(6, 6, 3), (9, 5, 2), (5, 9, 4), (12, 12, 7), (15, 8, 8)]
         for scale in (3, 2 ** 40, 2 ** 200) for sym in (False, True) if not sym or m == n]


@pytest.mark.parametrize("m, n, r, scale, sym", CASES)
def test_schur_certificate_equals_kernel_certificate(m, n, r, scale, sym):
    rng = random.Random(hash((m, n, r, scale, sym)) & 0xFFFF)
    for trial in range(3):
        a = _low_rank(rng, m, n, r, scale, sym)
        kernel = integer_rank(a, certificate="kernel", seed=trial)
        schur = integer_rank(a, certificate="schur", seed=trial)
        assert kernel.certified and schur.certified
        assert schur.rank == kernel.rank
        assert schur.rank == flint.fmpz_mat(a.tolist()).rank()  # FLINT's exact fraction-free rank


def test_rank_mod_matches_flint_and_gives_a_nonsingular_pivot_minor():
    rng = random.Random(1)
    q = random_prime(rng)
    for m, n, r in [(7, 7, 3), (20, 11, 6), (11, 20, 6), (30, 30, 30)]:
        a = _low_rank(rng, m, n, r, 50, False)
        for panel in (1, 3, 256):
            rk, cols, rows = rank_mod(a, q, want_rows=True, panel=panel)
            assert rk == flint.nmod_mat((a % q).tolist(), q).rank()
            assert len(cols) == len(rows) == rk == len(set(cols)) == len(set(rows))
            assert flint.nmod_mat((a[np.ix_(rows, cols)] % q).tolist(), q).det() != 0


SYMMETRIC = np.array([[7, 0], [0, 1]], dtype=object)               # rank 2, mod 7 rank 1
SQUARE = np.array([[7, 1, 0], [0, 1, 0], [0, 3, 1]], dtype=object)  # rank 3, mod 7 rank 2
WIDE = np.array([[7, 0, 14, 0], [0, 1, 0, 2]], dtype=object)        # rank 2, mod 7 rank 1


@pytest.mark.parametrize("matrix, rank", [(SYMMETRIC, 2), (SQUARE, 3), (WIDE, 2)])
def test_schur_rejects_an_unlucky_prime(matrix, rank):
    res = integer_rank(matrix, certificate="schur", forced_primes=[UNLUCKY, LUCKY])
    assert res.certified and res.rank == rank and res.details["primes"] == [UNLUCKY, LUCKY]
    with pytest.raises(CertificateError):
        integer_rank(matrix, certificate="schur", forced_primes=[UNLUCKY] * 3, max_tries=3)


def test_schur_certificate_refuses_a_too_low_rank_directly():
    """Pivots from an unlucky prime (rank too low modulo it): the certificate returns False."""
    rk, cols, rows = rank_mod(SQUARE, UNLUCKY, want_rows=True)
    assert rk == 2
    ok, info = schur_certificate(SQUARE, rows, cols, UNLUCKY, random.Random(0))
    assert not ok and "rejected_by" in info


def test_schur_rejects_adversarial_huge_entries():
    """A rank-(r+1) matrix whose extra rank is a multiple of a forced prime times huge entries."""
    rng = random.Random(5)
    q = random_prime(rng)
    base = _low_rank(rng, 10, 10, 4, 2 ** 80, True)
    v = np.array([[rng.randint(1, 2 ** 80)] for _ in range(10)], dtype=object)
    a = base + q * (v @ v.T)  # rank 5 over ℚ, ≡ base (rank 4) modulo q
    assert rank_mod(a, q)[0] == 4
    res = integer_rank(a, certificate="schur", forced_primes=[q])
    assert res.rank == 5 and res.details["primes"][0] == q and len(res.details["primes"]) == 2
    with pytest.raises(CertificateError):
        integer_rank(a, certificate="schur", forced_primes=[q], max_tries=1)


def test_bound_bits_dominates_the_bordered_minors():
    rng = random.Random(3)
    a = _low_rank(rng, 8, 8, 3, 1000, False) + np.eye(8, dtype=np.int64).astype(object)
    rk, cols, rows = rank_mod(a, LUCKY, want_rows=True)
    bits = schur_bound_bits(a, rows[:3], cols[:3])
    for i in range(8):
        for j in range(8):
            if i in rows[:3] or j in cols[:3]:
                continue
            minor = flint.fmpz_mat(a[np.ix_(rows[:3] + [i], cols[:3] + [j])].tolist()).det()
            assert abs(int(minor)) <= 2 ** bits


@pytest.mark.parametrize("certificate", ["kernel", "schur"])
def test_column_blocks_tight_loose_and_unlucky(certificate):
    tight = np.array([[2, 0, 0], [0, 3, 3], [0, 3, 3]], dtype=np.int64)  # blocks {0}, {1,2}: 1 + 1 = 2
    res = integer_rank(tight, certificate=certificate, column_blocks=[0, 1, 3])
    assert res.rank == 2 and res.details["upper"] == "column blocks"
    loose = np.array([[1, 1], [1, 1]], dtype=np.int64)  # 1 + 1 > 1: the whole matrix is certified
    res = integer_rank(loose, certificate=certificate, column_blocks=[0, 1, 2])
    assert res.rank == 1 and "upper" not in res.details
    res = integer_rank(SYMMETRIC, certificate=certificate, column_blocks=[0, 1, 2], forced_primes=[UNLUCKY, LUCKY])
    assert res.rank == 2 and res.details["primes"] == [UNLUCKY, LUCKY]


def test_monte_carlo_matches_certified_on_a_hessian():
    from symhess.hessian.assembly import hessian_ranks
    from symhess.nets.architecture import Architecture, ConvLayer, random_network
    from symhess.nets.data import random_dataset

    arch = Architecture(8, (ConvLayer(3, 3), ConvLayer(3, 3)), 2, "linear")
    net, data = random_network(arch, 0), random_dataset(arch, 4, 0)
    cert = hessian_ranks(net, data)
    mc = hessian_ranks(net, data, certify_limit=0)
    assert {k: r.rank for k, r in cert.ranks.items()} == {k: r.rank for k, r in mc.ranks.items()}
    assert cert.certified


@pytest.mark.heavy
def test_certified_hessian_at_two_thousand_parameters():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from benchmark import instance

    from symhess.hessian.assembly import hessian_ranks

    net, data = instance(19)  # p = 2052
    rep = hessian_ranks(net, data, parts=("loss",))
    assert rep.certified and rep.ranks["loss"].rank == 366


def test_kernel_certificate_too_big_for_the_memory_limit_switches_to_schur():
    rng = random.Random(9)
    a = _low_rank(rng, 12, 12, 5, 2 ** 30, True)
    res = integer_rank(a, memory_limit=1)
    assert res.certified and res.details["certificate"] == "schur"
    assert res.rank == integer_rank(a).rank == 5
    assert integer_rank(a).details["certificate"] == "kernel"


def test_loss_alone_is_built_in_place_and_equal():
    from symhess.hessian.assembly import assemble, hessian_ranks
    from symhess.nets.architecture import Architecture, ConvLayer, random_network
    from symhess.nets.data import random_dataset

    arch = Architecture(8, (ConvLayer(3, 3), ConvLayer(2, 3)), 2, "linear")
    net, data = random_network(arch, 1), random_dataset(arch, 5, 1)
    full = hessian_ranks(net, data)
    alone = hessian_ranks(net, data, parts=("loss",))
    assert alone.ranks["loss"].rank == full.ranks["loss"].rank and alone.certified
    H = assemble(net, data).integer("loss")
    assert integer_rank(H).rank == alone.ranks["loss"].rank


# ---------------------------------------------------------------- float64 BLAS elimination and limb residuals

from symhess.linalg.modular import BLAS_PRIME_BITS, _mod_matmul, _reduce, rank_mod_blas  # noqa: E402
from symhess.linalg.rank import _kernel_certificate_np, _residual_is_zero_limbs  # noqa: E402


def test_reduce_is_exact_at_the_edges():
    q = random_prime(random.Random(4), BLAS_PRIME_BITS)
    xs = [0, 1, q - 1, q, q + 1, 2 ** 52 - 1, (2 ** 52 // q) * q, (2 ** 52 // q) * q - 1]
    xs += [random.Random(i).randrange(2 ** 52) for i in range(200)]
    got = _reduce(np.array(xs, dtype=np.float64), q)
    assert [int(v) for v in got] == [x % q for x in xs]


@pytest.mark.parametrize("m, n, r", [(7, 7, 3), (20, 11, 6), (11, 20, 6), (40, 40, 40), (300, 200, 90)])
def test_rank_mod_blas_matches_flint_with_a_nonsingular_pivot_minor(m, n, r):
    rng = random.Random(m * n + r)
    q = random_prime(rng, BLAS_PRIME_BITS)
    a = _low_rank(rng, m, n, r, 2 ** 40, False)  # entries beyond 2^52: reduced modulo q first
    for panel in (1, 5, 512):
        rk, cols, rows = rank_mod_blas(a, q, panel=panel)
        assert rk == flint.nmod_mat((a % q).tolist(), q).rank() == r
        assert len(set(cols)) == len(set(rows)) == rk
        assert flint.nmod_mat((a[np.ix_(rows, cols)] % q).tolist(), q).det() != 0


def test_rank_mod_blas_sees_an_unlucky_prime():
    assert rank_mod_blas(SQUARE, UNLUCKY)[0] == 2  # rank 3 over ℚ
    with pytest.raises(ValueError):
        _mod_matmul(np.ones((1, 1)), np.ones((1, 1)), LUCKY)  # 62-bit: products not exact in float64


def test_limb_residual_detects_a_one_unit_error():
    rng = random.Random(11)
    a = _low_rank(rng, 14, 10, 4, 2 ** 10, False).astype(np.int64)
    rk, cols, rows = rank_mod(a, LUCKY, want_rows=True)
    assert _kernel_certificate_np(a, rows, cols)
    free = np.setdiff1d(np.arange(10), cols)
    x = flint.fmpz_mat(a[np.ix_(rows, cols)].tolist()).solve(flint.fmpz_mat((-a[np.ix_(rows, free)]).tolist()))
    num, den = x.numer_denom()
    other = np.setdiff1d(np.arange(14), rows)
    aP, aF = a[np.ix_(other, cols)], a[np.ix_(other, free)]
    for g in (1, 2):
        assert _residual_is_zero_limbs(aP, aF, num, int(den), g)
        bad = flint.fmpz_mat(num.tolist())
        bad[0, 0] += 1
        assert not _residual_is_zero_limbs(aP, aF, bad, int(den), g)
        assert not _residual_is_zero_limbs(aP, aF, num, int(den) + 1, g)
        neg = flint.fmpz_mat([[-v for v in row] for row in num.tolist()])  # sign limb exercised
        assert not _residual_is_zero_limbs(aP, aF, neg, int(den), g)
        # Z = 1: an error below one limb, which only the divisibility of the low carry sees
        assert not _residual_is_zero_limbs(np.array([[1]]), np.array([[0]]), flint.fmpz_mat([[1]]), 1, g)
        assert not _residual_is_zero_limbs(np.array([[1]]), np.array([[-1]]), flint.fmpz_mat([[1]]), 2, g)
