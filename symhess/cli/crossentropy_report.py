"""The rank report of one network under softmax cross-entropy: ``symhess rank --loss ce``.

Same shape as the MSE report (:mod:`symhess.cli.report`): text with an aligned table and the
``bounds`` / ``method`` / ``certified`` / ``elapsed`` lines; JSON with ``network``, ``params``,
``samples``, ``data``, ``ranks``, ``bounds``, ``certified`` (bool: every rank proved), ``path``,
``elapsed_seconds`` and the per-part detail in ``rank_details``. ``rank H_O`` is certified exact
(via a basis of ``1⊥``); ``H_F`` and ``H_L`` are ranked by the mpmath gap rule
(``docs/crossentropy.md``), ``None`` ("no gap") when no clear gap exists.

Bounds: the linear theorems with ``K → K − 1`` (:func:`symhess.experiments.crossentropy_sweep.theorem_bounds`,
proved in ``docs/crossentropy.md`` by the reduction to ``F_c − F_K``); ReLU nets: the ReLU bounds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..experiments.crossentropy_sweep import ce_residual_rank, theorem_bounds
from ..hessian.crossentropy import CrossEntropyRanks, as_ce_dataset, ce_hessian_ranks
from ..hessian.hessians import PARTS, input_covariance
from ..linalg.rank import exact_rank
from ..nets.architecture import Network
from ..nets.data import Dataset
from ..theory.bounds import Bounds, relu_bounds
from .report import PART_SYMBOLS


@dataclass(frozen=True)
class CrossEntropyReport:
    """Ranks of the cross-entropy ``H_O``, ``H_F``, ``H_L`` of one network, with the ``K − 1`` bounds."""

    network: str
    params: int
    toeplitz_params: int
    samples: int
    data_rank: int
    residual_rank: int
    ranks: CrossEntropyRanks
    bounds: Bounds
    elapsed_seconds: float

    @property
    def certified(self) -> bool:
        """Every rank proved exact (never, while ``H_F``, ``H_L`` come from the gap rule)."""
        return False

    @property
    def path(self) -> str:
        return "certified H_O, mpmath gap rule H_F and H_L"

    def to_dict(self) -> dict[str, Any]:
        detail = self.ranks.to_dict()
        return {
            "network": self.network, "params": self.params, "toeplitz_params": self.toeplitz_params,
            "samples": self.samples, "loss": "ce",
            "data": {"r": self.data_rank, "s": self.residual_rank},
            "ranks": self.ranks.ranks, "bounds": self.bounds.to_dict(),
            "method": "exact H_O + mpmath", "certified": self.certified, "path": self.path,
            "elapsed_seconds": round(self.elapsed_seconds, 3), "dps": self.ranks.dps,
            "rank_details": {"certified": detail["certified"], "method": detail["method"], "gaps": detail["gaps"],
                             "outer_numeric_agrees": detail["outer_numeric_agrees"], **detail["details"]},
        }

    def to_text(self) -> str:
        bounds = self.bounds.to_dict()
        how = {"outer": "certified exact",
               **{p: f"mpmath dps={self.ranks.dps}" for p in ("functional", "loss")}}
        gaps = {row["part"]: row["gap (decades)"] for row in self.ranks.rows()}
        lines = [f"network: {self.network}",
                 f"parameters: p = {self.params} (Toeplitzed FCN: p~ = {self.toeplitz_params})",
                 f"data: n = {self.samples}, r = rank Sigma_xx = {self.data_rank}, s = min(r, K-1) = "
                 f"{self.residual_rank} (softmax cross-entropy)", "",
                 f"{'Hessian':<16}{'rank':>7}{'bound':>8}  {'method':<18}gap (decades)"]
        for part in PARTS:
            rank = self.ranks.ranks[part]
            lines.append(f"{PART_SYMBOLS[part] + ' ' + part:<16}{'no gap' if rank is None else rank:>7}"
                         f"{bounds[part]:>8}  {how[part]:<18}{gaps[part]}")
        lines += ["", f"bounds: {self.bounds.source}, with K -> K-1 (docs/crossentropy.md)",
                  f"method: exact H_O, mpmath gap rule H_F and H_L; path: {self.path}; certified: no "
                  f"(H_O: {'yes' if self.ranks.outer.certified else 'no'})",
                  f"elapsed: {self.elapsed_seconds:.2f} s"]
        if any(self.ranks.ranks[p] is None for p in PARTS):
            lines.append("  no gap = no clear gap at this precision (no rank is claimed): raise --dps")
        return "\n".join(lines) + "\n"


def crossentropy_report(net: Network, data: Dataset, dps: int) -> CrossEntropyReport:
    """Ranks of the softmax cross-entropy Hessians at ``dps`` digits, with the ``K − 1`` bounds."""
    start = time.perf_counter()
    data = as_ce_dataset(data, net.arch.outputs)
    ranks = ce_hessian_ranks(net, data, dps=dps)
    r = exact_rank(input_covariance(data)).rank
    s = ce_residual_rank(r, net.arch.outputs)  # residuals p − y lie in 1⊥; generic rank (they are not rational)
    bounds = relu_bounds(net.arch, data.n) if net.arch.activation == "relu" else theorem_bounds(net.arch, r)
    return CrossEntropyReport(net.arch.describe(), net.arch.num_params, net.arch.num_toeplitz_params, data.n, r, s,
                              ranks, bounds, time.perf_counter() - start)
