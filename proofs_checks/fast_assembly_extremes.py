"""The fast integer assembly against the production route on instances the sweep does not reach.

Every rank claim already compares :func:`symhess.hessian.assembly.assemble` with
:func:`symhess.hessian.hessians.mse_hessians` entry for entry (:func:`proofs_checks.instances.route_agreement`),
but only on the sweep's draws: small integer weights (every layer denominator ``s_l = 1``),
entries far inside float64's exact range, and no ReLU kink (the production route refuses a
kinked draw before the fast one is asked). This claim builds the missing cases by hand:

* **several denominators**: weights ``a/q`` with ``q`` among 2, 3, 5, 7, 11 in every layer
  (``s_l ≠ 1`` for every ``l``), inputs and targets with denominators too;
* **beyond float64**: entries with 30 significant bits (products of ~60 bits, partial sums beyond
  ``2^52``), and a rescaled net (first layer ``· 2^40``, last ``· 2^−40``, the same function) with
  entries ``a · 2^40 + b``;
* **a constructed kink**: a ReLU net whose pre-activation is exactly zero on a live receptive
  field (``d0 = 3``, filter ``[1, −1]``, ``x = (2, 2, 5)``): both routes must raise
  :class:`~symhess.nets.toeplitz.ReluKinkError` (caught here, so it is a verdict, not a degenerate draw).

Per instance: ``[H_part: fast = production]`` (differing entries of ``H_O``, ``H_F``, ``H_L``,
expected 0) and ``[ranks: fast = production]`` (certified ranks of
:func:`~symhess.hessian.assembly.hessian_ranks` against the certified production ranks).
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np

from symhess.hessian.assembly import assemble, hessian_ranks
from symhess.hessian.hessians import PARTS, mse_hessians
from symhess.nets.architecture import Architecture, ConvLayer, Network
from symhess.nets.data import Dataset
from symhess.nets.toeplitz import ReluKinkError

from ._block_routes import differing_entries
from .framework import CheckResult, Claim, compare_exact
from .instances import certified_rank

NAME = "Fast assembly = production on extreme instances (denominators, beyond float64, kinks)"
STATEMENT = ("the fast integer assembly equals the production Hessians entry for entry, with the same certified "
             "ranks, for rational weights with a denominator in every layer and for entries beyond float64's exact "
             "range; both routes refuse a constructed exact ReLU kink")

DENOMINATORS = (2, 3, 5, 7, 11)


def _array(shape, value) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        out[idx] = value()
    return out


def _rational(rng: random.Random):
    return lambda: Fraction(rng.choice([v for v in range(-7, 8) if v]), rng.choice(DENOMINATORS))


def _bits(rng: random.Random, bits: int):
    return lambda: rng.choice([-1, 1]) * (rng.getrandbits(bits) | (1 << (bits - 1)) | 1)


def _instance(case: str) -> tuple[Network, Dataset]:
    rng = random.Random(case)
    if case == "several denominators":
        arch = Architecture(6, (ConvLayer(2, 3), ConvLayer(2, 2)), 2, "linear")
        value = _rational(rng)
        weights = [_array(sh.weight_shape, value) for sh in arch.layers]
        inputs, targets = _array((7, 6), value), _array((7, 2), value)
    elif case == "30-bit entries":
        arch = Architecture(5, (ConvLayer(2, 2),), 2, "linear")
        value = _bits(rng, 30)
        weights = [_array(sh.weight_shape, value) for sh in arch.layers]
        inputs, targets = _array((6, 5), value), _array((6, 2), value)
    elif case == "rescaled by 2^40":
        arch = Architecture(5, (ConvLayer(2, 2), ConvLayer(2, 2)), 2, "linear")
        small = _rational(rng)
        big = lambda: rng.randint(-3, 3) * 2 ** 40 + rng.choice([-3, -1, 1, 3])  # noqa: E731
        w1, w2, w3 = (_array(sh.weight_shape, small) for sh in arch.layers)
        weights = [w1 * 2 ** 40, w2, w3 / Fraction(2 ** 40)]
        inputs, targets = _array((6, 5), big), _array((6, 2), big)
    elif case == "ReLU, 2^40 entries":
        arch = Architecture(5, (ConvLayer(2, 2),), 1, "relu")
        value = lambda: rng.choice([-1, 1]) * (2 ** 40 + rng.getrandbits(20) * 2 + 1)  # noqa: E731
        weights = [_array(sh.weight_shape, value) for sh in arch.layers]
        inputs, targets = _array((5, 5), value), _array((5, 1), value)
    else:
        raise KeyError(case)
    return Network(arch, tuple(weights)), Dataset(inputs, targets)


def _kinked() -> tuple[Network, Dataset]:
    """``z_0 = x_0 − x_1 = 0`` with receptive field ``(2, 2) ≠ 0``: a genuine kink (sample 1)."""
    arch = Architecture(3, (ConvLayer(1, 2),), 1, "relu")
    w1 = np.array([[[1, -1]]], dtype=object)
    w2 = np.array([2, 3], dtype=object).reshape(arch.layers[1].weight_shape)
    return Network(arch, (w1, w2)), Dataset([[1, 2, 5], [2, 2, 5]], [[1], [1]])


def _raises_kink(fn) -> str:
    try:
        fn()
    except ReluKinkError:
        return "ReluKinkError"
    return "no error"


def check(case: str) -> list[CheckResult]:
    if case == "constructed ReLU kink":
        net, data = _kinked()
        return [compare_exact(NAME, f"{case} [production route refuses it]", "ReluKinkError",
                              _raises_kink(lambda: mse_hessians(net, data))),
                compare_exact(NAME, f"{case} [fast assembly refuses it]", "ReluKinkError",
                              _raises_kink(lambda: assemble(net, data))),
                compare_exact(NAME, f"{case} [hessian_ranks refuses it]", "ReluKinkError",
                              _raises_kink(lambda: hessian_ranks(net, data)))]
    net, data = _instance(case)
    H = mse_hessians(net, data)
    A = assemble(net, data)
    differing = {part: differing_entries(A.to_fmpq(part), H.part(part)) for part in PARTS}
    hr = hessian_ranks(net, data)
    fast = {part: hr.ranks[part].rank for part in PARTS}
    production = {part: certified_rank(H.part(part)) for part in PARTS}
    label = f"{case}: {net.arch.describe()}, n={data.n}"
    return [compare_exact(NAME, f"{label} [H_O, H_F, H_L: fast assembly = production, entry for entry]",
                          {part: 0 for part in PARTS}, differing, "differing entries per part"),
            compare_exact(NAME, f"{label} [ranks: fast assembly = production]", production, fast,
                          f"certified ranks; fast route certified: {hr.certified}"),
            compare_exact(NAME, f"{label} [fast ranks certified]", True, hr.certified)]


CASES = ("several denominators", "30-bit entries", "rescaled by 2^40", "ReLU, 2^40 entries", "constructed ReLU kink")


def instances(full: bool = False) -> list[str]:
    return list(CASES)


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("assembly", "routes"))
