"""Trust at the edges: the fast integer assembly on extreme but valid inputs.

Deep nets, weight scales ``2^±40``, large prime denominators, huge strides and paddings: the
fast assembly (:mod:`symhess.hessian.assembly`) must equal the production route
(:func:`symhess.hessian.hessians.mse_hessians`) entry for entry, its certified ranks must agree with
FLINT's own exact rank over ℚ, and ``symhess rank`` must never crash on such an input. The
regression tests are the inputs that once stopped the fast path with ``OverflowError: Python
int too large to convert to C long`` (the dtype of ``F̂`` was chosen before its blocks were
scaled by ``s_l s_k``, then the scaled Python-int blocks were cast back to int64).
"""

from __future__ import annotations

import json
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symhess.cli.main import main
from symhess.hessian.assembly import assemble, hessian_ranks
from symhess.hessian.hessians import PARTS, mse_hessians
from symhess.io.exchange import load_network
from symhess.nets.architecture import Architecture, ConvLayer, LocalLayer, Network
from symhess.nets.data import Dataset, random_dataset
from symhess.nets.toeplitz import ReluKinkError
from symhess.scalars import InputError, fraction_str

PRIMES = (3, 7, 1_000_000_007, 998_244_353, 2 ** 61 - 1, 2 ** 89 - 1)
"""Denominators, among them primes beyond int32, near int64 and beyond int64."""


# ---------------------------------------------------------------- the property

@st.composite
def architectures(draw, max_hidden: int):
    """Up to ``max_hidden`` hidden layers (so ``L <= max_hidden + 1``), 1–2 channels, any geometry that fits."""
    d0 = draw(st.integers(1, 6))
    hidden = draw(st.integers(0, max_hidden))
    convs, dim = [], d0
    for _ in range(hidden):
        pad = draw(st.sampled_from([0, 0, 1, 10 ** 30]))
        k = draw(st.integers(1, min(3, dim + 2 * pad)))
        stride = draw(st.sampled_from([1, 1, 1, 2, 10 ** 30]))
        layer = draw(st.sampled_from([ConvLayer, ConvLayer, ConvLayer, LocalLayer]))
        out = (dim + 2 * pad - k) // stride + 1
        if out > 6:  # a huge padding with a small stride: far too long for a fast test
            stride = 10 ** 30
            out = (dim + 2 * pad - k) // stride + 1
        assume(out <= 6)
        convs.append(layer(draw(st.integers(1, 2)), k, stride, pad))
        dim = out
    try:
        return Architecture(d0, tuple(convs), draw(st.integers(1, 2)), draw(st.sampled_from(["linear", "relu"])))
    except InputError:  # should Architecture ever bound strides or paddings, such draws are simply rejected
        assume(False)


@st.composite
def exact_values(draw, shape: tuple[int, ...], exponent: int) -> np.ndarray:
    """Entries ``± a/q · 2^exponent`` with ``a`` small and ``q`` one of :data:`PRIMES` or small."""
    out = np.empty(shape, dtype=object)
    dens = st.sampled_from((1, 2, 4) + PRIMES)
    for idx in np.ndindex(*shape):
        num = draw(st.integers(-3, 3))
        out[idx] = Fraction(num, draw(dens)) * Fraction(2) ** exponent
    return out


@st.composite
def instances(draw, max_hidden: int = 11):
    arch = draw(architectures(max_hidden))
    exponents = st.sampled_from([-40, -16, 0, 0, 16, 40])
    weights = tuple(draw(exact_values(s.weight_shape, draw(exponents))) for s in arch.layers)
    n = draw(st.integers(1, 3))
    inputs = draw(exact_values((n, arch.input_dim), draw(exponents)))
    targets = draw(exact_values((n, arch.outputs), draw(exponents)))
    return Network(arch, weights), Dataset(inputs, targets)


def _check_instance(net: Network, data: Dataset) -> None:
    try:
        H = mse_hessians(net, data)
    except ReluKinkError:
        with pytest.raises(ReluKinkError):  # the fast path applies the same kink rule
            assemble(net, data)
        return
    fast = assemble(net, data)
    for part in PARTS:
        assert fast.to_fmpq(part) == H.part(part), part
    ranks = hessian_ranks(net, data)
    assert ranks.certified
    for part in PARTS:
        assert ranks.ranks[part].rank == H.part(part).rank(), part  # FLINT's own rank over Q


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(instances())
def test_fast_assembly_equals_production_on_extreme_instances(instance):
    _check_instance(*instance)


@pytest.mark.heavy
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(instances())
def test_fast_assembly_equals_production_on_extreme_instances_heavy(instance):
    _check_instance(*instance)


# ---------------------------------------------------------------- regressions: the inputs that crashed

def _weights_doc(weights) -> list:
    return np.vectorize(fraction_str, otypes=[object])(weights).tolist()


def _model_file(tmp_path, name: str, d0: int, layers: list[tuple[np.ndarray, int, int]], activation="linear"):
    """A model JSON file: ``layers`` = (weight, stride, padding), the last one dense."""
    doc = {"input_dim": d0, "activation": activation, "layers": []}
    for i, (w, stride, pad) in enumerate(layers):
        if i == len(layers) - 1:
            doc["layers"].append({"type": "linear", "weight": _weights_doc(w.reshape(w.shape[0], -1))})
        else:
            doc["layers"].append({"type": "conv1d", "weight": _weights_doc(w), "stride": stride, "padding": pad})
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def _deep_linear_fcn(tmp_path):
    """9 weight layers, ``d0 = 6``, widths 4, ``K = 3`` (``p = 148``), weights ``a/4``, ``a`` in ``-8..8``."""
    arch = Architecture.fully_connected(6, [4] * 8, 3)
    rng = random.Random(6)
    ws = []
    for s in arch.layers:
        w = np.empty(s.weight_shape, dtype=object)
        for idx in np.ndindex(*s.weight_shape):
            w[idx] = Fraction(rng.randint(-8, 8), 4)
        ws.append(w)
    assert arch.num_params == 148
    return _model_file(tmp_path, "deep", 6, [(w, 1, 0) for w in ws]), ["--seed", "6"]


def _rescaled(tmp_path):
    """First layer times ``2^16``, last times ``2^-16``: the same function, so the same exact ranks."""
    rng = random.Random(1)

    def draw(*shape):
        w = np.empty(shape, dtype=object)
        for idx in np.ndindex(*shape):
            w[idx] = Fraction(rng.randint(-8, 8), 4)
        return w

    w1, w2, w3 = draw(3, 1, 3), draw(3, 3, 3), draw(2, 3, 6)
    plain = _model_file(tmp_path, "plain", 10, [(w1, 1, 0), (w2, 1, 0), (w3, 1, 0)])
    scaled = _model_file(tmp_path, "scaled", 10, [(w1 * 2 ** 16, 1, 0), (w2, 1, 0), (w3 / 2 ** 16, 1, 0)])
    return scaled, plain


def _prime_weight(tmp_path):
    w1 = np.array([[[Fraction(1, 1_000_000_007), 1, 2]], [[1, -1, Fraction(1, 3)]]], dtype=object)
    w2 = np.array([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [1, 0, 1, 0, 2, 1, -1, 3, 1, 1, 2, -2]],
                  dtype=object).reshape(2, 2, 6)
    return _model_file(tmp_path, "prime", 8, [(w1, 1, 0), (w2, 1, 0)])


def _huge_stride(tmp_path, padding: int):
    w1 = np.array([[[1, 2, 3]], [[1, -1, 2]]], dtype=object)
    d1 = (8 + 2 * padding - 3) // 10 ** 30 + 1
    w2 = np.array([[(c * 7 + 3) % 5 - 2 for c in range(2 * d1)], [(c * 3 + 1) % 4 - 1 for c in range(2 * d1)]],
                  dtype=object).reshape(2, 2, d1)
    return _model_file(tmp_path, f"stride{padding}", 8, [(w1, 10 ** 30, padding), (w2, 1, 0)])


def _rank_json(capsys, argv: list[str]) -> dict:
    capsys.readouterr()
    status = main(["rank", *argv, "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "Traceback" not in err
    return json.loads(out)


def _expected_ranks(path, argv: list[str]) -> dict:
    """Ranks of the production route (mse_hessians, FLINT's rank over Q) on the data the CLI draws."""
    net = load_network(path)
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
    data = random_dataset(net.arch, 20, seed=seed, kind="integer")
    H = mse_hessians(net, data)
    return {part: H.part(part).rank() for part in PARTS}


@pytest.mark.parametrize("case", ["deep-fcn", "prime-denominator"])
def test_rank_command_on_inputs_that_crashed(tmp_path, capsys, case):
    path, extra = _deep_linear_fcn(tmp_path) if case == "deep-fcn" else (_prime_weight(tmp_path), [])
    doc = _rank_json(capsys, ["--model", str(path), *extra])
    assert doc["certified"] and doc["path"] == "certified"
    assert doc["ranks"] == _expected_ranks(path, extra)


@pytest.mark.parametrize("padding", [0, 1, 10 ** 30])
def test_stride_beyond_the_input_works_or_is_refused_in_one_line(tmp_path, capsys, padding):
    """A model file with stride 10^30: either ranked exactly, or refused by the model reader in one
    line naming the stride (a limit on strides in files is the reader's choice); never a crash."""
    path = _huge_stride(tmp_path, padding)
    capsys.readouterr()
    status = main(["rank", "--model", str(path), "--json"])
    out, err = capsys.readouterr()
    if status == 2:
        assert len(err.splitlines()) == 1 and "stride" in err and "expected" in err and not out
        return
    assert status == 0, err
    doc = json.loads(out)
    assert doc["certified"] and doc["ranks"] == _expected_ranks(path, [])


@pytest.mark.parametrize("padding", [0, 1, 10 ** 30])
def test_fast_assembly_with_stride_beyond_the_input(padding):
    """The library path itself (no file reader in between) handles a stride of 10^30 exactly."""
    try:
        arch = Architecture(8, (ConvLayer(2, 3, 10 ** 30, padding), ConvLayer(2, 1)), 2)
    except InputError:
        pytest.skip("the architecture refuses such strides")
    rng = random.Random(padding % 97)
    ws = []
    for s in arch.layers:
        w = np.empty(s.weight_shape, dtype=object)
        for idx in np.ndindex(*s.weight_shape):
            w[idx] = Fraction(rng.randint(-5, 5), rng.choice(PRIMES))
        ws.append(w)
    _check_instance(Network(arch, tuple(ws)), random_dataset(arch, 3, seed=1, kind="gaussian"))


def test_rescaled_layers_keep_exact_ranks(tmp_path, capsys):
    scaled, plain = _rescaled(tmp_path)
    got, base = _rank_json(capsys, ["--model", str(scaled)]), _rank_json(capsys, ["--model", str(plain)])
    assert got["ranks"] == base["ranks"] == _expected_ranks(scaled, [])
    assert got["column_block_ranks"] == base["column_block_ranks"]


def test_hessian_command_agrees_with_rank_command_on_rescaled_layers(tmp_path, capsys):
    scaled, _ = _rescaled(tmp_path)
    out = tmp_path / "h.json"
    assert main(["hessian", "--model", str(scaled), "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    import flint

    ranks = {part: flint.fmpq_mat([[flint.fmpq(Fraction(v).numerator, Fraction(v).denominator) for v in row]
                                   for row in doc["hessians"][part]]).rank() for part in doc["hessians"]}
    assert ranks == _rank_json(capsys, ["--model", str(scaled)])["ranks"]


def test_float16_torch_model(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(1, 2, 3, bias=False), nn.Flatten(), nn.Linear(2 * 14, 2, bias=False))
    model = model.to(torch.float16)
    path = tmp_path / "f16.pt"
    torch.save(model, path)
    doc = _rank_json(capsys, ["--torch", str(path)])
    from symhess.io.torch_import import from_torch

    net = from_torch(model, 16)
    H = mse_hessians(net, random_dataset(net.arch, 20, seed=0, kind="integer"))
    assert doc["certified"] and doc["ranks"] == {part: H.part(part).rank() for part in PARTS}


@pytest.mark.parametrize("exponent", [600, 1100])
def test_float64_baseline_beyond_its_range_is_refused_in_one_line(tmp_path, capsys, exponent):
    """``--method float64`` cannot represent 2^1100, and 2^600 overflows its products: one line, exit 2
    (never a traceback, never a rank of inf/nan); the exact method ranks the same file."""
    w1 = np.array([[[2 ** exponent, 1, 2]], [[1, -1, Fraction(1, 3)]]], dtype=object)
    w2 = np.array([[c % 5 - 2 for c in range(12)], [c % 3 - 1 for c in range(12)]], dtype=object).reshape(2, 2, 6)
    path = _model_file(tmp_path, "big", 8, [(w1, 1, 0), (w2, 1, 0)])
    capsys.readouterr()
    assert main(["rank", "--model", str(path), "--method", "float64"]) == 2
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 1 and "--method float64" in err and not out
    assert _rank_json(capsys, ["--model", str(path)])["ranks"] == _expected_ranks(path, [])
