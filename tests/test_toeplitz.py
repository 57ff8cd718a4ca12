"""Toeplitz representation (Section 4): ``T^l x`` against a direct convolution loop and PyTorch.

References: :func:`symhess.hessian.symbolic.conv1d` (a plain loop over ``o, t, i, j``) exactly,
and ``torch.nn.functional.conv1d`` / an ``nn.Sequential`` in float64 on integer
instances (every value is an integer far below 2^53, so float64 is exact there).
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symhess.hessian.symbolic import conv1d
from symhess.nets.architecture import Architecture, ConvLayer, Network, random_network
from symhess.nets.toeplitz import ReluKinkError, forward, layer_toeplitz

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def conv_instances(draw):
    """A random conv layer geometry with integer weights and one integer input."""
    m_in, m_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k, d = draw(st.integers(1, 5)), draw(st.integers(1, 9))
    stride, padding = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    if k > d + 2 * padding:
        k = d + 2 * padding
    ints = st.integers(-9, 9)
    w = np.array(draw(st.lists(ints, min_size=m_out * m_in * k, max_size=m_out * m_in * k)),
                 dtype=object).reshape(m_out, m_in, k)
    x = [draw(st.lists(ints, min_size=d, max_size=d)) for _ in range(m_in)]
    return w, x, stride, padding


def layer_shape(w, d, stride, padding):
    """The ``LayerShape`` of a single conv layer with kernel ``w`` on inputs of ``w.shape[1]`` channels."""
    m_out, m_in, k = w.shape
    arch = Architecture(d, (ConvLayer(m_in, 1), ConvLayer(m_out, k, stride, padding)), 1)
    return arch.layers[1]  # layer 2 sees m_in channels of length d (layer 1 is a k=1 conv)


def apply_toeplitz(w, x, stride, padding):
    shape = layer_shape(w, len(x[0]), stride, padding)
    T = layer_toeplitz(np.vectorize(Fraction, otypes=[object])(w), shape)
    return T.dot(np.array([v for ch in x for v in ch], dtype=object)), shape


@SETTINGS
@given(conv_instances())
def test_toeplitz_equals_direct_loop(inst):
    w, x, stride, padding = inst
    out, shape = apply_toeplitz(w, x, stride, padding)
    loop = conv1d(w, x, stride, padding)
    assert out.shape == (shape.out_channels * shape.out_dim,)
    assert list(out) == [v for ch in loop for v in ch]


@SETTINGS
@given(conv_instances())
def test_toeplitz_equals_torch_conv1d(inst):
    torch = pytest.importorskip("torch")
    w, x, stride, padding = inst
    out, shape = apply_toeplitz(w, x, stride, padding)
    ref = torch.nn.functional.conv1d(torch.tensor(np.array(x, dtype=np.float64)[None]),
                                     torch.tensor(w.astype(np.float64)), stride=stride, padding=padding)
    assert ref.shape == (1, shape.out_channels, shape.out_dim)
    assert [float(v) for v in out] == ref.reshape(-1).tolist()


def torch_sequential(net: Network):
    """``nn.Sequential(Conv1d, [ReLU], …, Flatten, Linear)``, no biases, float64, weights of ``net``."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    mods = []
    for s, w in zip(net.arch.layers[:-1], net.weights[:-1]):
        conv = nn.Conv1d(s.in_channels, s.out_channels, s.kernel_size, s.stride, s.padding, bias=False,
                         dtype=torch.float64)
        conv.weight.data = torch.tensor(w.astype(np.float64))
        mods.append(conv)
        if net.arch.activation == "relu":
            mods.append(nn.ReLU())
    last = net.arch.layers[-1]
    lin = nn.Linear(last.in_channels * last.in_dim, net.arch.outputs, bias=False, dtype=torch.float64)
    lin.weight.data = torch.tensor(net.weights[-1].reshape(net.arch.outputs, -1).astype(np.float64))
    return nn.Sequential(*mods, nn.Flatten(), lin)


@pytest.mark.parametrize("activation", ["linear", "relu"])
@pytest.mark.parametrize("convs", [
    (ConvLayer(3, 3), ConvLayer(2, 2)),
    (ConvLayer(2, 3, stride=2, padding=1), ConvLayer(3, 2, padding=2)),
    (ConvLayer(2, 4, stride=3, padding=2), ConvLayer(2, 1), ConvLayer(1, 2, stride=2)),
], ids=["plain", "stride-pad", "deep"])
def test_forward_equals_torch_sequential(convs, activation):
    torch = pytest.importorskip("torch")
    arch = Architecture(11, convs, 3, activation)
    rng = np.random.default_rng(7)
    checked = 0
    for seed in range(5):
        net = random_network(arch, seed)
        model = torch_sequential(net)
        for _ in range(4):
            x = [int(v) for v in rng.integers(-5, 6, size=arch.input_dim)]
            try:
                ours = forward(net, x).output
            except ReluKinkError:
                continue
            ref = model(torch.tensor([[x]], dtype=torch.float64))[0]  # (N, C=1, d_0)
            assert [float(v) for v in ours] == ref.tolist()
            checked += 1
    assert checked >= 5


def test_relu_masks_match_positive_preactivations():
    """``h_l = Λ^l z_l`` with ``Λ^l = [z_l > 0]``: compare with the loop network layer by layer."""
    arch = Architecture(9, (ConvLayer(2, 3, stride=2, padding=1), ConvLayer(2, 2)), 1, "relu")
    x = [3, -1, 2, 0, 5, -4, 1, 1, -2]
    for seed in range(20):
        net = random_network(arch, seed)
        try:
            fwd = forward(net, x)
        except ReluKinkError:
            continue
        if any(v == 0 for m in fwd.masks[1:] for v in m):
            break
    else:
        pytest.fail("no kink-free draw with an inactive unit")
    h = [list(map(Fraction, x))]
    for l, (s, w) in enumerate(zip(arch.layers[:-1], net.weights[:-1]), start=1):
        z = conv1d(w, h, s.stride, s.padding)
        h = [[max(v, 0) for v in ch] for ch in z]
        assert list(fwd.hidden[l]) == [v for ch in h for v in ch]
        assert list(fwd.masks[l]) == [1 if v > 0 else 0 for ch in z for v in ch]


def test_zero_preactivation_is_a_kink_unless_its_window_is_zero():
    """``z = 0`` with a non-zero input in the window raises; with an all-zero window it is a dead unit."""
    arch = Architecture(4, (ConvLayer(1, 2),), 1, "relu")
    w1 = np.array([[[Fraction(1), Fraction(1)]]], dtype=object)
    net = Network(arch, (w1, np.array([[[Fraction(1)] * 3]], dtype=object)))
    with pytest.raises(ReluKinkError):
        forward(net, [1, -1, 2, 3])  # z[0] = 1 - 1 = 0, window (1, -1) is not zero: a kink
    fwd = forward(net, [0, 0, 2, 3])  # z[0] = 0 from an all-zero window: z[0] ≡ 0 near W
    assert list(fwd.masks[1]) == [0, 1, 1]
