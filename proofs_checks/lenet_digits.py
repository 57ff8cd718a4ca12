"""A LeNet-style PyTorch model on 8 × 8 digits: certified exact ranks, and float64 torch agrees.

The model is the kind researchers train — ``Conv2d(1, c1, 3, padding=1)`` (bias) – ReLU –
``MaxPool2d(2)`` – ``Conv2d(c1, c2, 3, padding=1)`` (bias) – ``AvgPool2d(2)`` – Flatten –
``Linear(4 c2, 10)`` (bias) — with torch's default float32 initialisation from
``torch.manual_seed(seed)``. :func:`symhess.io.torch_import.from_torch` reads every weight as
the exact binary rational it stores; the inputs are scikit-learn digits as 8 × 8 images
(integers 0–16), targets one-hot over the 10 classes. The exact ranks of ``H_O``, ``H_F``,
``H_L`` (MSE) are certified (:func:`symhess.hessian.assembly.hessian_ranks`).

Independent value: the float64 route of PyTorch itself (:func:`symhess.hessian.torch_float.torch_hessians`,
``torch.func.hessian`` of the loss and ``jacrev`` for ``H_O``) on the same model, ranked by
``numpy.linalg.matrix_rank``'s default threshold. The claim is that they agree *on
well-conditioned instances*: where the float64 singular values have a gap of at least
:data:`GAP` around the exact rank (``σ_r / σ_{r+1} ≥ 10^4``). A part without that gap is
reported ``degenerate instance`` (the float64 rank is not meaningful there) and redrawn with
new seeds; the entries of the three matrices must agree to :data:`ENTRY_RTOL` in every case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symhess.experiments.datasets import load_dataset
from symhess.hessian.assembly import hessian_ranks
from symhess.hessian.hessians import PARTS
from symhess.hessian.sequential_assembly import assemble_sequential
from symhess.hessian.torch_float import require_torch, torch_hessians
from symhess.io.torch_import import from_torch

from .framework import CheckResult, Claim, compare_exact, degenerate

NAME = "LeNet-style torch model on 8x8 digits: certified ranks = float64 torch ranks"
GAP = 1e4
"""Singular-value gap ``σ_r / σ_{r+1}`` that makes a float64 rank meaningful."""
ENTRY_RTOL = 1e-9
"""Largest ``max |H_exact − H_torch| / max |H_exact|`` accepted (float64 rounding of a sum of products)."""


@dataclass(frozen=True)
class LeNetInstance:
    """Channels ``(c1, c2)``, ``n`` digit images, torch seeds."""

    channels: tuple[int, int]
    n: int
    seeds: tuple[int, ...] = (0,)

    def __str__(self) -> str:
        c1, c2 = self.channels
        return f"LeNet c1={c1} c2={c2} on {self.n} digits, torch seeds {list(self.seeds)}"


def lenet(c1: int, c2: int, seed: int):
    """The torch model, default float32 initialisation from ``torch.manual_seed(seed)``."""
    torch = require_torch()
    nn = torch.nn
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(c1, c2, 3, padding=1), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4 * c2, 10))


def _gap(singular: np.ndarray, rank: int) -> float:
    """``σ_r / σ_{r+1}`` (``inf`` at full rank, ``0`` at rank 0)."""
    if rank == 0:
        return 0.0
    if rank == len(singular):
        return float("inf")
    return float(singular[rank - 1] / max(singular[rank], np.finfo(float).tiny))


def check(inst: LeNetInstance) -> list[CheckResult]:
    results = []
    for seed in inst.seeds:
        label = f"{inst} (seed {seed})"
        net = from_torch(lenet(*inst.channels, seed), input_shape=(1, 8, 8))
        data = load_dataset(net.arch, inst.n, seed, "digits")
        exact = hessian_ranks(net, data, PARTS)
        floats = torch_hessians(net, data)
        ints = assemble_sequential(net, data)
        for part in PARTS:
            rank = exact.ranks[part]
            if not rank.certified:
                results.append(CheckResult(NAME, label, "certified", rank.path, "violated", f"H_{part[0].upper()}"))
                continue
            H = ints.to_float(part)
            err = float(np.abs(H - floats[part]).max() / max(np.abs(H).max(), np.finfo(float).tiny))
            results.append(compare_exact(NAME, label, True, err <= ENTRY_RTOL,
                                         f"H_{part[0].upper()} entries: relative error {err:.1e} <= {ENTRY_RTOL:g}"))
            singular = np.linalg.svd(floats[part], compute_uv=False)
            gap = _gap(singular, rank.rank)
            what = f"H_{part[0].upper()}: certified rank vs float64 torch rank (gap {gap:.1e}), p = {net.arch.num_params}"
            if gap < GAP:
                results.append(degenerate(NAME, label, f"{what}: no float64 gap >= {GAP:g}, not well-conditioned"))
                continue
            results.append(compare_exact(NAME, label, rank.rank, int(np.linalg.matrix_rank(floats[part])), what))
    return results


DEFAULT = [LeNetInstance((1, 2), 8, (0,))]
FULL_EXTRA = [LeNetInstance((2, 4), 12, (0,)), LeNetInstance((4, 8), 20, (0, 1)), LeNetInstance((3, 6), 40, (2,))]
FULL = DEFAULT + FULL_EXTRA


def instances(full: bool) -> list[LeNetInstance]:
    return FULL if full else DEFAULT


CLAIM = Claim(NAME, "a LeNet-style torch model (Conv2d+bias, ReLU, MaxPool2d, Conv2d, AvgPool2d, Linear+bias) on "
              "8x8 digits has certified exact ranks of H_O, H_F, H_L equal to float64 torch's wherever the float64 "
              "spectrum has a gap, and its exact Hessians equal torch's to float64 rounding",
              check, instances, tags=("beyond", "real-data", "torch"))
