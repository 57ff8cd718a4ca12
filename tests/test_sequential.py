"""Any layer stack (Conv 1D/2D, Dense, biases, pooling, mixed ReLU): every exact route agrees.

Independent values: sympy differentiation of the loss built by direct loops
(:mod:`symhess.hessian.sequential_sympy`), the 1D production route on the same 1D network,
route (a) ``Dᵀ Ĥ D``, and float64 ``torch.func.hessian`` where torch is installed.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from proofs_checks.layer_kinks import EQUAL, KINK, SMOOTH, maxpool_instance
from symhess.hessian.assembly import assemble
from symhess.hessian.hessians import mse_hessians
from symhess.hessian.sequential_assembly import assemble_sequential
from symhess.hessian.sequential import pulled_back_hessians, sample_pass, sequential_hessians
from symhess.hessian.sequential_sympy import sympy_hessians
from symhess.linalg.matrices import to_object, to_sympy_matrix
from symhess.nets.architecture import Architecture, ConvLayer, random_network
from symhess.nets.data import Dataset, random_dataset
from symhess.nets.layers import AvgPool, Dense, Flatten, MaxPool, ReLU, conv1d, conv2d
from symhess.nets.layers.base import KinkError
from symhess.nets.sequential import (SequentialArchitecture, SequentialNetwork, from_network,
                                     random_sequential_network)
from symhess.scalars import InputError

ARCHS = {
    "conv2d-bias-relu-maxpool": SequentialArchitecture(
        (1, 4, 4), (conv2d(2, 2, bias=True), ReLU(), MaxPool((2, 2), (1, 1)), Flatten(), Dense(2, bias=True))),
    "conv2d-stride-pad-avgpool": SequentialArchitecture(
        (2, 5, 4), (conv2d(2, (2, 3), stride=(2, 1), padding=(1, 0)), AvgPool((2, 2)), Flatten(), Dense(2))),
    "conv1d-mixed-relu-avgpool": SequentialArchitecture(
        (1, 6), (conv1d(2, 3, bias=True), ReLU(), AvgPool((2,)), conv1d(2, 2), Flatten(), Dense(2, bias=True))),
    "conv2d-two-layers-maxpool": SequentialArchitecture(  # 2x4x3 -> max-pool drops the last column -> 2x2x1
        (1, 5, 4), (conv2d(2, 2), MaxPool((2, 2)), conv2d(1, 2, padding=1, bias=True), ReLU(), Flatten(),
                    Dense(2))),
}


def _data(arch: SequentialArchitecture, n: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = [[Fraction(int(v), 8) for v in rng.integers(-24, 25, arch.input_dim)] for _ in range(n)]
    y = [[Fraction(int(v), 4) for v in rng.integers(-8, 9, arch.outputs)] for _ in range(n)]
    return Dataset(np.array(x, dtype=object), np.array(y, dtype=object))


def _instance(name: str, seed: int = 0) -> tuple[SequentialNetwork, Dataset]:
    arch = ARCHS[name]
    net = random_sequential_network(arch, seed, scale=60, rational=True)
    return net, _data(arch, 3, seed)


@pytest.mark.parametrize("name", sorted(ARCHS))
def test_production_route_equals_sympy_differentiation(name):
    net, data = _instance(name)
    exact = sequential_hessians(net, data)
    direct = sympy_hessians(net, data)
    assert to_sympy_matrix(exact.outer) == direct.outer
    assert to_sympy_matrix(exact.functional) == direct.functional
    assert not direct.functional.is_zero_matrix  # the check compares something


@pytest.mark.parametrize("name", sorted(ARCHS))
def test_pulled_back_toeplitzed_hessians_equal_production(name):
    net, data = _instance(name, seed=1)
    a, b = sequential_hessians(net, data), pulled_back_hessians(net, data)
    assert a.outer == b.outer and a.functional == b.functional


@pytest.mark.parametrize("activation", ["linear", "relu"])
@pytest.mark.parametrize("convs", [(ConvLayer(2, 3),), (ConvLayer(2, 3, 2, 1), ConvLayer(3, 2))])
def test_one_dimensional_networks_match_the_1d_production_route(convs, activation):
    arch = Architecture(9, convs, 2, activation)
    net, data = random_network(arch, 2, scale=997), random_dataset(arch, 4, 2)
    a, b = mse_hessians(net, data), sequential_hessians(from_network(net), data)
    assert a.outer == b.outer and a.functional == b.functional


def test_torch_float64_agrees_on_a_lenet_style_network():
    torch_float = pytest.importorskip("symhess.hessian.torch_float")
    pytest.importorskip("torch")
    arch = SequentialArchitecture((1, 6, 6), (conv2d(2, 3, padding=1, bias=True), ReLU(), MaxPool((2, 2)),
                                              conv2d(3, 2, bias=True), AvgPool((2, 2)), Flatten(),
                                              Dense(3, bias=True)))
    net, data = random_sequential_network(arch, 0, scale=1000, rational=True), _data(arch, 4, 0)
    exact = sequential_hessians(net, data)
    floats = torch_float.torch_hessians(net, data)
    for part in ("outer", "functional", "loss"):
        E = np.array(to_object(exact.part(part)), dtype=float)
        assert np.abs(E - floats[part]).max() <= 1e-12 * np.abs(E).max()


def test_max_pool_tie_is_a_kink_named_by_layer_and_unit():
    # w0 + 2 w1 and 2 w0 + w1 are both 3 at w = (1, 1): a tie between different functions of θ
    net, data = maxpool_instance(KINK)
    with pytest.raises(KinkError, match=r"layer 1 \(MaxPool1d\) input.*kink at sample 0, channel 0, position 0"):
        sequential_hessians(net, data)
    net, data = maxpool_instance(SMOOTH)
    sequential_hessians(net, data)
    # equal inputs: w0 x + w1 x twice, the same function: harmless
    net, data = maxpool_instance(EQUAL)
    sequential_hessians(net, data)


def test_constant_ties_and_zeros_are_not_kinks():
    # ReLU of a negative input is frozen at 0: a max-pool over two such zeros is locally constant
    arch = SequentialArchitecture((1, 2), (conv1d(1, 1), ReLU(), MaxPool((2,)), Flatten(), Dense(1)))
    net = SequentialNetwork(arch, ((np.array([[[Fraction(-1)]]], dtype=object), None),
                                   (np.array([[Fraction(1)]], dtype=object), None)))
    data = Dataset(np.array([[Fraction(1), Fraction(2)]], dtype=object), np.array([[Fraction(1)]], dtype=object))
    H = sequential_hessians(net, data)
    assert H.functional == sympy_to(sympy_hessians(net, data).functional)
    # a zero ReLU input with a live receptive field is a kink
    data = Dataset(np.array([[Fraction(0), Fraction(2)]], dtype=object), np.array([[Fraction(1)]], dtype=object))
    net = net.with_theta([Fraction(0), Fraction(1)])
    with pytest.raises(KinkError):
        sample_pass(net, data.inputs[0])


def test_max_pool_tie_of_equal_functions_is_not_a_kink():
    # zero image patches: every conv output there is b_0, so a 2x2 max over them ties between the same function
    arch = SequentialArchitecture((1, 4, 4), (conv2d(1, 2, bias=True), ReLU(), MaxPool((2, 2), (1, 1)), Flatten(),
                                              Dense(1, bias=True)))
    net = random_sequential_network(arch, 5, scale=9)
    net = net.with_theta(net.theta()[:4] + [Fraction(3)] + net.theta()[5:])  # b_0 = 3 > 0: the ReLU passes it
    x = np.zeros((1, 16), dtype=object)
    x[0, :] = [Fraction(0)] * 10 + [Fraction(v) for v in (1, -2, 0, 3, 1, 2)]
    data = Dataset(x, np.array([[Fraction(1)]], dtype=object))
    H = sequential_hessians(net, data)
    S = sympy_hessians(net, data)
    assert H.outer == sympy_to(S.outer) and H.functional == sympy_to(S.functional)
    assert assemble_sequential(net, data).to_fmpq("loss") == H.loss


def sympy_to(m):
    import flint
    return flint.fmpq_mat(m.rows, m.cols, [flint.fmpq(int(v.p), int(v.q)) for v in m])


@pytest.mark.parametrize("layers, field", [
    ((conv2d(2, 3), Flatten(), Dense(2)), "layers[0].input"),  # Conv2d on a 1D input
    ((conv1d(2, 9), Flatten(), Dense(2)), "layers[0].kernel_size"),
    ((conv1d(2, 3), Dense(2)), "layers[1].input"),  # Linear before Flatten
    ((conv1d(2, 3),), "layers"),  # output not flat
    ((Flatten(), ReLU()), "layers"),  # nothing to differentiate
])
def test_architecture_errors_name_the_field(layers, field):
    with pytest.raises(InputError) as err:
        SequentialArchitecture((1, 6), layers)
    assert err.value.field == field


@pytest.mark.parametrize("name", sorted(ARCHS))
@pytest.mark.parametrize("big", [False, True])
def test_integer_assembly_equals_the_rational_route(name, big):
    arch = ARCHS[name]
    net, data = random_sequential_network(arch, 3, scale=60, rational=True), _data(arch, 3, 3)
    if big:  # numerators past int64 and prime denominators: the object-integer paths
        net = net.with_theta([v * 2 ** 70 + Fraction(1, 2 ** 61 - 1) for v in net.theta()])
    exact, fast = sequential_hessians(net, data), assemble_sequential(net, data)
    for part in ("outer", "functional", "loss"):
        assert fast.to_fmpq(part) == exact.part(part)
    assert fast.to_fmpq("jacobian") == exact.jacobian


def test_integer_assembly_matches_the_1d_fast_assembly():
    arch = Architecture(10, (ConvLayer(3, 3, 2, 1), ConvLayer(2, 2)), 3, "relu")
    net, data = random_network(arch, 4, scale=997), random_dataset(arch, 5, 4, kind="gaussian")
    one_d, general = assemble(net, data), assemble_sequential(from_network(net), data)
    for part in ("jacobian", "outer", "functional", "loss"):
        assert one_d.to_fmpq(part) == general.to_fmpq(part)
