"""ReLU networks, exactly: the masked-linear Hessian equals autograd's, kinks are refused, redraws reported."""

from fractions import Fraction

import numpy as np
import pytest

from symhess.hessian.hessians import mse_hessians
from symhess.nets.architecture import Architecture, ConvLayer, Network
from symhess.nets.data import Dataset, random_dataset
from symhess.nets.relu import attempt_seed, kink_free, redraw_until_smooth
from symhess.nets.toeplitz import ReluKinkError, forward

torch = pytest.importorskip("torch")

from symhess.io.torch_import import torch_mse  # noqa: E402

ARCHS = [
    Architecture(8, (ConvLayer(3, 3),), 2, "relu"),
    Architecture(9, (ConvLayer(2, 3), ConvLayer(2, 2)), 2, "relu"),
    Architecture(10, (ConvLayer(2, 3, stride=2, padding=1), ConvLayer(3, 2, padding=1)), 3, "relu"),
    Architecture(7, (ConvLayer(2, 4, stride=3, padding=2),), 2, "relu"),
]


def torch_hessian(net: Network, data: Dataset) -> np.ndarray:
    """``torch.func.hessian`` of the float64 MSE loss at the (integer) weights."""
    theta = torch.tensor([float(v) for v in net.theta()], dtype=torch.float64)
    return torch.func.hessian(torch_mse(net.arch, data))(theta).numpy()


def as_float(M) -> np.ndarray:
    return np.array([[float(Fraction(int(M[i, j].p), int(M[i, j].q))) for j in range(M.ncols())]
                     for i in range(M.nrows())])


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: a.describe())
def test_exact_relu_hessian_equals_torch(arch):
    draw = redraw_until_smooth(arch, arch.input_dim + 1, seed=3, scale=20, max_tries=200)
    exact = as_float(mse_hessians(draw.net, draw.data).loss)
    ref = torch_hessian(draw.net, draw.data)
    assert np.allclose(exact, ref, rtol=1e-10, atol=1e-8 * np.abs(ref).max())
    # some unit is inactive on some sample: the masks matter (not a linear network in disguise)
    masks = [m for x in draw.data.inputs for m in forward(draw.net, x).masks[1:]]
    assert any(0 in list(m) for m in masks)


def kink_instance() -> tuple[Network, Dataset]:
    """``z = 1·x_0 − 1·x_1 = 0`` at ``x = (1, 1, 2)``: a genuine kink (non-zero receptive field)."""
    arch = Architecture(3, (ConvLayer(1, 2),), 1, "relu")
    net = Network(arch, (np.array([[[1, -1]]], dtype=object), np.array([[[1, 2]]], dtype=object)))
    return net, Dataset(np.array([[1, 1, 2]], dtype=object), np.array([[0]], dtype=object))


def test_kink_raises_clear_error():
    net, data = kink_instance()
    with pytest.raises(ReluKinkError, match="kink"):
        mse_hessians(net, data)
    assert kink_free(net, data) is not None


def test_zero_receptive_field_is_smooth_and_matches_torch():
    """A unit whose whole input window is zero is identically zero near θ: no kink, mask 0 is exact."""
    arch = Architecture(5, (ConvLayer(2, 2),), 1, "relu")
    net = Network(arch, (np.array([[[1, -2]], [[3, 1]]], dtype=object),
                         np.arange(1, 9, dtype=object).reshape(1, 2, 4)))
    data = Dataset(np.array([[0, 0, 1, 2, -1], [2, 0, 0, 3, 1]], dtype=object), np.array([[1], [2]], dtype=object))
    assert kink_free(net, data) is None
    assert np.allclose(as_float(mse_hessians(net, data).loss), torch_hessian(net, data), atol=1e-10)


def test_redraw_reports_every_rejected_draw():
    arch = Architecture(8, (ConvLayer(3, 3),), 2, "relu")
    data = random_dataset(arch, 10, 0)
    draw = redraw_until_smooth(arch, data, seed=0, max_tries=100, scale=10)
    assert draw.redraws > 0, "small integer weights should kink on the first draw"
    assert draw.seed == attempt_seed(0, draw.redraws)
    for s, why in draw.rejected:  # each rejected seed really kinks; the accepted one does not
        from symhess.nets.architecture import random_network

        with pytest.raises(ReluKinkError):
            [forward(random_network(arch, s, scale=10), x) for x in data.inputs]
        assert "kink" in why
    assert kink_free(draw.net, data) is None
    assert str(draw.redraws) in draw.note()


def test_redraw_gives_up_with_error():
    """Weights in {−1, 1} on x = (1, 1) and (1, −1): ``w_0 + w_1`` or ``w_0 − w_1`` is always zero."""
    arch = Architecture(2, (ConvLayer(1, 2),), 1, "relu")
    data = Dataset(np.array([[1, 1], [1, -1]], dtype=object), np.array([[0], [1]], dtype=object))
    with pytest.raises(ReluKinkError, match="3 tries"):
        redraw_until_smooth(arch, data, seed=0, max_tries=3, scale=1)
