"""Column blocks ranked through a thin factor of their diagonal block (``row_reduced_block``).

The lemma ``rank [X; s FᵀF] = rank [X; F]`` is checked against FLINT's rank of the original block;
a wrong claimed factor must be refused (and the rank still right).
"""

from __future__ import annotations

import flint
import numpy as np
import pytest

from symhess.linalg.rank import integer_rank, row_reduced_block


def _hessian_like(seed: int, sizes=(6, 30, 40), k: int = 5, s: int = 3):
    """``H = s JᵀJ + F`` with ``F`` symmetric, zero diagonal blocks and low-rank off-diagonal blocks."""
    rng = np.random.default_rng(seed)
    p = sum(sizes)
    offs = np.cumsum((0,) + sizes)
    J = rng.integers(-4, 5, size=(k, p))
    F = np.zeros((p, p), dtype=np.int64)
    for l in range(len(sizes)):
        for m in range(l):
            blk = rng.integers(-3, 4, size=(sizes[l], 2)) @ rng.integers(-3, 4, size=(2, sizes[m]))
            F[offs[l]:offs[l + 1], offs[m]:offs[m + 1]] = blk
            F[offs[m]:offs[m + 1], offs[l]:offs[l + 1]] = blk.T
    return s * (J.T @ J) + F, F, J, s, list(offs)


def _flint_rank(a: np.ndarray) -> int:
    return flint.fmpz_mat([[int(v) for v in row] for row in a]).rank()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reduced_block_has_the_rank_of_the_block(seed):
    H, F, J, s, offs = _hessian_like(seed)
    for l in range(3):
        lo, hi = offs[l], offs[l + 1]
        reduced = row_reduced_block(H, lo, hi, s, J[:, lo:hi])
        if hi - lo <= J.shape[0]:
            assert reduced is None  # the factor is not thinner than the block: nothing to gain
            continue
        assert reduced.shape == (H.shape[0] - (hi - lo) + J.shape[0], hi - lo)
        assert _flint_rank(reduced) == _flint_rank(H[:, lo:hi])
        hollow = row_reduced_block(F, lo, hi, 1, J[:0, lo:hi])  # zero diagonal block: its rows drop out
        assert hollow.shape[0] == F.shape[0] - (hi - lo) and _flint_rank(hollow) == _flint_rank(F[:, lo:hi])


def test_a_wrong_factor_is_refused():
    H, F, J, s, offs = _hessian_like(3)
    lo, hi = offs[2], offs[3]
    wrong = J[:, lo:hi].copy()
    wrong[0, 0] += 1
    assert row_reduced_block(H, lo, hi, s, wrong) is None
    assert row_reduced_block(H, lo, hi, s + 1, J[:, lo:hi]) is None
    assert row_reduced_block(H, lo, hi, s, J[:2, lo:hi]) is None  # a factor of part of it only
    assert row_reduced_block(F + np.eye(F.shape[0], dtype=np.int64), lo, hi, 1, J[:0, lo:hi]) is None


def test_integer_rank_with_factors_equals_flint_and_survives_wrong_factors():
    H, F, J, s, offs = _hessian_like(4)
    good = [(s, J[:, lo:hi]) for lo, hi in zip(offs[:-1], offs[1:])]
    res = integer_rank(H, column_blocks=offs, block_factors=good)
    assert res.certified and res.rank == _flint_rank(H)
    assert res.details.get("row_reduced_blocks") == [0, 1, 2]  # 5 rows of J, blocks of 6, 30, 40 columns
    # a factor that would lose rank (rows of J dropped): refused, so the rank is still FLINT's
    bad = [(s, J[:1, lo:hi]) for lo, hi in zip(offs[:-1], offs[1:])]
    res = integer_rank(H, column_blocks=offs, block_factors=bad)
    assert res.rank == _flint_rank(H) and res.details.get("row_reduced_blocks", []) == []


def test_hessian_ranks_use_the_jacobian_factor_and_agree_with_the_whole_matrix():
    from symhess.hessian.assembly import hessian_ranks
    from symhess.nets.architecture import Architecture, ConvLayer, random_network
    from symhess.nets.data import random_dataset

    arch = Architecture(12, (ConvLayer(3, 3), ConvLayer(4, 3)), 2, "linear")
    net, data = random_network(arch, 1), random_dataset(arch, 3, 1)
    rep = hessian_ranks(net, data, parts=("functional", "loss"))
    whole = hessian_ranks(net, data, parts=("functional", "loss"), certify_limit=0)  # Monte Carlo, no blocks
    assert {k: r.rank for k, r in rep.ranks.items()} == {k: r.rank for k, r in whole.ranks.items()}
    assert rep.ranks["loss"].details["row_reduced_blocks"]  # nK = 6 < p_l for the larger blocks
    assert rep.ranks["functional"].details["row_reduced_blocks"] == [0, 1, 2]
