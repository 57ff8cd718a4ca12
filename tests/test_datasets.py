"""Real data (scikit-learn digits) read exactly, pooled exactly, dispatched from ``load_dataset``."""

from fractions import Fraction

import numpy as np
import pytest

from symhess.nets.architecture import Architecture, ConvLayer
from symhess.scalars import InputError

sklearn_datasets = pytest.importorskip("sklearn.datasets")

from symhess.experiments.datasets import (DATASET_KINDS, average_pool, digits_images, load_dataset,  # noqa: E402
                                          load_digits_dataset, pool_factor)


def arch(d0: int, K: int = 3) -> Architecture:
    return Architecture(d0, (ConvLayer(2, 3),), K)


def test_pixels_are_the_shipped_integers():
    images, labels = digits_images()
    raw = sklearn_datasets.load_digits()
    assert len(images) == raw.data.shape[0] == 1797
    assert np.array_equal(np.array(images, dtype=np.int64), raw.data.astype(np.int64))
    assert list(labels) == [int(c) for c in raw.target]


def test_average_pool_matches_numpy_block_mean():
    images, _ = digits_images()
    img = np.array(images[5], dtype=np.int64).reshape(8, 8)
    for f in (1, 2, 4, 8):
        pooled = average_pool(images[5], f)
        blocks = img.reshape(8 // f, f, 8 // f, f).sum(axis=(1, 3)).reshape(-1)
        assert pooled == [Fraction(int(b), f * f) for b in blocks]
        assert all(isinstance(v, Fraction) for v in pooled)


def test_onehot_targets_and_classes():
    data = load_digits_dataset(arch(16, K=3), 30, seed=1)
    raw = sklearn_datasets.load_digits()
    assert data.inputs.shape == (30, 16) and data.targets.shape == (30, 3)
    assert all(sum(row) == 1 and set(row) <= {0, 1} for row in data.targets)
    # every selected input is the 2x2 pool of some image of the one-hot class
    pools = {}
    for img, c in zip(raw.data.astype(np.int64), raw.target):
        pools.setdefault(tuple(Fraction(int(v), 4) for v in img.reshape(4, 2, 4, 2).sum(axis=(1, 3)).reshape(-1)),
                         set()).add(int(c))
    for x, y in zip(data.inputs, data.targets):
        assert list(y).index(1) in pools[tuple(x)]


def test_regression_targets_are_label_powers():
    data = load_digits_dataset(arch(64, K=2), 12, seed=0, targets="regression")
    for y in data.targets:
        assert y[1] == y[0] ** 2 and 0 <= y[0] <= 9


def test_deterministic_from_seed_and_dispatched_by_kind():
    a = arch(16)
    assert "digits" in DATASET_KINDS
    d1, d2 = load_dataset(a, 8, 3, "digits"), load_digits_dataset(a, 8, 3)
    assert (d1.inputs == d2.inputs).all() and (d1.targets == d2.targets).all()
    d3 = load_digits_dataset(a, 8, 4)
    assert not (d1.inputs == d3.inputs).all()


@pytest.mark.parametrize("bad", [
    lambda: pool_factor(10),
    lambda: load_digits_dataset(arch(16), 5, downsample=4),
    lambda: load_digits_dataset(arch(16, K=11), 5),
    lambda: load_digits_dataset(arch(16, K=2), 10_000),
    lambda: load_digits_dataset(arch(16), 5, targets="soft"),
])
def test_clear_input_errors(bad):
    with pytest.raises(InputError):
        bad()


def test_missing_sklearn_is_an_input_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real_import(name, *args, **kwargs)

    digits_images.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    try:
        with pytest.raises(InputError, match="scikit-learn"):
            load_digits_dataset(arch(16), 4)
    finally:
        monkeypatch.setattr(builtins, "__import__", real_import)
        digits_images.cache_clear()
