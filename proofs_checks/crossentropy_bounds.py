"""Cross-entropy: the rank bounds with ``K − 1`` (issue 4), checked with exact ``rank H_O``.

Softmax cross-entropy Hessians are not rational. ``rank H_O`` is still exact and certified
(through the basis ``C_K`` of ``1⊥``, :func:`symhess.hessian.crossentropy.outer_rank`); ``H_F`` and
``H_L`` are ranked by the mpmath gap rule (:mod:`symhess.linalg.numeric_rank`). What is checked, at
each draw's exact ``r = rank Σ_xx`` and ``s = min(r, K − 1)`` (the generic ``rank Ω``; the
gap-rule ``rank Ω`` is verified to equal it, else the draw is degenerate):

* **theorems** (reduction to the ``(K−1)``-output network ``F_c − F_K``,
  :mod:`symhess.experiments.crossentropy_sweep`, ``docs/crossentropy.md``): every linear-network bound with
  ``K → K − 1`` (:func:`symhess.experiments.crossentropy_sweep.theorem_bounds`): FCN ``H_O``, ``H_F`` of
  Singh et al. and Theorems 7/8 (one hidden layer) are *exact* (the generic rank, max over the
  seeds, must attain them); Theorems 5/6 and ``rank H_L ≤ rank H_O + rank H_F`` are bounds;
* **Singh et al.'s FCN ``H_L`` formula with ``K − 1``**: their empirical claim for CE, checked as exact;
* **the paper's empirical claim** for CNNs ("the results still hold empirically for CE"):
  ``network_bounds(arch, r, s, loss="ce")`` (the MSE bounds with ``K``), as bounds;
* ReLU (at kink-free weights; ``proofs_checks.relu_bounds`` with ``K → K − 1``, derived here):
  ``rank H_O ≤ min(n(K−1), p − Σ_{l<L} m_l)`` (the rows of ``C_Kᵀ J``; one positive-rescaling
  direction per hidden channel) and, one hidden layer, ``rank H_F ≤ 2 m min(k, d_1 min(K−1, n))``
  (block-hollow, per-sample masks), ``rank H_L ≤`` their sum; the linear bounds are findings only;
* a sanity identity: the gap-rule rank of the assembled mpmath ``H_O`` equals the exact one
  (else the precision cannot be trusted for ``H_F``, ``H_L`` either).

Never silently passed, each reported as ``degenerate instance``: a draw with ``r < min(n, d_0)``,
``rank C_Kᵀ W^L`` below ``min(K − 1, m_{L−1} d_{L−1})`` (seen: an FCN ``4 → 3 → 3`` with
``rank C_Kᵀ W^2 = 1`` gave ``rank H_O = 7`` for the generic ``8``), ``rank Ω`` without a clear
gap or below ``min(r, K − 1)``, a zero layer, a ReLU kink on every weight redraw, and any
Hessian part whose singular values show **no clear gap** at the working precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from symhess.experiments.crossentropy_sweep import CEDraw, exact_parts, measure_ce_draw, paper_bounds, theorem_bounds
from symhess.hessian.hessians import PARTS
from symhess.nets.architecture import Architecture, ConvLayer

from .framework import CheckResult, Claim, compare_bound, compare_exact, degenerate
from .framework import exact_verdicts

NAME = "Cross-entropy: rank bounds with K - 1"
DPS = 40
"""Working precision of the claim (decimal digits): gaps of ~35 decades against the required 13."""

TAG = {"outer": "H_O", "functional": "H_F", "loss": "H_L"}


@dataclass(frozen=True)
class CEInstance:
    """An architecture, ``n`` samples of ``kind``, several seeds, the precision and the logit cap."""

    arch: Architecture
    n: int
    seeds: tuple[int, ...] = (0, 1)
    kind: str = "integer"
    dps: int = DPS
    max_logit: int = 4

    @property
    def label(self) -> str:
        extra = (f", dps={self.dps}" if self.dps != DPS else "") + \
            (f", max_logit={self.max_logit}" if self.max_logit != 4 else "")
        return f"{self.arch.describe()}, n={self.n} {self.kind}, seeds={list(self.seeds)}{extra}"

    def draws(self) -> list[CEDraw]:
        return [measure_ce_draw(self.arch, self.n, s, self.kind, self.dps, self.max_logit) for s in self.seeds]


def relu_outer_bound(arch: Architecture, n: int) -> int:
    """``min(n (K − 1), p − Σ_{l<L} m_l)``: ``rank [C_Kᵀ J_i]`` with one rescaling direction per channel."""
    return min(n * (arch.outputs - 1), arch.num_params - sum(s.out_channels for s in arch.layers[:-1]))


def relu_functional_bound(arch: Architecture, n: int) -> int:
    """One hidden layer: ``2 m min(k, d_1 min(K − 1, n))`` (block-hollow ``H_F`` of the ``K − 1`` outputs)."""
    sh = arch.layers[0]
    return 2 * sh.out_channels * min(sh.kernel_size, sh.out_dim * min(arch.outputs - 1, n))


def bound_items(inst: CEInstance, r: int) -> list[tuple[str, str, int, bool]]:
    """``(what, part, bound, exact)`` for the instance's architecture at data rank ``r``."""
    arch = inst.arch
    if arch.activation == "relu":
        outer = relu_outer_bound(arch, inst.n)
        items = [("H_O <= min(n(K-1), p - sum m_l) [derived, ReLU]", "outer", outer, False)]
        if arch.depth == 2:
            functional = relu_functional_bound(arch, inst.n)
            items += [("H_F <= 2m min(k, d_1 min(K-1, n)) [derived, ReLU]", "functional", functional, False),
                      ("H_L <= sum of both [ReLU]", "loss", outer + functional, False)]
        return items
    thm, paper = theorem_bounds(arch, r), paper_bounds(arch, r)
    exact = exact_parts(arch)
    items = [(f"{TAG[part]} {'=' if part in exact else '<='} {thm.source}, K-1", part, getattr(thm, part),
              part in exact) for part in PARTS]
    if paper != thm:
        items += [(f"{TAG[part]} <= {paper.source}, K [paper: holds empirically for CE]", part,
                   getattr(paper, part), False) for part in PARTS]
    return items


def findings(inst: CEInstance, draws: Sequence[CEDraw]) -> str:
    """ReLU: do the linear bounds with ``K − 1`` hold on these draws? (reported, not claimed)."""
    out = []
    for part in PARTS:
        observed = [(d.rank(part), theorem_bounds(inst.arch, d.r)) for d in draws if d.rank(part) is not None]
        over = [rank - getattr(b, part) for rank, b in observed]
        if over:
            worst = max(over)
            out.append(f"linear {TAG[part]} bound (K-1) " + ("holds" if worst <= 0 else f"exceeded by {worst}"))
    return "FINDINGS: " + "; ".join(out) if out else ""


def compare_part(inst: CEInstance, what: str, part: str, bound: int, exact: bool, draws: Sequence[CEDraw],
                 note: str) -> list[CheckResult]:
    """``rank H_part`` (max over the draws with a clear gap) against ``bound``; the others are degenerate."""
    label = f"{inst.label} [{what}]"
    clear = [d for d in draws if d.rank(part) is not None]
    out = [degenerate(NAME, f"{label}, {d.label}", f"no clear gap: {d.gap_rank(part).certificate}")
           for d in draws if d.rank(part) is None]
    if clear:
        best = max(clear, key=lambda d: d.rank(part))
        gaps = ", ".join(f"{d.gap(part):.1f}" for d in clear) if part != "outer" else "exact, certified"
        detail = (f"r={best.r}, s={min(best.r, inst.arch.outputs - 1)}, p={inst.arch.num_params}, max over "
                  f"{len(clear)} draws ({best.label}); gaps (decades) at dps={inst.dps}: {gaps}"
                  + (f"; {note}" if note else ""))
        res = [compare_bound(NAME, label, bound, best.rank(part), detail)]
        out += exact_verdicts(res) if exact else res
    return out


def check(inst: CEInstance) -> list[CheckResult]:
    draws = inst.draws()
    out = [degenerate(NAME, f"{inst.label}, {d.label}", d.why_degenerate) for d in draws if d.why_degenerate]
    generic = [d for d in draws if d.why_degenerate is None]
    if not generic:
        return out
    what = "gap-rule rank of mpmath H_O = exact rank H_O"
    out += [degenerate(NAME, f"{inst.label} [{what}], {d.label}", f"no clear gap: {d.gap_rank('outer').certificate}")
            for d in generic if d.ranks.outer_numeric.rank is None]
    clear = [d for d in generic if d.ranks.outer_numeric.rank is not None]
    if clear:
        out.append(compare_exact(NAME, f"{inst.label} [{what}]", tuple(d.rank("outer") for d in clear),
                                 tuple(d.ranks.outer_numeric.rank for d in clear),
                                 f"per draw with a clear gap, at dps={inst.dps}"))
    # a clear but wrong numeric rank means the precision misleads on this draw: H_F, H_L not trusted
    trusted = [d for d in generic if d.ranks.outer_numeric.rank in (None, d.rank("outer"))]
    if not trusted:
        return out
    note = findings(inst, trusted) if inst.arch.activation == "relu" else ""
    redraws = sum(d.redraws for d in trusted)
    if redraws:
        note = f"{redraws} weight redraws at ReLU kinks" + (f"; {note}" if note else "")
    r = trusted[0].r
    for what, part, bound, exact in bound_items(inst, r):
        out += compare_part(inst, what, part, bound, exact, trusted, note)
    return out


def fcn(d0: int, widths: list[int], K: int) -> Architecture:
    return Architecture.fully_connected(d0, widths, K)


def cnn(d0: int, layers: list[tuple[int, ...]], K: int, activation: str = "linear") -> Architecture:
    """``layers``: ``(channels, filter size[, stride, padding])`` per hidden layer."""
    return Architecture(d0, tuple(ConvLayer(*layer) for layer in layers), K, activation)


DEFAULT = [
    CEInstance(fcn(4, [3], 3), 6, (0, 1, 2)),
    CEInstance(fcn(3, [2], 4), 5),
    CEInstance(cnn(5, [(2, 3)], 3), 7),
    CEInstance(cnn(4, [(2, 2)], 2), 6),
    CEInstance(cnn(5, [(2, 2), (2, 2)], 3), 7, (0,)),
    CEInstance(cnn(5, [(2, 2)], 3, "relu"), 14, (0,), "gaussian"),
]
FULL = [CEInstance(fcn(d0, widths, K), n, (0, 1, 2))
        for d0, widths, K, n in ((4, [3], 3, 6), (3, [2], 4, 5), (5, [2], 4, 8), (4, [2, 3], 3, 6), (3, [4], 5, 6),
                                 (6, [3], 2, 8))] + [
    CEInstance(cnn(d0, [(m, k)], K), d0 + 2, (0, 1, 2))
    for d0, K in ((5, 3), (6, 4)) for m in (1, 2) for k in (1, 2, 4)] + [
    CEInstance(cnn(6, [(2, 2), (2, 3)], 3), 8, (0, 1)),
    CEInstance(cnn(7, [(2, 3, 2, 1)], 3), 9, (0, 1)),
    CEInstance(cnn(6, [(2, 2)], 3, "relu"), 6, (0, 1), "gaussian"),
    CEInstance(cnn(6, [(2, 3)], 4, "relu"), 3, (0, 1), "gaussian"),
]


def instances(full: bool) -> list[CEInstance]:
    return FULL if full else DEFAULT


CLAIM = Claim(NAME, "softmax cross-entropy, exact rank H_O (1-perp basis) and gap-rule H_F, H_L at s = min(r, K-1): "
              "theorems (reduction to the K-1 outputs F_c - F_K): every linear bound with K -> K-1, exact for FCN "
              "H_O/H_F and Theorems 7/8; Singh et al.'s FCN H_L with K-1 (their empirical claim, checked exact); "
              "the paper's empirical claim: the MSE bounds with K hold for CE; ReLU: rank H_O <= "
              "min(n(K-1), p - sum m_l), one hidden layer rank H_F <= 2m min(k, d_1 min(K-1, n))",
              check, instances, tags=("beyond", "crossentropy"))
