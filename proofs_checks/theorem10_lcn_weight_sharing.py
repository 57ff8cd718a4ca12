"""Theorem 10 (exact): LCN with weight sharing, rank H_O = q(k+tK−q), rank H_F = 2 m min(k, tK, t s)."""

from symhess.theory.bounds import theorem10_lcn_weight_sharing

from .framework import Claim
from .instances import run_rank_claim
from .theorem9_lcn import lcn_instances

NAME = "Theorem 10 (LCN + weight sharing, exact)"


def bounds(arch, r, s):
    outer, functional = theorem10_lcn_weight_sharing(arch, r, s)
    return [("H_O", "outer", None, outer), ("H_F", "functional", None, functional)]


def check(inst):
    return run_rank_claim(NAME, inst, bounds, exact=True)


def instances(full: bool = False):
    return lcn_instances(True, full)


CLAIM = Claim(NAME, "f(x) = Σ_j V^(j) W x_j: rank H_O = q(k+tK−q), q = min(k, m, tK); rank H_F = 2 m min(k, tK, t s)",
              check, instances, exact=True, tags=("theorem", "rank", "exact", "lcn"))
