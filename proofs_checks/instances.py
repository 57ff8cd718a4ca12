"""Generic instances for the rank claims: draw (network, data) across seeds, detect degeneracy.

A rank bound is a statement about *generic* weights and data: outside a measure-zero
set the rank takes its maximum value. A random integer draw can land on the bad set
(rank-deficient data, a zero filter, an exact ReLU kink), so every claim evaluates
several seeds, discards the draws that are provably degenerate (reported, never
silently passed) and compares the **generic rank** — the maximum exact rank over the
non-degenerate draws — with the bound.

Everything is exact: ``r = rank Σ_xx`` and ``s = rank Ω`` and every Hessian rank come
from :func:`symhess.linalg.rank.exact_rank` (certified over ℚ).

**Two routes.** The ranks compared with the bounds are those of the production Hessians
(:func:`symhess.hessian.hessians.mse_hessians`, FLINT rationals). ``symhess rank``, the tables and
the benchmarks use the fast integer assembly instead (:mod:`symhess.hessian.assembly`,
:func:`symhess.hessian.assembly.hessian_ranks`), so :func:`check_rank_bounds` also runs that route
on every generic draw and adds two identity results per instance: the fast ``H_O`` and
``H_F`` equal the production ones entry for entry, and every rank the claim uses (whole
parts and column blocks) is the same on both routes. A sign flipped in either assembly is
a violation of every rank claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Sequence

import flint

from symhess.hessian.assembly import assemble, hessian_ranks
from symhess.hessian.hessians import HessianParts, mse_hessians
from symhess.linalg.rank import exact_rank
from symhess.nets.architecture import Architecture, ConvLayer, Network, random_network
from symhess.nets.data import Dataset, random_dataset
from symhess.nets.toeplitz import ReluKinkError
from symhess.theory.bounds import data_ranks

from ._block_routes import differing_entries
from .framework import DEGENERATE, CheckResult, DegenerateInstance, compare_bound, compare_exact, degenerate


@dataclass(frozen=True)
class Instance:
    """What a rank claim is checked on: an architecture, ``n`` samples, several seeds.

    ``label`` is the human description used in the results table.
    """

    arch: Architecture
    n: int
    seeds: tuple[int, ...] = (0, 1, 2)
    kind: str = "integer"

    @property
    def label(self) -> str:
        return f"{self.arch.describe()}, n={self.n}, seeds={list(self.seeds)}"


@dataclass(eq=False)
class Draw:
    """One (network, data) draw with exact ``r``, ``s`` and lazily computed exact ranks.

    ``why_degenerate`` is ``None`` for a generic-looking draw, else the reason.
    """

    net: Network
    data: Dataset
    r: int
    s: int
    why_degenerate: str | None
    hessians: HessianParts | None
    _ranks: dict = field(default_factory=dict)

    def rank(self, part: str, column_block: int | None = None) -> int:
        """Certified exact rank of ``H_part`` (or of its column block ``l``, 1-based)."""
        key = (part, column_block)
        if key not in self._ranks:
            assert self.hessians is not None, "no Hessians on a degenerate draw"
            M = self.hessians.part(part) if column_block is None else self.hessians.column_block(part, column_block)
            res = exact_rank(M)
            assert res.certified
            self._ranks[key] = res.rank
        return self._ranks[key]


def certified_rank(M: flint.fmpq_mat) -> int:
    """``rank M`` over ℚ, certified (lower bound by a minor, upper bound by a verified kernel)."""
    res = exact_rank(M)
    assert res.certified
    return res.rank


def degeneracy(net: Network, data: Dataset, r: int, s: int) -> str | None:
    """Why this draw is not generic, or ``None``.

    Generic means: ``r = min(n, d_0)`` (the data span as much as they can), ``s = min(K, r)``
    (residuals as independent as they can be), and no filter is identically zero.
    """
    arch = net.arch
    if r < min(data.n, arch.input_dim):
        return f"data rank r={r} < min(n, d0)={min(data.n, arch.input_dim)}"
    if s < min(arch.outputs, r):
        return f"residual-input rank s={s} < min(K, r)={min(arch.outputs, r)}"
    for l, w in enumerate(net.weights, start=1):
        if all(v == 0 for v in w.flat):
            return f"layer {l} weight is zero"
    return None


@lru_cache(maxsize=64)
def draw(arch: Architecture, n: int, seed: int, kind: str = "integer") -> Draw:
    """The (network, data) of ``seed`` with its exact ``r``, ``s``, Hessians and degeneracy.

    Cached per process: several claims check the same instances.
    """
    net, data = random_network(arch, seed), random_dataset(arch, n, seed, kind)
    try:
        r, s = data_ranks(net, data)
        why = degeneracy(net, data, r, s)
        hess = mse_hessians(net, data) if why is None else None
    except ReluKinkError as err:
        return Draw(net, data, -1, -1, f"ReLU kink: {err}", None)
    return Draw(net, data, r, s, why, hess)


def generic_draws(inst: Instance) -> list[Draw]:
    """The non-degenerate draws of ``inst`` (possibly empty)."""
    return [d for d in (draw(inst.arch, inst.n, seed, inst.kind) for seed in inst.seeds) if d.why_degenerate is None]


def degeneracy_report(inst: Instance) -> str:
    """The reasons every draw of ``inst`` was discarded, one per seed."""
    reasons = [f"seed {seed}: {draw(inst.arch, inst.n, seed, inst.kind).why_degenerate}" for seed in inst.seeds]
    return "; ".join(reasons)


def generic_rank(draws: Sequence[Draw], part: str, column_block: int | None = None) -> int:
    """The generic rank: maximum exact rank over the draws."""
    return max(d.rank(part, column_block) for d in draws)


def check_rank_bounds(claim: str, inst: Instance,
                      bounds: Callable[[Architecture, int, int], Sequence[tuple[str, str, int | None, int]]]
                      ) -> list[CheckResult]:
    """Compare generic exact ranks with bounds.

    ``bounds(arch, r, s)`` lists ``(what, part, column_block, bound)``: the label of the
    sub-statement, the Hessian part (``"outer"``, ``"functional"``, ``"loss"``), the
    column block (``None`` for the whole matrix) and the bound. One result per item;
    one ``degenerate instance`` result when every draw is degenerate.
    """
    draws = generic_draws(inst)
    if not draws:
        return [degenerate(claim, inst.label, degeneracy_report(inst))]
    r, s = draws[0].r, draws[0].s
    out = []
    items = list(bounds(inst.arch, r, s))
    for what, part, block, bound in items:
        observed = generic_rank(draws, part, block)
        out.append(compare_bound(claim, f"{inst.label} [{what}]", bound, observed,
                                 f"r={r}, s={s}, p={inst.arch.num_params}, generic over {len(draws)} draws"))
    return out + (route_agreement(claim, inst, draws, items) if items else [])


def route_agreement(claim: str, inst: Instance, draws: Sequence[Draw],
                    items: Sequence[tuple[str, str, int | None, int]]) -> list[CheckResult]:
    """Fast integer assembly (:mod:`symhess.hessian.assembly`) against production, on every draw.

    Two identity results: ``[fast assembly = production, entry for entry]`` (observed: the
    number of differing entries of ``H_O`` and ``H_F`` over all draws, expected ``0``) and
    ``[ranks: fast assembly = production]`` (observed: the ranks of every ``(part, column
    block)`` of ``items`` by :func:`symhess.hessian.assembly.hessian_ranks`, expected: the production
    ranks, over all draws).
    """
    keys = list(dict.fromkeys((part, block) for _, part, block, _ in items))
    parts = list(dict.fromkeys(part for part, block in keys if block is None))
    blocks = list(dict.fromkeys(part for part, block in keys if block is not None))
    differing, production, fast = 0, [], []
    for d in draws:
        A = assemble(d.net, d.data)
        differing += sum(differing_entries(A.to_fmpq(name), d.hessians.part(name)) for name in ("outer", "functional"))
        hr = hessian_ranks(d.net, d.data, parts=parts or ("outer",), column_blocks=blocks)
        assert hr.certified
        for part, block in keys:
            production.append(d.rank(part, block))
            fast.append(hr.ranks[part].rank if block is None else hr.column_blocks[part][block - 1])
    what = ", ".join(p if b is None else f"{p}[:, {b}]" for p, b in keys)
    return [compare_exact(claim, f"{inst.label} [fast assembly = production, entry for entry]", 0, differing,
                          f"differing entries of H_O and H_F over {len(draws)} draws"),
            compare_exact(claim, f"{inst.label} [ranks: fast assembly = production]", production, fast,
                          f"certified ranks of {what} on each of {len(draws)} draws")]


__all__ = ["Instance", "Draw", "draw", "generic_draws", "generic_rank", "data_ranks", "degeneracy", "sweep", "conv_arch", "run_rank_claim",
           "check_rank_bounds", "route_agreement", "certified_rank", "DEGENERATE"]


def run_rank_claim(claim: str, inst: Instance,
                   bounds: Callable[[Architecture, int, int], Sequence[tuple[str, str, int | None, int]]],
                   exact: bool) -> list[CheckResult]:
    """:func:`check_rank_bounds` for one instance of a rank claim.

    ``exact`` must equal the claim's :attr:`~proofs_checks.framework.Claim.exact`: the exact-claim
    rule (a generic rank strictly below its formula is ``violated``) is applied once, by
    :func:`proofs_checks.framework.finalise`, which :func:`~proofs_checks.framework.run_claim`
    (``symhess check``, ``pytest proofs_checks``) runs on every result; it is not repeated here.
    """
    del exact  # documents the call site; the rule lives in framework.finalise
    return check_rank_bounds(claim, inst, bounds)


def conv_arch(input_dim: int, layers: Sequence[tuple[int, int]], outputs: int, activation: str = "linear") -> Architecture:
    """Stride-1 CNN from ``[(channels, filter size), …]``."""
    return Architecture(input_dim, tuple(ConvLayer(m, k) for m, k in layers), outputs, activation)


def sweep(archs: Sequence[Architecture], seeds: Sequence[int] = (0, 1, 2)) -> list[Instance]:
    """One :class:`Instance` per architecture with ``n = d_0 + K + 1`` samples (full-rank data).

    ReLU networks get ``"gaussian"`` data (eighths): integer data hit exact ReLU kinks too often.
    """
    return [Instance(a, a.input_dim + a.outputs + 1, tuple(seeds), "gaussian" if a.activation == "relu" else "integer")
            for a in archs]


def generic_draw(instance: Any, seed: int) -> Any:
    """The (network, data, Hessians) draw of ``seed`` (:func:`draw`, cached).

    Raises :class:`DegenerateInstance` with the reason when the draw is not generic
    (rank-deficient data or residuals, a zero filter, a ReLU kink).
    """
    d = draw(instance.arch, instance.n, seed, instance.kind)
    if d.why_degenerate is not None:
        raise DegenerateInstance(d.why_degenerate)
    return d
