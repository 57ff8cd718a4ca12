"""Rank during training: plain gradient descent in float64, exact ranks at checkpoints.

The paper remarks that the Hessian rank can only decrease during training, the functional
part being scaled by the residual. Here a small CNN is trained with full-batch gradient
descent on the MSE loss ``L(θ) = (1/n) Σ_i ½‖F(x_i) − y_i‖²`` in float64 (PyTorch,
``θ ← θ − η ∇L(θ)``), starting from the exact random network of ``seed`` scaled by
``init_scale``. At each checkpoint every float64 weight is taken *exactly*
(``Fraction(w)``: a float64 is a binary rational), and the exact, certified ranks of
``H_O``, ``H_F``, ``H_L`` at those weights are computed, with the data ranks ``r``, ``s``
and the bounds of :func:`symhess.theory.bounds.network_bounds` evaluated at the trained weights.
The float64 SVD rank (numpy's default tolerance) is reported beside them: the numerical
rank is what decreases in practice, while the exact rank of ``H_F`` stays generic until a
residual is *exactly* zero (see ``docs/beyond.md``).

Deterministic from the seed: the initial weights and data are exact draws, and the
updates run single-threaded on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from ..hessian.hessians import PARTS, mse_hessians
from ..io.torch_import import torch_mse
from ..linalg.rank import exact_rank, float64_rank
from ..nets.architecture import Architecture, ConvLayer, Network, random_network
from ..nets.data import Dataset
from ..scalars import InputError
from ..theory.bounds import data_ranks, network_bounds
from .datasets import load_dataset
from .float_audit import TABLE_COLUMN, TABLE_CONVENTIONS, float_audit
from .sweep import InstanceResult, PartRanks


def _torch() -> Any:
    try:
        import torch  # optional extra, imported on use (torch)
    except ImportError as err:  # pragma: no cover - torch is an optional extra
        raise InputError("torch", "PyTorch installed for training (pip install torch)", None) from err
    return torch


@dataclass(frozen=True)
class Checkpoint:
    """The weights after ``step`` gradient steps, exactly (``Fraction`` of each float64), and the loss."""

    step: int
    theta: tuple[Fraction, ...]
    loss: float


def initial_theta(arch: Architecture, seed: int, init_scale: Fraction) -> list[Fraction]:
    """``θ_0``: the exact random network of ``seed`` (integers in ``{−3..3}∖{0}``) times ``init_scale``."""
    return [v * init_scale for v in random_network(arch, seed).theta()]


def gradient_descent(arch: Architecture, data: Dataset, checkpoints: Sequence[int], lr: float = 0.01,
                     seed: int = 0, init_scale: Fraction = Fraction(1, 4)) -> tuple[Checkpoint, ...]:
    """Full-batch gradient descent ``θ ← θ − lr ∇L(θ)`` in float64; weights at each checkpoint step.

    ``checkpoints``: non-negative step counts (``0`` = the initial weights). Raises
    :class:`InputError` if the loss becomes non-finite (learning rate too large).
    """
    torch = _torch()
    steps = sorted(set(int(c) for c in checkpoints))
    if not steps or steps[0] < 0:
        raise InputError("checkpoints", "non-negative step counts", list(checkpoints))
    loss_fn = torch_mse(arch, data)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        theta = torch.tensor([float(v) for v in initial_theta(arch, seed, init_scale)], dtype=torch.float64)
        out, step = [], 0
        for target in steps:
            while step < target:
                theta = theta.detach().requires_grad_(True)
                (grad,) = torch.autograd.grad(loss_fn(theta), theta)
                theta = theta.detach() - lr * grad
                step += 1
            loss = float(loss_fn(theta.detach()))
            if not np.isfinite(loss):
                raise InputError("lr", f"a learning rate small enough for a finite loss (diverged by step {step})",
                                 lr)
            out.append(Checkpoint(step, tuple(Fraction(float(v)) for v in theta.detach().tolist()), loss))
    finally:
        torch.set_num_threads(threads)
    return tuple(out)


def network_at(arch: Architecture, checkpoint: Checkpoint) -> Network:
    """The exact network whose weights are the checkpoint's float64 values."""
    return random_network(arch, 0).with_theta(list(checkpoint.theta))


@dataclass(frozen=True)
class CheckpointRanks:
    """Exact (certified) and float64 ranks of ``H_O``, ``H_F``, ``H_L`` at one checkpoint.

    ``exact`` / ``float64``: ``{"outer": …, "functional": …, "loss": …}``; ``r``, ``s``: data
    ranks at these weights; ``bounds``: :func:`symhess.theory.bounds.network_bounds` at ``(r, s)``
    (``None`` when the bounds module is absent).
    """

    step: int
    loss: float
    exact: dict[str, int]
    float64: dict[str, int]
    certified: bool
    r: int
    s: int
    bounds: dict[str, int] | None
    bound_source: str = ""
    conventions: tuple[tuple[str, str], ...] = ()
    """Per float convention of :mod:`symhess.experiments.float_audit`: ``"ok"`` or ``"NO O/F/L"`` (wrong ranks starred)."""


def checkpoint_ranks(arch: Architecture, data: Dataset, checkpoint: Checkpoint) -> CheckpointRanks:
    """Exact ranks at ``checkpoint`` (the float64 weights read exactly), and the bounds there."""
    net = network_at(arch, checkpoint)
    hess = mse_hessians(net, data)
    results = {part: exact_rank(hess.part(part)) for part in PARTS}
    floats = {part: float64_rank(hess.part(part)).rank for part in PARTS}
    r, s = data_ranks(net, data)
    b = network_bounds(arch, r, s)
    exact = {p: res.rank for p, res in results.items()}
    audit = float_audit(net, data, TABLE_CONVENTIONS)
    conventions = tuple((TABLE_COLUMN.get(res.convention.name, res.convention.name),
                         "ok" if all(res.ranks[p] == exact[p] for p in PARTS) else
                         "NO " + "/".join(f"{res.ranks[p]}*" if res.ranks[p] != exact[p] else str(res.ranks[p])
                                          for p in PARTS))
                        for res in audit.results)
    return CheckpointRanks(checkpoint.step, checkpoint.loss, exact, floats,
                           all(res.certified for res in results.values()), r, s,
                           {"outer": b.outer, "functional": b.functional, "loss": b.loss}, b.source, conventions)


def training_ranks(arch: Architecture, n: int, checkpoints: Sequence[int], seed: int = 0, lr: float = 0.01,
                   kind: str = "integer", init_scale: Fraction = Fraction(1, 4)) -> list[CheckpointRanks]:
    """Train on ``n`` samples of kind ``kind`` from ``seed`` and measure every checkpoint."""
    data = load_dataset(arch, n, seed, kind)
    return [checkpoint_ranks(arch, data, c) for c in gradient_descent(arch, data, checkpoints, lr, seed, init_scale)]


TRAINING_SAMPLES = 4
TRAINING_LR = 0.01


def training_arch(step: int) -> Architecture:
    """The ``training`` table's network (the same at every step): ``d_0 = 8``, 3 filters of size 3, ``K = 2``."""
    return Architecture(8, (ConvLayer(3, 3),), 2)


def training_samples(arch: Architecture) -> int:
    """``n = 4 < d_0``: over-parameterised, gradient descent drives the residuals towards zero."""
    return TRAINING_SAMPLES


def measure_training(point: Any, seed: int) -> Any:
    """Table measurement: train ``point.value`` steps from ``seed`` (lr 0.01), exact ranks there."""
    data = load_dataset(point.arch, point.samples, seed, point.dataset)
    (checkpoint,) = gradient_descent(point.arch, data, [point.value], TRAINING_LR, seed)
    row = checkpoint_ranks(point.arch, data, checkpoint)
    bounds = PartRanks(**row.bounds) if row.bounds else None
    return InstanceResult(seed, PartRanks(**row.exact), row.r, row.s, row.certified, bounds, row.bound_source,
                          row.conventions)
