"""Route (a), the literal block formulas of Propositions 2-4, against independent routes.

Independent references: the production Hessians (:mod:`symhess.hessian.hessians`, index maps,
no Kronecker products) and sympy's differentiation of the loss polynomial
(:mod:`symhess.hessian.symbolic`, plain convolution loops, no Toeplitz matrices).
The claims of ``proofs_checks/prop{2,3,4}_*.py`` run in ``proofs_checks/test_registry.py``.
"""

from fractions import Fraction

import numpy as np
import pytest
import sympy

from proofs_checks._block_routes import identity_result, kink_free_draw
from proofs_checks.framework import VIOLATED
from symhess.hessian.block_formulas import (ToeplitzedNetwork, block_formula_hessians, commutation, functional_block,
                                            outer_block, toeplitzed_hessians)
from symhess.hessian.hessians import mse_hessians
from symhess.hessian.symbolic import direct_hessians
from symhess.linalg.matrices import to_fmpq_mat
from symhess.nets.architecture import Architecture, ConvLayer, Network, symbolic_network
from symhess.nets.data import Dataset

ARCHS = {
    "2conv-stride-pad": lambda act: Architecture(6, (ConvLayer(2, 3), ConvLayer(2, 2, stride=2, padding=1)), 2, act),
    "1conv-pad2-stride2": lambda act: Architecture(5, (ConvLayer(2, 3, stride=2, padding=2),), 2, act),
    "3conv": lambda act: Architecture(6, (ConvLayer(2, 2, padding=1), ConvLayer(2, 3, stride=2), ConvLayer(1, 2)),
                                      1, act),
}


def draw(name, act, n=3):
    found = kink_free_draw(ARCHS[name](act), n, tuple(range(40)), "gaussian", rational=act == "relu")
    assert found is not None, "no kink-free draw"
    return found[0], found[1]


@pytest.mark.parametrize("act", ["linear", "relu"])
@pytest.mark.parametrize("name", sorted(ARCHS))
def test_route_a_equals_production(name, act):
    net, data = draw(name, act)
    route_a, prod = block_formula_hessians(net, data), mse_hessians(net, data)
    for part in ("outer", "functional", "loss"):
        assert route_a.as_fmpq(part) == prod.part(part), part


@pytest.mark.parametrize("act", ["linear", "relu"])
def test_route_a_equals_sympy_direct(act):
    arch = Architecture(5, (ConvLayer(1, 2, stride=2, padding=1), ConvLayer(1, 2, padding=1)), 2, act)
    found = kink_free_draw(arch, 2, tuple(range(40)))
    assert found is not None
    net, data, _ = found
    route_a, direct = block_formula_hessians(net, data), direct_hessians(net, data)
    for part in ("outer", "functional", "loss"):
        assert route_a.as_sympy(part) == direct[part], part


def test_covariance_form_equals_per_sample_form():
    """Props 2/3 as stated (Σ_xx, Ω) equal the per-sample sums on linear nets, block by block."""
    net, data = draw("3conv", "linear", n=4)
    tn = ToeplitzedNetwork.build(net, data)
    for k in range(1, 5):
        for l in range(1, 5):
            assert (outer_block(tn, k, l, "covariance") == outer_block(tn, k, l, "per-sample")).all()
            assert (functional_block(tn, k, l, "covariance") == functional_block(tn, k, l, "per-sample")).all()


def test_covariance_form_refused_for_relu():
    net, data = draw("2conv-stride-pad", "relu")
    with pytest.raises(ValueError):
        outer_block(ToeplitzedNetwork.build(net, data), 1, 2, "covariance")


def test_toeplitzed_hessians_structure():
    """Ĥ_O, Ĥ_F symmetric (p̃ × p̃); Ĥ_F block-hollow; Ĥ_O positive semidefinite on samples."""
    net, data = draw("2conv-stride-pad", "relu")
    tn = ToeplitzedNetwork.build(net, data)
    H_O, H_F = toeplitzed_hessians(tn)
    pt = net.arch.num_toeplitz_params
    assert H_O.shape == H_F.shape == (pt, pt)
    assert (H_O == H_O.T).all() and (H_F == H_F.T).all()
    for l in range(1, net.arch.depth + 1):
        assert all(v == 0 for v in functional_block(tn, l, l).flat)
    v = np.array([Fraction((3 * i) % 7 - 3) for i in range(pt)], dtype=object)
    assert v.dot(H_O.dot(v)) >= 0


def test_commutation_matrix_against_loops():
    """``(X ⊗ Y) K_{a,b}`` puts column ``(b', a')`` of ``X ⊗ Y`` at ``(a', b')``."""
    a, b = 2, 3
    X = np.array([[Fraction(i * b + j + 1) for j in range(b)] for i in range(2)], dtype=object)
    Y = np.array([[Fraction(7 * i + j) for j in range(a)] for i in range(3)], dtype=object)
    prod = np.kron(X, Y).dot(commutation(a, b))
    for r1 in range(2):
        for r2 in range(3):
            for ai in range(a):
                for bi in range(b):
                    assert prod[r1 * 3 + r2, ai * b + bi] == X[r1, bi] * Y[r2, ai]


def test_commutation_is_needed():
    """Without ``K`` the functional blocks are wrong: the check of Prop 3 can fail."""
    net, data = draw("2conv-stride-pad", "linear")
    tn = ToeplitzedNetwork.build(net, data)
    rows, cols = tn.mats[1].shape
    with_k = functional_block(tn, 1, 2)
    without_k = with_k.dot(commutation(rows, cols).T)  # K is a permutation: K Kᵀ = I
    assert not (with_k == without_k).all()


def test_dead_unit_is_not_a_kink():
    """A ReLU unit whose receptive field is all zero (here: data zeros) is smooth; all routes agree."""
    arch = Architecture(5, (ConvLayer(1, 2), ConvLayer(1, 2)), 1, "relu")
    w1 = np.array([[[Fraction(2), Fraction(-1)]]], dtype=object)
    w2 = np.array([[[Fraction(1), Fraction(3)]]], dtype=object)
    w3 = np.array([[[Fraction(2), Fraction(-1), Fraction(1)]]], dtype=object)
    net = Network(arch, (w1, w2, w3))
    data = Dataset(np.array([[0, 0, 1, 3, -2], [0, 0, 2, -1, 3]], dtype=object),
                   np.array([[1], [-2]], dtype=object))  # z_1[0] = 0: its window (x_0, x_1) is zero
    route_a, prod, direct = block_formula_hessians(net, data), mse_hessians(net, data), direct_hessians(net, data)
    for part in ("outer", "functional", "loss"):
        assert route_a.as_fmpq(part) == prod.part(part)
        assert route_a.as_sympy(part) == direct[part]


@pytest.mark.parametrize("arch", [
    Architecture(4, (ConvLayer(2, 2, stride=2, padding=1),), 1),
    Architecture(4, (ConvLayer(1, 2), ConvLayer(1, 2, padding=1)), 1),
], ids=["1conv-s2-p1", "2conv-p1"])
def test_symbolic_block_formulas_equal_sympy_hessian(arch):
    """Symbolic weights: block formulas minus sympy's Hessian simplify to zero (all three parts)."""
    net = symbolic_network(arch)
    data = Dataset(np.array([[1, -2, 0, 3], [2, 1, -1, 1]], dtype=object), np.array([[1], [-1]], dtype=object))
    route_a, direct = block_formula_hessians(net, data), direct_hessians(net, data)
    for part in ("outer", "functional", "loss"):
        diff = route_a.as_sympy(part) - direct[part]
        assert diff.applyfunc(sympy.simplify).is_zero_matrix, part
    assert route_a.as_sympy("functional") != sympy.zeros(arch.num_params, arch.num_params)


def test_identity_check_can_fail():
    """One changed entry makes the identity check report ``violated`` with 1 differing entry."""
    net, data = draw("2conv-stride-pad", "linear")
    H = mse_hessians(net, data).outer
    bump = np.array([[Fraction(int(i == j == 3)) for j in range(H.ncols())] for i in range(H.nrows())], dtype=object)
    res = identity_result("claim", "instance", "what", H + to_fmpq_mat(bump), H)
    assert res.verdict == VIOLATED and res.observed == 1
