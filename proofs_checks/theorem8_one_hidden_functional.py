"""Theorem 8 (exact): one-hidden-layer CNN, rank H_F = 2 m min(k, s d_1)."""

from symhess.theory.bounds import theorem8_functional

from .framework import Claim
from .instances import run_rank_claim
from .theorem7_one_hidden_outer import one_hidden

NAME = "Theorem 8 (functional Hessian, one hidden layer, exact)"


def bounds(arch, r, s):
    return [("H_F", "functional", None, theorem8_functional(arch, r, s))]


def check(inst):
    return run_rank_claim(NAME, inst, bounds, exact=True)


CLAIM = Claim(NAME, "f(x) = V T(W) x: rank H_F = 2 m min(k, s d_1)", check, one_hidden, exact=True,
              tags=("theorem", "rank", "exact"))
