"""Theorem 5 (corrected): rank H_O ≤ min(p − orb, q(r + K − q)), q = min(r, K, m_l d_l), deep linear CNN.

``orb`` is the dimension of the orbits of the *joint* channel mixing of all hidden layers
(:mod:`symhess.theory.symmetry`); the first version added one orbit per layer, which over-counts
(the last four architectures of the default sweep are its counterexamples, where the orbit
term binds). Every architecture where each term binds: :mod:`proofs_checks.bound_search`.
"""

from symhess.theory.bounds import theorem5_outer

from .framework import Claim
from .instances import conv_arch, run_rank_claim, sweep

NAME = "Theorem 5 (outer-product Hessian, deep CNN)"

DEFAULT = [(10, [(3, 3), (3, 3)], 2), (10, [(2, 2), (3, 4)], 3), (9, [(1, 3), (2, 3)], 2),
           (8, [(2, 3), (2, 2), (2, 2)], 2),
           (3, [(2, 1), (3, 1), (1, 1)], 3), (2, [(6, 1), (4, 1)], 1), (6, [(1, 1), (6, 5)], 6),
           (8, [(4, 3), (1, 3), (1, 3)], 4)]
FULL = DEFAULT + [(12, [(3, 3), (3, 3), (3, 3)], 2), (7, [(3, 3), (4, 5), (4, 1)], 2), (8, [(4, 7), (4, 2)], 3),
                  (12, [(4, 3), (4, 4)], 3), (9, [(2, 3), (1, 3)], 3)]


def bounds(arch, r, s):
    return [("H_O", "outer", None, theorem5_outer(arch, r))]


def check(inst):
    return run_rank_claim(NAME, inst, bounds, exact=False)


def instances(full: bool = False):
    return sweep([conv_arch(d, layers, K) for d, layers, K in (FULL if full else DEFAULT)])


CLAIM = Claim(NAME, "deep linear CNN: rank H_O ≤ min(p − orb (joint channel-mixing orbit), q(r+K−q)), "
              "q = min(r, K, m_l d_l)",
              check, instances, exact=False, tags=("theorem", "rank"))
