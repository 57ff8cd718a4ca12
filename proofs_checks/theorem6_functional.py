"""Theorem 6 (corrected): rank of each column block of H_F, and their sum, for a deep linear CNN.

``rank H_F[:, l] ≤ min(p_l, α_l + β_l − γ_l)`` (:func:`symhess.theory.bounds.theorem6_column_block`,
``docs/theory.md`` §4); the first version capped ``α_l``, ``β_l`` by one global channel
bottleneck and was false at bottlenecks (the last two default architectures).
"""

from symhess.theory.bounds import theorem6_functional, theorem6_functional_blocks

from .framework import Claim
from .instances import conv_arch, run_rank_claim, sweep
from .theorem5_outer import DEFAULT, FULL

NAME = "Theorem 6 (functional Hessian, deep CNN)"


def bounds(arch, r, s):
    blocks = theorem6_functional_blocks(arch, r, s)
    out = [(f"H_F column block l={l}", "functional", l, b) for l, b in enumerate(blocks, start=1)]
    return out + [("H_F (sum of blocks)", "functional", None, theorem6_functional(arch, r, s))]


def check(inst):
    return run_rank_claim(NAME, inst, bounds, exact=False)


def instances(full: bool = False):
    return sweep([conv_arch(d, layers, K) for d, layers, K in (FULL if full else DEFAULT)])


CLAIM = Claim(NAME, "deep linear CNN: rank H_F[:, l] ≤ min(p_l, α_l + β_l − γ_l) (docs/theory.md §4); "
              "rank H_F ≤ min(p, Σ_l)", check, instances, exact=False, tags=("theorem", "rank"))
