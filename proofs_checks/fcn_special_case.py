"""FCN special case (Singh et al. 2021): exact ranks of H_O, H_F and H_L for linear FCNs.

An FCN is a CNN whose filters span their input (:meth:`Architecture.fully_connected`).
Claimed exact: the generic rank must equal the formula (``tight``).
"""

from symhess.nets.architecture import Architecture
from symhess.theory.bounds import fcn_functional_rank, fcn_loss_rank, fcn_outer_rank, hidden_channels

from .framework import Claim
from .instances import run_rank_claim, sweep

NAME = "FCN special case (Singh et al. 2021)"


def bounds(arch, r, s):
    w, K = hidden_channels(arch), arch.outputs
    return [("H_O = q(r+K-q)", "outer", None, fcn_outer_rank(r, w, K)),
            ("H_F = 2qΣM+2qs-Lq²", "functional", None, fcn_functional_rank(r, w, K, s)),
            ("H_L = H_O+H_F+q(q-2s)", "loss", None, fcn_loss_rank(r, w, K, s))]


def check(inst):
    return run_rank_claim(NAME, inst, bounds, exact=True)


def instances(full: bool = False):
    specs = [(5, (3,), 2), (4, (2, 3), 3), (6, (2,), 3), (5, (4, 1), 2)]
    if full:
        specs += [(8, (5, 4), 3), (6, (2, 6, 3), 4), (7, (7,), 7), (6, (3, 3, 3), 2)]
    return sweep([Architecture.fully_connected(d, w, K) for d, w, K in specs])


CLAIM = Claim(NAME, "linear FCN: rank H_O = q(r+K-q), rank H_F = 2qΣM_l + 2qs - Lq², "
              "rank H_L = rank H_O + rank H_F + q(q-2s), q = min(r, K, M_l)", check, instances, exact=True,
              tags=("fcn", "rank"))
