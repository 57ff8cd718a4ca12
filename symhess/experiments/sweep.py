"""Rank sweeps: the generic runner behind the rank tables of :mod:`symhess.experiments.tables`.

A table is a :class:`TableSpec`: one or more series (architecture families ``value -> Architecture``),
the swept values (a small default sweep and a ``--full`` one), how many random instances
(seeds) per point, and how one instance is measured. The generic runner
:func:`run_table` maps every (point, seed) instance through
:func:`symhess.experiments.parallel.map_instances` (ordered, so ``--jobs N`` gives the serial result)
and folds the seeds of a point into one :class:`TableRow`:

* the **generic rank** of ``H_O``, ``H_F``, ``H_L``: the maximum over the seeds of the
  certified exact ranks (a random instance can only lose rank, never gain it);
* the bounds of :func:`symhess.theory.bounds.network_bounds` at each instance's own data ranks
  ``r = rank Σ_xx``, ``s = rank Ω`` (maximum over the seeds), whether every instance
  respects its own bound (``holds``) and which parts attain it (``tight``);
* ``p`` (parameters), ``n`` (samples), and ``degenerate``: how many seeds drew data with
  rank-deficient ``Σ_xx`` (``r < min(n, d_0)``), reported, never hidden.

A spec may replace :attr:`TableSpec.measure` (:func:`measure_mse` by default; :func:`measure_relu`
for kink-free ReLU redraws; :func:`measure_layers` for any layer stack (2D, biases, pooling); cross-entropy, training checkpoints and the float conventions have theirs
next to their own code) as long as it returns an :class:`InstanceResult`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..hessian.assembly import hessian_ranks
from ..hessian.hessians import PARTS
from ..io.output import FORMATS, render_table
from ..nets.architecture import Architecture, Network, random_network
from ..nets.data import Dataset
from ..nets.layers.base import KinkError
from ..nets.relu import GENERIC_SCALE, attempt_seed, redraw_until_smooth
from ..nets.sequential import random_sequential_network
from ..scalars import InputError
from ..theory.bounds import data_ranks, network_bounds
from ..theory.sequential_bounds import data_ranks as data_ranks_of_stack, sequential_bounds
from .datasets import load_dataset
from .parallel import map_instances

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
        """Flat row for :func:`symhess.io.output.render_table`; keys are the table's columns."""
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

    Fast integer assembly (:func:`symhess.hessian.assembly.hessian_ranks`): certified up to its
    ``certify_limit`` parameters, Monte Carlo (and ``False`` here) beyond.
    """
    report = hessian_ranks(net, data, PARTS)
    results = [report.ranks[part] for part in PARTS]
    return PartRanks(*(res.rank for res in results)), all(res.certified for res in results)


def bounds_of(arch: Architecture, r: int, s: int, loss: str) -> tuple[PartRanks, str]:
    """The theory's bounds (:func:`symhess.theory.bounds.network_bounds`) at data ranks ``(r, s)`` and their source."""
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


MAX_REDRAWS = 20
"""Weight draws tried per instance of a layer-stack table before it is reported as stuck on kinks."""


def measure_layers(point: SweepPoint, seed: int) -> InstanceResult:
    """Any layer stack (a :class:`~symhess.nets.sequential.SequentialArchitecture`): certified ranks.

    Data of ``point.dataset`` from ``seed``; integer weights in ``{−GENERIC_SCALE..GENERIC_SCALE}∖{0}``
    (:data:`symhess.nets.relu.GENERIC_SCALE`) redrawn (:func:`symhess.nets.relu.attempt_seed`) while
    a sample sits on a kink (a ReLU zero or a max-pool tie); ``extra`` records the redraws.
    ``r = rank Σ_xx``, ``s = rank Ω`` and the bounds of
    :func:`symhess.theory.sequential_bounds.sequential_bounds` (at the draw's exact data ranks).
    """
    data = load_dataset(point.arch, point.samples, seed, point.dataset)
    for attempt in range(MAX_REDRAWS):
        net = random_sequential_network(point.arch, attempt_seed(seed, attempt), scale=GENERIC_SCALE)
        try:
            ranks, certified = ranks_of_instance(net, data)
        except KinkError:
            continue
        dr = data_ranks_of_stack(net, data)
        b = sequential_bounds(point.arch, dr)
        bounds = PartRanks(b.outer, b.functional, b.loss)
        return InstanceResult(seed, ranks, dr.r, dr.s, certified, bounds, b.source, extra=(("redraws", attempt),))
    raise KinkError("weights", f"a kink-free draw within {MAX_REDRAWS} tries (seed {seed})",
                    point.arch.describe())


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
                         "p above the certification limit of symhess.hessian.assembly.hessian_ranks")
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
