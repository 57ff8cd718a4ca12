"""Integer Jacobian and Hessians with exact scales: what the fast assembly routes produce.

Both fast routes — the 1D assembly (:mod:`symhess.hessian.assembly`) and the assembly for any
layer stack (:mod:`symhess.hessian.sequential_assembly`) — return an :class:`IntegerHessians`:
integer numpy matrices (int64 when proven to fit, else Python ints; float64 only for the peers'
baseline) and the scales that make them the exact Hessians. Every rank routine reads this one
interface (:mod:`symhess.hessian.ranks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
import numpy as np

from ..linalg.integer import exact_add, exact_matmul, exact_mul
from ..scalars import InputError


@dataclass(frozen=True, eq=False)
class IntegerHessians:
    """Integer (or float64) Jacobian and Hessian parts with their exact scales.

    ``J = jacobian / S_L`` (``nK × p``); ``H_O = Ĵᵀ Ĵ / (n S_L²)``; ``H_F = functional / (n S_L² s_y)``;
    ``H_L = (s_y ĴᵀĴ + functional) / (n S_L² s_y)``. ``outer`` is ``ĴᵀĴ`` (``None`` if not asked for).
    """

    arch: Any
    """An :class:`~symhess.nets.architecture.Architecture` or a :class:`~symhess.nets.sequential.SequentialArchitecture`."""
    n: int
    jacobian: np.ndarray
    outer: np.ndarray | None
    functional: np.ndarray | None
    output_scale: int
    target_scale: int
    arithmetic: str = "exact"

    def scale(self, name: str) -> Fraction:
        """``c`` with ``part(name) = integer(name) / c`` (``"jacobian"`` too)."""
        base = self.n * self.output_scale ** 2
        return Fraction({"jacobian": self.output_scale, "outer": base,
                         "functional": base * self.target_scale, "loss": base * self.target_scale}[name])

    def integer(self, name: str) -> np.ndarray:
        """The integer matrix of part ``name`` (``"jacobian"``, ``"outer"``, ``"functional"``, ``"loss"``)."""
        if name == "jacobian":
            return self.jacobian
        if name == "outer":
            return self.outer if self.outer is not None else exact_matmul(self.jacobian.T, self.jacobian)
        if name == "functional":
            if self.functional is None:
                raise ValueError("the functional Hessian was not assembled")
            return self.functional
        if name == "loss":
            return exact_add(exact_mul(self.integer("outer"), self.target_scale), self.integer("functional"))
        raise InputError("part", "one of jacobian, outer, functional, loss", name)

    def to_fmpq(self, name: str) -> flint.fmpq_mat:
        """Part ``name`` as an exact ``fmpq_mat`` (for comparison with :mod:`symhess.hessian.hessians`)."""
        a = self.integer(name)
        m = flint.fmpq_mat(flint.fmpz_mat([[int(v) for v in row] for row in a.tolist()]))
        s = self.scale(name)
        return m * flint.fmpq(s.denominator, s.numerator)

    def to_float(self, name: str) -> np.ndarray:
        """Part ``name`` in float64 (for the float baseline)."""
        a = self.integer(name)
        return a.astype(np.float64) / float(self.scale(name))
