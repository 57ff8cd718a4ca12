"""Softmax cross-entropy Hessians: exact ``rank H_O``, high-precision ``H_F`` and ``H_L``.

Loss, with one-hot targets ``y_i = e_{c_i}`` (``K ≥ 2`` classes), averaged over samples:

    L(θ) = (1/n) Σ_i ℓ_i,   ℓ_i = −log softmax(F(x_i))_{c_i},   p_i = softmax(F(x_i)).

Gauss–Newton split (Eq. 1 with the cross-entropy output Hessian):

* ``∇_F ℓ_i = p_i − y_i`` and ``∇²_F ℓ_i = A_i = diag(p_i) − p_i p_iᵀ`` (``K × K``);
* ``H_O = (1/n) Σ_i J_iᵀ A_i J_i``, ``J_i = ∂F(x_i)/∂θ`` (``K × p``, exact rational);
* ``H_F = (1/n) Σ_i Σ_c (p_{ic} − y_{ic}) ∇²_θ F_c(x_i)``; ``H_L = H_O + H_F``.

``p_i`` involves ``exp``, so the Hessians are not rational. Still:

* ``rank H_O`` is **exact and certified**: ``A_i`` is positive semidefinite with range
  ``1⊥`` (every ``p_{ic} > 0``), hence ``rank H_O = rank [C_Kᵀ J_1; …; C_Kᵀ J_n]`` for the
  exact basis ``C_K = [e_1 − e_K, …, e_{K−1} − e_K]`` of ``1⊥`` (proof in
  ``docs/crossentropy.md``). That ``n(K−1) × p`` matrix is rational and goes to
  :func:`symhess.linalg.rank.exact_rank`. It does not depend on the probabilities at all.
* ``H_F`` and ``H_L`` are computed at ``dps`` decimal digits and their ranks decided by the
  gap rule of :mod:`symhess.linalg.numeric_rank` (``None`` when no clear gap exists).
  ``H_F`` reuses the exact MSE machinery, since it is linear in the residuals: the
  probabilities are rounded once to ``dps`` digits (an ``mpf`` *is* a binary rational),
  ``H_F`` of those residuals is assembled exactly by
  :func:`symhess.hessian.hessians.functional_hessian`, then rounded to ``dps`` digits. ``H_O`` is
  assembled in mpmath arithmetic from the exact ``J_i`` and ``A_i`` at ``dps`` digits.
"""

from __future__ import annotations

import random as _random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import flint
import mpmath
import numpy as np

from ..linalg.matrices import vstack
from ..linalg.numeric_rank import DEFAULT_DPS, GapRank, check_dps, gap_rank, mpf_to_fraction, to_mp_matrix
from ..linalg.rank import RankResult, exact_rank
from ..nets.architecture import Architecture, Network, random_network
from ..nets.data import Dataset, random_dataset
from ..nets.toeplitz import ReluKinkError, forward
from ..scalars import InputError
from .hessians import PARTS, functional_hessian, sample_jacobian, sample_terms

LOSSES = ("mse", "ce")
"""Loss names as the CLI spells them: mean squared error, softmax cross-entropy."""


# --- targets -------------------------------------------------------------------------------

def class_labels(targets: Any, num_classes: int) -> tuple[int, ...]:
    """Class indices ``c_i ∈ {0..K−1}`` from ``targets``: one-hot rows ``(n, K)`` or indices.

    Indices may be given as a flat sequence of ``n`` integers or as ``(n, 1)`` rows. A row of
    length ``K`` must hold exactly one ``1`` and ``0`` elsewhere. Raises :class:`InputError`
    naming ``targets[i]`` otherwise.
    """
    if num_classes < 2:
        raise InputError("outputs", "K >= 2 classes for cross-entropy", num_classes)
    arr = np.asarray(targets, dtype=object)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] not in (1, num_classes):
        raise InputError("targets", f"one-hot rows of length K = {num_classes} or one class index per sample",
                         list(arr.shape))
    labels = []
    for i, row in enumerate(arr):
        if arr.shape[1] == 1:
            v = row[0]
            if not _is_number(v) or v != int(v) or not 0 <= int(v) < num_classes:
                raise InputError(f"targets[{i}]", f"a class index in 0..{num_classes - 1}", v)
            labels.append(int(v))
        else:
            ones = [c for c, v in enumerate(row) if _is_number(v) and v == 1]
            if len(ones) != 1 or any(not _is_number(v) or v not in (0, 1) for v in row):
                raise InputError(f"targets[{i}]", f"a one-hot row of length {num_classes} (one 1, the rest 0)",
                                 list(row))
            labels.append(ones[0])
    return tuple(labels)


def _is_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, (int, Fraction, np.integer)) or (isinstance(v, float) and np.isfinite(v))


def one_hot(labels: Sequence[int], num_classes: int) -> np.ndarray:
    """``(n, K)`` object array of exact 0/1 with row ``i`` equal to ``e_{c_i}``."""
    out = np.empty((len(labels), num_classes), dtype=object)
    out.fill(Fraction(0))
    for i, c in enumerate(labels):
        out[i, c] = Fraction(1)
    return out


def ce_dataset(inputs: Any, targets: Any, num_classes: int) -> Dataset:
    """A :class:`Dataset` with one-hot targets, from one-hot rows or class indices."""
    return Dataset(np.asarray(inputs, dtype=object), one_hot(class_labels(targets, num_classes), num_classes))


def as_ce_dataset(data: Dataset, num_classes: int) -> Dataset:
    """``data`` with its targets validated and normalised to one-hot rows (no copy when they are)."""
    labels = class_labels(data.targets, num_classes)
    if data.targets.shape[1] == num_classes:
        return data
    return Dataset(data.inputs, one_hot(labels, num_classes))


def random_labels(data: Dataset, num_classes: int, seed: int = 0) -> Dataset:
    """``data``'s inputs with labels uniform in ``0..K−1`` drawn from ``seed`` (one-hot); its targets are dropped."""
    rng = _random.Random(f"labels:{seed}")
    return Dataset(data.inputs, one_hot([rng.randrange(num_classes) for _ in range(data.n)], num_classes))


def random_ce_dataset(arch: Architecture, n: int, seed: int = 0, kind: str = "integer") -> Dataset:
    """Inputs as :func:`symhess.nets.data.random_dataset`, labels uniform in ``0..K−1`` (:func:`random_labels`)."""
    return random_labels(random_dataset(arch, n, seed, kind), arch.outputs, seed)


def temper_logits(net: Network, data: Dataset, max_logit: int = 4) -> Network:
    """``net`` with its last layer divided by the least power of 2 making ``max |F(x_i)| ≤ max_logit``.

    Softmax saturates for large logits (``p_{ic} ~ e^{-|F|}``), which pushes true singular
    values of the cross-entropy Hessians below any working precision. Integer-weight
    networks easily reach logits in the hundreds, so random instances are tempered (exactly,
    by a power of 2; the ReLU masks and ``rank H_O`` are unchanged).
    """
    top = max((abs(v) for x in data.inputs for v in forward(net, x).output), default=Fraction(0))
    shift = 0
    while top > max_logit * 2 ** shift:
        shift += 1
    if shift == 0:
        return net
    weights = list(net.weights)
    weights[-1] = weights[-1] / (2 ** shift)
    return Network(net.arch, tuple(weights))


def random_ce_instance(arch: Architecture, n: int, seed: int = 0, kind: str = "integer", max_logit: int = 4,
                       tries: int = 20) -> tuple[Network, Dataset]:
    """A random network (tempered by :func:`temper_logits`) and labelled data for cross-entropy.

    Seeds ``seed, seed + 1000, …`` are tried until no ReLU pre-activation is exactly zero
    (at most ``tries``; then the last :class:`symhess.nets.toeplitz.ReluKinkError` propagates).
    """
    for attempt in range(tries):
        s = seed + 1000 * attempt
        net, data = random_network(arch, s), random_ce_dataset(arch, n, s, kind)
        try:
            return temper_logits(net, data, max_logit), data
        except ReluKinkError:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


# --- probabilities, loss ------------------------------------------------------------------

def softmax(logits: Sequence[Any], dps: int = DEFAULT_DPS) -> list[mpmath.mpf]:
    """``p_c = exp(z_c − max z) / Σ_j exp(z_j − max z)`` at ``dps`` digits (``z`` exact)."""
    with mpmath.workdps(check_dps(dps)):
        z = [mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator for v in logits]
        top = max(z)
        e = [mpmath.exp(v - top) for v in z]
        s = mpmath.fsum(e)
        return [v / s for v in e]


def probabilities(net: Network, data: Dataset, dps: int = DEFAULT_DPS) -> list[list[mpmath.mpf]]:
    """``p_i = softmax(F(x_i))`` for every sample (``n`` lists of ``K`` values)."""
    return [softmax(forward(net, x).output, dps) for x in data.inputs]


def ce_loss(net: Network, data: Dataset, dps: int = DEFAULT_DPS) -> mpmath.mpf:
    """``L = (1/n) Σ_i (logsumexp F(x_i) − F_{c_i}(x_i))`` at ``dps`` digits."""
    data = as_ce_dataset(data, net.arch.outputs)
    labels = class_labels(data.targets, net.arch.outputs)
    with mpmath.workdps(check_dps(dps)):
        total = mpmath.mpf(0)
        for x, c in zip(data.inputs, labels):
            p = softmax(forward(net, x).output, dps)
            total -= mpmath.log(p[c])
        return total / data.n


# --- Hessians --------------------------------------------------------------------------------

def sum_zero_basis(num_classes: int) -> flint.fmpq_mat:
    """``C_K = [e_1 − e_K, …, e_{K−1} − e_K]`` (``K × (K−1)``), an exact basis of ``1⊥``."""
    K = num_classes
    return flint.fmpq_mat(K, K - 1, [(1 if r == c else 0) - (1 if r == K - 1 else 0)
                                     for r in range(K) for c in range(K - 1)])


def outer_factor(net: Network, data: Dataset) -> flint.fmpq_mat:
    """``G = [C_Kᵀ J_1; …; C_Kᵀ J_n]`` (``n(K−1) × p``, exact): ``rank H_O = rank G``.

    Row ``(i, c)`` is ``∂(F_c − F_K)(x_i)/∂θ``.
    """
    Ct = sum_zero_basis(net.arch.outputs).transpose()
    return vstack([Ct * sample_jacobian(net, t) for t in sample_terms(net, data)])


def outer_rank(net: Network, data: Dataset, certify: bool = True, seed: int = 0) -> RankResult:
    """Exact (by default certified) ``rank H_O`` of the cross-entropy loss, via :func:`outer_factor`."""
    return exact_rank(outer_factor(net, as_ce_dataset(data, net.arch.outputs)), certify=certify, seed=seed)


def output_hessian(p: Sequence[mpmath.mpf]) -> mpmath.matrix:
    """``A = diag(p) − p pᵀ`` (``K × K``) at the current precision."""
    K = len(p)
    A = mpmath.matrix(K, K)
    for a in range(K):
        for b in range(K):
            A[a, b] = (p[a] if a == b else 0) - p[a] * p[b]
    return A


@dataclass(frozen=True, eq=False)
class CrossEntropyHessians:
    """``H_O``, ``H_F`` (``p × p`` ``mpmath.matrix`` at ``dps`` digits) and the probabilities."""

    arch: Architecture
    dps: int
    outer: mpmath.matrix
    functional: mpmath.matrix
    probabilities: tuple[tuple[mpmath.mpf, ...], ...]

    @property
    def loss(self) -> mpmath.matrix:
        """``H_L = H_O + H_F``."""
        with mpmath.workdps(self.dps):
            return self.outer + self.functional

    def part(self, name: str) -> mpmath.matrix:
        """``"outer"``, ``"functional"`` or ``"loss"``."""
        if name not in PARTS:
            raise InputError("part", f"one of {', '.join(PARTS)}", name)
        return getattr(self, name)


def ce_hessians(net: Network, data: Dataset, dps: int = DEFAULT_DPS) -> CrossEntropyHessians:
    """Cross-entropy ``H_O``, ``H_F`` at ``dps`` digits (see the module docstring for the route)."""
    dps = check_dps(dps)
    data = as_ce_dataset(data, net.arch.outputs)
    data.check_fits(net.arch)
    with mpmath.workdps(dps):
        probs = probabilities(net, data, dps)
        outer = mpmath.matrix(net.arch.num_params, net.arch.num_params)
        for terms, p in zip(sample_terms(net, data), probs):
            J = to_mp_matrix(sample_jacobian(net, terms))
            outer += J.T * output_hessian(p) * J
        outer /= data.n
        residuals = [[mpf_to_fraction(pc) - y for pc, y in zip(p, row)] for p, row in zip(probs, data.targets)]
        functional = to_mp_matrix(functional_hessian(net, data, residuals=residuals))
    return CrossEntropyHessians(net.arch, dps, outer, functional, tuple(tuple(p) for p in probs))


@dataclass(frozen=True)
class CrossEntropyRanks:
    """Ranks of the cross-entropy Hessians of one network on one data set.

    ``outer``: exact ``rank H_O`` (certified unless asked otherwise). ``outer_numeric``,
    ``functional``, ``loss``: gap-rule ranks at ``dps`` digits (``rank`` is ``None`` when no
    clear gap exists). ``agree``: whether the gap-rule ``rank H_O`` equals the exact one.
    """

    params: int
    dps: int
    outer: RankResult
    outer_numeric: GapRank
    functional: GapRank
    loss: GapRank

    @property
    def agree(self) -> bool:
        return self.outer_numeric.rank == self.outer.rank

    @property
    def ranks(self) -> dict[str, int | None]:
        """``{"outer": …, "functional": …, "loss": …}`` (``None``: no clear gap)."""
        return {"outer": self.outer.rank, "functional": self.functional.rank, "loss": self.loss.rank}

    def to_dict(self) -> dict[str, Any]:
        """The ``symhess rank --loss ce --json`` object."""
        return {
            "params": self.params,
            "loss_function": "ce",
            "ranks": self.ranks,
            "method": {"outer": self.outer.path, "functional": "mpmath-gap", "loss": "mpmath-gap"},
            "certified": {"outer": self.outer.certified, "functional": False, "loss": False},
            "dps": self.dps,
            "gaps": {name: g.gap_decades if g.gap_decades != float("inf") else None
                     for name, g in (("outer", self.outer_numeric), ("functional", self.functional),
                                     ("loss", self.loss))},
            "outer_numeric_agrees": self.agree,
            "details": {"outer": self.outer.to_dict(), "outer_numeric": self.outer_numeric.to_dict(),
                        "functional": self.functional.to_dict(), "loss": self.loss.to_dict()},
        }

    def rows(self) -> list[dict[str, Any]]:
        """One table row per part: rank, how it was decided, gap in decades."""
        out = [{"part": "outer", "rank": self.outer.rank, "method": self.outer.path,
                "gap (decades)": _fmt_gap(self.outer_numeric), "note": self.outer.certificate}]
        for name, g in (("functional", self.functional), ("loss", self.loss)):
            out.append({"part": name, "rank": "no clear gap" if g.rank is None else g.rank,
                        "method": f"mpmath dps={self.dps}", "gap (decades)": _fmt_gap(g), "note": g.certificate})
        return out


def _fmt_gap(g: GapRank) -> str:
    return "inf" if g.gap_decades == float("inf") else f"{g.gap_decades:.1f}"


def ce_hessian_ranks(net: Network, data: Dataset, dps: int = DEFAULT_DPS, certify: bool = True,
                     seed: int = 0) -> CrossEntropyRanks:
    """Exact ``rank H_O`` and gap-rule ranks of ``H_O``, ``H_F``, ``H_L`` for cross-entropy.

    ``data`` targets: one-hot rows or class indices (validated). ``dps``: working precision.
    """
    data = as_ce_dataset(data, net.arch.outputs)
    H = ce_hessians(net, data, dps)
    return CrossEntropyRanks(net.arch.num_params, H.dps, outer_rank(net, data, certify, seed),
                             gap_rank(H.outer, H.dps), gap_rank(H.functional, H.dps), gap_rank(H.loss, H.dps))
