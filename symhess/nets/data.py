"""Exact data sets: inputs ``X`` (n x d_0) and targets ``Y`` (n x K).

The theory sees the data only through ``Σ_xx = (1/n) Σ_i x_i x_iᵀ`` (rank ``r``)
and ``Ω = (1/n) Σ_i (F(x_i) - y_i) x_iᵀ`` (rank ``s``); both are computed exactly
(see :mod:`symhess.hessian.hessians` for ``Ω``).
"""

from __future__ import annotations

import random as _random
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..scalars import InputError, exact
from .architecture import Architecture, random_exact


@dataclass(frozen=True, eq=False)
class Dataset:
    """``inputs`` object array ``(n, d_0)``, ``targets`` object array ``(n, K)``; exact entries."""

    inputs: np.ndarray
    targets: np.ndarray

    def __post_init__(self) -> None:
        x = np.asarray(self.inputs, dtype=object)
        y = np.asarray(self.targets, dtype=object)
        if x.ndim != 2 or x.shape[0] == 0:
            raise InputError("inputs", "a non-empty list of equal-length lists of numbers", list(x.shape))
        if y.ndim != 2 or y.shape[0] != x.shape[0]:
            raise InputError("targets", f"{x.shape[0]} lists (one per input) of equal length", list(y.shape))
        xe = np.empty(x.shape, dtype=object)
        ye = np.empty(y.shape, dtype=object)
        for idx, v in np.ndenumerate(x):
            xe[idx] = exact(v, f"inputs[{idx[0]}][{idx[1]}]")
        for idx, v in np.ndenumerate(y):
            ye[idx] = exact(v, f"targets[{idx[0]}][{idx[1]}]")
        object.__setattr__(self, "inputs", xe)
        object.__setattr__(self, "targets", ye)

    @property
    def n(self) -> int:
        return self.inputs.shape[0]

    def check_fits(self, arch: Architecture) -> None:
        """Raise :class:`InputError` unless inputs have length ``d_0`` and targets ``K``."""
        if self.inputs.shape[1] != arch.input_dim:
            raise InputError("inputs", f"lists of length input_dim = {arch.input_dim}", self.inputs.shape[1])
        if self.targets.shape[1] != arch.outputs:
            raise InputError("targets", f"lists of length K = {arch.outputs} (outputs of the last layer)",
                             self.targets.shape[1])


SYNTHETIC_KINDS = ("integer", "gaussian")
"""Kinds of data drawn here; the real data sets and the dispatch over every kind are in
:mod:`symhess.experiments.datasets` (:func:`~symhess.experiments.datasets.load_dataset`)."""


def random_dataset(arch: Architecture, n: int, seed: int = 0, kind: str = "integer", scale: int = 3) -> Dataset:
    """``n`` samples for ``arch``, drawn from ``random.Random(seed)``.

    ``kind="integer"``: entries uniform in ``{-scale..scale}``. ``kind="gaussian"``:
    rational Gaussian-like entries, ``round(g * 8) / 8`` of a standard normal draw
    ``g`` (exact eighths). Targets are drawn the same way. Real data (``digits``,
    ``mnist1d``, ``gunpoint``): :func:`symhess.experiments.datasets.load_dataset`.
    """
    rng = _random.Random(f"data:{seed}")
    if kind == "integer":
        def draw(shape):
            return random_exact(rng, shape, scale, nonzero=False)
    elif kind == "gaussian":
        def draw(shape):
            out = np.empty(shape, dtype=object)
            for idx in np.ndindex(*shape):
                out[idx] = Fraction(round(rng.gauss(0.0, 1.0) * 8), 8)
            return out
    else:
        raise InputError("dataset", f"one of {', '.join(SYNTHETIC_KINDS)} (real data: "
                         "symhess.experiments.datasets.load_dataset)", kind)
    return Dataset(draw((n, arch.input_dim)), draw((n, arch.outputs)))
