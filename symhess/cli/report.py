"""The rank report of one network on one data set: what ``symhess rank`` prints.

:func:`rank_report` assembles the exact Hessians ``H_O``, ``H_F``, ``H_L`` (Eq. 1) by the fast
integer path (:func:`symhess.hessian.assembly.hessian_ranks`), and reports their ranks (certified
exact up to the certification limit, Monte Carlo beyond it, or the float64 baseline), the
ranks of their column blocks (the theorems are stated per column block ``l``), the data
ranks ``r = rank Σ_xx`` and ``s = rank Ω``, and the paper's bounds for the architecture.

A layer network (:class:`~symhess.nets.sequential.SequentialNetwork`: 2D convolutions, biases,
pooling, mixed ReLU) gets the same report: its layers and shapes are named, the data ranks add
``r1 = rank [X, 1]``, ``s1 = rank [Ω, r̄]`` when it has biases, and the bounds are
:func:`symhess.theory.sequential_bounds.sequential_bounds` (docs/theory.md §9).

``method="mpmath"``: the *exact* integer matrices (no float anywhere) are ranked by the
mpmath gap rule at ``dps`` digits, confirmed at ``2·dps``
(:func:`symhess.linalg.numeric_rank.confirmed_gap_rank`); a part with no clear gap has rank ``None``
("no clear gap"), never a guessed number. ``float_audit=True`` adds
:func:`symhess.experiments.float_audit.float_audit`: the float64 ranks of the same Hessians under the
conventions in use, next to the exact ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import flint

import numpy as np

from ..experiments.float_audit import CONVENTIONS, FloatAudit, FloatMatrices, audit_matrices
from ..experiments.float_audit import float_audit as run_audit
from ..extras import MissingExtra
from ..hessian.assembly import DEFAULT_CERTIFY_LIMIT, HessianRanks, assemble_any, hessian_ranks
from ..hessian.hessians import PARTS
from ..hessian.torch_float import torch_hessians
from ..linalg.memory import check_fits, estimate_rank_bytes, peak_rss_bytes
from ..linalg.numeric_rank import DEFAULT_DPS, check_dps, confirmed_gap_rank
from ..linalg.rank import RankResult
from ..nets.architecture import Network
from ..nets.data import Dataset
from ..nets.sequential import SequentialArchitecture, SequentialNetwork
from ..scalars import InputError
from ..theory.bounds import Bounds, data_ranks, network_bounds, relu_bounds
from ..theory.sequential_bounds import DataRanks, sequential_bounds
from ..theory.sequential_bounds import data_ranks as layer_data_ranks

REPORT_METHODS = ("exact", "float64", "mpmath")
"""``symhess rank --method``: certified exact (default), the float64 baseline, or the mpmath gap rule."""

PART_SYMBOLS = {"outer": "H_O", "functional": "H_F", "loss": "H_L"}

LAYER_BOUNDS_DOC = "docs/theory.md §9"
"""Where the bounds of a layer network (2D, biases, pooling, mixed ReLU) are derived."""


@dataclass(frozen=True)
class RankReport:
    """Ranks of ``H_O``, ``H_F``, ``H_L`` of one network on one data set, with bounds."""

    network: str
    params: int
    toeplitz_params: int
    samples: int
    data_rank: int
    residual_rank: int
    method: str
    hessians: HessianRanks
    bounds: Bounds
    elapsed_seconds: float
    linear_bounds: Bounds | None = None
    """ReLU nets: the linear theorems' values, reported beside the ReLU bounds (they may be exceeded)."""
    float_audit: Any = None
    """A :class:`symhess.experiments.float_audit.FloatAudit` when asked for (``--float-audit``)."""
    layers: tuple[dict[str, Any], ...] = ()
    """A layer network: each layer's type, input and output shape and parameter count (empty for a 1D CNN)."""
    homogeneous_ranks: tuple[int, int] | None = None
    """A layer network with biases: ``(r1, s1) = (rank [X, 1], rank [Ω, r̄])``, the data ranks its bounds use."""

    @property
    def ranks(self) -> dict[str, RankResult]:
        return self.hessians.ranks

    @property
    def column_blocks(self) -> dict[str, tuple[int, ...]]:
        return self.hessians.column_blocks

    @property
    def certified(self) -> bool:
        """Every rank in the report is proved exact."""
        return self.hessians.certified

    @property
    def path(self) -> str:
        """``certified``, ``monte-carlo``, ``float64`` or ``mpmath``: the weakest path used."""
        return "mpmath" if self.method == "mpmath" else self.hessians.path

    @property
    def peak_memory_bytes(self) -> int:
        return self.hessians.peak_memory_bytes

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``symhess rank --json``."""
        return {
            "network": self.network,
            "params": self.params,
            "toeplitz_params": self.toeplitz_params,
            "samples": self.samples,
            "data": {"r": self.data_rank, "s": self.residual_rank,
                     **(dict(zip(("r1", "s1"), self.homogeneous_ranks)) if self.homogeneous_ranks else {})},
            "ranks": {k: v.rank for k, v in self.ranks.items()},
            "column_block_ranks": {k: list(v) for k, v in self.column_blocks.items()},
            **({"layers": [dict(layer) for layer in self.layers]} if self.layers else {}),
            "bounds": self.bounds.to_dict(),
            **({"linear_theorem_bounds": self.linear_bounds.to_dict()} if self.linear_bounds else {}),
            "method": self.method,
            "certified": self.certified,
            "path": self.path,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "peak_memory_bytes": self.peak_memory_bytes,
            "rank_details": {k: v.to_dict() for k, v in self.ranks.items()},
            **({"float_audit": self.float_audit.to_list(),
                "float_audit_exact": {"ranks": dict(self.float_audit.exact), "r": self.float_audit.exact_r}}
               if self.float_audit is not None else {}),
        }

    def to_text(self) -> str:
        """A readable table."""
        bounds = self.bounds.to_dict()
        linear = self.linear_bounds.to_dict() if self.linear_bounds else None
        toeplitz = "Toeplitzed layers" if self.layers else "Toeplitzed FCN"
        lines = [f"network: {self.network}"]
        if self.layers:
            lines.append("shapes: " + " -> ".join([_shape(self.layers[0]["in_shape"])] + [
                f"{layer['type']} -> {_shape(layer['out_shape'])}" for layer in self.layers]))
        lines += [
            f"parameters: p = {self.params} ({toeplitz}: p~ = {self.toeplitz_params})",
            f"data: n = {self.samples}, r = rank Sigma_xx = {self.data_rank}, s = rank Omega = {self.residual_rank}"
            + ("; biases: r1 = rank [X, 1] = {}, s1 = rank [Omega, rbar] = {}".format(
                *self.homogeneous_ranks) if self.homogeneous_ranks else ""),
            "",
            f"{'Hessian':<16}{'rank':>6}{'bound':>8}" + (f"{'linear':>8}" if linear else "")
            + "  column blocks l=1..L",
        ]
        for part in PARTS:
            blocks = ",".join(map(str, self.column_blocks.get(part, ()))) or "-"
            extra = f"{bounds[part]:>8}" + (f"{linear[part]:>8}" if linear else "")
            rank = self.ranks[part].rank
            lines.append(f"{PART_SYMBOLS[part] + ' ' + part:<16}{'no gap' if rank is None else rank:>6}"
                         f"{extra}  {blocks}")
        lines += ["", f"bounds: {self.bounds.source}"]
        if linear:
            lines.append(f"linear: {self.linear_bounds.source} for the linear network; not a bound for ReLU "
                         "(may be exceeded, docs/beyond.md)")
        lines += [
                  f"method: {self.method}, path: {self.path}, certified: {'yes' if self.certified else 'no'}",
                  f"elapsed: {self.elapsed_seconds:.2f} s, peak memory {self.peak_memory_bytes / 2**20:.0f} MiB"]
        if self.path == "monte-carlo":
            bound = max(r.details.get("error_bound", 0.0) for r in self.ranks.values())
            lines.append(f"  Monte Carlo: p = {self.params} is above the certification limit; ranks modulo random "
                         f"primes, error probability <= {bound:.3g}")
        if self.method == "float64":
            for part in PARTS:
                d = self.ranks[part].details
                lines.append(f"  {PART_SYMBOLS[part]}: tol {d.get('tol', 0):.3g}, smallest kept sigma "
                             f"{_g(d.get('smallest_kept'))}, largest dropped sigma {_g(d.get('largest_dropped'))}")
        if self.method == "mpmath":
            for part in PARTS:
                lines.append(f"  {PART_SYMBOLS[part]}: {self.ranks[part].certificate}")
            if any(self.ranks[p].rank is None for p in PARTS):
                lines.append("  no gap = no clear gap at this precision (no rank is claimed): raise --dps, "
                             "or use the certified default method")
        text = "\n".join(lines) + "\n"
        if self.float_audit is not None:
            text += "\n" + self.float_audit.to_text()
        return text


def _g(v: float | None) -> str:
    return "-" if v is None else f"{v:.3g}"


def _shape(shape: Any) -> str:
    return "x".join(map(str, shape))


def mpmath_ranks(net: Network | SequentialNetwork, data: Dataset, dps: int = DEFAULT_DPS,
                 memory_limit: int | None = None) -> HessianRanks:
    """``H_O``, ``H_F``, ``H_L`` ranked by the confirmed mpmath gap rule on the *exact* integer matrices.

    The matrices are those of the certified path (:func:`symhess.hessian.assembly.assemble_any`, integers
    after clearing denominators; ``H_O`` through the stacked Jacobian when ``nK < p``), each
    integer rounded once to ``dps`` (and ``2·dps``) digits by mpmath; the scale factors do not
    change a rank or the relative gap rule. Column blocks are not ranked (too slow in mpmath).
    """
    dps = check_dps(dps)
    arch, p = net.arch, net.arch.num_params
    estimate = estimate_rank_bytes(arch, data.n, tuple(PARTS))
    check_fits(estimate, memory_limit)
    start = time.perf_counter()
    A = assemble_any(net, data)
    seconds = {"assembly": time.perf_counter() - start}
    via_jacobian = data.n * arch.outputs < p
    ranks = {}
    for part in PARTS:
        t0 = time.perf_counter()
        matrix = "jacobian" if part == "outer" and via_jacobian else part
        ints = A.integer(matrix)
        gap = confirmed_gap_rank(flint.fmpz_mat([[int(v) for v in row] for row in ints.tolist()]), dps)
        details = gap.to_dict()
        details["matrix"] = matrix
        ranks[part] = RankResult(gap.rank, (int(ints.shape[0]), int(ints.shape[1])), "mpmath", False, "mpmath",
                                 gap.certificate + f"; same rank at dps={dps}" if gap.clear else gap.certificate,
                                 details)
        seconds[part] = details["seconds"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - start
    return HessianRanks(p, ranks, seconds, peak_rss_bytes(), estimate, 0, {})


def layer_table(arch: SequentialArchitecture) -> tuple[dict[str, Any], ...]:
    """Each layer of a layer network: type (``Conv2d``, ``ReLU``, ...), input and output shapes, parameters."""
    return tuple({"type": p.layer.name, "in_shape": list(p.in_shape), "out_shape": list(p.out_shape),
                  "params": p.num_params, **({"bias": p.bias_shape is not None} if p.has_params else {})}
                 for p in arch.placed)


def toeplitzed_params(arch: SequentialArchitecture) -> int:
    """``p~``: entries of every weight layer's matrix ``T`` (``out × in``) and bias vector ``B b`` (Prop. 4)."""
    return sum(p.out_size * p.in_size + (p.out_size if p.bias_shape is not None else 0) for p in arch.layers)


def layer_bounds(arch: SequentialArchitecture, ranks: DataRanks) -> Bounds:
    """:func:`symhess.theory.sequential_bounds.sequential_bounds` as :class:`Bounds` (no per-block values),
    its source naming :data:`LAYER_BOUNDS_DOC`."""
    b = sequential_bounds(arch, ranks)
    return Bounds(b.outer, b.functional, b.loss, (), f"{b.source} ({LAYER_BOUNDS_DOC})")


def layer_float_audit(net: SequentialNetwork, data: Dataset, exact: dict[str, int], exact_r: int,
                      certified: bool) -> FloatAudit:
    """:func:`symhess.experiments.float_audit.float_audit` for a layer network: the same Hessians assembled
    in float64 (:func:`~symhess.hessian.assembly.assemble_any`), ``H_L`` also by ``torch.func.hessian``
    (:func:`~symhess.hessian.torch_float.torch_hessians`; left out without PyTorch), every convention."""
    with np.errstate(over="ignore", invalid="ignore"):
        A = assemble_any(net, data, functional=True, outer=True, arithmetic="float64")
        X = np.array([[float(v) for v in row] for row in data.inputs], dtype=np.float64)
        try:
            autodiff = torch_hessians(net, data)["loss"]
        except MissingExtra:
            autodiff = None
        mats = FloatMatrices(X.T @ X / data.n, A.to_float("outer"), A.to_float("functional"), A.to_float("loss"),
                             autodiff)
    for name in PARTS:
        if not (np.isfinite(mats.part(name)).all() and np.isfinite(mats.part(name, True)).all()):
            raise InputError("float64 Hessian", "finite float64 values (the exact path has no such limit)",
                             f"inf/nan in the float64 {name} Hessian")
    p = net.arch.num_params
    return FloatAudit(net.arch.describe(), p, data.n, dict(exact), exact_r, bool(certified),
                      audit_matrices(mats, exact, exact_r, p, CONVENTIONS))


def rank_report(net: Network | SequentialNetwork, data: Dataset, method: str = "exact",
                certify_limit: int = DEFAULT_CERTIFY_LIMIT, memory_limit: int | None = None, dps: int = DEFAULT_DPS,
                float_audit: bool = False) -> RankReport:
    """Ranks of the MSE-loss Hessians by ``method`` (``exact``, ``float64`` or ``mpmath`` at ``dps``
    digits), with bounds; ``float_audit``: add the float conventions' ranks (:mod:`symhess.experiments.float_audit`).

    ``net`` is a 1D :class:`Network` or any layer stack (:class:`SequentialNetwork`: 2D convolutions,
    biases, pooling, mixed ReLU); the report of a layer network names its layers and shapes.
    """
    if method not in REPORT_METHODS:
        raise InputError("method", f"one of {', '.join(REPORT_METHODS)}", method)
    start = time.perf_counter()
    if method == "mpmath":
        ranks = mpmath_ranks(net, data, dps, memory_limit)
    else:
        ranks = hessian_ranks(net, data, PARTS, certify_limit=certify_limit, memory_limit=memory_limit,
                              method=method, column_blocks=("outer", "functional"))
    exact = None
    if float_audit:
        exact = ranks if method == "exact" else hessian_ranks(net, data, PARTS, certify_limit=certify_limit,
                                                                memory_limit=memory_limit)
    if isinstance(net, SequentialNetwork):
        d = layer_data_ranks(net, data)
        audit = (layer_float_audit(net, data, {p: exact.ranks[p].rank for p in PARTS}, d.r, exact.certified)
                 if exact is not None else None)
        return RankReport(
            network=net.arch.describe(), params=net.arch.num_params, toeplitz_params=toeplitzed_params(net.arch),
            samples=data.n, data_rank=d.r, residual_rank=d.s, method=method, hessians=ranks,
            bounds=layer_bounds(net.arch, d), elapsed_seconds=time.perf_counter() - start, float_audit=audit,
            layers=layer_table(net.arch), homogeneous_ranks=(d.r1, d.s1) if net.arch.has_bias else None)
    audit = None
    if exact is not None:
        audit = run_audit(net, data, exact_ranks={p: exact.ranks[p].rank for p in PARTS}, certified=exact.certified)
    r, s = data_ranks(net, data)
    linear = network_bounds(net.arch, r, s)
    relu = net.arch.activation == "relu"
    return RankReport(
        network=net.arch.describe(), params=net.arch.num_params, toeplitz_params=net.arch.num_toeplitz_params,
        samples=data.n, data_rank=r, residual_rank=s, method=method, hessians=ranks,
        bounds=relu_bounds(net.arch, data.n) if relu else linear, elapsed_seconds=time.perf_counter() - start,
        linear_bounds=linear if relu else None, float_audit=audit)
