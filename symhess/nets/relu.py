"""ReLU networks, exactly: draw instances away from the kinks, and say how many draws were rejected.

A ReLU network is piecewise linear in its input and piecewise polynomial in its weights.
At weights ``θ`` where no pre-activation is exactly zero, the activation pattern ``Λ^l(x_i)``
is constant in a neighbourhood of ``θ``, so the loss there *is* the loss of the linear
network with those masks fixed, and its Hessian (Eq. 1 with ``Λ^l`` between the layers,
:mod:`symhess.hessian.hessians`) has rational entries. Where a pre-activation is exactly zero and
its receptive field is not (a genuine kink, :func:`symhess.nets.toeplitz.kink_units`), the
Hessian does not exist; :func:`symhess.nets.toeplitz.forward` raises
:class:`symhess.nets.toeplitz.ReluKinkError` and nothing picks a one-sided derivative.

Small integer weights hit kinks constantly (with weights in ``{−3..3}`` almost every
one-hidden-layer draw of Figure 2(c)'s size does), so ReLU sweeps draw weights from the
wider range ``{−GENERIC_SCALE..GENERIC_SCALE} \\ {0}`` and, if a draw still sits on a kink,
**redraw** the weights (never the data) with the next seed of :func:`attempt_seed`,
reporting every rejected seed and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from ..scalars import InputError
from .architecture import Architecture, Network, random_network
from .data import Dataset, random_dataset
from .toeplitz import ReluKinkError, forward, network_toeplitz

GENERIC_SCALE = 1000
"""ReLU weights are integers in ``{−1000..1000} \\ {0}``: kinks become rare (a few % of draws)."""

REDRAW_STRIDE = 1_000_003
"""Attempt ``t`` of base seed ``b`` draws weights with seed ``b + t · REDRAW_STRIDE``."""


def attempt_seed(seed: int, attempt: int) -> int:
    """The weight seed of redraw ``attempt`` (``0`` = the base draw itself)."""
    return seed + attempt * REDRAW_STRIDE


def kink_free(net: Network, data: Dataset) -> str | None:
    """``None`` when no sample sits on a ReLU kink, else the first kink found (as text)."""
    mats = network_toeplitz(net)
    for i, x in enumerate(data.inputs):
        try:
            forward(net, x, mats)
        except ReluKinkError as err:
            return f"sample {i}: {err}"
    return None


@dataclass(frozen=True, eq=False)
class SmoothDraw:
    """A kink-free ``(net, data)``: the weight seed used, and every rejected draw.

    ``rejected``: ``(weight seed, reason)`` of each draw that sat on a kink, in order.
    """

    net: Network
    data: Dataset
    seed: int
    rejected: tuple[tuple[int, str], ...]

    @property
    def redraws(self) -> int:
        """How many draws were rejected before this one."""
        return len(self.rejected)

    def note(self) -> str:
        """One line for reports: ``"weight seed 7 (2 draws rejected at kinks)"``."""
        return f"weight seed {self.seed} ({self.redraws} draw{'s' * (self.redraws != 1)} rejected at ReLU kinks)"


def redraw_until_smooth(arch: Architecture, n: int | Dataset, seed: int = 0, max_tries: int = 20,
                        kind: str = "integer", scale: int = GENERIC_SCALE) -> SmoothDraw:
    """Draw weights from ``seed`` (then :func:`attempt_seed`) until no sample sits on a ReLU kink.

    ``n``: the number of samples of kind ``kind`` drawn from ``seed`` (fixed across
    redraws), or a :class:`Dataset` to use as is. Weights: :func:`random_network` with
    ``scale``. Raises :class:`ReluKinkError` naming the tries when all ``max_tries`` draws
    sit on kinks. A linear network never kinks (the first draw is returned).
    """
    if max_tries < 1:
        raise InputError("max_tries", "an integer >= 1", max_tries)
    data = n if isinstance(n, Dataset) else random_dataset(arch, n, seed, kind)
    data.check_fits(arch)
    rejected: list[tuple[int, str]] = []
    for attempt in range(max_tries):
        s = attempt_seed(seed, attempt)
        net = random_network(arch, s, scale=scale)
        why = kink_free(net, data) if arch.activation == "relu" else None
        if why is None:
            return SmoothDraw(net, data, s, tuple(rejected))
        rejected.append((s, why))
    raise ReluKinkError("weights", f"a kink-free draw within {max_tries} tries (seed {seed}, scale {scale})",
                        [s for s, _ in rejected])
