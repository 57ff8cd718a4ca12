"""Rank-bound formulas on hand-computed values, their reductions, and LCN Hessians vs sympy."""

import pytest

from symhess.nets.architecture import Architecture, ConvLayer
from symhess.scalars import InputError
from symhess.theory.bounds import (Bounds, fcn_functional_blocks, fcn_functional_rank, fcn_loss_rank, fcn_outer_rank,
                                   network_bounds, theorem5_outer, theorem6_functional, theorem6_functional_blocks,
                                   theorem7_outer, theorem8_functional, theorem9_lcn, theorem10_lcn_weight_sharing)


def conv(d, layers, K):
    return Architecture(d, tuple(ConvLayer(m, k) for m, k in layers), K)


def test_fcn_by_hand():
    # d = r = 4, one hidden layer of 3, K = 2: q = 2, s = 2.
    assert fcn_outer_rank(4, [3], 2) == 2 * (4 + 2 - 2)                  # 8
    assert fcn_functional_blocks(4, [3], 2) == (6, 6)                    # q(s + M - q) each
    assert fcn_functional_rank(4, [3], 2) == 2 * 2 * 3 + 2 * 2 * 2 - 2 * 4  # 12
    assert fcn_loss_rank(4, [3], 2) == 8 + 12 + 2 * (2 - 4)               # 16
    # bottleneck width 1: q = 1
    assert fcn_outer_rank(5, [4, 1], 3) == 1 * (5 + 3 - 1)
    assert fcn_functional_rank(5, [4, 1], 3) == 2 * 1 * 5 + 2 * 1 * 3 - 3 * 1


def test_cross_entropy_is_k_minus_one():
    assert fcn_outer_rank(4, [3], 3, loss="ce") == fcn_outer_rank(4, [3], 2)
    assert fcn_functional_rank(4, [3], 3, loss="ce") == fcn_functional_rank(4, [3], 2)
    with pytest.raises(InputError):
        fcn_outer_rank(4, [3], 3, loss="hinge")


@pytest.mark.parametrize("d,widths,K", [(5, (3,), 2), (4, (2, 3), 3), (6, (2, 6, 3), 4), (5, (4, 1), 2), (3, (5,), 4)])
def test_cnn_theorems_reduce_to_fcn(d, widths, K):
    """Theorem 5 gives Singh et al.'s value on an FCN; Theorem 6 is valid but loses the FCN's q² − 1
    overlap (theory.md §4), so ``network_bounds`` uses the FCN formulas there."""
    arch = Architecture.fully_connected(d, widths, K)
    r, s = d, min(d, K)
    assert theorem5_outer(arch, r) == fcn_outer_rank(r, widths, K)
    assert all(t6 >= min(sh.num_params, b) for sh, t6, b in
               zip(arch.layers, theorem6_functional_blocks(arch, r, s), fcn_functional_blocks(r, widths, K, s)))
    b = network_bounds(arch, r, s)
    assert (b.outer, b.functional, b.loss) == (fcn_outer_rank(r, widths, K), fcn_functional_rank(r, widths, K, s),
                                               fcn_loss_rank(r, widths, K, s))
    assert b.source.startswith("FCN")


def test_one_hidden_by_hand():
    a = conv(8, [(2, 3)], 2)                 # d1 = 6, q = 2
    assert theorem7_outer(a, 8) == min(2 * 8, 2 * (2 * 6 + 3 - 2)) == 16
    assert theorem8_functional(a, 8, 2) == 2 * 2 * min(3, 2 * 6) == 12
    b = conv(8, [(1, 5)], 3)                 # d1 = 4, q = 1
    assert theorem7_outer(b, 8) == 1 * (3 * 4 + 5 - 1) == 16
    assert network_bounds(a, 8, 2) == Bounds(16, 12, 28, (6, 6), "Theorems 7, 8 (one hidden layer, exact)")


def test_lcn_by_hand():
    lcn = Architecture.locally_connected(8, 2, 2, 2)                       # t = 4, q = 2
    assert theorem9_lcn(lcn, 8, 2) == (4 * 2 * (2 + 2 - 2), 2 * 4 * 2 * 2)  # (16, 32)
    ws = Architecture.locally_connected(8, 3, 4, 2, weight_sharing=True)   # t = 2, q = min(4, 3, 4) = 3
    assert theorem10_lcn_weight_sharing(ws, 8, 2) == (3 * (4 + 4 - 3), 2 * 3 * 4)  # (15, 24)
    assert network_bounds(lcn, 8, 2).source.startswith("Theorem 9")
    assert network_bounds(ws, 8, 2).source.startswith("Theorem 10")


def test_theorem6_by_hand():
    # d0=10, (3 ch, k3), (3 ch, k3), K=2, s=2: d1=8, d2=6, e2=3, e3=5, q=2.
    a = conv(10, [(3, 3), (3, 3)], 2)
    # l=1: β = 3 min(3, 16) = 9; l=2: 3 min(3,16) + 3 min(5,12) - 1 = 23; l=3: 3 min(5, 12) = 15
    assert theorem6_functional_blocks(a, 10, 2) == (9, 23, 15)
    assert theorem6_functional(a, 10, 2) == 47
    assert theorem5_outer(a, 10) == 2 * 10          # q = 2: q(r + K - q) = rK
    b = network_bounds(a, 10, 2)
    assert (b.outer, b.functional, b.loss, b.source) == (20, 47, 67, "Theorems 5, 6")
    assert b.to_dict()["functional_blocks"] == [9, 23, 15]


def test_scaling_linear_in_channels_while_p_quadratic():
    ranks, params = [], []
    for m in (10, 20, 40, 80):  # the orbit dimension from ψ's rank at m = 10, 20, from its closed form above
        a = conv(12, [(m, 3), (m, 3)], 2)
        ranks.append(theorem6_functional(a, 12, 2) + theorem5_outer(a, 12))
        params.append(a.num_params)
    # constant first differences over doubling steps (10, 20, 40): rank grows linearly in m
    assert (ranks[2] - ranks[1]) == 2 * (ranks[1] - ranks[0])
    assert (ranks[3] - ranks[2]) == 2 * (ranks[2] - ranks[1])
    assert params[3] > 12 * params[1]            # p ~ m^2


@pytest.mark.parametrize("weight_sharing", [False, True])
def test_local_layer_hessians_match_sympy(weight_sharing):
    from symhess.hessian.hessians import mse_hessians
    from symhess.hessian.symbolic import direct_hessians
    from symhess.linalg.matrices import to_sympy_matrix
    from symhess.nets.architecture import random_network
    from symhess.nets.data import random_dataset

    arch = Architecture.locally_connected(4, 2, 2, 2, weight_sharing=weight_sharing)
    net, data = random_network(arch, 1), random_dataset(arch, 3, 1)
    H, D = mse_hessians(net, data), direct_hessians(net, data)
    for part in ("outer", "functional", "loss"):
        assert to_sympy_matrix(H.part(part)) == D[part], part


@pytest.mark.heavy  # the same default sweeps run, per (claim, instance), in proofs_checks/test_registry.py
def test_rank_claims_default_sweep_passes():
    from proofs_checks import (fcn_special_case, loss_bound, theorem5_outer as t5, theorem6_functional as t6,
                               theorem7_one_hidden_outer as t7, theorem8_one_hidden_functional as t8,
                               theorem9_lcn as t9, theorem10_lcn_weight_sharing as t10)
    from proofs_checks.framework import run_claim

    for mod in (fcn_special_case, t5, t6, t7, t8, t9, t10, loss_bound):
        results = [res for inst in mod.CLAIM.instances(False) for res in run_claim(mod.CLAIM, inst)]
        assert results and all(res.ok for res in results), [r for r in results if not r.ok]
        if mod.CLAIM.exact:
            assert all(res.verdict == "tight" for res in results if res.relation == "<="), mod.CLAIM.name
