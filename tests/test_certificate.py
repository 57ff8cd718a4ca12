"""The upper-bound half of the rank certificate (the exactly verified kernel) really rejects.

With random 62-bit primes an unlucky prime (one dividing a pivot minor, so that the rank
modulo it is too low) never occurs in practice, so these tests *inject* one through
``forced_primes``: the certificate must then refuse that prime and retry with the next
(and, if no prime is left, refuse to certify), on the symmetric path, the general
square path and the transposed (wide matrix) path. Skipping the kernel verification
makes every one of them fail.
"""

import flint
import numpy as np
import pytest

from symhess.linalg.modular import random_prime
from symhess.linalg.rank import CertificateError, _kernel_certificate_np, exact_rank, integer_rank

UNLUCKY = 7
LUCKY = 2305843009213693951  # 2^61 − 1, a Mersenne prime


def _ints(rows):
    return np.array(rows, dtype=object)


# rank 2; modulo 7 the first row/column vanishes (rank 1)
SYMMETRIC = _ints([[7, 0], [0, 1]])
# rank 3, not symmetric; modulo 7 rank 2 (det = 7·(1·1 − 0) = 7)
SQUARE = _ints([[7, 1, 0], [0, 1, 0], [0, 3, 1]])
# 2 × 4: wide, certified through its transpose; rank 2, modulo 7 rank 1
WIDE = _ints([[7, 0, 14, 0], [0, 1, 0, 2]])


@pytest.mark.parametrize("matrix, rank, path", [(SYMMETRIC, 2, "symmetric"), (SQUARE, 3, "square"),
                                                (WIDE, 2, "transposed")])
def test_unlucky_prime_is_rejected_and_retried(matrix, rank, path):
    assert flint.nmod_mat(flint.fmpz_mat(matrix.tolist()), UNLUCKY).rank() < rank  # the prime is unlucky
    res = integer_rank(matrix, forced_primes=[UNLUCKY, LUCKY])
    assert res.certified and res.rank == rank
    assert res.details["primes"] == [UNLUCKY, LUCKY]  # the first prime was tried and refused
    assert res.details["transposed"] is (path == "transposed")
    assert res.details["symmetric"] is (path == "symmetric")


@pytest.mark.parametrize("matrix", [SYMMETRIC, SQUARE, WIDE])
def test_only_unlucky_primes_means_not_certified(matrix):
    with pytest.raises(CertificateError, match="not certified"):
        integer_rank(matrix, forced_primes=[UNLUCKY, UNLUCKY], max_tries=2)


def test_exact_rank_rational_route_rejects_unlucky_prime():
    a = flint.fmpq_mat(2, 2, [flint.fmpq(7, 3), 0, 0, flint.fmpq(1, 5)])
    res = exact_rank(a, forced_primes=[UNLUCKY])
    assert res.certified and res.rank == 2 and res.details["primes"][0] == UNLUCKY
    with pytest.raises(CertificateError):
        exact_rank(a, forced_primes=[UNLUCKY] * 4)


def test_symmetric_flag_forced_on_a_symmetric_matrix():
    # the fast path of hessian_ranks passes symmetric=True: same rejection
    res = integer_rank(SYMMETRIC, symmetric=True, forced_primes=[UNLUCKY, LUCKY])
    assert res.rank == 2 and res.details["primes"] == [UNLUCKY, LUCKY]


def test_wrong_kernel_is_refused():
    """A kernel built on the wrong pivots (too few, or a singular minor) does not verify."""
    a = _ints([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert _kernel_certificate_np(a, [0, 1, 2], [0, 1, 2])  # full rank: nothing to verify
    assert not _kernel_certificate_np(a, [0, 1], [0, 1])     # claims rank 2: column 2 is no combination
    b = _ints([[1, 2, 3], [2, 4, 6], [1, 0, 1]])             # rank 2
    assert _kernel_certificate_np(b, [0, 2], [0, 1])
    assert not _kernel_certificate_np(b, [0, 1], [0, 1])     # singular minor [[1,2],[2,4]]
    assert not _kernel_certificate_np(b, [0], [0])           # rank 1 claimed


def test_monte_carlo_uses_forced_primes():
    res = integer_rank(SYMMETRIC, certify=False, primes=1, forced_primes=[UNLUCKY])
    assert res.rank == 1 and not res.certified and res.path == "monte-carlo"  # a wrong rank, labelled unproved
    res = integer_rank(SYMMETRIC, certify=False, primes=2, forced_primes=[UNLUCKY])
    assert res.rank == 2  # the maximum over primes


def test_forced_primes_must_be_prime():
    from symhess.scalars import InputError

    with pytest.raises(InputError):
        integer_rank(SYMMETRIC, forced_primes=[9])


def test_random_primes_are_62_bit_primes():
    import random

    q = random_prime(random.Random(1))
    assert 2 ** 61 <= q < 2 ** 62 and flint.fmpz(q).is_prime()
