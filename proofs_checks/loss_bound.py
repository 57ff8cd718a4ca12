"""rank H_L ≤ rank H_O + rank H_F, with the bounds of :func:`symhess.bounds.network_bounds`.

Checks that the exact loss-Hessian rank is at most the predicted bound (linear networks) and,
on linear and ReLU networks, at most the sum of the *observed* ranks of H_O and H_F
(sub-additivity, a theorem). The paper's remark that the linear bounds also hold for ReLU
networks is false in exact arithmetic on small instances: docs/theory.md §7.
"""

from symhess.bounds import network_bounds

from .framework import Claim, compare_bound, degenerate
from .instances import conv_arch, generic_draws, run_rank_claim, sweep

NAME = "Loss Hessian bound rank H_L ≤ rank H_O + rank H_F"

DEFAULT = [(8, [(2, 3)], 2, "linear"), (10, [(3, 3), (3, 3)], 2, "linear"), (8, [(2, 3)], 2, "relu"),
           (9, [(2, 3), (2, 3)], 2, "relu")]
FULL = DEFAULT + [(12, [(3, 3), (3, 3), (3, 3)], 2, "linear"), (10, [(3, 4), (2, 3)], 3, "relu"),
                  (9, [(4, 3)], 1, "relu")]


def bounds(arch, r, s):
    return [("H_L ≤ bound(H_O) + bound(H_F)", "loss", None, network_bounds(arch, r, s).loss)]


def check(inst):
    # The theorem bounds are for linear networks; with ReLU only sub-additivity is a theorem
    # (exact ReLU counterexamples to the linear bounds: docs/theory.md §7).
    results = run_rank_claim(NAME, inst, bounds, exact=False) if inst.arch.activation == "linear" else []
    draws = generic_draws(inst)
    for i, d in enumerate(draws):  # sub-additivity on each draw, with observed ranks
        results.append(compare_bound(NAME, f"{inst.label} [draw {i}: H_L ≤ obs H_O + obs H_F]",
                                     d.rank("outer") + d.rank("functional"), d.rank("loss")))
    return results or [degenerate(NAME, inst.label, "every seed drew a degenerate instance (ReLU kink or rank-deficient data)")]


def instances(full: bool = False):
    return sweep([conv_arch(d, layers, K, act) for d, layers, K, act in (FULL if full else DEFAULT)],
                 seeds=(0, 1, 2, 3, 4, 5))


CLAIM = Claim(NAME, "rank H_L ≤ rank H_O + rank H_F (Eq. 1 and sub-additivity), with the theorem bounds",
              check, instances, exact=False, tags=("theorem", "rank"))
