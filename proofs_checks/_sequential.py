"""Shared machinery of the claims on layer stacks (2D convolutions, biases, pooling, mixed ReLU).

A :class:`StackInstance` is a :class:`~symhess.nets.sequential.SequentialArchitecture`, ``n`` samples
and seeds. :func:`measure` draws one kink-free ``(net, data)`` per seed — linear stacks: integer
weights in ``{−3..3}∖{0}`` and integer data in ``{−3..3}``; stacks with ReLU/MaxPool: weights in
``{−1000..1000}∖{0}`` (:data:`symhess.nets.relu.GENERIC_SCALE`) and exact-eighth Gaussian data,
weights redrawn at kinks (a ReLU zero, a max-pool tie) — and computes certified exact ranks of
``H_O``, ``H_F``, ``H_L`` on the integer route (:meth:`SequentialHessians.integers` and
:func:`symhess.linalg.rank.integer_rank`) plus the exact :class:`~symhess.theory.sequential_bounds.DataRanks`.

A draw whose data are rank-deficient for no structural reason (``r < min(n, d_0)``) is degenerate
(dropped; an instance with no generic draw raises :class:`DegenerateInstance`, which
:func:`~proofs_checks.framework.run_claim` redraws with fresh seeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

from symhess.hessian.sequential import sequential_hessians
from symhess.linalg.rank import integer_rank
from symhess.nets.data import Dataset, random_dataset
from symhess.nets.layers.base import KinkError
from symhess.nets.relu import GENERIC_SCALE, attempt_seed
from symhess.nets.sequential import SequentialArchitecture, SequentialNetwork, random_sequential_network
from symhess.theory.sequential_bounds import DataRanks, data_ranks, is_linear

from .framework import CheckResult, DegenerateInstance, compare_bound

PARTS = ("outer", "functional", "loss")
MAX_REDRAWS = 20


@dataclass(frozen=True)
class StackInstance:
    """A layer stack, ``n`` samples, seeds (one draw each)."""

    arch: SequentialArchitecture
    n: int
    seeds: tuple[int, ...] = (0, 1)

    @property
    def label(self) -> str:
        return f"{self.arch.describe()}, n={self.n}, seeds={list(self.seeds)}"


@dataclass(frozen=True, eq=False)
class StackDraw:
    """One kink-free draw with certified exact ranks."""

    seed: int
    redraws: int
    net: SequentialNetwork
    data: Dataset
    ranks: DataRanks
    rank: dict[str, int]


def certified_ranks(net: SequentialNetwork, data: Dataset) -> dict[str, int]:
    """Certified exact ``rank H_O``, ``rank H_F``, ``rank H_L`` by the integer route."""
    ih = sequential_hessians(net, data).integers()
    out = {}
    for part in PARTS:
        res = integer_rank(ih.integer(part))
        assert res.certified
        out[part] = res.rank
    return out


@lru_cache(maxsize=256)
def measure(arch: SequentialArchitecture, n: int, seed: int) -> StackDraw:
    """The draw of ``seed`` (see the module docstring); cached per process."""
    linear = is_linear(arch)
    data = random_dataset(arch, n, seed, "integer" if linear else "gaussian")
    for attempt in range(MAX_REDRAWS):
        net = random_sequential_network(arch, attempt_seed(seed, attempt), scale=3 if linear else GENERIC_SCALE)
        try:
            ranks = certified_ranks(net, data)
        except KinkError:
            continue
        return StackDraw(seed, attempt, net, data, data_ranks(net, data), ranks)
    raise DegenerateInstance(f"no kink-free draw in {MAX_REDRAWS} tries (seed {seed})")


def draws(inst: StackInstance, generic_residuals: bool = False) -> list[StackDraw]:
    """The non-degenerate draws of ``inst`` (raises :class:`DegenerateInstance` if none).

    Degenerate: ``r < min(n, d_0)``; with ``generic_residuals`` (exactness claims) also
    ``s < min(K, r)`` (the formula's value would not be the generic one).
    """
    out, why = [], []
    for seed in inst.seeds:
        d = measure(inst.arch, inst.n, seed)
        if d.ranks.r < min(inst.n, inst.arch.input_dim):
            why.append(f"seed {seed}: data rank r={d.ranks.r} < min(n, d0)")
            continue
        if generic_residuals and d.ranks.s < min(inst.arch.outputs, d.ranks.r):
            why.append(f"seed {seed}: residual-input rank s={d.ranks.s} < min(K, r)")
            continue
        out.append(d)
    if not out:
        raise DegenerateInstance("; ".join(why))
    return out


def compare_draws(claim: str, inst: StackInstance, what: str, ds: Sequence[StackDraw], part: str,
                  bound: Callable[[StackDraw], int], generic: bool = False) -> CheckResult:
    """``rank H_part ≤ bound(draw)`` on every draw.

    ``generic=False``: the verdict of the draw with the least slack (``violated`` if any draw
    exceeds). ``generic=True`` (an exactness claim): the bound must be the same on every draw and
    the generic rank (maximum over draws) is compared with it.
    """
    if generic:
        values = {bound(d) for d in ds}
        if len(values) == 1:
            best = max(ds, key=lambda d: d.rank[part])
            return compare_bound(claim, f"{inst.label} [{what}]", bound(best), best.rank[part],
                                 _detail(inst, ds, best) + ", generic rank = max over draws")
    worst = min(ds, key=lambda d: bound(d) - d.rank[part])
    return compare_bound(claim, f"{inst.label} [{what}]", bound(worst), worst.rank[part], _detail(inst, ds, worst))


def _detail(inst: StackInstance, ds: Sequence[StackDraw], d: StackDraw) -> str:
    rk = d.ranks
    return (f"seed {d.seed}: n={rk.n}, r={rk.r}, s={rk.s}, r1={rk.r1}, s1={rk.s1}, p={inst.arch.num_params}; "
            f"{len(ds)} draws, {sum(x.redraws for x in ds)} redrawn at kinks")
