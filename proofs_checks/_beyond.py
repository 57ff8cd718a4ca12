"""Shared machinery of the beyond-the-theory claims (ReLU, strides/padding, real data).

Those claims compare exact ranks with *inequalities* evaluated at each draw's own data
ranks ``r = rank Σ_xx``, ``s = rank Ω``, so every draw is checked on its own (an
inequality must hold on every non-degenerate draw, not only generically):

* a draw is a kink-free ``(net, data)`` from :func:`symhess.nets.relu.redraw_until_smooth`
  (ReLU weights from the wide range, kinks redrawn and counted; linear nets: the first
  draw with weights in ``{−3..3}∖{0}``), data of the instance's ``kind``;
* :func:`compare_over_draws` gives one :class:`CheckResult` per sub-statement:
  ``violated`` if any draw exceeds its bound (the draw's seed in the detail), else
  ``tight`` if some draw attains it, else ``holds``; ``expected``/``observed`` are those
  of the draw with the least slack.

*Findings* (bounds that are not claimed to hold here, e.g. the linear-network bounds on
ReLU nets) are reported with :func:`finding`: a short text for the result's detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

from symhess.experiments.datasets import load_dataset
from symhess.hessian.hessians import PARTS, mse_hessians
from symhess.linalg.rank import exact_rank
from symhess.nets.architecture import Architecture, Network
from symhess.nets.data import Dataset
from symhess.nets.relu import GENERIC_SCALE, redraw_until_smooth
from symhess.theory.bounds import Bounds, data_ranks, network_bounds

from .framework import CheckResult, DegenerateInstance, compare_bound

LINEAR_SCALE = 3


@dataclass(frozen=True)
class BeyondInstance:
    """An architecture, ``n`` samples of ``kind`` (``integer``, ``gaussian``, ``digits``), several seeds."""

    arch: Architecture
    n: int
    seeds: tuple[int, ...] = (0, 1)
    kind: str = "integer"

    @property
    def label(self) -> str:
        return f"{self.arch.describe()}, n={self.n} {self.kind}, seeds={list(self.seeds)}"


@dataclass(frozen=True, eq=False)
class Measured:
    """One kink-free draw: exact certified ranks of ``H_O``, ``H_F``, ``H_L``, data ranks, redraws."""

    seed: int
    weight_seed: int
    redraws: int
    net: Network
    data: Dataset
    r: int
    s: int
    ranks: dict[str, int]

    @property
    def linear_bounds(self) -> Bounds:
        """:func:`symhess.theory.bounds.network_bounds` of the (linear-network) theory at ``(r, s)``."""
        return network_bounds(self.net.arch, self.r, self.s)


@lru_cache(maxsize=128)
def measure(inst: BeyondInstance, seed: int) -> Measured:
    """Draw (redrawing weights at ReLU kinks) and measure exactly; cached per process."""
    arch = inst.arch
    data = load_dataset(arch, inst.n, seed, inst.kind)
    scale = GENERIC_SCALE if arch.activation == "relu" else LINEAR_SCALE
    draw = redraw_until_smooth(arch, data, seed, max_tries=20, scale=scale)
    hess = mse_hessians(draw.net, data)
    ranks = {}
    for part in PARTS:
        res = exact_rank(hess.part(part))
        assert res.certified
        ranks[part] = res.rank
    r, s = data_ranks(draw.net, data)
    return Measured(seed, draw.seed, draw.redraws, draw.net, data, r, s, ranks)


def measured_draws(inst: BeyondInstance, require_full_rank: bool = True) -> list[Measured]:
    """The instance's draws; with ``require_full_rank``, draws whose data are rank-deficient
    (``r < min(n, d_0)``, a degenerate *random* draw) are dropped; none left raises
    :class:`DegenerateInstance`."""
    out, why = [], []
    for seed in inst.seeds:
        m = measure(inst, seed)
        if require_full_rank and m.r < min(inst.n, inst.arch.input_dim):
            why.append(f"seed {seed}: data rank r={m.r} < min(n, d0)")
            continue
        out.append(m)
    if not out:
        raise DegenerateInstance("; ".join(why))
    return out


def compare_over_draws(claim: str, inst: BeyondInstance, what: str, draws: Sequence[Measured], part: str,
                       bound: Callable[[Measured], int], note: str = "") -> CheckResult:
    """``rank H_part ≤ bound(draw)`` on every draw; the verdict of the draw with the least slack."""
    worst = min(draws, key=lambda m: bound(m) - m.ranks[part])
    redraws = sum(m.redraws for m in draws)
    detail = (f"seed {worst.seed}: r={worst.r}, s={worst.s}, p={inst.arch.num_params}; "
              f"{len(draws)} draws, {redraws} rejected at ReLU kinks" + (f"; {note}" if note else ""))
    return compare_bound(claim, f"{inst.label} [{what}]", bound(worst), worst.ranks[part], detail)


def finding(draws: Sequence[Measured], name: str, bound: Callable[[Measured], int], part: str) -> str:
    """Text on a bound *not* claimed here: does it hold on every draw, and by how much does it fail?"""
    over = [(m.ranks[part] - bound(m), m) for m in draws]
    worst_excess, m = max(over, key=lambda t: t[0])
    if worst_excess <= 0:
        return f"{name} {bound(m)} holds ({part} rank {m.ranks[part]})"
    return f"FINDING: {name} {bound(m)} exceeded by {worst_excess} (rank H_{part[0].upper()} {m.ranks[part]}, seed {m.seed})"
