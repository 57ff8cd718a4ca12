"""Every exact Hessian route for any layer stack gives the same matrices (docs/theory.md §9.6).

On a grid of layer types (Conv1d/Conv2d with stride, padding and bias, ReLU after some layers, AvgPool,
MaxPool, hidden Linear layers), per instance and Hessian part (``H_O``, ``H_F``):

* production (:func:`symhess.hessian.sequential.sequential_hessians`, index maps and local maps)
  = sympy's differentiation of the loss built by direct loops
  (:func:`symhess.hessian.sequential_sympy.sympy_hessians`, no index map, no local-map matrix);
* production = route (a), ``Dᵀ Ĥ D`` with ``Ĥ`` the Toeplitzed network's Hessians and ``D`` Lemma 1's
  derivatives and the bias maps (:func:`symhess.hessian.sequential.pulled_back_hessians`);
* production = the fast integer assembly (:func:`symhess.hessian.sequential_assembly.assemble_sequential`);
* float64 ``torch.func`` (:func:`symhess.hessian.torch_float.torch_hessians`) agrees to ``1e-10`` relative
  (an instance is ``skipped`` with the install hint when torch is missing: :class:`symhess.extras.MissingExtra`).

Observed values are numbers of differing entries (expected ``0``); the float check reports the
largest relative deviation.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from symhess.extras import MissingExtra
from symhess.hessian.sequential import pulled_back_hessians, sequential_hessians
from symhess.hessian.sequential_assembly import assemble_sequential
from symhess.hessian.sequential_sympy import sympy_hessians
from symhess.hessian.torch_float import torch_hessians
from symhess.linalg.matrices import to_object, to_sympy_matrix
from symhess.nets.data import Dataset
from symhess.nets.layers import AvgPool, Dense, Flatten, MaxPool, ReLU, conv1d, conv2d
from symhess.nets.layers.base import KinkError
from symhess.nets.sequential import SequentialArchitecture, random_sequential_network

from ._block_routes import differing_entries
from .framework import CheckResult, Claim, DegenerateInstance, compare_exact

NAME = "Hessian routes for any layer stack agree (production, sympy, DᵀĤD, integer, torch)"
FLOAT_TOLERANCE = 1e-10
SA = SequentialArchitecture


@dataclass(frozen=True)
class RouteInstance:
    name: str
    arch: SequentialArchitecture
    n: int = 3
    seeds: tuple[int, ...] = (0,)

    @property
    def label(self) -> str:
        return f"{self.name}: {self.arch.describe()}, n={self.n}, seeds={list(self.seeds)}"


def _data(arch: SequentialArchitecture, n: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = [[Fraction(int(v), 8) for v in rng.integers(-24, 25, arch.input_dim)] for _ in range(n)]
    y = [[Fraction(int(v), 4) for v in rng.integers(-8, 9, arch.outputs)] for _ in range(n)]
    return Dataset(np.array(x, dtype=object), np.array(y, dtype=object))


def _draw(inst: RouteInstance, seed: int):
    data = _data(inst.arch, inst.n, seed)
    for attempt in range(10):
        net = random_sequential_network(inst.arch, seed + 1000 * attempt, scale=60, rational=True)
        try:
            return net, data, sequential_hessians(net, data)
        except KinkError:
            continue
    raise DegenerateInstance(f"no kink-free draw in 10 tries (seed {seed})")


def check(inst: RouteInstance) -> list[CheckResult]:
    out = []
    for seed in inst.seeds:
        net, data, exact = _draw(inst, seed)
        label = f"{inst.name}: {inst.arch.describe()}, n={inst.n}, seed={seed}"
        direct = sympy_hessians(net, data)
        sym = sum(int(sum(1 for a, b in zip(to_sympy_matrix(getattr(exact, part)), getattr(direct, part)) if a != b))
                  for part in ("outer", "functional"))
        pulled = pulled_back_hessians(net, data)
        fast = assemble_sequential(net, data)
        out += [compare_exact(NAME, f"{label} [production = sympy differentiation]", 0, sym,
                              "differing entries of H_O and H_F"),
                compare_exact(NAME, f"{label} [production = DᵀĤD (Toeplitzed net)]", 0,
                              sum(differing_entries(getattr(exact, p), getattr(pulled, p)) for p in ("outer", "functional")),
                              "differing entries of H_O and H_F"),
                compare_exact(NAME, f"{label} [production = fast integer assembly]", 0,
                              sum(differing_entries(exact.part(p), fast.to_fmpq(p)) for p in ("outer", "functional")),
                              "differing entries of H_O and H_F")]
        out.append(_torch_result(label, net, data, exact))
    return out


def _torch_result(label: str, net, data, exact) -> CheckResult:
    try:
        floats = torch_hessians(net, data)
    except MissingExtra as err:
        return CheckResult(NAME, f"{label} [float64 torch.func agrees]", None, None, "skipped", err.hint)
    worst = 0.0
    for part in ("outer", "functional", "loss"):
        E = np.array(to_object(exact.part(part)), dtype=float)
        worst = max(worst, float(np.abs(E - floats[part]).max() / max(np.abs(E).max(), 1e-300)))
    ok = worst <= FLOAT_TOLERANCE
    return CheckResult(NAME, f"{label} [float64 torch.func agrees]", f"<= {FLOAT_TOLERANCE:g}", f"{worst:.1e}",
                       "holds" if ok else "violated", "largest |exact - float64| / max |exact| over H_O, H_F, H_L",
                       "==")


DEFAULT = [
    RouteInstance("conv2d bias relu maxpool", SA((1, 3, 3), (conv2d(2, 2, bias=True), ReLU(), MaxPool((2, 2), (1, 1)),
                                                             Flatten(), Dense(2, bias=True)))),
    RouteInstance("conv2d stride pad avgpool", SA((1, 4, 3), (conv2d(2, 2, stride=(2, 1), padding=(1, 0)),
                                                              AvgPool((2, 2)), Flatten(), Dense(2)))),
    RouteInstance("conv1d mixed relu avgpool", SA((1, 6), (conv1d(2, 3, bias=True), ReLU(), AvgPool((2,)), conv1d(1, 2),
                                                           Flatten(), Dense(2, bias=True)))),
]
FULL = DEFAULT + [
    RouteInstance("conv2d bias relu maxpool, larger", SA((1, 4, 4), (conv2d(2, 2, bias=True), ReLU(),
                                                                     MaxPool((2, 2), (1, 1)), Flatten(),
                                                                     Dense(2, bias=True)))),
    RouteInstance("conv2d stride pad avgpool, two channels", SA((2, 5, 4), (conv2d(2, (2, 3), stride=(2, 1),
                                                                                   padding=(1, 0)),
                                                                            AvgPool((2, 2)), Flatten(), Dense(2)))),
    RouteInstance("conv2d two layers maxpool", SA((1, 5, 5), (conv2d(2, 2), MaxPool((2, 2)), conv2d(1, 2, padding=1,
                                                                                                  bias=True),
                                                              ReLU(), Flatten(), Dense(2)))),
    RouteInstance("hidden linear relu", SA((1, 3, 3), (conv2d(2, 2), Flatten(), Dense(3, bias=True), ReLU(), Dense(2)))),
    RouteInstance("conv1d stride maxpool", SA((2, 7), (conv1d(2, 2, stride=2, padding=1), MaxPool((2,)), Flatten(),
                                                       Dense(1, bias=True))), 4, (0, 1)),
]


def instances(full: bool) -> list[RouteInstance]:
    return FULL if full else DEFAULT


CLAIM = Claim(NAME, "for any layer stack: production H = sympy differentiation = D^T H_hat D = fast integer assembly, "
              "exactly; float64 torch.func agrees to 1e-10 (skipped without torch)",
              check, instances, tags=("identity", "routes", "sequential"))
