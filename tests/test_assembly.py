"""The fast integer assembly equals the production Hessians exactly; its ranks match independent ones."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import sympy

from symhess.hessian.assembly import assemble, hessian_ranks
from symhess.hessian.hessians import mse_hessians
from symhess.linalg.integer import exact_matmul
from symhess.linalg.matrices import to_sympy_matrix
from symhess.linalg.rank import integer_rank
from symhess.nets.architecture import Architecture, ConvLayer, LocalLayer, Network, random_network
from symhess.nets.data import Dataset, random_dataset
from symhess.nets.toeplitz import ReluKinkError
from symhess.scalars import InputError

ARCHS = [
    (7, (ConvLayer(2, 3), ConvLayer(3, 2, stride=2, padding=1)), 2),
    (8, (ConvLayer(2, 3, padding=2), ConvLayer(2, 2), ConvLayer(2, 2, stride=2)), 3),
    (9, (LocalLayer(2, 3, stride=2), ConvLayer(2, 2)), 2),
    (6, (ConvLayer(3, 6),), 2),  # fully connected as a CNN
]


def _instance(arch: Architecture, rational: bool):
    """First seed without a ReLU kink (the production route decides, independently of the fast one)."""
    for seed in range(200):
        net = random_network(arch, seed, rational=rational)
        data = random_dataset(arch, 3, seed, kind="gaussian" if rational else "integer")
        try:
            return net, data, mse_hessians(net, data)
        except ReluKinkError:
            continue
    pytest.skip("no kink-free instance")


@pytest.mark.parametrize("activation", ["linear", "relu"])
@pytest.mark.parametrize("rational", [False, True])
@pytest.mark.parametrize("spec", ARCHS, ids=lambda s: f"d{s[0]}-L{len(s[1]) + 1}")
def test_fast_assembly_equals_production(spec, activation, rational):
    arch = Architecture(*spec, activation)
    net, data, H = _instance(arch, rational)
    fast = assemble(net, data)
    for part in ("outer", "functional", "loss"):
        assert fast.to_fmpq(part) == H.part(part), part


def test_beyond_int64_falls_back_to_python_integers():
    """Huge denominators force Python-int arithmetic; the result is still exact."""
    arch = Architecture(5, (ConvLayer(2, 2),), 2)
    rng = random.Random(1)
    big = [Fraction(rng.randint(-10 ** 12, 10 ** 12), rng.randint(1, 10 ** 9)) for _ in range(arch.num_params)]
    net = random_network(arch, 0).with_theta(big)
    data = random_dataset(arch, 3, 0)
    fast = assemble(net, data)
    assert fast.integer("loss").dtype == object
    H = mse_hessians(net, data)
    for part in ("outer", "functional", "loss"):
        assert fast.to_fmpq(part) == H.part(part), part


@pytest.mark.parametrize("magnitude", [2 ** 20, 2 ** 26, 2 ** 31, 2 ** 40])
def test_exact_matmul_matches_python_integers(magnitude):
    rng = np.random.default_rng(magnitude % 1000)
    a = rng.integers(-magnitude, magnitude, (7, 33))
    b = rng.integers(-magnitude, magnitude, (33, 5))
    expected = [[sum(int(a[i, t]) * int(b[t, j]) for t in range(33)) for j in range(5)] for i in range(7)]
    got = exact_matmul(a, b)
    assert [[int(v) for v in row] for row in got.tolist()] == expected


def test_float64_arithmetic_is_only_a_rounding_of_the_exact_matrix():
    arch = Architecture(8, (ConvLayer(2, 3), ConvLayer(2, 2)), 2)
    net, data = random_network(arch, 3, rational=True), random_dataset(arch, 4, 3, kind="gaussian")
    exact = assemble(net, data).to_float("loss")
    approx = assemble(net, data, arithmetic="float64").to_float("loss")
    assert np.allclose(exact, approx, rtol=1e-12, atol=1e-12 * np.abs(exact).max())


def _low_rank(rng: np.random.Generator, m: int, n: int, r: int, symmetric: bool) -> np.ndarray:
    A = rng.integers(-5, 6, (m, r))
    return A @ A.T if symmetric else A @ rng.integers(-5, 6, (r, n))


@pytest.mark.parametrize("shape,r,symmetric", [((12, 12), 5, True), ((9, 14), 4, False), ((15, 8), 8, False),
                                               ((10, 10), 0, True), ((20, 20), 20, True)])
def test_integer_rank_certified_and_monte_carlo_agree_with_sympy(shape, r, symmetric):
    rng = np.random.default_rng(sum(shape) + r)
    M = _low_rank(rng, shape[0], shape[1], r, symmetric)
    expected = sympy.Matrix(M.tolist()).to_DM().rank()  # independent: sympy over ZZ
    cert = integer_rank(M)
    mc = integer_rank(M, certify=False)
    assert cert.rank == mc.rank == expected
    assert cert.certified and cert.path == "certified"
    assert not mc.certified and mc.path == "monte-carlo" and "error_bound" in mc.details


@pytest.mark.parametrize("activation", ["linear", "relu"])
def test_hessian_ranks_certified_equals_monte_carlo_and_sympy(activation):
    arch = Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 2, stride=2, padding=1)), 2, activation)
    net, data, H = _instance(arch, True)
    cert = hessian_ranks(net, data)
    mc = hessian_ranks(net, data, certify_limit=0)
    assert cert.path == "certified" and mc.path == "monte-carlo"
    for part in ("outer", "functional", "loss"):
        expected = to_sympy_matrix(H.part(part)).to_DM().rank()  # sympy DomainMatrix over QQ
        assert cert.ranks[part].rank == mc.ranks[part].rank == expected, part
    assert cert.ranks["outer"].details["matrix"] == "jacobian"  # nK = 6 < p
    assert set(cert.seconds) >= {"assembly", "outer", "functional", "loss", "total"}
    assert cert.peak_memory_bytes > 0
    assert cert.to_dict()["ranks"] == {k: v.rank for k, v in cert.ranks.items()}


def test_memory_limit_refuses_before_assembling():
    arch = Architecture(16, (ConvLayer(4, 3), ConvLayer(4, 3)), 2)
    net, data = random_network(arch, 0), random_dataset(arch, 4, 0)
    with pytest.raises(InputError, match="memory"):
        hessian_ranks(net, data, memory_limit=10_000)


def test_relu_kink_is_reported_not_guessed():
    arch = Architecture(3, (ConvLayer(1, 2),), 1, "relu")
    net = Network(arch, (np.array([[[1, -1]]], dtype=object), np.array([[[1, 1]]], dtype=object)))
    data = Dataset(np.array([[1, 1, 2]], dtype=object), np.array([[0]], dtype=object))
    with pytest.raises(ReluKinkError):
        assemble(net, data)
