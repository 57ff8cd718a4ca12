"""PyTorch models read exactly: Hessians agree with torch.func.hessian; bad modules give InputError.

The plain 1D CNNs here become the 1D :class:`Network`; any other layer stack (biases, Conv2d,
pooling, mixed activations) is tested in ``test_torch_import_layers.py``."""

from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from symhess.hessian.hessians import mse_hessians  # noqa: E402
from symhess.io.torch_import import from_torch, load_torch_model  # noqa: E402
from symhess.nets.data import random_dataset  # noqa: E402
from symhess.nets.toeplitz import ReluKinkError, forward  # noqa: E402
from symhess.scalars import InputError  # noqa: E402


def _conv(i, o, k, **kw):
    return nn.Conv1d(i, o, k, bias=False, **kw)


def _lin(i, o):
    return nn.Linear(i, o, bias=False)


MODELS = {
    # name: (builder, input_dim)
    "linear-strided": (lambda: nn.Sequential(_conv(1, 2, 3), _conv(2, 2, 2, stride=2, padding=1), nn.Flatten(),
                                             _lin(2 * 4, 3)), 8),
    "relu": (lambda: nn.Sequential(_conv(1, 3, 3), nn.ReLU(), _conv(3, 2, 2), nn.ReLU(), nn.Flatten(),
                                   _lin(2 * 5, 2)), 8),
    "relu-mlp-head": (lambda: nn.Sequential(_conv(1, 2, 4, stride=2), nn.ReLU(), nn.Flatten(), _lin(2 * 3, 3),
                                            nn.ReLU(), _lin(3, 2)), 9),
    "mlp": (lambda: nn.Sequential(nn.Flatten(), _lin(5, 4), _lin(4, 2)), 5),
}


def _torch_mse_hessian(model, X, Y):
    """``torch.func.hessian`` of ``(1/n) Σ ½‖model(x) − y‖²`` in the parameter order of ``model.parameters()``."""
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    theta = torch.cat([p.detach().flatten() for p in model.parameters()])

    def loss(th):
        params, off = {}, 0
        for n, s in zip(names, shapes):
            k = int(np.prod(s))
            params[n] = th[off:off + k].reshape(s)
            off += k
        out = torch.func.functional_call(model, params, (X,))
        return 0.5 * ((out - Y) ** 2).sum(1).mean()

    return torch.func.hessian(loss)(theta).numpy(), theta


def _instance(name, dtype, seed_base=0):
    """A model of ``MODELS[name]`` and exact data with no ReLU kink (seeds tried in turn)."""
    build, d0 = MODELS[name]
    for seed in range(seed_base, seed_base + 30):
        torch.manual_seed(seed)
        model = build().to(dtype)
        net = from_torch(model, d0)
        data = random_dataset(net.arch, 3, seed, "gaussian")
        try:
            for x in data.inputs:
                forward(net, x)
        except ReluKinkError:
            continue
        return model, net, data
    raise AssertionError("no kink-free instance")


def _batch(data):
    X = torch.tensor([[float(v) for v in x] for x in data.inputs], dtype=torch.float64).unsqueeze(1)
    Y = torch.tensor([[float(v) for v in y] for y in data.targets], dtype=torch.float64)
    return X, Y


@pytest.mark.parametrize("name", list(MODELS))
def test_exact_hessian_matches_torch_hessian_float64(name):
    model, net, data = _instance(name, torch.float64)
    X, Y = _batch(data)
    # the same network function
    out = model(X).detach().numpy()
    exact_out = np.array([[float(v) for v in forward(net, x).output] for x in data.inputs])
    assert np.abs(out - exact_out).max() < 1e-12
    H_torch, theta = _torch_mse_hessian(model, X, Y)
    assert [float(v) for v in net.theta()] == theta.tolist()  # same parameter order, same values
    H = np.array([[float(v) for v in row] for row in mse_hessians(net, data).loss.tolist()])
    assert H.shape == H_torch.shape == (net.arch.num_params,) * 2
    assert np.abs(H - H_torch).max() < 1e-10 * max(1.0, np.abs(H).max())


def test_float32_weights_are_read_as_their_exact_binary_value():
    model, net, data = _instance("relu", torch.float32)
    expected = [Fraction(float(v)) for v in np.concatenate(
        [p.detach().numpy().astype(np.float32).ravel() for p in model.parameters()])]
    got = net.theta()
    assert got == expected
    for v in got:  # float32: a 24-bit significand over a power of two
        assert v.denominator & (v.denominator - 1) == 0
        assert abs(v.numerator) < 2 ** 24 or v.denominator == 1
    assert any(v.denominator > 2 ** 20 for v in got)  # not rounded to a short decimal
    # the Hessian of the float32 model's exact weights = torch's on the float64 copy (same values)
    X, Y = _batch(data)
    H_torch, _ = _torch_mse_hessian(model.to(torch.float64), X, Y)
    H = np.array([[float(v) for v in row] for row in mse_hessians(net, data).loss.tolist()])
    assert np.abs(H - H_torch).max() < 1e-10 * max(1.0, np.abs(H).max())


def test_known_float32_value():
    model = nn.Sequential(nn.Flatten(), _lin(2, 1))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([[0.1, -0.5]], dtype=torch.float32))
    net = from_torch(model, 2)
    assert net.theta() == [Fraction(13421773, 134217728), Fraction(-1, 2)]  # float32(0.1) exactly


def test_load_round_trip_and_input_dim_inference(tmp_path):
    model, net, _ = _instance("relu", torch.float64)
    path = tmp_path / "model.pt"
    torch.save(model, path)
    loaded = load_torch_model(path)  # stride 1: d0 is determined by the layers
    assert loaded.arch == net.arch and loaded.theta() == net.theta()
    assert loaded.arch.activation == "relu"


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="torch"):
        load_torch_model(tmp_path / "missing.pt", 8)
    sd = tmp_path / "sd.pt"
    torch.save(MODELS["relu"][0]().state_dict(), sd)
    with pytest.raises(InputError, match="state_dict"):
        load_torch_model(sd, 8)
    junk = tmp_path / "junk.pt"
    junk.write_text("not a torch file")
    with pytest.raises(InputError, match="torch"):
        load_torch_model(junk, 8)


def test_ambiguous_input_dim_asks_for_it():
    model = nn.Sequential(_conv(1, 2, 2, stride=2), nn.Flatten(), _lin(2 * 3, 1))
    with pytest.raises(InputError) as err:
        from_torch(model)
    assert err.value.field == "input_dim" and "[6, 7]" in str(err.value)
    assert from_torch(model, 7).arch.input_dim == 7


BAD = [
    ("other layer", lambda: nn.Sequential(_conv(1, 2, 3), nn.Tanh(), nn.Flatten(), _lin(12, 2)), "module[1] (Tanh)"),
    ("dilation", lambda: nn.Sequential(_conv(1, 2, 2, dilation=2), nn.Flatten(), _lin(12, 2)),
     "module[0] (Conv1d).dilation"),
    ("groups", lambda: nn.Sequential(_conv(1, 2, 3), _conv(2, 2, 3, groups=2), nn.Flatten(), _lin(8, 2)),
     "module[1] (Conv1d).groups"),
    ("padding mode", lambda: nn.Sequential(_conv(1, 2, 3, padding=1, padding_mode="circular"), nn.Flatten(),
                                           _lin(16, 2)), "module[0] (Conv1d).padding_mode"),
    ("padding same", lambda: nn.Sequential(_conv(1, 2, 3, padding="same"), nn.Flatten(), _lin(16, 2)),
     "module[0] (Conv1d).padding"),
    ("no flatten", lambda: nn.Sequential(_conv(1, 2, 3), _lin(6, 2)), "module[1] (Linear)"),
    ("conv2d on a 1D input", lambda: nn.Sequential(nn.Conv2d(1, 2, 3, bias=False), nn.Flatten(), _lin(12, 2)),
     "input_dim"),
    ("dropout", lambda: nn.Sequential(_conv(1, 2, 3), nn.Dropout(), nn.Flatten(), _lin(12, 2)),
     "module[1] (Dropout)"),
    ("in_features", lambda: nn.Sequential(_conv(1, 2, 3), nn.Flatten(), _lin(10, 2)),
     "module[2] (Linear).in_features"),
    ("in_channels", lambda: nn.Sequential(_conv(1, 2, 3), _conv(3, 2, 3), nn.Flatten(), _lin(8, 2)),
     "module[1] (Conv1d).in_channels"),
    ("kernel too long", lambda: nn.Sequential(_conv(1, 2, 9), nn.Flatten(), _lin(2, 2)),
     "module[0] (Conv1d).kernel_size"),
    ("not sequential", lambda: _lin(8, 2), "module"),
    ("ends in conv", lambda: nn.Sequential(_conv(1, 2, 3)), "module"),
]


@pytest.mark.parametrize("name, build, field", BAD, ids=[b[0] for b in BAD])
def test_bad_modules_name_the_layer(name, build, field):
    with pytest.raises(InputError) as err:
        from_torch(build(), 8)
    assert err.value.field == field, str(err.value)


def test_non_finite_weight_is_refused():
    model = nn.Sequential(nn.Flatten(), _lin(2, 1))
    with torch.no_grad():
        model[1].weight[0, 1] = float("nan")
    with pytest.raises(InputError) as err:
        from_torch(model, 2)
    assert err.value.field.startswith("module[1] (Linear).weight")


def test_file_errors_name_the_torch_flag(tmp_path):
    """Errors found while converting a loaded file name ``--torch`` and the layer (or ``--input-dim``)."""
    path = tmp_path / "dilated.pt"
    torch.save(nn.Sequential(_conv(1, 2, 2, dilation=2), nn.Flatten(), _lin(12, 2)), path)
    with pytest.raises(InputError, match=r"^--torch module\[0\] \(Conv1d\)\.dilation: expected 1"):
        load_torch_model(path, 8)
    strided = tmp_path / "strided.pt"
    torch.save(nn.Sequential(_conv(1, 1, 2, stride=2), nn.Flatten(), _lin(3, 2)), strided)
    with pytest.raises(InputError, match=r"^--input-dim: expected an explicit value"):
        load_torch_model(strided)  # d0 = 6 and 7 both fit
