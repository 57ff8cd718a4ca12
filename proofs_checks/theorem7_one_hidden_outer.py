"""Theorem 7 (exact): one-hidden-layer CNN, rank H_O = min(K r, q(K d_1 + k − q)), q = min(m, k)."""

from symhess.theory.bounds import theorem7_outer

from .framework import Claim
from .instances import conv_arch, run_rank_claim, sweep

NAME = "Theorem 7 (outer-product Hessian, one hidden layer, exact)"

DEFAULT = [(8, 2, 3, 2), (8, 3, 3, 2), (8, 1, 5, 3), (6, 2, 5, 3), (7, 3, 2, 1), (9, 2, 4, 2), (8, 4, 2, 2)]
FULL = DEFAULT + [(10, 3, 4, 3), (12, 5, 3, 2), (10, 2, 9, 4), (12, 4, 6, 3), (9, 6, 4, 1), (11, 3, 7, 2)]


def one_hidden(full: bool):
    return sweep([conv_arch(d, [(m, k)], K) for d, m, k, K in (FULL if full else DEFAULT)])


def bounds(arch, r, s):
    return [("H_O", "outer", None, theorem7_outer(arch, r))]


def check(inst):
    return run_rank_claim(NAME, inst, bounds, exact=True)


CLAIM = Claim(NAME, "f(x) = V T(W) x: rank H_O = min(K r, q(K d_1 + k − q)), q = min(m, k)",
              check, one_hidden, exact=True, tags=("theorem", "rank", "exact"))
