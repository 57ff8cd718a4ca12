"""Structure report of the Lemma 1 derivative, as data (``symhess audit``).

For every weight layer ``l`` the derivative ``D_l = ∂ vec_r T^l / ∂ vec_r W^l`` is read from the
layer's *index map* ``idx`` (``T^l[a, c] = vec_r(W^l)[idx[a, c]]``, ``-1`` a structural zero: Lemma 1
stored sparsely; :func:`symhess.nets.derivatives.kernel_index_map` for a 1D CNN, the layer's own
``index_map(in_shape)`` for any layer stack: ``Conv1d``, ``Conv2d``, ``Linear``) as a bipartite graph
with networkx: kernel entries ``W^l[o, i, j]`` on one side, structurally non-zero Toeplitz
entries ``T^l[a, c]`` on the other, an edge where ``D_l`` has a 1. Reported:

* **degrees**: how many Toeplitz entries each kernel entry fills (stride 1, no padding:
  ``d_l`` each, the output positions; with stride/padding the taps that only ever meet padding
  have fewer, possibly ``0``: *unused* kernel entries), and the Toeplitz-side degree, which
  Lemma 1 says is exactly ``1`` (each entry of ``T^l`` is one kernel entry);
* **components**: hence the graph is a disjoint union of stars, one per kernel entry
  (an unused kernel entry is an isolated node), so #components = #kernel entries;
* **sparsity**: ``nnz(D_l)`` (= structurally non-zero entries of ``T^l``), its density,
  and the fill of ``T^l``;
* **permutations**: the cycle type of every power ``P^{s t}`` (``t = 0..d_l − 1``) of the
  cyclic rotation on the padded length ``D = d_{l-1} + 2 p`` used to build ``D_l``, from
  the permutation's functional graph (cycles = its weakly connected components). In 2D the
  shift selection of tap ``(j_1, j_2)`` is the Kronecker product of the two axes' 1D ones
  (:mod:`symhess.nets.layers.conv`), so the powers ``P^{s_a t_a}`` are listed per axis ``a`` on
  its padded length ``D_a``. A ``Linear`` layer is a conv whose filter spans its flat input
  (``D = N``, only ``P^0``). Biases are not part of ``D_l`` (they enter through the fixed map
  ``B``); their count is reported beside it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.output import render_table
from ..nets.architecture import Architecture, LayerShape
from ..nets.derivatives import kernel_index_map, rotation
from ..nets.layers import Conv
from ..nets.sequential import PlacedLayer, SequentialArchitecture

if TYPE_CHECKING:
    import networkx as nx  # type hints only (networkx is imported on use)


@dataclass(frozen=True)
class CycleType:
    """Cycle type of ``P^power`` on ``size`` points: ``count`` cycles of each length."""

    size: int
    powers: tuple[int, ...]
    cycle_lengths: tuple[int, ...]
    axis: int | None = None
    """Spatial axis (1-based) of a 2D layer's rotation; ``None`` in 1D."""

    def describe(self) -> str:
        """E.g. ``P^{2,6}: 2 cycles of 4``."""
        by_len = Counter(self.cycle_lengths)
        cycles = ", ".join(f"{c} cycle{'s' if c > 1 else ''} of {n}" for n, c in sorted(by_len.items()))
        return f"P^{{{','.join(map(str, self.powers))}}}: {cycles}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"powers": list(self.powers),
                               "cycles": {str(n): k for n, k in sorted(Counter(self.cycle_lengths).items())}}
        if self.axis is not None:
            out = {"axis": self.axis, "size": self.size, **out}
        return out


def permutation_cycles(size: int, power: int) -> tuple[int, ...]:
    """Sorted cycle lengths of ``P^power`` (``size × size``), via networkx on its functional graph."""
    import networkx as nx  # imported on use: start-up time (symhess --help, input errors)

    P = rotation(size, power)
    G = nx.DiGraph()
    G.add_nodes_from(range(size))
    G.add_edges_from((int(j), int(i)) for i, j in zip(*np.nonzero(P)))  # P e_j = e_i
    return tuple(sorted(len(c) for c in nx.weakly_connected_components(G)))


def index_graph(idx: np.ndarray, kernel_entries: int) -> nx.Graph:
    """Bipartite graph of ``D_l`` from an index map ``idx`` (``T^l`` shape, ``-1`` = structural zero):
    nodes ``("w", q)`` (entry ``q`` of ``vec_r W^l``, ``q < kernel_entries``, ``bipartite=0``) and
    ``("T", r)`` (entry ``r`` of ``vec_r T^l`` that is a kernel entry, ``bipartite=1``); edge
    ``("T", r) – ("w", q)`` iff ``idx.flat[r] = q``, i.e. ``D_l[r, q] = 1``."""
    import networkx as nx  # imported on use: start-up time (symhess --help, input errors)

    flat = idx.reshape(-1)
    rows = np.nonzero(flat >= 0)[0]
    G = nx.Graph()
    G.add_nodes_from((("w", q) for q in range(kernel_entries)), bipartite=0)
    G.add_nodes_from((("T", int(r)) for r in rows), bipartite=1)
    G.add_edges_from((("T", int(r)), ("w", int(flat[r]))) for r in rows)
    return G


def derivative_graph(shape: LayerShape) -> nx.Graph:
    """:func:`index_graph` of a 1D CNN layer (:func:`~symhess.nets.derivatives.kernel_index_map`)."""
    return index_graph(kernel_index_map(shape), shape.num_params)


@dataclass(frozen=True)
class LayerAudit:
    """The structure of ``D_l`` for one layer (see the module docstring)."""

    layer: int
    kind: str
    weight_shape: tuple[int, ...]
    toeplitz_shape: tuple[int, int]
    derivative_shape: tuple[int, int]
    nnz: int
    density: float
    toeplitz_fill: float
    kernel_entries: int
    kernel_degree_min: int
    kernel_degree_max: int
    kernel_degree_histogram: dict[int, int]
    unused_kernel_entries: int
    toeplitz_degree_max: int
    components: int
    stars: bool
    padded_length: int | tuple[int, ...]
    """``D`` (1D), or ``(D_1, D_2)`` per spatial axis of a 2D layer."""
    cycle_types: tuple[CycleType, ...]
    bias_params: int | None = None
    """A layer network's weight layer: its bias entries (``0`` without bias); ``None`` for a 1D CNN."""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kernel_degree_histogram"] = {str(k): v for k, v in sorted(self.kernel_degree_histogram.items())}
        out["cycle_types"] = [c.to_dict() for c in self.cycle_types]
        for key in ("weight_shape", "toeplitz_shape", "derivative_shape"):
            out[key] = list(out[key])
        if isinstance(self.padded_length, tuple):
            out["padded_length"] = list(self.padded_length)
        if self.bias_params is None:
            del out["bias_params"]
        return out

    def row(self) -> dict[str, Any]:
        """One row of the readable table."""
        x = lambda shape: "×".join(map(str, shape))  # noqa: E731
        return {
            "layer": f"{self.layer} ({self.kind})",
            "W": x(self.weight_shape),
            **({"b": self.bias_params} if self.bias_params is not None else {}),
            "T": x(self.toeplitz_shape),
            "∂T/∂W": x(self.derivative_shape),
            "nnz": self.nnz,
            "density": self.density,
            "T fill": self.toeplitz_fill,
            "kernel degree": (f"{self.kernel_degree_min}" if self.kernel_degree_min == self.kernel_degree_max
                              else f"{self.kernel_degree_min}–{self.kernel_degree_max}"),
            "unused": self.unused_kernel_entries,
            "T degree": self.toeplitz_degree_max,
            "components": self.components,
            "stars": self.stars,
            "P cycles": self._cycles(),
        }

    def _cycles(self) -> str:
        if not isinstance(self.padded_length, tuple):
            return f"D={self.padded_length}; " + "; ".join(c.describe() for c in self.cycle_types)
        axes = sorted({c.axis for c in self.cycle_types})
        return f"D={'x'.join(map(str, self.padded_length))}; " + "; ".join(
            f"axis {a}: " + "; ".join(c.describe() for c in self.cycle_types if c.axis == a) for a in axes)


def _cycle_types(size: int, powers: list[int], axis: int | None = None) -> tuple[CycleType, ...]:
    """The powers ``P^a`` used on ``size`` points, grouped by cycle type."""
    grouped: dict[tuple[int, ...], list[int]] = {}
    for a in sorted(set(powers)):
        grouped.setdefault(permutation_cycles(size, a), []).append(a)
    return tuple(CycleType(size, tuple(ps), lengths, axis) for lengths, ps in grouped.items())


def index_audit(index: int, kind: str, idx: np.ndarray, weight_shape: tuple[int, ...],
                padded_length: int | tuple[int, ...], cycle_types: tuple[CycleType, ...],
                bias_params: int | None = None) -> LayerAudit:
    """Audit one layer's Lemma 1 derivative from its index map ``idx`` (see the module docstring)."""
    import networkx as nx  # imported on use: start-up time (symhess --help, input errors)

    kernel_entries = int(np.prod(weight_shape))
    G = index_graph(idx, kernel_entries)
    kernel = [n for n in G if n[0] == "w"]
    entries = [n for n in G if n[0] == "T"]
    kdeg = [G.degree(n) for n in kernel]
    components = list(nx.connected_components(G))
    stars = all(sum(1 for v in c if v[0] == "w") == 1 for c in components)
    rows, cols = idx.size, kernel_entries
    return LayerAudit(
        layer=index, kind=kind, weight_shape=tuple(int(v) for v in weight_shape),
        toeplitz_shape=(int(idx.shape[0]), int(idx.shape[1])),
        derivative_shape=(rows, cols), nnz=len(entries), density=len(entries) / (rows * cols),
        toeplitz_fill=len(entries) / rows, kernel_entries=len(kernel), kernel_degree_min=min(kdeg),
        kernel_degree_max=max(kdeg), kernel_degree_histogram=dict(Counter(kdeg)),
        unused_kernel_entries=sum(1 for d in kdeg if d == 0),
        toeplitz_degree_max=max((G.degree(n) for n in entries), default=0), components=len(components),
        stars=stars, padded_length=padded_length, cycle_types=cycle_types, bias_params=bias_params)


def layer_audit(shape: LayerShape, kind: str) -> LayerAudit:
    """Audit one layer of a 1D CNN (its :func:`~symhess.nets.derivatives.kernel_index_map`)."""
    size = shape.in_dim + 2 * shape.padding
    powers = [shape.stride * t for t in range(shape.out_dim)]
    return index_audit(shape.index, kind, kernel_index_map(shape), tuple(shape.weight_shape), size,
                       _cycle_types(size, powers))


def placed_audit(placed: PlacedLayer) -> LayerAudit:
    """Audit one weight layer of a layer network (``Conv1d``, ``Conv2d``, ``Linear``) from
    ``layer.index_map(in_shape)``; cycle types per spatial axis (2D) or on the flat input (``Linear``)."""
    layer = placed.layer
    bias = 0 if placed.bias_shape is None else int(np.prod(placed.bias_shape))
    idx = layer.index_map(placed.in_shape)
    if isinstance(layer, Conv):
        spatial_in, spatial_out = placed.in_shape[1:], placed.out_shape[1:]
        sizes = tuple(d + 2 * p for d, p in zip(spatial_in, layer.padding))
        per_axis = [_cycle_types(size, [s * t for t in range(d_out)], axis if layer.dims > 1 else None)
                    for axis, (size, s, d_out) in enumerate(zip(sizes, layer.stride, spatial_out), start=1)]
        cycles = tuple(c for axis in per_axis for c in axis)
        padded: int | tuple[int, ...] = sizes if layer.dims > 1 else sizes[0]
    else:  # Linear: one position, the filter spans the flat input
        padded = placed.in_size
        cycles = _cycle_types(padded, [0])
    return index_audit(placed.index, layer.name, idx, tuple(placed.weight_shape), padded, cycles, bias)


@dataclass(frozen=True)
class AuditReport:
    """Per-layer audits of the Lemma 1 derivatives of one architecture."""

    architecture: str
    params: int
    toeplitz_params: int
    layers: tuple[LayerAudit, ...]
    biases: int | None = None
    """A layer network: its bias entries (``params`` counts weights and biases); ``None`` for a 1D CNN."""

    def to_dict(self) -> dict[str, Any]:
        out = {"network": self.architecture, "params": self.params, "toeplitz_params": self.toeplitz_params,
               "nnz": sum(a.nnz for a in self.layers), "layers": [a.to_dict() for a in self.layers]}
        if self.biases is not None:
            out = {**out, "bias_params": self.biases}
        return out

    def to_text(self) -> str:
        nnz = sum(a.nnz for a in self.layers)
        if self.biases is None:
            counts = f"p = {self.params} kernel parameters"
        else:
            counts = f"p = {self.params} parameters ({self.params - self.biases} weights, {self.biases} biases)"
        head = (f"Lemma 1 derivative audit: {self.architecture}\n"
                f"{counts}, p̃ = {self.toeplitz_params} Toeplitz entries, {nnz} structurally non-zero\n\n")
        return head + render_table([a.row() for a in self.layers], "md")


def audit(arch: Architecture | SequentialArchitecture) -> AuditReport:
    """The structure report of ``D = blockdiag(∂vec_r T^l/∂vec_r W^l)`` for ``arch`` (a 1D CNN or any layer stack)."""
    if isinstance(arch, SequentialArchitecture):
        layers = tuple(placed_audit(p) for p in arch.layers)
        biases = sum(a.bias_params or 0 for a in layers)
        entries = sum(p.out_size * p.in_size for p in arch.layers)
        return AuditReport(arch.describe(), arch.num_params, entries, layers, biases)
    kinds = ["conv" if s.shared else "local" for s in arch.layers[:-1]] + ["dense"]
    return AuditReport(arch.describe(), arch.num_params, arch.num_toeplitz_params,
                       tuple(layer_audit(s, k) for s, k in zip(arch.layers, kinds)))
