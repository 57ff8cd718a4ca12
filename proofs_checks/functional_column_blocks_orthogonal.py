"""The block-columns of ``H_F`` are "mutually orthogonal": summing their ranks loses nothing.

The paper (after Theorem 6, deep *linear* CNNs; an *empirical* remark, as in Singh et al.
2021 for FCNs): "the block-columns are mutually orthogonal — hence, we don't lose anything
by simply summing the ranks of the block columns". With ``C_l = H_F[:, W^l]`` the
``p × p_l`` column block of layer ``l`` (``l = 1..L``), two readings:

* **literal** (Euclidean) orthogonality of the column spaces, ``C_lᵀ C_k = 0`` for
  ``l ≠ k``. This is *false* as soon as ``L ≥ 3``: ``H_F`` is block-hollow, so for
  ``L = 3`` ``C_1ᵀ C_2 = H_F^{(3,1)ᵀ} H_F^{(3,2)}``, a product of two generically non-zero
  blocks. It holds for ``L = 2`` only, where ``H_F = [[0, B], [Bᵀ, 0]]``. Every result's
  detail lists the non-orthogonal pairs, so the counterexamples are on record.
* **independence** (what the paper uses): the column spaces form a direct sum,
  ``col H_F = ⊕_l col C_l``, equivalently

      rank H_F = Σ_l rank C_l    (always ``≤``, by sub-additivity of rank).

This module checks the second reading exactly (every rank certified over ℚ), as a
statement about *generic* weights and data: the generic rank of each matrix is its
maximum over the seeds (the set where all of them are attained at once is open and
dense), so ``expected = Σ_l max_seeds rank C_l`` and ``observed = max_seeds rank H_F``;
a mismatch is ``violated``. Single integer draws can be non-generic (e.g. proportional
filters), with block ranks or ``rank H_F`` below the generic value, even ``rank H_F <
Σ_l rank C_l`` on one seed while other seeds attain it (seen in a random search of 760
linear instances: 9 such seeds, no generic failure); those seeds are listed in the detail.

Scope: linear networks, as in the paper. For ReLU networks the independence fails on an
open set (units dead on every sample): ``d0=8 conv(3,k3) conv(3,k3) -> K=3 relu``, ``n=6``
gaussian data, seed 13 (and small perturbations of its weights and data) has
``rank C_l = [9, 27, 28]`` but ``rank H_F = 61 < 64``.
"""

from __future__ import annotations

from dataclasses import dataclass

from symhess.linalg.matrices import is_zero
from symhess.nets.architecture import Architecture, ConvLayer, LocalLayer

from .framework import CheckResult, Claim, DegenerateInstance, compare_exact, degenerate
from .instances import Instance, certified_rank, generic_draw

NAME = "Remark: H_F column blocks add up in rank (orthogonality)"
STATEMENT = ("Empirical remark after Thm 6 (linear CNNs): the block-columns C_l of H_F are independent, "
             "generic rank H_F = sum_l generic rank C_l (certified ranks); literal orthogonality "
             "C_l^T C_k = 0 fails for L >= 3, and independence fails for ReLU nets (see module docstring)")


def non_orthogonal_pairs(blocks: list) -> list[tuple[int, int]]:
    """Pairs ``(l, k)``, ``l < k`` (1-based), with ``C_lᵀ C_k ≠ 0`` exactly."""
    return [(l + 1, k + 1) for l in range(len(blocks)) for k in range(l + 1, len(blocks))
            if not is_zero(blocks[l].transpose() * blocks[k])]


@dataclass(frozen=True)
class SeedRanks:
    """Certified ``rank C_l`` (``l = 1..L``) and ``rank H_F`` of one draw, and its non-orthogonal pairs."""

    seed: int
    blocks: tuple[int, ...]
    total: int
    pairs: tuple[tuple[int, int], ...]


def seed_ranks(inst: Instance, seed: int) -> SeedRanks:
    """The ranks of one generic-looking draw (raises :class:`DegenerateInstance` otherwise)."""
    H = generic_draw(inst, seed).hessians
    blocks = [H.column_block("functional", l) for l in range(1, inst.arch.depth + 1)]
    return SeedRanks(seed, tuple(certified_rank(C) for C in blocks), certified_rank(H.functional),
                     tuple(non_orthogonal_pairs(blocks)))


def check(inst: Instance) -> CheckResult:
    """Generic ``rank H_F`` vs ``Σ_l`` generic ``rank C_l`` (maxima over the seeds of ``inst``)."""
    draws, skipped = [], []
    for seed in inst.seeds:
        try:
            draws.append(seed_ranks(inst, seed))
        except DegenerateInstance as err:
            skipped.append(f"seed {seed}: {err}")
    if not draws:
        return degenerate(NAME, inst.label, "; ".join(skipped))
    generic = [max(d.blocks[l] for d in draws) for l in range(inst.arch.depth)]
    total = max(d.total for d in draws)
    skipped += [f"seed {d.seed}: block ranks {list(d.blocks)}, rank H_F = {d.total}"
                for d in draws if list(d.blocks) != generic or d.total != total]
    pairs = max(draws, key=lambda d: d.total).pairs
    literal = "C_l^T C_k = 0 for all pairs" if not pairs else f"C_l^T C_k != 0 for pairs {list(pairs)}"
    detail = (f"generic rank C_l = {generic}, generic rank H_F = {total} over seeds {[d.seed for d in draws]}; "
              f"literal orthogonality: {literal}" + (f"; non-generic: {'; '.join(skipped)}" if skipped else ""))
    return compare_exact(NAME, inst.label, sum(generic), total, detail)


def instances(full: bool = False) -> list[Instance]:
    """Linear nets: one hidden layer (L = 2), two and three hidden layers, stride/padding, FCN, LCN."""
    out = [
        Instance(Architecture(6, (ConvLayer(3, 3),), 2, "linear"), 4, (0, 1)),
        Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 2)), 2, "linear"), 4, (0, 1)),
        Instance(Architecture(8, (ConvLayer(2, 3, stride=2, padding=1), ConvLayer(3, 2)), 2, "linear"), 4, (0, 1)),
        Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 2), ConvLayer(2, 2)), 2, "linear"), 3, (0, 1)),
        Instance(Architecture(4, (ConvLayer(2, 3), ConvLayer(2, 1)), 3, "linear"), 2, (0, 1, 2)),
        Instance(Architecture.fully_connected(4, [3, 3], 2), 4, (0, 1)),
    ]
    if full:
        out += [
            Instance(Architecture(8, (ConvLayer(4, 3), ConvLayer(4, 3)), 3, "linear"), 8, (0, 1, 2)),
            Instance(Architecture(7, (ConvLayer(2, 2), ConvLayer(3, 2)), 2, "linear"), 4, (0, 1, 2)),
            Instance(Architecture.fully_connected(4, [5, 2, 4], 3), 8, (0, 1)),
            Instance(Architecture(6, (LocalLayer(3, 2, stride=2),), 2, "linear"), 4, (0, 1)),
            Instance(Architecture(9, (ConvLayer(3, 3, stride=2, padding=2), ConvLayer(2, 2, padding=1)), 2, "linear"),
                     5, (0, 1, 2)),
            Instance(Architecture(8, (ConvLayer(2, 3), ConvLayer(2, 3, padding=1), ConvLayer(1, 3)), 3, "linear"),
                     4, (0, 1, 2)),
            Instance(Architecture(6, (ConvLayer(2, 2), ConvLayer(2, 1), ConvLayer(3, 1, stride=2)), 2, "linear"),
                     3, (0, 1, 2)),
        ]
    return out


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("remark", "empirical", "functional"))
