"""Any torch layer stack read exactly: Conv1d/Conv2d (biases), pooling, mixed ReLU, Flatten, Linear.

For every model: the exact network's outputs equal torch's float64 outputs (to rounding),
``torch_module`` gives the model back (same parameters, same function, same exact network),
files load through the weights-only allow-list, and every unsupported setting is refused with
one :class:`InputError` naming the module and its field.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from symhess.hessian.sequential import sample_pass, sequential_hessians  # noqa: E402
from symhess.hessian.torch_float import torch_hessians, torch_module  # noqa: E402
from symhess.io.torch_import import from_torch, load_torch_model  # noqa: E402
from symhess.nets.architecture import Network  # noqa: E402
from symhess.nets.data import Dataset  # noqa: E402
from symhess.nets.layers import AvgPool, Conv, Dense, Flatten, MaxPool, ReLU  # noqa: E402
from symhess.nets.layers.base import KinkError  # noqa: E402
from symhess.nets.sequential import SequentialNetwork  # noqa: E402
from symhess.scalars import InputError  # noqa: E402

MODELS = {
    # name: (builder, input_shape)
    "lenet": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 2, 3,
                                    padding=1, bias=False), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 3)), (1, 8, 8)),
    "conv2d-per-axis": (lambda: nn.Sequential(nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0)), nn.Flatten(),
                                              nn.Linear(3 * 3 * 4, 2, bias=False)), (2, 5, 5)),
    "conv2d-valid-maxpool-overlap": (lambda: nn.Sequential(nn.Conv2d(1, 2, 2, padding="valid"), nn.MaxPool2d(3, 1),
                                                           nn.ReLU(), nn.Flatten(), nn.Linear(2 * 2 * 3, 2)),
                                     (1, 5, 6)),
    "conv1d-bias": (lambda: nn.Sequential(nn.Conv1d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 3)), (1, 8)),
    "conv1d-channels-pools": (lambda: nn.Sequential(nn.Conv1d(2, 3, 2, stride=2, padding=1), nn.MaxPool1d(2, 1),
                                                    nn.ReLU(), nn.Conv1d(3, 2, 2, bias=False), nn.AvgPool1d(2),
                                                    nn.Flatten(), nn.Linear(2, 2)), (2, 7)),
    "mixed-relu": (lambda: nn.Sequential(nn.Conv1d(1, 2, 3, bias=False), nn.ReLU(), nn.Conv1d(2, 2, 2, bias=False),
                                         nn.Flatten(), nn.Linear(10, 3, bias=False), nn.ReLU(),
                                         nn.Linear(3, 2, bias=False), nn.ReLU()), (1, 8)),
    "relu-after-flatten": (lambda: nn.Sequential(nn.Conv1d(1, 2, 3, bias=False), nn.Flatten(), nn.ReLU(),
                                                 nn.Linear(12, 2, bias=False)), (1, 8)),
    "mlp-bias": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)), (1, 6)),
    "linear-on-raw-input": (lambda: nn.Sequential(nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 2, bias=False)), (5,)),
    "mlp-on-image": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(16, 2)), (1, 4, 4)),
}


def _model(name: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return MODELS[name][0]().to(torch.float64)


def _inputs(shape: tuple[int, ...], n: int, seed: int) -> list[list[Fraction]]:
    """Exact inputs in eighths (exactly representable in float64)."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return [[Fraction(int(v), 8) for v in rng.integers(-24, 25, size)] for _ in range(n)]


def _outputs(net: SequentialNetwork, xs: list[list[Fraction]]) -> list[list[Fraction]]:
    return [list(sample_pass(net, x).output) for x in xs]


def _torch_outputs(model: nn.Module, xs: list[list[Fraction]], shape: tuple[int, ...]) -> np.ndarray:
    X = torch.tensor([[float(v) for v in x] for x in xs], dtype=torch.float64).reshape((len(xs),) + shape)
    with torch.no_grad():
        return model(X).numpy()


@pytest.mark.parametrize("name", list(MODELS))
def test_exact_outputs_equal_torch_float64(name):
    model, shape = _model(name), MODELS[name][1]
    net = from_torch(model, input_shape=shape)
    assert isinstance(net, SequentialNetwork)
    assert net.arch.input_shape == shape
    xs = _inputs(shape, 4, seed=1)
    exact = np.array([[float(v) for v in row] for row in _outputs(net, xs)])
    out = _torch_outputs(model, xs, shape)
    assert out.shape == exact.shape
    assert np.abs(out - exact).max() <= 1e-12 * max(1.0, np.abs(exact).max())
    # the parameters are torch's, in torch's order, each float its exact binary value
    theta = torch.cat([p.detach().flatten() for p in model.parameters()]).tolist()
    assert net.theta() == [Fraction(v) for v in theta]


@pytest.mark.parametrize("name", list(MODELS))
def test_torch_module_round_trip(name):
    model, shape = _model(name, seed=2), MODELS[name][1]
    net = from_torch(model, input_shape=shape)
    back = torch_module(net)
    assert [tuple(p.shape) for p in back.parameters()] == [tuple(p.shape) for p in model.parameters()]
    for a, b in zip(back.parameters(), model.parameters()):
        assert torch.equal(a, b)
    assert [type(m) for m in back] == [type(m) for m in model]
    xs = _inputs(shape, 3, seed=3)
    assert np.array_equal(_torch_outputs(back, xs, shape), _torch_outputs(model, xs, shape))
    again = from_torch(back, input_shape=shape)
    assert again.arch == net.arch and again.theta() == net.theta()


def test_layer_types_and_hyper_parameters():
    net = from_torch(_model("conv1d-channels-pools"), input_shape=(2, 7))
    kinds = [type(p.layer) for p in net.arch.placed]
    assert kinds == [Conv, MaxPool, ReLU, Conv, AvgPool, Flatten, Dense]
    first, pool = net.arch.placed[0].layer, net.arch.placed[1].layer
    assert (first.kernel_size, first.stride, first.padding, first.bias) == ((2,), (2,), (1,), True)
    assert (pool.kernel_size, pool.stride) == ((2,), (1,))
    assert net.arch.placed[4].layer.stride == (2,)  # torch's default stride: the window
    lenet = from_torch(_model("lenet"), input_shape=(1, 8, 8))
    assert [p.bias_shape is not None for p in lenet.arch.layers] == [True, False, True]
    assert lenet.arch.num_params == sum(p.numel() for p in _model("lenet").parameters())


def test_float32_and_float16_parameters_are_exact():
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(8, 2)).to(torch.float16)
    net = from_torch(model, input_shape=(1, 3, 3))
    expected = [Fraction(float(v)) for p in model.parameters() for v in p.detach().flatten().tolist()]
    assert net.theta() == expected
    with torch.no_grad():
        model32 = nn.Sequential(nn.Flatten(), nn.Linear(2, 1)).to(torch.float32)
        model32[1].weight.copy_(torch.tensor([[0.1, 0.5]]))
        model32[1].bias.fill_(0.1)
    net = from_torch(model32, input_shape=(1, 1, 2))
    assert net.theta() == [Fraction(13421773, 134217728), Fraction(1, 2), Fraction(13421773, 134217728)]


def test_lenet_exact_hessian_matches_torch_float64():
    """LeNet-style Conv2d(bias)-ReLU-MaxPool2d-Conv2d-AvgPool2d-Flatten-Linear(bias): H_O, H_L agree."""
    torch.manual_seed(5)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 2, 3, padding=1,
                          bias=False), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 3)).to(torch.float64)
    net = from_torch(model, input_shape=(1, 8, 8))
    for seed in range(10):
        xs = _inputs((1, 8, 8), 2, seed)
        ys = [[Fraction(int(v), 4) for v in np.random.default_rng(seed).integers(-8, 9, 3)] for _ in xs]
        data = Dataset(np.array(xs, dtype=object), np.array(ys, dtype=object))
        try:
            exact = sequential_hessians(net, data)
        except KinkError:
            continue
        break
    floats = torch_hessians(net, data)
    for part in ("outer", "loss"):
        H = np.array([[float(v) for v in row] for row in getattr(exact, part).tolist()])
        assert np.abs(H - floats[part]).max() <= 1e-9 * max(1.0, np.abs(H).max())


def test_plain_1d_cnn_is_still_a_network():
    model = nn.Sequential(nn.Conv1d(1, 2, 3, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2, bias=False))
    for kwargs in ({}, {"input_dim": 8}, {"input_shape": (1, 8)}):
        net = from_torch(model, **kwargs)
        assert isinstance(net, Network) and net.arch.input_dim == 8 and net.arch.activation == "relu"
    # the same model with a bias, two input channels or a 2D input shape is a layer network
    assert isinstance(from_torch(nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten(), nn.Linear(12, 2))), SequentialNetwork)
    two = from_torch(nn.Sequential(nn.Conv1d(2, 2, 3, bias=False), nn.Flatten(), nn.Linear(12, 2, bias=False)))
    assert isinstance(two, SequentialNetwork) and two.arch.input_shape == (2, 8)
    image = from_torch(nn.Sequential(nn.Flatten(), nn.Linear(16, 2, bias=False)), input_shape=(1, 4, 4))
    assert isinstance(image, SequentialNetwork)


def test_input_shape_inference():
    one = nn.Sequential(nn.Conv1d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(18, 2))
    assert from_torch(one).arch.input_shape == (2, 8)
    assert from_torch(one, input_dim=8).arch.input_shape == (2, 8)
    full = nn.Sequential(nn.Conv2d(1, 2, (3, 4)), nn.ReLU(), nn.Flatten(), nn.Linear(2, 2))  # filter = the image
    assert from_torch(full).arch.input_shape == (1, 3, 4)
    pooled = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2, 1), nn.Flatten(), nn.Linear(2, 2))
    assert from_torch(pooled).arch.input_shape == (1, 2, 2)
    assert from_torch(nn.Sequential(nn.Linear(5, 2))).arch.input_shape == (5,)
    assert from_torch(nn.Sequential(nn.Flatten(), nn.Linear(5, 2))).arch.input_shape == (1, 5)
    lenet = _model("lenet")
    with pytest.raises(InputError) as err:
        from_torch(lenet)
    assert err.value.field == "input_shape" and "--input-shape" in str(err.value)
    assert "any of [1, 8, 8], [1, 9, 9]" in str(err.value) and "in all" in str(err.value)
    with pytest.raises(InputError) as err:
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()))
    assert err.value.field == "input_shape"


def test_files_load_through_the_allow_list(tmp_path):
    model = _model("lenet", seed=6)
    path = tmp_path / "lenet.pt"
    torch.save(model, path)
    net = load_torch_model(path, input_shape=(1, 8, 8))
    expected = from_torch(model, input_shape=(1, 8, 8))
    assert net.arch == expected.arch and net.theta() == expected.theta()
    with pytest.raises(InputError, match=r"^--input-shape: expected an explicit input shape"):
        load_torch_model(path)
    with pytest.raises(InputError, match=r"^--input-dim: expected an input shape C,H,W instead"):
        load_torch_model(path, 8)
    with pytest.raises(InputError, match=r"^--torch module\[0\] \(Conv2d\)\.in_channels"):
        load_torch_model(path, input_shape=(2, 8, 8))
    pools = tmp_path / "pools.pt"
    torch.save(_model("conv1d-channels-pools"), pools)
    assert load_torch_model(pools, input_shape=(2, 7)).arch.describe().startswith("in=2x7 Conv1d(3,k2,s2,p1,b)")


def _seq(*mods):
    return lambda: nn.Sequential(*mods)


def _crafted(attribute: str, value):
    def build():
        model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(8, 2))
        target, name = (model[2], attribute[7:]) if attribute.startswith("linear.") else (model[0], attribute)
        if name in ("weight", "bias"):
            delattr(target, name)
        setattr(target, name, value)
        return model
    return build


BAD = [
    # (id, builder, input_shape, field)
    ("conv2d dilation", _seq(nn.Conv2d(1, 2, 2, dilation=2), nn.Flatten(), nn.Linear(2, 2)), (1, 3, 3),
     "module[0] (Conv2d).dilation"),
    ("conv2d groups", _seq(nn.Conv2d(2, 2, 2, groups=2), nn.Flatten(), nn.Linear(8, 2)), (2, 3, 3),
     "module[0] (Conv2d).groups"),
    ("conv2d padding mode", _seq(nn.Conv2d(1, 2, 2, padding=1, padding_mode="reflect"), nn.Flatten(),
                                 nn.Linear(32, 2)), (1, 3, 3), "module[0] (Conv2d).padding_mode"),
    ("conv2d padding same", _seq(nn.Conv2d(1, 2, 3, padding="same"), nn.Flatten(), nn.Linear(18, 2)), (1, 3, 3),
     "module[0] (Conv2d).padding"),
    ("maxpool2d padding", _seq(nn.Conv2d(1, 2, 2), nn.MaxPool2d(2, padding=1), nn.Flatten(), nn.Linear(8, 2)),
     (1, 3, 3), "module[1] (MaxPool2d).padding"),
    ("maxpool2d dilation", _seq(nn.Conv2d(1, 2, 2), nn.MaxPool2d(2, dilation=2), nn.Flatten(), nn.Linear(2, 2)),
     (1, 5, 5), "module[1] (MaxPool2d).dilation"),
    ("maxpool2d ceil mode", _seq(nn.MaxPool2d(2, ceil_mode=True), nn.Flatten(), nn.Linear(4, 2)), (1, 3, 3),
     "module[0] (MaxPool2d).ceil_mode"),
    ("maxpool2d indices", _seq(nn.MaxPool2d(2, return_indices=True), nn.Flatten(), nn.Linear(4, 2)), (1, 4, 4),
     "module[0] (MaxPool2d).return_indices"),
    ("maxpool1d padding", _seq(nn.Conv1d(1, 2, 2), nn.MaxPool1d(2, padding=1), nn.Flatten(), nn.Linear(8, 2)),
     (1, 6), "module[1] (MaxPool1d).padding"),
    ("avgpool2d padding", _seq(nn.AvgPool2d(2, padding=1), nn.Flatten(), nn.Linear(9, 2)), (1, 4, 4),
     "module[0] (AvgPool2d).padding"),
    ("avgpool2d ceil mode", _seq(nn.AvgPool2d(2, ceil_mode=True), nn.Flatten(), nn.Linear(4, 2)), (1, 3, 3),
     "module[0] (AvgPool2d).ceil_mode"),
    ("avgpool2d divisor", _seq(nn.AvgPool2d(2, divisor_override=3), nn.Flatten(), nn.Linear(4, 2)), (1, 4, 4),
     "module[0] (AvgPool2d).divisor_override"),
    ("avgpool1d padding", _seq(nn.AvgPool1d(2, padding=1), nn.Flatten(), nn.Linear(4, 2)), (1, 6),
     "module[0] (AvgPool1d).padding"),
    ("flatten dims", _seq(nn.Conv2d(1, 2, 2), nn.Flatten(2), nn.Linear(4, 2)), (1, 3, 3), "module[1] (Flatten)"),
    ("other layer", _seq(nn.Conv2d(1, 2, 2), nn.Sigmoid(), nn.Flatten(), nn.Linear(8, 2)), (1, 3, 3),
     "module[1] (Sigmoid)"),
    ("batch norm", _seq(nn.Conv2d(1, 2, 2), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 2)), (1, 3, 3),
     "module[1] (BatchNorm2d)"),
    ("nested sequential", _seq(nn.Sequential(nn.Flatten()), nn.Linear(9, 2)), (1, 3, 3),
     "module[0] (Sequential)"),
    ("in_channels", _seq(nn.Conv2d(1, 2, 2), nn.Conv2d(3, 2, 2), nn.Flatten(), nn.Linear(2, 2)), (1, 4, 4),
     "module[1] (Conv2d).in_channels"),
    ("input channels", _seq(nn.Conv2d(3, 2, 2), nn.Flatten(), nn.Linear(8, 2)), (1, 3, 3),
     "module[0] (Conv2d).in_channels"),
    ("in_features", _seq(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(9, 2)), (1, 3, 3),
     "module[2] (Linear).in_features"),
    ("linear without flatten", _seq(nn.Conv2d(1, 2, 2), nn.Linear(2, 2)), (1, 3, 3), "module[1] (Linear)"),
    ("conv after flatten", _seq(nn.Flatten(), nn.Conv2d(1, 2, 2), nn.Linear(2, 2)), (1, 3, 3), "module[1] (Conv2d)"),
    ("pool after flatten", _seq(nn.Conv1d(1, 2, 2), nn.Flatten(), nn.MaxPool1d(2), nn.Linear(2, 2)), (1, 3),
     "module[2] (MaxPool1d)"),
    ("1d after 2d", _seq(nn.Conv2d(1, 2, 2), nn.Conv1d(2, 2, 2), nn.Flatten(), nn.Linear(2, 2)), (1, 3, 3),
     "module[1] (Conv1d)"),
    ("kernel too big", _seq(nn.Conv2d(1, 2, 4), nn.Flatten(), nn.Linear(2, 2)), (1, 3, 3),
     "module[0] (Conv2d).kernel_size"),
    ("pool window too big", _seq(nn.Conv2d(1, 2, 2), nn.AvgPool2d(3), nn.Flatten(), nn.Linear(2, 2)), (1, 3, 3),
     "module[1] (AvgPool2d).kernel_size"),
    ("output not flat", _seq(nn.Conv2d(1, 2, 2)), (1, 3, 3), "module"),
    ("no weight layer", _seq(nn.Flatten(), nn.ReLU()), (1, 3, 3), "module"),
    ("not sequential", lambda: nn.Conv2d(1, 2, 2), (1, 3, 3), "module"),
    ("weight shape", _crafted("weight", nn.Parameter(torch.zeros(2, 1, 3, 3))), (1, 3, 3),
     "module[0] (Conv2d).weight"),
    ("bias shape", _crafted("linear.bias", nn.Parameter(torch.zeros(3))), (1, 3, 3), "module[2] (Linear).bias"),
    ("integer weight", _crafted("weight", torch.zeros(2, 1, 2, 2, dtype=torch.int64)), (1, 3, 3),
     "module[0] (Conv2d).weight"),
    ("weight not a tensor", _crafted("weight", [1.0]), (1, 3, 3), "module[0] (Conv2d).weight"),
    ("kernel_size type", _crafted("kernel_size", "3"), (1, 3, 3), "module[0] (Conv2d).kernel_size"),
    ("stride zero", _crafted("stride", (0, 1)), (1, 3, 3), "module[0] (Conv2d).stride"),
    ("stride axes", _crafted("stride", (1, 1, 1)), (1, 3, 3), "module[0] (Conv2d).stride"),
    ("negative padding", _crafted("padding", (-1, 0)), (1, 3, 3), "module[0] (Conv2d).padding"),
    ("in_features type", _crafted("linear.in_features", 8.0), (1, 3, 3), "module[2] (Linear).in_features"),
    ("input_shape 4 axes", _seq(nn.Flatten(), nn.Linear(1, 2)), (1, 1, 1, 1), "input_shape"),
    ("input_shape zero", _seq(nn.Flatten(), nn.Linear(1, 2)), (1, 0), "input_shape"),
    ("input_shape type", _seq(nn.Flatten(), nn.Linear(1, 2)), "1,1", "input_shape"),
]


@pytest.mark.parametrize("name, build, shape, field", BAD, ids=[b[0] for b in BAD])
def test_bad_modules_name_the_module_and_field(name, build, shape, field):
    with pytest.raises(InputError) as err:
        from_torch(build(), input_shape=shape)
    assert err.value.field == field, str(err.value)
    assert "\n" not in str(err.value) and "expected" in str(err.value)


def test_non_finite_bias_names_the_entry():
    model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(8, 2))
    with torch.no_grad():
        model[0].bias[1] = float("inf")
    with pytest.raises(InputError) as err:
        from_torch(model, input_shape=(1, 3, 3))
    assert err.value.field == "module[0] (Conv2d).bias[1]"


def test_input_dim_and_input_shape_together_are_refused():
    with pytest.raises(InputError) as err:
        from_torch(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), input_dim=4, input_shape=(1, 4))
    assert err.value.field == "input_shape"
