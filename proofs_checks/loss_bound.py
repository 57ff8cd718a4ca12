"""rank H_L ≤ rank H_O + rank H_F, with the bounds of :func:`symhess.theory.bounds.network_bounds` (linear CNNs).

Checks that the generic exact loss-Hessian rank is at most the predicted bound
``bound(H_O) + bound(H_F)`` (Theorems 5/6, 7/8, 9/10 or the FCN formulas, whichever
:func:`symhess.theory.bounds.network_bounds` picks) on deep linear networks, with the ranks of
both assembly routes compared (:func:`proofs_checks.instances.run_rank_claim`).

Dropped on purpose: the earlier per-draw comparison ``rank H_L ≤ rank H_O + rank H_F`` with
the *observed* ranks. With ``H_L`` computed as ``H_O + H_F`` it is sub-additivity of rank,
true for *any* two matrices, so no error in any Hessian could make it fail. For the same
reason the ReLU instances are gone: for ReLU nets the linear bounds are false in exact
arithmetic (docs/theory.md §7) and only that tautology was left; ReLU ranks are checked
against their own bounds by ``relu_bounds.py``.
"""

from symhess.theory.bounds import network_bounds

from .framework import Claim
from .instances import conv_arch, run_rank_claim, sweep

NAME = "Loss Hessian bound rank H_L ≤ rank H_O + rank H_F"

DEFAULT = [(8, [(2, 3)], 2), (10, [(3, 3), (3, 3)], 2), (9, [(2, 3), (2, 2)], 3)]
FULL = DEFAULT + [(12, [(3, 3), (3, 3), (3, 3)], 2), (10, [(3, 4), (2, 3)], 3), (9, [(4, 3)], 1)]


def bounds(arch, r, s):
    return [("H_L ≤ bound(H_O) + bound(H_F)", "loss", None, network_bounds(arch, r, s).loss)]


def check(inst):
    return run_rank_claim(NAME, inst, bounds, exact=False)


def instances(full: bool = False):
    return sweep([conv_arch(d, layers, K) for d, layers, K in (FULL if full else DEFAULT)],
                 seeds=(0, 1, 2, 3, 4, 5))


CLAIM = Claim(NAME, "deep linear CNN: rank H_L ≤ bound(H_O) + bound(H_F) (Eq. 1 and sub-additivity)",
              check, instances, exact=False, tags=("theorem", "rank"))
