"""Theorems 5 and 6 (corrected) and the systematic search for violations.

Ranks here come from the production route (:func:`symhess.hessian.hessians.mse_hessians` and
:func:`symhess.linalg.rank.exact_rank`), not from the fast assembly the search uses; the counterexamples
to the first versions of the theorems carry the certified ranks reported with them.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import symhess.theory.bounds as bounds_module
from symhess.hessian.hessians import mse_hessians
from symhess.linalg.rank import exact_rank
from symhess.nets.architecture import Architecture, ConvLayer, LocalLayer, random_network
from symhess.nets.data import random_dataset
from symhess.theory.bound_search import (SearchCase, bound_terms, candidate_pool, run_case, select_cases,
                                         term_statistics)
from symhess.theory.bounds import (data_ranks, network_bounds, theorem5_outer, theorem5_outer_terms,
                                   theorem6_column_block, theorem6_functional, theorem6_functional_blocks)
from symhess.theory.symmetry import independent_orbit_dimension, joint_orbit_dimension, single_layer_orbit


def conv(d0, layers, K, activation="linear"):
    return Architecture(d0, tuple(ConvLayer(*layer) for layer in layers), K, activation)


def production_ranks(arch, n, seed=0):
    """``(r, s, rank H_O, rank H_F, column blocks of H_F, rank H_L)`` by the production route."""
    net, data = random_network(arch, seed), random_dataset(arch, n, seed)
    r, s = data_ranks(net, data)
    H = mse_hessians(net, data)
    rank = lambda M: exact_rank(M).rank  # noqa: E731
    blocks = tuple(rank(H.column_block("functional", l)) for l in range(1, arch.depth + 1))
    return r, s, rank(H.outer), rank(H.functional), blocks, rank(H.loss)


# The counterexamples to the first versions (issue "Theorems 5 and 6 are false where no sweep
# looked"), with the certified ranks reported there.
OLD_COUNTEREXAMPLES = [
    # (arch, n, rank H_O, H_F column blocks or None)
    (conv(3, [(2, 1), (3, 1), (1, 1)], 3), 7, 9, None),
    (conv(2, [(6, 1), (4, 1)], 1), 4, 2, None),
    (conv(6, [(1, 1), (6, 5)], 6), 14, None, (1, 30, 30)),
    # a strided layer leaves d_1 = 1, then k = 1 layers: a dense chain that is no FCN (old bound 6)
    (Architecture(4, (ConvLayer(4, 3, 2), ConvLayer(4, 1), ConvLayer(2, 1)), 3), 8, 8, None),
]


@pytest.mark.parametrize("arch, n, outer, blocks", OLD_COUNTEREXAMPLES,
                         ids=[case[0].describe() for case in OLD_COUNTEREXAMPLES])
def test_old_counterexamples_now_hold(arch, n, outer, blocks):
    r, s, rank_o, rank_f, rank_blocks, rank_l = production_ranks(arch, n)
    if outer is not None:
        assert rank_o == outer
    if blocks is not None:
        assert rank_blocks == blocks
    t5 = theorem5_outer(arch, r)
    t6 = theorem6_functional_blocks(arch, r, s)
    assert 0 <= rank_o <= t5
    assert all(0 <= got <= bound for got, bound in zip(rank_blocks, t6))
    assert rank_f <= theorem6_functional(arch, r, s)
    assert rank_l <= network_bounds(arch, r, s).loss


def test_bottleneck_last_block():
    """``d0=8 conv(4,k3) conv(1,k3) conv(1,k3) -> K=4``: the last block has rank 7 (old bound 5)."""
    arch = conv(8, [(4, 3), (1, 3), (1, 3)], 4)
    r, s, _, _, blocks, _ = production_ranks(arch, 14)
    assert blocks[-1] == 7
    assert theorem6_functional_blocks(arch, r, s)[-1] == 7      # m_3 e_4 = 1 · 7: tight


def test_hand_computed_values():
    """Values derived by hand from the formulas in docs/theory.md §3–4."""
    a = conv(10, [(3, 3), (3, 3)], 2)                              # d = 10, 8, 6; s = 2
    # block 1: m_1 min(k_1, s d_1) = 3·3; block 2: α = m_1 e_2 = 9, β = m_2 e_3 = 15, γ = 1;
    # block 3: m_2 min(e_3, s d_2) = 3·5
    assert theorem6_functional_blocks(a, 10, 2) == (9, 23, 15)
    blk = theorem6_column_block(a, 2, 2)
    assert (blk.alpha.value, blk.beta.value, blk.gamma) == (9, 15, 1)
    assert theorem5_outer(a, 10) == 20                             # rK = 10·2 (orbit term 72 − 18)
    assert theorem5_outer_terms(a, 10).terms == (("p - orbit", 54), ("toeplitz FCN", 20))
    # d0=6 conv(1,k1) conv(6,k5) -> K=6: blocks 1, min(30, 1 + 30 − 1), m_2 min(e_3, s d_2) = 6·5
    b = conv(6, [(1, 1), (6, 5)], 6)
    assert theorem6_functional_blocks(b, 6, 6) == (1, 30, 30)
    # single-layer orbits: m² − (m − m_prev k)_+ (m − m_next k_next)_+
    c = conv(3, [(2, 1), (3, 1), (1, 1)], 3)
    assert [single_layer_orbit(c, l) for l in (1, 2, 3)] == [4 - 1 * 0, 9 - 1 * 2, 1]
    assert independent_orbit_dimension(c) == max(4 + 1, 7)         # layers {1, 3} or {2}
    assert joint_orbit_dimension(c) == 11                          # p − 11 = 9 = certified rank


def test_orbit_closed_form_is_below_joint():
    """The closed form never exceeds the joint orbit dimension (both lower-bound the generic one)."""
    for case in candidate_pool(300):
        joint = joint_orbit_dimension(case.arch)
        assert joint is None or independent_orbit_dimension(case.arch) <= joint <= case.arch.num_params


def test_local_layers_use_positions_in_orbit():
    a = Architecture(6, (LocalLayer(4, 2, 2), ConvLayer(2, 1)), 1)
    assert single_layer_orbit(a, 1) == 16 - max(0, 4 - 2 * 3) * max(0, 4 - 2)


def _search_sample():
    return [run_case(c) for c in select_cases(candidate_pool(3000), 2)]


def test_search_sample_no_violation_every_term_binds():
    results = _search_sample()
    assert not [v for r in results for v in r.violations]
    bound = {(t.bound, t.term) for t in term_statistics(results) if t.binding}
    expected = {("Theorem 5 H_O", "p - orbit"), ("Theorem 5 H_O", "toeplitz FCN"),
                ("Theorem 6 H_F", "p"), ("Theorem 6 H_F", "sum of blocks"),
                ("loss H_L", "p"), ("loss H_L", "H_O + H_F bounds"),
                ("ReLU H_O", "nK"), ("ReLU H_O", "p - channels"),
                ("ReLU H_F", "2mk"), ("ReLU H_F", "2m d_1 min(K,n)"),
                ("Theorem 7 H_O", "Kr"), ("Theorem 7 H_O", "q(Kd_1+k-q)"),
                ("Theorem 8 H_F", "2mk"), ("Theorem 8 H_F", "2m s d_1"), ("reported H_L", "formula")}
    expected |= {(f"{src} {part}", "formula") for src in ("FCN", "Theorem 9", "Theorem 10") for part in ("H_O", "H_F")}
    expected |= {("Theorem 6 H_F[:, l]", t) for t in
                 ("p_l", "alpha:params below", "alpha:toeplitz", "alpha:e_l", "alpha:s*d", "alpha:cut m_j",
                  "beta:params above", "beta:toeplitz", "beta:s*d", "beta:cut m_j")}
    assert expected <= bound, expected - bound


def test_search_finds_the_old_theorem5(monkeypatch):
    """The search fails on the first version of Theorem 5 (per-layer orbits added up)."""
    monkeypatch.setattr(bounds_module, "orbit_dimension",
                        lambda arch: sum(single_layer_orbit(arch, l) for l in range(1, arch.depth)))
    assert any(r.violations for r in _search_sample())


def test_search_finds_a_dropped_beta(monkeypatch):
    """Dropping β_l (the blocks above layer l) from Theorem 6 is caught."""
    real = bounds_module.theorem6_beta
    monkeypatch.setattr(bounds_module, "theorem6_beta",
                        lambda arch, l, s: bounds_module.BoundTerms((("none", 0),)) if l > 1 else real(arch, l, s))
    assert any(r.violations for r in _search_sample())


def test_bound_terms_never_negative():
    for case in candidate_pool(500):
        r = min(case.n, case.arch.input_dim)
        for s in range(0, min(r, case.arch.outputs) + 1):
            for terms in bound_terms(case.arch, case.n, r, s).values():
                assert terms.value >= 0


@st.composite
def small_linear_arch(draw):
    d0 = draw(st.integers(2, 9))
    layers, dim = [], d0
    for _ in range(draw(st.integers(1, 3))):
        pad = draw(st.sampled_from([0, 0, 1]))
        k = draw(st.integers(1, dim + 2 * pad))
        stride = draw(st.sampled_from([1, 1, 2]))
        layers.append(ConvLayer(draw(st.integers(1, 4)), k, stride, pad))
        dim = (dim + 2 * pad - k) // stride + 1
    arch = Architecture(d0, tuple(layers), draw(st.integers(1, 4)))
    if arch.num_params > 90:
        arch = Architecture(d0, tuple(ConvLayer(1, c.kernel_size, c.stride, c.padding) for c in layers), 2)
    return arch


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arch=small_linear_arch(), extra=st.integers(-3, 2), seed=st.integers(0, 3))
def test_property_every_bound_at_least_certified_rank(arch, extra, seed):
    """Hypothesis over small architectures: every bound ≥ the certified rank (production route) and ≥ 0."""
    n = max(1, arch.input_dim + arch.outputs + extra)
    r, s, rank_o, rank_f, blocks, rank_l = production_ranks(arch, n, seed)
    terms = bound_terms(arch, n, r, s)
    blocks_by_name = {f"Theorem 6 H_F[:, {l}]": b for l, b in enumerate(blocks, start=1)}
    for name, t in terms.items():
        observed = blocks_by_name.get(name) if "[:" in name else \
            rank_o if name.endswith("H_O") else rank_f if name.endswith("H_F") else rank_l
        assert 0 <= observed <= t.value, (name, t, observed)
    nb = network_bounds(arch, r, s)
    assert 0 <= rank_o <= nb.outer and 0 <= rank_f <= nb.functional and 0 <= rank_l <= nb.loss
