"""ReLU kinks: constructed kinks are refused, dead units are not kinks, redraws really redraw.

The ReLU sweeps draw weights far from kinks, so on them the kink detector never fires and a
detector that never refuses (or a redraw that repeats the same weights, or accepts a kinked
draw) changes no verdict. This claim constructs the cases (``d0 = 3``, one hidden ReLU layer
with one channel, filter ``[1, −1]``, dense weights ``[2, 3]``, so ``z_t = x_t − x_{t+1}``):

* ``x = (2, 2, 5)``: ``z_0 = 0`` on the live receptive field ``(2, 2)``: a kink; the Toeplitz
  forward pass (:func:`symhess.nets.toeplitz.forward`), :func:`symhess.nets.relu.kink_free` and the fast
  assembly (:func:`symhess.hessian.assembly.assemble`) must all refuse it;
* ``x = (0, 0, 5)``: ``z_0 = 0`` on the all-zero receptive field ``(0, 0)``: structurally dead,
  **not** a kink; masks ``[0, 0]`` (``z_1 = −5``);
* ``x = (3, 1, 5)``: no zero; masks ``[1, 0]`` (``z = (2, −4)``);
* :func:`symhess.nets.relu.redraw_until_smooth` from a base seed whose weights (scale 1, filter
  ``[a, b]``, ``a, b ∈ {−1, 1}``) kink on ``x = (1, 1, 1)`` (``a + b = 0``, found by reading the
  drawn weights, not by the detector) returns a draw with a different weight seed, no kink
  (``a + b ≠ 0`` by hand), and records the base seed as rejected.
"""

from __future__ import annotations

import numpy as np

from symhess.hessian.assembly import assemble
from symhess.nets.architecture import Architecture, ConvLayer, Network, random_network
from symhess.nets.data import Dataset
from symhess.nets.relu import kink_free, redraw_until_smooth
from symhess.nets.toeplitz import ReluKinkError, forward

from .framework import CheckResult, Claim, compare_exact

NAME = "ReLU kinks: constructed kinks refused, dead units accepted, redraws change the weights"
STATEMENT = ("the Toeplitz forward pass, kink_free and the fast assembly refuse a constructed exact ReLU kink, accept "
             "a zero pre-activation on an all-zero receptive field (mask 0), and redraw_until_smooth replaces a "
             "kinked base draw by a kink-free one with another weight seed, recording the rejection")

ARCH = Architecture(3, (ConvLayer(1, 2),), 1, "relu")
KINK, DEAD, SMOOTH = (2, 2, 5), (0, 0, 5), (3, 1, 5)


def _net() -> Network:
    w1 = np.array([[[1, -1]]], dtype=object)
    w2 = np.array([2, 3], dtype=object).reshape(ARCH.layers[1].weight_shape)
    return Network(ARCH, (w1, w2))


def _data(*xs) -> Dataset:
    return Dataset([list(x) for x in xs], [[1] for _ in xs])


def _outcome(fn) -> object:
    try:
        return fn()
    except ReluKinkError:
        return "ReluKinkError"


def case_forward() -> list[CheckResult]:
    net = _net()
    masks = lambda x: [int(v) for v in forward(net, x).masks[1]]  # noqa: E731
    why = kink_free(net, _data(SMOOTH, KINK))
    return [
        compare_exact(NAME, "forward(x=(2,2,5)): kink", "ReluKinkError", _outcome(lambda: masks(KINK))),
        compare_exact(NAME, "forward(x=(0,0,5)): dead unit, masks", [0, 0], _outcome(lambda: masks(DEAD))),
        compare_exact(NAME, "forward(x=(3,1,5)): masks", [1, 0], _outcome(lambda: masks(SMOOTH))),
        compare_exact(NAME, "kink_free(samples (3,1,5), (2,2,5)) names sample 1", True,
                      isinstance(why, str) and why.startswith("sample 1:")),
        compare_exact(NAME, "kink_free(samples (3,1,5), (0,0,5))", None, kink_free(net, _data(SMOOTH, DEAD))),
    ]


def case_assembly() -> list[CheckResult]:
    net = _net()
    ok = lambda data: (assemble(net, data), "assembled")[1]  # noqa: E731
    return [
        compare_exact(NAME, "assemble(samples (2,2,5)): kink", "ReluKinkError", _outcome(lambda: ok(_data(KINK)))),
        compare_exact(NAME, "assemble(samples (0,0,5), (2,2,5)): kink in sample 1", "ReluKinkError",
                      _outcome(lambda: ok(_data(DEAD, KINK)))),
        compare_exact(NAME, "assemble(samples (0,0,5), (3,1,5)): dead unit is no kink", "assembled",
                      _outcome(lambda: ok(_data(DEAD, SMOOTH)))),
    ]


def _filter_sum(net: Network) -> int:
    w = net.weights[0]
    return int(w[0, 0, 0] + w[0, 0, 1])


def case_redraw() -> list[CheckResult]:
    data = _data((1, 1, 1))
    # the first base seed whose scale-1 filter [a, b] has a + b = 0 (z = a + b on x = (1, 1, 1)): read off the weights
    base = next(s for s in range(1000) if _filter_sum(random_network(ARCH, s, scale=1)) == 0)
    out = _outcome(lambda: redraw_until_smooth(ARCH, data, seed=base, scale=1, max_tries=30))
    if isinstance(out, str):
        return [compare_exact(NAME, f"redraw_until_smooth(base seed {base}) returns a draw", "a draw", out)]
    return [
        compare_exact(NAME, f"redraw_until_smooth(base seed {base}): weight seed differs from the base", True,
                      out.seed != base),
        compare_exact(NAME, f"redraw_until_smooth(base seed {base}): drawn filter a + b != 0", True,
                      _filter_sum(out.net) != 0),
        compare_exact(NAME, f"redraw_until_smooth(base seed {base}): the base draw is recorded as rejected", base,
                      out.rejected[0][0] if out.rejected else None),
        compare_exact(NAME, f"redraw_until_smooth(base seed {base}): rejected seeds all differ from the result", True,
                      all(s != out.seed for s, _ in out.rejected)),
    ]


CASES = {"Toeplitz forward pass": case_forward, "fast assembly": case_assembly, "redraw_until_smooth": case_redraw}


def check(case: str) -> list[CheckResult]:
    return [CheckResult(r.claim, f"{case}: {r.instance}", r.expected, r.observed, r.verdict, r.detail, r.relation)
            for r in CASES[case]()]


def instances(full: bool = False) -> list[str]:
    return list(CASES)


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("relu", "kinks"))
