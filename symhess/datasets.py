"""Real data, read exactly: scikit-learn's handwritten digits as 1D signals.

scikit-learn ships the UCI optical digits set (1797 images of ``8 × 8`` pixels, values
the integers ``0..16``, labels ``0..9``) inside the package, so no download is needed.
An image is read row-major as a length-64 signal, every pixel an exact integer (the
float64 values scikit-learn returns are checked to be integers, then converted).

Downsampling by ``f ∈ {1, 2, 4, 8}`` is an ``f × f`` average pool of the image, read
row-major: length ``(8/f)²`` (``f = 2`` gives 16), each value the exact rational mean of
``f²`` integer pixels. The pool factor is chosen from ``arch.input_dim`` when not given.

Targets have length ``K = arch.outputs``:

* ``"onehot"``: samples are drawn from the classes ``0..K−1`` only (``2 ≤ K ≤ 10``) and
  ``y_i = e_{label_i}`` (the targets cross-entropy needs);
* ``"regression"``: samples from every class, ``y_{ic} = label_i^{c+1}`` for ``c < K``
  (``K = 1``: the label itself; a Vandermonde code, so ``Y`` has rank ``min(K, 9)``).

Which ``n`` samples: ``random.Random(f"digits:{seed}").sample`` of the eligible images,
so a seed fixes the data set.
"""

from __future__ import annotations

import random as _random
from fractions import Fraction
from functools import lru_cache

import numpy as np

from .data import Dataset
from .extras import MissingExtra
from .networks import Architecture
from .scalars import InputError

SIDE = 8
"""Images are ``SIDE × SIDE`` pixels."""

POOL_FACTORS = (1, 2, 4, 8)
"""Average-pool factors; input length ``(SIDE / f)²``."""

TARGETS = ("onehot", "regression")


@lru_cache(maxsize=1)
def digits_images() -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """All digits as exact integer pixel rows (length 64, row-major) and their labels.

    Raises :class:`InputError` when scikit-learn is not installed, or if a pixel is not an
    integer (it never is in the shipped data; the check keeps the read exact).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # tested by hiding sklearn (tests/test_extras.py)
        raise MissingExtra("--dataset digits", "scikit-learn", "data") from err
    bunch = load_digits()
    images = []
    for i, row in enumerate(bunch.data):
        pixels = []
        for j, v in enumerate(row):
            if not float(v).is_integer():
                raise InputError(f"digits.data[{i}][{j}]", "an integer pixel value", float(v))
            pixels.append(int(v))
        images.append(tuple(pixels))
    return tuple(images), tuple(int(c) for c in bunch.target)


def pool_factor(input_dim: int) -> int:
    """The factor ``f`` with ``(8/f)² = input_dim``, or :class:`InputError`."""
    for f in POOL_FACTORS:
        if (SIDE // f) ** 2 == input_dim:
            return f
    lengths = ", ".join(str((SIDE // f) ** 2) for f in POOL_FACTORS)
    raise InputError("input_dim", f"one of {lengths} for the digits data set (8x8 images, average-pooled)",
                     input_dim)


def average_pool(pixels: tuple[int, ...], factor: int) -> list[Fraction]:
    """``f × f`` average pool of a row-major ``8 × 8`` image: ``(8/f)²`` exact means, row-major.

    Output ``[a, b] = (1/f²) Σ_{u, v < f} image[f a + u, f b + v]``.
    """
    if factor not in POOL_FACTORS:
        raise InputError("downsample", f"one of {', '.join(map(str, POOL_FACTORS))}", factor)
    side = SIDE // factor
    out = []
    for a in range(side):
        for b in range(side):
            total = sum(pixels[(factor * a + u) * SIDE + factor * b + v] for u in range(factor) for v in range(factor))
            out.append(Fraction(total, factor * factor))
    return out


def digit_targets(labels: list[int], outputs: int, targets: str) -> np.ndarray:
    """``(n, K)`` exact targets: one-hot rows, or the regression code ``label^{c+1}``."""
    out = np.empty((len(labels), outputs), dtype=object)
    for i, c in enumerate(labels):
        for j in range(outputs):
            out[i, j] = Fraction(int(c == j)) if targets == "onehot" else Fraction(c) ** (j + 1)
    return out


def load_digits_dataset(arch: Architecture, n: int, seed: int = 0, downsample: int | None = None,
                        targets: str | None = None) -> Dataset:
    """``n`` digits for ``arch``: inputs of length ``arch.input_dim``, targets of length ``K``.

    ``downsample``: the pool factor (default: the one matching ``arch.input_dim``).
    ``targets``: ``"onehot"`` (default when ``K ≥ 2``) or ``"regression"`` (default when ``K = 1``).
    """
    factor = pool_factor(arch.input_dim) if downsample is None else downsample
    if (SIDE // factor) ** 2 != arch.input_dim or factor not in POOL_FACTORS:
        raise InputError("downsample", f"the pool factor {pool_factor(arch.input_dim)} matching "
                         f"input_dim = {arch.input_dim}", downsample)
    K = arch.outputs
    kind = targets or ("onehot" if K >= 2 else "regression")
    if kind not in TARGETS:
        raise InputError("targets", f"one of {', '.join(TARGETS)}", kind)
    if kind == "onehot" and not 2 <= K <= 10:
        raise InputError("outputs", "2 <= K <= 10 classes for one-hot digit targets", K)
    images, labels = digits_images()
    eligible = [i for i, c in enumerate(labels) if kind == "regression" or c < K]
    if not 1 <= n <= len(eligible):
        raise InputError("samples", f"between 1 and {len(eligible)} digits", n)
    chosen = _random.Random(f"digits:{seed}").sample(eligible, n)
    inputs = np.empty((n, arch.input_dim), dtype=object)
    for row, i in enumerate(chosen):
        inputs[row, :] = average_pool(images[i], factor)
    return Dataset(inputs, digit_targets([labels[i] for i in chosen], K, kind))
