"""Cross-entropy against the rank bounds: ``K → K − 1``, measured draws, the ``crossentropy`` table.

Why ``K − 1`` (``docs/crossentropy.md`` §"rank H_O exactly" and §"Bounds with K − 1"): with
``C_K = [e_1 − e_K, …, e_{K−1} − e_K]`` and ``V = W^L`` (``K × m_{L−1} d_{L−1}``),

* ``rank H_O = rank [C_Kᵀ J_1; …; C_Kᵀ J_n]`` and ``C_Kᵀ J_i = J'_i P``, where ``J'_i`` is the
  Jacobian of the ``(K−1)``-output network with last layer ``V' = C_Kᵀ V`` and
  ``P = diag(I, C_Kᵀ ⊗ I)`` (full row rank): ``rank H_O`` is the MSE ``rank H_O`` of that
  network, whose last layer is generic when ``V`` is (``V ↦ C_Kᵀ V`` is onto);
* the residuals ``p_i − y_i`` sum to zero, so ``Σ_c (p_ic − y_ic) ∇²F_c = Σ_{c<K} ρ_ic ∇²(F_c − F_K)``
  (``ρ_i`` the first ``K − 1`` residuals): ``H_F = Pᵀ H'_F P`` with ``H'_F`` the MSE functional
  Hessian of the same ``(K−1)``-output network with residual–input covariance ``Ω'``
  (the first ``K − 1`` rows of ``Ω``, which span its rows): ``rank Ω ≤ min(r, K − 1)``.

Hence every linear-network bound holds for cross-entropy with ``K − 1`` outputs and
``s = min(r, K − 1)`` (:func:`theorem_bounds`; exact where the MSE result is exact: FCN
``H_O``/``H_F``, Theorems 7/8). Not implied: Singh et al.'s FCN ``H_L`` formula (``H_O`` of
cross-entropy weights each sample by ``A_i``, not ``I``) and the paper's statement that the
(MSE, ``K``) bounds "still hold empirically for CE" (:func:`paper_bounds`).

A draw (:func:`measure_ce_draw`) is :func:`symhess.hessian.crossentropy.random_ce_instance` (tempered
logits, redrawn at ReLU kinks, redraws counted) with exact ``r = rank Σ_xx``, exact
``rank C_Kᵀ W^L``, the gap-rule ``rank Ω`` and :func:`symhess.hessian.crossentropy.ce_hessian_ranks`;
:func:`ce_degeneracy` says why a draw is not generic.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import mpmath

from ..hessian.crossentropy import (CrossEntropyRanks, ce_hessian_ranks, probabilities, random_ce_instance,
                                    sum_zero_basis)
from ..hessian.hessians import PARTS, input_covariance
from ..linalg.matrices import to_fmpq_mat
from ..linalg.numeric_rank import DEFAULT_DPS, GapRank, gap_rank, to_mp_matrix
from ..linalg.rank import exact_rank
from ..nets.architecture import Architecture, Network
from ..nets.data import Dataset
from ..nets.toeplitz import ReluKinkError
from ..scalars import InputError
from ..theory.bounds import Bounds, is_fully_connected, is_plain_conv, network_bounds
from .sweep import InstanceResult, PartRanks, fold_row

KINK_TRIES = 20
"""Weight redraws (seeds ``seed + 1000 a``) before a ReLU draw is given up as degenerate."""


# --- bounds -------------------------------------------------------------------------------------

def reduced_classes(arch: Architecture) -> Architecture:
    """``arch`` with ``K − 1`` outputs: the network ``F_c − F_K`` (last layer ``C_Kᵀ W^L``)."""
    return dataclasses.replace(arch, outputs=arch.outputs - 1)


def ce_residual_rank(r: int, outputs: int) -> int:
    """Generic ``s = rank Ω`` for cross-entropy: ``min(r, K − 1)`` (residuals sum to zero)."""
    return min(r, outputs - 1)


def theorem_bounds(arch: Architecture, r: int) -> Bounds:
    """The linear-network bounds with ``K → K − 1``: ``network_bounds(reduced_classes(arch), r, min(r, K−1))``.

    For an FCN this is :func:`symhess.theory.bounds.network_bounds` with ``loss="ce"``.
    """
    return network_bounds(reduced_classes(arch), r, ce_residual_rank(r, arch.outputs))


def paper_bounds(arch: Architecture, r: int) -> Bounds:
    """``network_bounds(arch, r, min(r, K−1), loss="ce")``: for CNNs the MSE bounds with ``K`` (the
    paper: they "still hold empirically for CE"), for FCNs Singh et al.'s ``K − 1`` values."""
    return network_bounds(arch, r, ce_residual_rank(r, arch.outputs), loss="ce")


def exact_parts(arch: Architecture) -> tuple[str, ...]:
    """Parts whose :func:`theorem_bounds` value is the generic rank: FCN all three (``H_L``
    empirically, Singh et al.), one hidden stride-1 layer ``H_O``, ``H_F`` (Theorems 7/8)."""
    if arch.activation != "linear":
        return ()
    if is_fully_connected(arch):
        return PARTS
    if arch.depth == 2 and is_plain_conv(arch):
        return ("outer", "functional")
    return ()


# --- one measured draw --------------------------------------------------------------------------

def head_rank(net: Network) -> int:
    """Exact ``rank C_Kᵀ W^L`` (``W^L`` as ``K × m_{L−1} d_{L−1}``; rows ``W^L_c − W^L_K``)."""
    W = to_fmpq_mat(net.weights[-1].reshape(net.arch.outputs, -1))
    return (sum_zero_basis(net.arch.outputs).transpose() * W).rank()


def ce_residual_input_covariance(net: Network, data: Dataset, dps: int = DEFAULT_DPS) -> mpmath.matrix:
    """``Ω = (1/n) Σ_i (p_i − y_i) x_iᵀ`` (``K × d_0``) at ``dps`` digits."""
    with mpmath.workdps(dps):
        P = mpmath.matrix(probabilities(net, data, dps))
        R = P - to_mp_matrix(data.targets)
        return R.T * to_mp_matrix(data.inputs) / data.n


@dataclass(frozen=True, eq=False)
class CEDraw:
    """One cross-entropy draw, measured. ``ranks`` is ``None`` when every redraw hit a ReLU kink.

    ``weight_seed``: the seed actually used (``seed + 1000·redraws``); ``r``: exact
    ``rank Σ_xx``; ``head``: exact ``rank C_Kᵀ W^L``; ``omega``: gap-rule ``rank Ω``;
    ``why_degenerate``: ``None`` for a generic-looking draw, else the reason.
    """

    arch: Architecture
    n: int
    seed: int
    weight_seed: int
    redraws: int
    net: Network | None
    data: Dataset | None
    r: int
    head: int
    omega: GapRank | None
    ranks: CrossEntropyRanks | None
    why_degenerate: str | None

    def rank(self, part: str) -> int | None:
        """Exact ``rank H_O`` (``"outer"``), or the gap-rule rank of ``H_F`` / ``H_L`` (``None``: no clear gap)."""
        assert self.ranks is not None, "no ranks on a draw without a kink-free network"
        return self.ranks.ranks[part]

    def gap_rank(self, part: str) -> GapRank:
        """The gap-rule rank of ``part`` at ``dps`` (for ``"outer"``: the numeric cross-check of the exact rank)."""
        assert self.ranks is not None
        return {"outer": self.ranks.outer_numeric, "functional": self.ranks.functional, "loss": self.ranks.loss}[part]

    def gap(self, part: str) -> float:
        """The gap (decades) behind the rank of ``part``."""
        return self.gap_rank(part).gap_decades

    @property
    def label(self) -> str:
        return f"seed {self.seed}" + (f" (weights of seed {self.weight_seed})" if self.redraws else "")


def smooth_ce_instance(arch: Architecture, n: int, seed: int, kind: str, max_logit: int,
                       tries: int = KINK_TRIES) -> tuple[Network, Dataset, int]:
    """:func:`random_ce_instance` one seed at a time (``seed + 1000 a``): ``(net, data, redraws)``.

    Raises the last :class:`ReluKinkError` when all ``tries`` hit a kink.
    """
    for attempt in range(tries):
        try:
            net, data = random_ce_instance(arch, n, seed + 1000 * attempt, kind, max_logit, tries=1)
            return net, data, attempt
        except ReluKinkError:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def ce_degeneracy(net: Network, data: Dataset, r: int, head: int, omega: GapRank) -> str | None:
    """Why a cross-entropy draw is not generic, or ``None``.

    Generic: ``r = min(n, d_0)``; ``rank C_Kᵀ W^L = min(K − 1, m_{L−1} d_{L−1})``; ``rank Ω`` has a
    clear gap and equals ``min(r, K − 1)``; no layer's weights are all zero.
    """
    arch = net.arch
    reasons = []
    if r < min(data.n, arch.input_dim):
        reasons.append(f"data rank r={r} < min(n, d0)={min(data.n, arch.input_dim)}")
    head_generic = min(arch.outputs - 1, arch.layers[-1].in_channels * arch.layers[-1].in_dim)
    if head < head_generic:
        reasons.append(f"rank C_K^T W^L = {head} < {head_generic}")
    if omega.rank is None:
        reasons.append(f"rank Omega: {omega.certificate}")
    elif omega.rank < ce_residual_rank(r, arch.outputs):
        reasons.append(f"rank Omega = {omega.rank} < min(r, K-1) = {ce_residual_rank(r, arch.outputs)}")
    reasons += [f"layer {l} weight is zero" for l, w in enumerate(net.weights, start=1) if all(v == 0 for v in w.flat)]
    return "; ".join(reasons) or None


@lru_cache(maxsize=64)
def measure_ce_draw(arch: Architecture, n: int, seed: int, kind: str = "integer", dps: int = DEFAULT_DPS,
                    max_logit: int = 4) -> CEDraw:
    """The draw of ``seed``: exact ``r``, ``rank C_Kᵀ W^L``, gap-rule ``rank Ω`` and Hessian ranks (cached)."""
    try:
        net, data, redraws = smooth_ce_instance(arch, n, seed, kind, max_logit)
    except ReluKinkError as err:
        return CEDraw(arch, n, seed, seed, KINK_TRIES, None, None, -1, -1, None, None,
                      f"ReLU kink on all {KINK_TRIES} weight draws: {err}")
    cov = exact_rank(input_covariance(data))
    assert cov.certified
    head = head_rank(net)
    omega = gap_rank(ce_residual_input_covariance(net, data, dps), dps)
    ranks = ce_hessian_ranks(net, data, dps)
    assert ranks.outer.certified
    why = ce_degeneracy(net, data, cov.rank, head, omega)
    return CEDraw(arch, n, seed, seed + 1000 * redraws, redraws, net, data, cov.rank, head, omega, ranks, why)


# --- the `crossentropy` table (symhess.experiments.tables) ----------------------------------------------------

@dataclass(frozen=True)
class CETableInstance:
    """What one seed of a table point contributes (picklable, small).

    ``ranks``: exact ``H_O``, gap-rule ``H_F``, ``H_L`` (``None``: no clear gap); ``gaps``: their
    gaps in decades; ``why_degenerate``: as :attr:`CEDraw.why_degenerate`.
    """

    seed: int
    ranks: tuple[int | None, int | None, int | None]
    gaps: tuple[float, float, float]
    r: int
    s: int
    dps: int
    why_degenerate: str | None


def measure_ce_table(point: Any, seed: int) -> CETableInstance:
    """Table measurement: the draw of ``seed`` at the point's architecture and sample count (dps 50)."""
    d = measure_ce_draw(point.arch, point.samples, seed, point.dataset, DEFAULT_DPS)
    if d.ranks is None:
        return CETableInstance(seed, (None, None, None), (0.0, 0.0, 0.0), -1, -1, DEFAULT_DPS, d.why_degenerate)
    return CETableInstance(seed, tuple(d.rank(p) for p in PARTS), tuple(d.gap(p) for p in PARTS), d.r,
                           ce_residual_rank(d.r, point.arch.outputs), DEFAULT_DPS, d.why_degenerate)


def fold_ce_rows(point: Any, results: Sequence[CETableInstance]) -> Any:
    """One table row: generic ranks over the seeds with a clear gap for every part, bounds with ``K − 1``.

    Seeds without a clear gap are left out of the ranks and counted in ``no_gap``; if no seed has
    one, :class:`symhess.scalars.InputError` asks for a higher precision (never a guessed rank).
    Extra columns: the smallest gap (decades) of ``H_F`` and ``H_L`` over the used seeds, the
    working precision, and ``bound_O_K``: the MSE bound with ``K`` (what ``K − 1`` improves on).
    """
    used = [res for res in results if res.r >= 0 and None not in res.ranks]
    if not used:
        raise InputError("dps", f"a higher precision: no clear gap at dps={results[0].dps} on any seed",
                         point.arch.describe())
    instances = []
    for res in used:
        b = theorem_bounds(point.arch, res.r)
        instances.append(InstanceResult(res.seed, PartRanks(*res.ranks), res.r, res.s, False,
                                        PartRanks(b.outer, b.functional, b.loss), f"{b.source} with K - 1"))
    row = fold_row(point, instances)
    extra = (("gap_F (dec)", round(min(res.gaps[1] for res in used), 1)),
             ("gap_L (dec)", round(min(res.gaps[2] for res in used), 1)),
             ("dps", used[0].dps), ("no_gap", len(results) - len(used)),
             ("bound_O_K", max(network_bounds(point.arch, res.r, res.s).outer for res in used)))
    return dataclasses.replace(row, seeds=len(results), extra=extra,
                               degenerate=sum(res.why_degenerate is not None for res in results))
