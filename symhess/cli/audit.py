"""Structure report of the Lemma 1 derivative, as data (``symhess audit``).

For every layer ``l`` the derivative ``D_l = ∂ vec_r T^l / ∂ vec_r W^l``
(:func:`symhess.nets.derivatives.toeplitz_derivative`) is read as a bipartite graph with
networkx: kernel entries ``W^l[o, i, j]`` on one side, structurally non-zero Toeplitz
entries ``T^l[(o, t), (i, c)]`` on the other, an edge where ``D_l`` has a 1. Reported:

* **degrees**: how many Toeplitz entries each kernel entry fills (stride 1, no padding:
  ``d_l`` each; with stride/padding the taps that only ever meet padding have fewer,
  possibly ``0``: *unused* kernel entries), and the Toeplitz-side degree, which Lemma 1
  says is exactly ``1`` (each entry of ``T^l`` is one kernel entry);
* **components**: hence the graph is a disjoint union of stars, one per kernel entry
  (an unused kernel entry is an isolated node), so #components = #kernel entries;
* **sparsity**: ``nnz(D_l)`` (= structurally non-zero entries of ``T^l``), its density,
  and the fill of ``T^l``;
* **permutations**: the cycle type of every power ``P^{s t}`` (``t = 0..d_l − 1``) of the
  cyclic rotation on the padded length ``D = d_{l-1} + 2 p`` used to build ``D_l``, from
  the permutation's functional graph (cycles = its weakly connected components).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.output import render_table
from ..nets.architecture import Architecture, LayerShape
from ..nets.derivatives import rotation, toeplitz_derivative

if TYPE_CHECKING:
    import networkx as nx  # type hints only (networkx is imported on use)


@dataclass(frozen=True)
class CycleType:
    """Cycle type of ``P^power`` on ``size`` points: ``count`` cycles of each length."""

    size: int
    powers: tuple[int, ...]
    cycle_lengths: tuple[int, ...]

    def describe(self) -> str:
        """E.g. ``P^{2,6}: 2 cycles of 4``."""
        by_len = Counter(self.cycle_lengths)
        cycles = ", ".join(f"{c} cycle{'s' if c > 1 else ''} of {n}" for n, c in sorted(by_len.items()))
        return f"P^{{{','.join(map(str, self.powers))}}}: {cycles}"


def permutation_cycles(size: int, power: int) -> tuple[int, ...]:
    """Sorted cycle lengths of ``P^power`` (``size × size``), via networkx on its functional graph."""
    import networkx as nx  # imported on use: start-up time (symhess --help, input errors)

    P = rotation(size, power)
    G = nx.DiGraph()
    G.add_nodes_from(range(size))
    G.add_edges_from((int(j), int(i)) for i, j in zip(*np.nonzero(P)))  # P e_j = e_i
    return tuple(sorted(len(c) for c in nx.weakly_connected_components(G)))


def derivative_graph(shape: LayerShape) -> nx.Graph:
    """Bipartite graph of ``D_l``: nodes ``("w", q)`` (kernel entry ``q`` of ``vec_r W^l``,
    ``bipartite=0``) and ``("T", r)`` (entry ``r`` of ``vec_r T^l`` with a 1 in its row,
    ``bipartite=1``); edge ``("T", r) – ("w", q)`` iff ``D_l[r, q] = 1``."""
    import networkx as nx  # imported on use: start-up time (symhess --help, input errors)

    D = toeplitz_derivative(shape)
    G = nx.Graph()
    G.add_nodes_from((("w", q) for q in range(D.shape[1])), bipartite=0)
    rows, cols = np.nonzero(D)
    G.add_nodes_from((("T", int(r)) for r in set(rows.tolist())), bipartite=1)
    G.add_edges_from((("T", int(r)), ("w", int(q))) for r, q in zip(rows, cols))
    return G


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
    padded_length: int
    cycle_types: tuple[CycleType, ...]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kernel_degree_histogram"] = {str(k): v for k, v in sorted(self.kernel_degree_histogram.items())}
        out["cycle_types"] = [{"powers": list(c.powers),
                               "cycles": {str(n): k for n, k in sorted(Counter(c.cycle_lengths).items())}}
                              for c in self.cycle_types]
        for key in ("weight_shape", "toeplitz_shape", "derivative_shape"):
            out[key] = list(out[key])
        return out

    def row(self) -> dict[str, Any]:
        """One row of the readable table."""
        x = lambda shape: "×".join(map(str, shape))  # noqa: E731
        return {
            "layer": f"{self.layer} ({self.kind})",
            "W": x(self.weight_shape),
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
            "P cycles": f"D={self.padded_length}; " + "; ".join(c.describe() for c in self.cycle_types),
        }


def layer_audit(shape: LayerShape, kind: str) -> LayerAudit:
    """Audit one layer's Lemma 1 derivative."""
    import networkx as nx  # imported on use: start-up time (symhess --help, input errors)

    D = toeplitz_derivative(shape)
    G = derivative_graph(shape)
    kernel = [n for n in G if n[0] == "w"]
    entries = [n for n in G if n[0] == "T"]
    kdeg = [G.degree(n) for n in kernel]
    components = list(nx.connected_components(G))
    stars = all(sum(1 for v in c if v[0] == "w") == 1 for c in components)
    size = shape.in_dim + 2 * shape.padding
    powers = sorted({shape.stride * t for t in range(shape.out_dim)})
    grouped: dict[tuple[int, ...], list[int]] = {}
    for a in powers:
        grouped.setdefault(permutation_cycles(size, a), []).append(a)
    rows, cols = D.shape
    return LayerAudit(
        layer=shape.index, kind=kind, weight_shape=tuple(shape.weight_shape), toeplitz_shape=shape.toeplitz_shape,
        derivative_shape=(rows, cols), nnz=len(entries), density=len(entries) / (rows * cols),
        toeplitz_fill=len(entries) / rows, kernel_entries=len(kernel), kernel_degree_min=min(kdeg),
        kernel_degree_max=max(kdeg), kernel_degree_histogram=dict(Counter(kdeg)),
        unused_kernel_entries=sum(1 for d in kdeg if d == 0),
        toeplitz_degree_max=max((G.degree(n) for n in entries), default=0), components=len(components),
        stars=stars, padded_length=size,
        cycle_types=tuple(CycleType(size, tuple(ps), lengths) for lengths, ps in grouped.items()))


@dataclass(frozen=True)
class AuditReport:
    """Per-layer audits of the Lemma 1 derivatives of one architecture."""

    architecture: str
    params: int
    toeplitz_params: int
    layers: tuple[LayerAudit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"network": self.architecture, "params": self.params, "toeplitz_params": self.toeplitz_params,
                "nnz": sum(a.nnz for a in self.layers), "layers": [a.to_dict() for a in self.layers]}

    def to_text(self) -> str:
        head = (f"Lemma 1 derivative audit: {self.architecture}\n"
                f"p = {self.params} kernel parameters, p̃ = {self.toeplitz_params} Toeplitz entries, "
                f"{sum(a.nnz for a in self.layers)} structurally non-zero\n\n")
        return head + render_table([a.row() for a in self.layers], "md")


def audit(arch: Architecture) -> AuditReport:
    """The structure report of ``D = blockdiag(∂vec_r T^l/∂vec_r W^l)`` for ``arch``."""
    kinds = ["conv" if s.shared else "local" for s in arch.layers[:-1]] + ["dense"]
    return AuditReport(arch.describe(), arch.num_params, arch.num_toeplitz_params,
                       tuple(layer_audit(s, k) for s, k in zip(arch.layers, kinds)))
