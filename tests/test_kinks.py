"""The ReLU kink detector on constructed kinks (both routes: Toeplitz forward pass and fast assembly).

``d0 = 3``, one hidden ReLU layer with one channel and filter ``[1, −1]``: ``z_t = x_t − x_{t+1}``.

* ``x = (2, 2, 5)``: ``z_0 = 0`` with receptive field ``(2, 2) ≠ 0``: a genuine kink.
* ``x = (0, 0, 5)``: ``z_0 = 0`` with receptive field ``(0, 0)``: structurally dead, *not* a kink.
* ``x = (1, 2, 5)``: no zero pre-activation at all.
"""

import numpy as np
import pytest

from symhess.hessian.assembly import _kinks, assemble
from symhess.hessian.hessians import mse_hessians
from symhess.nets.architecture import Architecture, ConvLayer, Network
from symhess.nets.data import Dataset
from symhess.nets.relu import kink_free, redraw_until_smooth
from symhess.nets.toeplitz import ReluKinkError, forward, kink_units, network_toeplitz

ARCH = Architecture(3, (ConvLayer(1, 2),), 1, "relu")


def _net():
    w1 = np.array([[[1, -1]]], dtype=object)
    shape2 = ARCH.layers[1].weight_shape
    w2 = np.array([2, 3], dtype=object).reshape(shape2)
    return Network(ARCH, (w1, w2))


def _data(*xs):
    return Dataset([list(x) for x in xs], [[1] for _ in xs])


KINK, DEAD, SMOOTH = (2, 2, 5), (0, 0, 5), (1, 2, 5)


def test_kink_units_direct():
    shape = ARCH.layers[0]
    z = np.array([0, -3], dtype=object)
    assert kink_units(z, np.array(KINK, dtype=object), shape) == [0]
    assert kink_units(np.array([0, -5], dtype=object), np.array(DEAD, dtype=object), shape) == []
    assert kink_units(np.array([-1, -3], dtype=object), np.array(SMOOTH, dtype=object), shape) == []
    # both units zero, only the one with a live receptive field is a kink
    assert kink_units(np.array([0, 0], dtype=object), np.array((0, 0, 0), dtype=object), shape) == []
    assert kink_units(np.array([0, 0], dtype=object), np.array((0, 4, 4), dtype=object), shape) == [0, 1]


def test_forward_raises_at_a_kink_only():
    net = _net()
    with pytest.raises(ReluKinkError):
        forward(net, KINK)
    fp = forward(net, DEAD)
    assert list(fp.masks[1]) == [0, 0]  # dead unit masked out, second unit negative
    assert list(forward(net, SMOOTH).masks[1]) == [0, 0]
    assert list(forward(net, (3, 1, 5)).masks[1]) == [1, 0]


def test_kink_free_reports_the_sample():
    net = _net()
    assert kink_free(net, _data(SMOOTH, DEAD)) is None
    why = kink_free(net, _data(SMOOTH, KINK))
    assert why is not None and why.startswith("sample 1:")


def test_fast_assembly_agrees_on_kinks():
    net = _net()
    shape = ARCH.layers[0]
    h = np.array([KINK, DEAD, SMOOTH], dtype=np.int64)
    T = network_toeplitz(net)[0].astype(np.int64)
    z = h @ T.T
    assert _kinks(z, h, shape) == [0]  # sample 0 kinks at unit 0; sample 1 is dead there, not a kink
    assert _kinks(z[1:], h[1:], shape) == []
    with pytest.raises(ReluKinkError):
        assemble(net, _data(KINK))
    assemble(net, _data(DEAD, SMOOTH))  # no error: a dead unit is not a kink
    with pytest.raises(ReluKinkError):
        mse_hessians(net, _data(DEAD, KINK))


def test_linear_network_never_kinks():
    arch = Architecture(3, (ConvLayer(1, 2),), 1, "linear")
    net = Network(arch, _net().weights)
    assert kink_free(net, _data(KINK)) is None
    forward(net, KINK)


def test_redraw_skips_kinked_draws():
    data = _data(KINK, SMOOTH)
    draw = redraw_until_smooth(ARCH, data, seed=0, scale=1, max_tries=50)
    assert kink_free(draw.net, data) is None
    assert all(why.startswith("sample") for _, why in draw.rejected)


def test_redraw_gives_up_when_every_draw_kinks():
    # filters [a, b], a, b in {-1, 1}: a = -b kinks on (1, 1, 1), a = b kinks on (1, -1, 1)
    data = _data((1, 1, 1), (1, -1, 1))
    with pytest.raises(ReluKinkError):
        redraw_until_smooth(ARCH, data, seed=0, scale=1, max_tries=8)
