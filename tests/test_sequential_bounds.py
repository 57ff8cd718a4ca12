"""Bounds for 2D convolutions, biases, pooling and any layer stack (docs/theory.md §9).

Every expected rank here is computed independently: certified exact ranks of the exact Hessians
(:func:`symhess.hessian.sequential.sequential_hessians`) and, where a formula is claimed exact, the
value worked out by hand in the test (not read from the bound code).
"""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest

from symhess.hessian.sequential import sequential_hessians
from symhess.linalg.rank import exact_rank
from symhess.nets.architecture import LayerShape
from symhess.nets.data import Dataset, random_dataset
from symhess.nets.derivatives import lemma1_2d_derivative, toeplitz_derivative, vec_r_kronecker_permutation
from symhess.nets.layers import AvgPool, Dense, Flatten, MaxPool, ReLU, conv1d, conv2d
from symhess.nets.sequential import SequentialArchitecture as SA, SequentialNetwork, parameter_derivative, \
    random_sequential_network
from symhess.theory import sequential_bounds as sb
from symhess.theory.symmetry import ORBIT_PRIME


def ranks(arch: SA, n: int, seed: int = 0, scale: int = 3):
    net = random_sequential_network(arch, seed, scale=scale)
    data = random_dataset(arch, n, seed)
    h = sequential_hessians(net, data)
    out = {}
    for part in ("outer", "functional", "loss"):
        res = exact_rank(h.part(part))
        assert res.certified
        out[part] = res.rank
    return net, data, h, out


def forward(net: SequentialNetwork, x) -> np.ndarray:
    """Direct loops (layer ``forward`` s), no kink check: the network function itself."""
    h, params = np.asarray(x, dtype=object).reshape(net.arch.input_shape), iter(net.params)
    for p in net.arch.placed:
        if p.has_params:
            w, b = next(params)
            h = p.layer.forward(h, w, b)
        else:
            h = p.layer.forward(h)
    return h.reshape(-1)


# --------------------------------------------------------------------------- Lemma 1 in 2D

def test_vec_r_kronecker_permutation_on_random_matrices():
    rng = np.random.default_rng(0)
    shapes = [(2, 3), (3, 2), (2, 2)]
    A = [rng.integers(-5, 6, s) for s in shapes]
    Pi = vec_r_kronecker_permutation(shapes)
    assert (Pi @ np.kron(np.kron(A[0].reshape(-1), A[1].reshape(-1)), A[2].reshape(-1))
            == np.kron(np.kron(A[0], A[1]), A[2]).reshape(-1)).all()


@pytest.mark.parametrize("geometry", [((2, 3), (4, 5), (2, 3), (2, 1), (1, 0)), ((1, 2), (3, 3), (3, 2), (1, 2), (1, 1))])
def test_lemma1_2d_equals_the_conv_index_map(geometry):
    (C, m), spatial, kernel, stride, padding = geometry
    arch = SA((C,) + spatial, (conv2d(m, kernel, stride, padding), Flatten(), Dense(1)))
    assert (lemma1_2d_derivative(C, m, spatial, kernel, stride, padding) == parameter_derivative(arch.layers[0])).all()


def test_lemma1_2d_with_a_trivial_axis_is_the_1d_lemma():
    d, k, s, p = 6, 3, 2, 1
    out = (d + 2 * p - k) // s + 1
    one_d = toeplitz_derivative(LayerShape(1, 2, 3, k, s, p, d, out))
    assert (lemma1_2d_derivative(2, 3, (1, d), (1, k), (1, s), (0, p)) == one_d).all()


# --------------------------------------------------------------------------- Theorems 7/8 for Conv2d

@pytest.mark.parametrize("case", [
    # (C, spatial, m, kernel, K, rank H_O by hand, rank H_F by hand)
    (1, (4, 4), 1, (2, 2), 3, 30, 8),    # q(K d_1 + k - q) = 1(27 + 4 - 1); 2mk = 8
    (2, (3, 4), 2, (2, 2), 2, 36, 32),   # 2(2*6 + 8 - 2) = 36 < Kr = 48; 2mk = 32
    (2, (3, 3), 2, (3, 3), 1, 18, 4),    # Kr = 18; 2m s d_1 = 2*2*1*1
])
def test_theorem7_8_conv2d_exact(case):
    C, spatial, m, kernel, K, outer, functional = case
    arch = SA((C,) + spatial, (conv2d(m, kernel), Flatten(), Dense(K)))
    n = arch.input_dim + K + 1
    net, data, _, rk = ranks(arch, n)
    dr = sb.data_ranks(net, data)
    assert (dr.r, dr.s) == (arch.input_dim, K)
    assert rk["outer"] == outer == sb.conv_theorem7_terms(arch, dr).value
    assert rk["functional"] == functional == sb.conv_theorem8_terms(arch, dr).value


def test_theorem7_conv2d_stride_padding_is_only_an_upper_bound():
    arch = SA((1, 5, 5), (conv2d(2, 3, 2, 1), Flatten(), Dense(2)))
    net, data, _, rk = ranks(arch, 28)
    assert sb.conv_theorem7_terms(arch, sb.data_ranks(net, data)).value == 50 > rk["outer"] == 48


# --------------------------------------------------------------------------- biases

def test_bias_theorem7_counts_the_constant_vector_once():
    """The homogeneous form ``q'(K d_1 + k + 1 − q') + K = 30`` is loose; ``q(K d_1 + k − q) + K = 29`` is attained."""
    arch = SA((1, 4, 5), (conv2d(1, 3, bias=True), Flatten(), Dense(3, bias=True)))
    net, data, _, rk = ranks(arch, 24)
    terms = dict(sb.conv_theorem7_terms(arch, sb.data_ranks(net, data)).terms)
    assert terms["q'(Kd_1+k'-q')+K_c"] == 30 and terms["q(Kd_1+k-q)+K_b"] == 29
    assert rk["outer"] == 29
    assert rk["functional"] == 2 * 1 * (9 + 1) == sb.conv_theorem8_terms(arch, sb.data_ranks(net, data)).value


def test_a_bias_meets_only_later_weights_in_the_functional_hessian():
    arch = SA((1, 4, 4), (conv2d(2, 2, bias=True), ReLU(), conv2d(2, 2, bias=True), Flatten(), Dense(2, bias=True)))
    net = random_sequential_network(arch, 3, scale=1000)
    data = random_dataset(arch, 5, 3, "gaussian")
    H = sequential_hessians(net, data).functional
    layers = arch.layers
    for pl in layers:
        biases = range(pl.offset + pl.num_weights, pl.offset + pl.num_params)
        for pm in layers:
            cols = list(range(pm.offset + pm.num_weights, pm.offset + pm.num_params))
            if pm.index <= pl.index:
                cols += range(pm.offset, pm.offset + pm.num_weights)
            assert all(H[r, c] == 0 for r in biases for c in cols)
    last = layers[-1]
    assert all(H[last.offset + last.num_weights, c] == 0 for c in range(arch.num_params))


def test_augmented_network_reproduces_the_bias_network():
    arch = SA((1, 4, 4), (conv2d(2, 3, padding=1, bias=True), ReLU(), MaxPool((2, 2)), conv2d(2, 2, bias=True),
                          Flatten(), Dense(3, bias=True), ReLU(), Dense(2, bias=True)))
    net, data = random_sequential_network(arch, 1), random_dataset(arch, 3, 1)
    aug = sb.augmented_network(net)
    assert not aug.arch.has_bias and aug.arch.input_shape == (2, 4, 4)
    for x, x1 in zip(data.inputs, sb.augmented_inputs(arch, data.inputs)):
        assert (forward(net, x) == forward(aug, x1)).all()


def test_no_constant_tap_means_no_homogeneous_coordinates():
    arch = SA((1, 3, 3), (conv2d(2, 2, padding=1, bias=True), Flatten(), Dense(2)))
    assert sb.constant_tap(arch.layers[0]) is None and not sb.homogeneous_valid(arch)
    assert sb.homogeneous_valid(SA((1, 3, 3), (conv2d(2, 3, padding=1, bias=True), Flatten(), Dense(2))))


# --------------------------------------------------------------------------- pooling

def test_avgpool_after_conv_is_a_strided_conv():
    arch = SA((2, 7, 6), (conv2d(2, (3, 2), (1, 2), (1, 0)), AvgPool((2, 2)), Flatten(), Dense(2)))
    strided = sb.avgpool_as_conv(arch)
    conv = strided.layers[0].layer
    assert conv.kernel_size == (3 + 1 * 1, 2 + 1 * 2) and conv.stride == (2, 4)
    net = random_sequential_network(arch, 0)
    w, _ = net.params[0]
    snet = SequentialNetwork(strided, ((sb.avgpool_conv_weight(w, arch.layers[0].layer, arch.placed[1].layer), None),
                                       net.params[1]))
    for x in random_dataset(arch, 2, 0).inputs:
        assert (forward(net, x) == forward(snet, x)).all()


def test_pooled_theorems_7_8_use_the_pooled_positions_and_the_unpooled_patch():
    arch = SA((1, 5, 6), (conv2d(3, (2, 3)), AvgPool((2, 2)), Flatten(), Dense(2)))
    net, data, _, rk = ranks(arch, 33)
    dr = sb.data_ranks(net, data)
    # d_1 = 2*2 pooled positions, k = 6: q = 3, 3(2*4 + 6 - 3) = 33 = Kr? Kr = 60; 2mk = 36 < 2 m s d_1 = 48
    assert rk["outer"] == 33 == sb.conv_theorem7_terms(arch, dr).value
    assert rk["functional"] == 36 == sb.conv_theorem8_terms(arch, dr).value


def test_maxpool_one_hidden_functional_bound():
    arch = SA((1, 4, 4), (conv2d(2, 2), MaxPool((2, 2)), Flatten(), Dense(2)))
    net = random_sequential_network(arch, 0, scale=1000)
    data = random_dataset(arch, 6, 0, "gaussian")
    F = exact_rank(sequential_hessians(net, data).functional).rank
    dr = sb.data_ranks(net, data)
    # 3x3 conv output, one 2x2 window: d_1 = 1; 2 m d_1 min(K, n) = 8 < 2mk = 16
    assert F == sb.piecewise_one_hidden_functional_terms(arch, dr).value == 2 * 2 * 1 * 2


# --------------------------------------------------------------------------- symmetries and generic bounds

def _jacobian_mod(h, prime: int) -> flint.nmod_mat:
    J = h.jacobian.numer_denom()[0]  # a positive multiple of J: same kernel
    return flint.nmod_mat(J.nrows(), J.ncols(), [int(v) % prime for v in J.entries()], prime)


def test_symmetry_directions_lie_in_the_kernel_of_J():
    arch = SA((1, 3, 3), (conv2d(3, 1, bias=True), AvgPool((2, 2), (1, 1)), Flatten(), Dense(3), ReLU(), Dense(2)))
    net = random_sequential_network(arch, 0, scale=1000)
    data = random_dataset(arch, 4, 0)
    h = sequential_hessians(net, data)
    theta = [int(v) for v in net.theta()]
    psi = sb.symmetry_generators(arch, theta, ORBIT_PRIME)
    assert psi.ncols() == 3 * 3 + 3  # GL(3) across AvgPool/Flatten, 3 rescalings across the ReLU
    assert (_jacobian_mod(h, ORBIT_PRIME) * psi).rank() == 0
    assert exact_rank(h.outer).rank <= arch.num_params - psi.rank()


def test_channel_mixing_does_not_pass_a_relu():
    """The same parameters without the ReLU: mixing directions are symmetries there, not with the ReLU."""
    with_relu = SA((1, 3, 3), (conv2d(2, 2), ReLU(), Flatten(), Dense(2)))
    linear = SA((1, 3, 3), (conv2d(2, 2), Flatten(), Dense(2)))
    net = random_sequential_network(with_relu, 0, scale=1000)
    data = random_dataset(with_relu, 4, 0, "gaussian")
    theta = [int(v) for v in net.theta()]
    mixing = sb.symmetry_generators(linear, theta, ORBIT_PRIME)
    J = _jacobian_mod(sequential_hessians(net, data), ORBIT_PRIME)
    assert (J * mixing).rank() > 0
    assert (J * sb.symmetry_generators(with_relu, theta, ORBIT_PRIME)).rank() == 0
    assert (_jacobian_mod(sequential_hessians(SequentialNetwork(linear, net.params), data), ORBIT_PRIME)
            * mixing).rank() == 0


@pytest.mark.parametrize("arch, n", [
    (SA((1, 4, 4), (conv2d(2, 2), ReLU(), conv2d(2, 2), Flatten(), Dense(2))), 12),
    (SA((1, 5, 5), (conv2d(2, 2), MaxPool((2, 2)), conv2d(2, 2, padding=1, bias=True), ReLU(), Flatten(), Dense(2))), 8),
    (SA((1, 6), (conv1d(2, 3, bias=True), ReLU(), AvgPool((2,)), conv1d(2, 2), Flatten(), Dense(2, bias=True))), 9),
    (SA((1, 3, 3), (conv2d(4, 1), Flatten(), Dense(3), Dense(2))), 12),
])
def test_generic_bounds_hold(arch, n):
    linear = sb.is_linear(arch)
    net = random_sequential_network(arch, 0, scale=3 if linear else 1000)
    data = random_dataset(arch, n, 0, "integer" if linear else "gaussian")
    h = sequential_hessians(net, data)
    dr = sb.data_ranks(net, data)
    O, F, L = (exact_rank(h.part(p)).rank for p in ("outer", "functional", "loss"))
    assert O <= sb.sequential_outer_terms(arch, dr).value
    assert F <= sb.sequential_functional_terms(arch, dr).value
    assert L <= sb.sequential_loss_bound(arch, dr)
    b = sb.sequential_bounds(arch, dr)
    assert O <= b.outer and F <= b.functional and L <= b.loss


def test_lower_part_cuts():
    arch = SA((1, 4), (Flatten(), Dense(3, bias=True), Dense(2, bias=True), Dense(1)))
    # p = (15, 8, 2), w = (12, 6, 2): cuts 8, 15 + 2, 23; row blocks min(6, 15) + min(2, 23) = 8
    terms = dict(sb.lower_part_rank_terms(arch).terms)
    assert terms == {"cut 1": 8, "cut 2": 17, "cut 3": 23, "row blocks": 8, "column blocks": min(15, 8) + min(8, 2)}


def test_data_ranks_homogeneous():
    arch = SA((1, 2, 2), (conv2d(1, 1, bias=True), Flatten(), Dense(1, bias=True)))
    net = random_sequential_network(arch, 0)
    X = np.array([[Fraction(v) for v in row] for row in [[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]]], dtype=object)
    data = Dataset(X, np.zeros((3, 1), dtype=object) + Fraction(0))
    dr = sb.data_ranks(net, data)
    assert (dr.r, dr.r1) == (2, 3)
