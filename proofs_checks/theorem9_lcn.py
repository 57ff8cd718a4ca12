"""Theorem 9 (exact): locally connected network, rank H_O = t q(k+K−q), rank H_F = 2 t m min(k, s)."""

from symhess.nets.architecture import Architecture
from symhess.theory.bounds import theorem9_lcn

from .framework import Claim
from .instances import run_rank_claim, sweep

NAME = "Theorem 9 (LCN, exact)"

DEFAULT = [(8, 2, 2, 2), (8, 3, 4, 2), (9, 2, 3, 3), (8, 1, 2, 3), (6, 4, 3, 1)]
FULL = DEFAULT + [(12, 3, 4, 2), (12, 2, 6, 3), (12, 3, 2, 2), (12, 5, 3, 4), (10, 2, 5, 1)]


def lcn_instances(weight_sharing: bool, full: bool):
    return sweep([Architecture.locally_connected(d, m, k, K, weight_sharing) for d, m, k, K in (FULL if full else DEFAULT)])


def bounds(arch, r, s):
    outer, functional = theorem9_lcn(arch, r, s)
    return [("H_O", "outer", None, outer), ("H_F", "functional", None, functional)]


def check(inst):
    return run_rank_claim(NAME, inst, bounds, exact=True)


def instances(full: bool = False):
    return lcn_instances(False, full)


CLAIM = Claim(NAME, "f(x) = Σ_j V^(j) W^(j) x_j, t = d/k: rank H_O = t q(k+K−q), q = min(k, m, K); "
              "rank H_F = 2 t m min(k, s)", check, instances, exact=True, tags=("theorem", "rank", "exact", "lcn"))
