"""Systematic search: every rank bound ≥ the certified rank, where each of its terms binds.

A bound ``min(t_1, …, t_j)`` is only tested where the term that binds is the one in
question; sweeps of "typical" architectures never reach some terms (the first versions of
Theorems 5 and 6 were false exactly there). :mod:`symhess.theory.bound_search` draws a
deterministic pool of small architectures (1–3 conv layers, channels 1–6, ``k = 1`` chains,
dense layers, ``k > d`` with padding, strides 1–3, paddings 0–2, locally connected layers,
bottlenecks, ReLU) and selects cases so that every term of every bound binds (predicted
from generic data ranks). Each case: one draw, certified exact ranks (fast integer
assembly), every bound at the draw's own exact ``(r, s)``; verdict per bound ``tight`` /
``holds`` / ``violated``. A non-generic draw is still checked (the bounds hold at every
weight point) and says so in the detail.

Default sweep: a sample (2 cases per term); ``--full``: the whole search (40 per term plus
700 at random from a pool of 60,000; counts in ``docs/theory.md`` §8).
"""

from __future__ import annotations

from symhess.theory.bound_search import SearchCase, candidate_pool, run_case, select_cases

from .framework import Claim, compare_bound

NAME = "Systematic search: rank bounds where each term binds (Theorems 5, 6, loss, ReLU)"

DEFAULT_POOL, DEFAULT_PER_TERM = 3000, 2
FULL_POOL, FULL_PER_TERM, FULL_EXTRA = 60000, 40, 700


def check(case: SearchCase):
    res = run_case(case)
    generic = "" if res.generic else "; non-generic data ranks (the bound must hold anyway)"
    out = []
    for name, binding, value, observed in res.rows():
        detail = f"r={res.r}, s={res.s}, p={case.arch.num_params}; binding: {', '.join(binding)}{generic}"
        if res.note:
            detail += f"; {res.note}"
        out.append(compare_bound(NAME, f"{case.label} [{name}]", value, observed, detail))
    return out


def instances(full: bool = False) -> list[SearchCase]:
    if full:
        return select_cases(candidate_pool(FULL_POOL), FULL_PER_TERM, FULL_EXTRA)
    return select_cases(candidate_pool(DEFAULT_POOL), DEFAULT_PER_TERM)


CLAIM = Claim(NAME, "every bound (Theorem 5, Theorem 6 per column block and total, rank H_L ≤ min(p, sum), "
              "ReLU bounds) ≥ certified rank, on architectures where each of its terms binds",
              check, instances, exact=False, tags=("theorem", "rank", "search"))
