"""Systematic search for violations of the rank bounds over small architectures.

A bound that is the minimum of several terms is only checked where each term is the
binding one. This module draws a large, deterministic pool of small architectures
(depth, channels, filter sizes incl. ``k = 1`` chains and ``k > d`` with padding, strides,
paddings, weight sharing or not, channel bottlenecks, ReLU), predicts from the architecture
alone which term of which bound binds (generic data ranks ``r = min(n, d_0)``,
``s = min(K, r)``), picks a sample in which every term binds somewhere, and compares each
bound at the draw's own exact ``(r, s)`` with the certified exact ranks of the fast integer
assembly (:func:`symhess.hessian.assembly.hessian_ranks`).

Bounds searched (``symhess.theory.bounds``): Theorem 5 (``H_O``), Theorem 6 (each column block of
``H_F`` and the total), the loss bound (``H_L``) for linear nets; for ReLU nets the derived
ReLU bounds on ``H_O`` (and on ``H_F`` with one hidden layer). Results per case, and per
``(bound, term)``: how often it binds, is tight, is loose, is violated
(:func:`term_statistics`).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from ..hessian.assembly import hessian_ranks
from ..nets.architecture import Architecture, ConvLayer, LocalLayer, Network, random_network
from ..nets.data import Dataset, random_dataset
from ..nets.relu import redraw_until_smooth
from ..scalars import InputError
from .bounds import (BoundTerms, ColumnBlockBound, data_ranks, network_bounds, relu_functional_terms, relu_outer_terms,
                     theorem5_outer_terms, theorem6_column_block, theorem7_outer_terms, theorem8_functional_terms)

MAX_PARAMS = 160
"""Largest parameter count in the pool (certified ranks stay well under a second)."""


@dataclass(frozen=True)
class SearchCase:
    """One architecture, ``n`` samples, one seed."""

    arch: Architecture
    n: int
    seed: int = 0

    @property
    def label(self) -> str:
        return f"{self.arch.describe()}, n={self.n}, seed={self.seed}"


def random_architecture(rng: random.Random) -> Architecture | None:
    """One small architecture (``None`` when the draw is invalid or has ``p > MAX_PARAMS``)."""
    d0 = rng.randint(2, 12)
    convs, dim = [], d0
    for _ in range(rng.choice((1, 2, 2, 3, 3))):
        pad = rng.choice((0, 0, 0, 0, 1, 2))
        style = rng.random()
        if style < 0.2:
            k = 1                                    # k = 1 chains
        elif style < 0.3:
            k = dim + 2 * pad                        # dense (or k > d with padding)
        else:
            k = rng.randint(1, dim + 2 * pad)
        stride = rng.choice((1, 1, 1, 1, 2, 3))
        m = rng.choice((1, 1, 2, 2, 3, 4, 6))
        layer = LocalLayer if rng.random() < 0.08 else ConvLayer
        if k > dim + 2 * pad:
            return None
        convs.append(layer(m, k, stride, pad))
        dim = (dim + 2 * pad - k) // stride + 1
    activation = "relu" if rng.random() < 0.15 else "linear"
    try:
        arch = Architecture(d0, tuple(convs), rng.choice((1, 2, 3, 4, 6)), activation)
    except InputError:
        return None
    return arch if arch.num_params <= MAX_PARAMS else None


def candidate_pool(size: int, seed: int = 0) -> list[SearchCase]:
    """``size`` distinct cases from ``random.Random(f"search:{seed}")`` (deterministic)."""
    rng, out, seen = random.Random(f"search:{seed}"), [], set()
    while len(out) < size:
        arch = random_architecture(rng)
        if arch is None:
            continue
        n = arch.input_dim + arch.outputs + 1 if rng.random() < 0.7 else rng.randint(1, arch.input_dim)
        key = (arch, n)
        if key not in seen:
            seen.add(key)
            out.append(SearchCase(arch, n, 0))
    return out


def bound_terms(arch: Architecture, n: int, r: int, s: int) -> dict[str, BoundTerms | ColumnBlockBound]:
    """Every searched bound of ``arch`` at data ranks ``(r, s)``, as :class:`BoundTerms`.

    Keys: ``"Theorem 5 H_O"``, ``"Theorem 6 H_F[:, l]"`` per block, ``"Theorem 6 H_F"``,
    ``"loss H_L"`` (linear); ``"ReLU H_O"``, ``"ReLU H_F"`` (one hidden layer) for ReLU nets.
    Each has ``value`` and ``binding`` (a column block: ``p_l`` and the sub-terms of ``α``, ``β``).
    """
    p = arch.num_params
    if arch.activation == "relu":
        out = {"ReLU H_O": relu_outer_terms(arch, n)}
        if arch.depth == 2 and arch.layers[0].shared:
            out["ReLU H_F"] = relu_functional_terms(arch, n)
        return out
    out = {"Theorem 5 H_O": theorem5_outer_terms(arch, r)}
    blocks = []
    for l in range(1, arch.depth + 1):
        blk = theorem6_column_block(arch, l, s)
        out[f"Theorem 6 H_F[:, {l}]"] = blk
        blocks.append(blk.value)
    out["Theorem 6 H_F"] = BoundTerms((("sum of blocks", sum(blocks)), ("p", p)))
    functional = out["Theorem 6 H_F"].value
    out["loss H_L"] = BoundTerms((("H_O + H_F bounds", out["Theorem 5 H_O"].value + functional), ("p", p)))
    return out | reported_bound_terms(arch, r, s)


def reported_bound_terms(arch: Architecture, r: int, s: int) -> dict[str, BoundTerms]:
    """The sharper results :func:`symhess.theory.bounds.network_bounds` reports where they apply.

    One hidden layer (stride/padding too): Theorems 7 and 8 with their two terms each;
    FCN: Singh et al.'s three formulas; Section-7 LCNs: Theorems 9/10; every case: the
    reported ``H_L`` bound. Single-formula bounds have one term, ``"formula"``.
    """
    nb = network_bounds(arch, r, s)
    tag = nb.source.split(" (")[0]
    out: dict[str, BoundTerms] = {}
    if nb.source.startswith("Theorems 7, 8"):
        out["Theorem 7 H_O"] = theorem7_outer_terms(arch, r)
        out["Theorem 8 H_F"] = theorem8_functional_terms(arch, s)
    elif nb.source != "Theorems 5, 6":
        out[f"{tag} H_O"] = BoundTerms((("formula", nb.outer),))
        out[f"{tag} H_F"] = BoundTerms((("formula", nb.functional),))
    out[f"reported H_L ({tag})"] = BoundTerms((("formula", nb.loss),))
    return out


def _family(term: str) -> str:
    """``"alpha:cut m_3"`` → ``"alpha:cut m_j"``: the cuts at every ``j`` count as one term."""
    return term.split(" m_")[0] + " m_j" if " m_" in term else term


def predicted_terms(case: SearchCase) -> dict[str, BoundTerms | ColumnBlockBound]:
    """:func:`bound_terms` at the generic data ranks ``r = min(n, d_0)``, ``s = min(K, r)``."""
    r = min(case.n, case.arch.input_dim)
    return bound_terms(case.arch, case.n, r, min(case.arch.outputs, r))


def term_key(bound: str) -> str:
    """Column blocks share one family name ``"Theorem 6 H_F[:, l]"``; reported ``H_L`` bounds one too."""
    if bound.startswith("reported H_L"):
        return "reported H_L"
    return "Theorem 6 H_F[:, l]" if bound.startswith("Theorem 6 H_F[:") else bound


def select_cases(pool: Sequence[SearchCase], per_term: int, extra: int = 0, seed: int = 0) -> list[SearchCase]:
    """Up to ``per_term`` cases for every ``(bound, binding term)`` of the pool, plus ``extra`` at random.

    Deterministic; a case counts for every term it makes binding.
    """
    chosen: dict[int, SearchCase] = {}
    counts: Counter = Counter()
    for i, case in enumerate(pool):
        keys = {(term_key(b), _family(t)) for b, terms in predicted_terms(case).items() for t in terms.binding}
        if any(counts[k] < per_term for k in keys):
            chosen[i] = case
            counts.update(keys)
    rest = [i for i in range(len(pool)) if i not in chosen]
    for i in random.Random(f"select:{seed}").sample(rest, min(extra, len(rest))):
        chosen[i] = pool[i]
    return [chosen[i] for i in sorted(chosen)]


@dataclass(frozen=True)
class CaseResult:
    """One searched case: data ranks, certified ranks, every bound, and the violations."""

    case: SearchCase
    r: int
    s: int
    ranks: dict
    bounds: dict
    generic: bool
    note: str = ""
    violations: tuple[str, ...] = field(default=())

    def rows(self):
        """``(bound, binding terms, bound value, observed rank)`` per bound."""
        for name, terms in self.bounds.items():
            yield name, terms.binding, terms.value, self.ranks[name]


def _draw(case: SearchCase) -> tuple[Network, Dataset, str]:
    kind = "gaussian" if case.arch.activation == "relu" else "integer"
    if case.arch.activation == "relu":
        smooth = redraw_until_smooth(case.arch, case.n, case.seed, kind=kind)
        return smooth.net, smooth.data, smooth.note()
    return random_network(case.arch, case.seed), random_dataset(case.arch, case.n, case.seed, kind), ""


def run_case(case: SearchCase) -> CaseResult:
    """Draw ``case``, compute its certified ranks and compare every bound (picklable for pools)."""
    net, data, note = _draw(case)
    arch = case.arch
    r, s = data_ranks(net, data)
    res = hessian_ranks(net, data, column_blocks=("functional",))
    assert res.certified, "search instances are small enough to certify"
    bounds = bound_terms(arch, case.n, r, s)
    ranks = {}
    for name in bounds:
        if name.startswith("reported H_L"):
            ranks[name] = res.ranks["loss"].rank
        elif name.endswith("H_O"):
            ranks[name] = res.ranks["outer"].rank
        elif name.startswith("Theorem 6 H_F[:"):
            ranks[name] = res.column_blocks["functional"][int(name.split(", ")[1].rstrip("]")) - 1]
        elif name.endswith("H_F"):
            ranks[name] = res.ranks["functional"].rank
        else:
            ranks[name] = res.ranks["loss"].rank
    generic = r == min(case.n, arch.input_dim) and s == min(arch.outputs, r)
    violations = tuple(f"{name}: rank {ranks[name]} > bound {t.value} ({', '.join(t.binding)})"
                       for name, t in bounds.items() if ranks[name] > t.value or t.value < 0)
    return CaseResult(case, r, s, ranks, bounds, generic, note, violations)


@dataclass(frozen=True)
class TermStats:
    """Per ``(bound, term)``: cases where it binds, of which tight / loose / violated."""

    bound: str
    term: str
    binding: int = 0
    tight: int = 0
    loose: int = 0
    violated: int = 0


def term_statistics(results: Sequence[CaseResult]) -> list[TermStats]:
    """Counts over the generic cases (non-generic draws count only for violations)."""
    table: dict[tuple[str, str], Counter] = {}
    for res in results:
        for name, binding, value, observed in res.rows():
            for term in {_family(t) for t in binding}:
                c = table.setdefault((term_key(name), term), Counter())
                if observed > value:
                    c["violated"] += 1
                if not res.generic:
                    continue
                c["binding"] += 1
                c["tight" if observed == value else "loose" if observed < value else "violated_generic"] += 1
    return [TermStats(b, t, c["binding"], c["tight"], c["loose"], c["violated"]) for (b, t), c in sorted(table.items())]


def statistics_markdown(results: Sequence[CaseResult]) -> str:
    """The per-term table (Markdown) recorded in ``docs/theory.md`` §8."""
    lines = ["| bound | binding term | binds | tight | loose | violated |", "|---|---|---|---|---|---|"]
    for t in term_statistics(results):
        lines.append(f"| {t.bound} | {t.term} | {t.binding} | {t.tight} | {t.loose} | {t.violated} |")
    generic = sum(r.generic for r in results)
    lines.append("")
    lines.append(f"{len(results)} cases ({generic} with generic data ranks), "
                 f"{sum(bool(r.violations) for r in results)} with a violation.")
    return "\n".join(lines)
