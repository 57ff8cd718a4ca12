"""Generic rank bounds for any layer stack at a kink-free point (docs/theory.md §9.3).

For every draw (certified exact ranks, kinks redrawn), on mixed stacks of Conv1d/Conv2d (stride,
padding, biases), ReLU after some layers and not others, AvgPool, MaxPool, Flatten and Linear:

* ``rank H_O = rank J ≤ min(nK, p − σ)`` and, for linear stacks, ``≤ K r₁`` and the Toeplitzed-FCN bound
  (:func:`symhess.theory.sequential_bounds.sequential_outer_terms`; ``σ``: rescaling of every hidden
  channel, ``GL(m_l)`` mixing where only AvgPool/Flatten separate two weight layers);
* ``rank H_F ≤ min(p − K_b, 2 rank N)`` (block-hollow, bias rows of ``N`` zero) and, linear stacks, the
  Toeplitzed-FCN column blocks (:func:`~symhess.theory.sequential_bounds.sequential_functional_terms`);
* ``rank H_L ≤ min(p, bound H_O + bound H_F)``, and the dispatcher
  :func:`~symhess.theory.sequential_bounds.sequential_bounds` (the sharpest applicable bounds).

Besides the hand-picked stacks, a deterministic pseudo-random sample of small stacks (4 by default,
300 with ``--full``) is checked; each result's detail names the binding term.
"""

from __future__ import annotations

import random
from dataclasses import replace

from symhess.nets.layers import AvgPool, Conv, Dense, Flatten, MaxPool, ReLU, conv1d, conv2d
from symhess.nets.sequential import SequentialArchitecture
from symhess.scalars import InputError
from symhess.theory.sequential_bounds import (sequential_bounds, sequential_functional_terms, sequential_loss_bound,
                                              sequential_outer_terms)

from ._sequential import StackInstance, compare_draws, draws
from .framework import Claim

NAME = "Generic rank bounds for any layer stack (kink-free points)"

SA = SequentialArchitecture
HAND = [
    StackInstance(SA((1, 4, 4), (conv2d(2, 2), ReLU(), conv2d(2, 2), Flatten(), Dense(2))), 12),
    StackInstance(SA((1, 4, 4), (conv2d(2, 2, bias=True), ReLU(), MaxPool((2, 2), (1, 1)), Flatten(),
                                 Dense(2, bias=True))), 10),
    StackInstance(SA((1, 5, 5), (conv2d(2, 2), MaxPool((2, 2)), conv2d(2, 2, padding=1, bias=True), ReLU(), Flatten(),
                                 Dense(2))), 8),
    StackInstance(SA((1, 6), (conv1d(2, 3, bias=True), ReLU(), AvgPool((2,)), conv1d(2, 2), Flatten(),
                              Dense(2, bias=True))), 9),
    StackInstance(SA((1, 4, 4), (conv2d(2, 2), AvgPool((2, 2), (1, 1)), conv2d(2, 2, bias=True), Flatten(),
                                 Dense(2))), 19),
    StackInstance(SA((2, 3, 3), (conv2d(3, 2, padding=1), ReLU(), Flatten(), Dense(3), ReLU(), Dense(2))), 6),
    StackInstance(SA((1, 4, 4), (Flatten(), Dense(3, bias=True), Dense(2, bias=True))), 19),
    StackInstance(SA((1, 3, 3), (conv2d(4, 1), Flatten(), Dense(3), Dense(2))), 12),
]


def random_stack(rng: random.Random) -> SequentialArchitecture | None:
    """A small random stack (1D or 2D, 1–2 convs, optional ReLU/pooling/hidden Linear, biases), or ``None``."""
    dims = rng.choice([1, 2, 2])
    C = rng.choice([1, 1, 2])
    spatial = tuple(rng.randint(3, 6) for _ in range(dims))
    shape, mods = (C,) + spatial, []
    for _ in range(rng.choice([1, 1, 2])):
        k = tuple(rng.randint(1, min(3, d)) for d in shape[1:])
        conv = Conv(rng.randint(1, 3), k, tuple(rng.choice([1, 1, 2]) for _ in k), tuple(rng.choice([0, 0, 1]) for _ in k),
                    rng.random() < 0.4)
        try:
            shape = conv.out_shape(shape)
        except InputError:
            continue
        mods.append(conv)
        if rng.random() < 0.4:
            mods.append(ReLU())
        if rng.random() < 0.3 and all(d >= 2 for d in shape[1:]):
            pool = (AvgPool if rng.random() < 0.5 else MaxPool)((2,) * dims, tuple(rng.choice([1, 2]) for _ in range(dims)))
            mods.append(pool)
            shape = pool.out_shape(shape)
    mods.append(Flatten())
    if rng.random() < 0.3:
        mods.append(Dense(rng.randint(1, 4), rng.random() < 0.4))
        if rng.random() < 0.5:
            mods.append(ReLU())
    mods.append(Dense(rng.randint(1, 3), rng.random() < 0.4))
    try:
        arch = SA((C,) + spatial, tuple(mods))
    except InputError:
        return None
    return arch if arch.num_params <= 150 else None


def random_instances(count: int, seed: int = 0) -> list[StackInstance]:
    rng = random.Random(f"sequential-bounds:{seed}")
    out = []
    while len(out) < count:
        arch = random_stack(rng)
        if arch is not None:
            out.append(StackInstance(arch, rng.choice([2, 4, arch.input_dim + arch.outputs + 1]), (rng.randint(0, 999),)))
    return out


def instances(full: bool) -> list[StackInstance]:
    return HAND + random_instances(300 if full else 4)


def _binding(terms) -> str:
    return "binding: " + ", ".join(terms.binding)


def check(inst: StackInstance):
    arch = inst.arch
    ds = draws(inst)
    rk = ds[0].ranks
    out = [compare_draws(NAME, inst, "H_O <= min(nK, p - sigma[, K r1, toeplitz FCN])", ds, "outer",
                         lambda d: sequential_outer_terms(arch, d.ranks).value),
           compare_draws(NAME, inst, "H_F <= min(p - K_b, 2 rank N[, toeplitz blocks])", ds, "functional",
                         lambda d: sequential_functional_terms(arch, d.ranks).value),
           compare_draws(NAME, inst, "H_L <= min(p, bound H_O + bound H_F)", ds, "loss",
                         lambda d: sequential_loss_bound(arch, d.ranks))]
    out[0] = _with(out[0], _binding(sequential_outer_terms(arch, rk)))
    out[1] = _with(out[1], _binding(sequential_functional_terms(arch, rk)))
    for part in ("outer", "functional", "loss"):
        out.append(compare_draws(NAME, inst, f"H_{part[0].upper()} <= sequential_bounds", ds, part,
                                 lambda d, part=part: getattr(sequential_bounds(arch, d.ranks), part)))
    return out


def _with(res, note: str):
    return replace(res, detail=f"{res.detail}; {note}")


CLAIM = Claim(NAME, "any stack at a kink-free point: rank H_O <= min(nK, p - sigma) (linear: also K r1 and the "
              "Toeplitzed FCN); rank H_F <= min(p - K_b, 2 rank N); rank H_L <= min(p, sum)",
              check, instances, tags=("beyond", "sequential"))
