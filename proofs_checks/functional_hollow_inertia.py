"""``H_F`` is block-hollow and has about as many negative as positive eigenvalues.

The paper (Section 4, "a word about H_F"): the functional Hessian "has a very peculiar
block-hollow structure (i.e., zero diagonal blocks), which leads to the number of
negative eigenvalues being approximately half of its rank (c.f. Singh et al. 2021)".

Precise statements checked, exactly, on every generic draw (``C_l = H_F[:, W^l]``,
``(n_+, n_-, n_0)`` the inertia of ``H_F`` from an LDLᵀ congruence over ℚ,
:func:`symhess.linalg.inertia.inertia`; no eigenvalue is computed; ranks certified):

1. **block-hollow**: every diagonal block ``H_F^{(l,l)}`` is exactly zero (``F`` is
   linear in each ``W^l`` separately). ``observed`` = number of non-zero diagonal blocks
   of ``H_F`` computed by route (c), exact second differences of a convolution-loop
   forward pass (:mod:`proofs_checks._independent`). The production ``H_F`` cannot serve
   here: it only assembles the blocks ``l ≠ k`` and leaves the diagonal zero by
   construction, so that check could never fail. A second result compares the production
   ``H_F`` with route (c) entry for entry (``observed`` = differing entries), so the
   inertia and ranks below are those of the true ``H_F``.
2. **Sylvester**: ``n_+ + n_- = rank H_F`` (inertia against the certified rank, two
   independent algorithms).
3. **about half**: ``|n_+ − n_-| ≤ rank H_F − 2 max_l rank C_l``. Proof: the coordinate
   subspace ``E_l`` of layer ``l`` is totally isotropic (``H_F^{(l,l)} = 0``); its image in
   ``ℚ^p / ker H_F``, of dimension ``p_l − dim(E_l ∩ ker H_F) = rank C_l``, is totally
   isotropic for the non-degenerate form of signature ``(n_+, n_-)``, so
   ``rank C_l ≤ min(n_+, n_-)``. With two layers (``L = 2``), ``H_F = [[0, B], [Bᵀ, 0]]``
   and the bound is ``0``: exactly ``n_+ = n_- = rank B``.

The result of (3) carries ``n_+, n_-, n_0`` and ``n_- / rank`` in its detail.
"""

from __future__ import annotations

from symhess.linalg.inertia import inertia
from symhess.linalg.matrices import is_zero
from symhess.nets.architecture import Architecture, ConvLayer, LocalLayer

from ._block_routes import differing_entries, parameter_submatrix
from ._independent import difference_hessians
from .framework import CheckResult, Claim, compare_bound, compare_exact, each_seed
from .instances import Instance, certified_rank, generic_draw

NAME = "Remark: H_F block-hollow, inertia balanced (exact LDLᵀ)"
STATEMENT = ("H_F is block-hollow (H_F^(l,l) = 0) and, by exact LDL^T inertia (n+, n-, n0): n+ + n- = rank H_F "
             "and |n+ - n-| <= rank H_F - 2 max_l rank C_l (isotropic zero blocks; = 0 for L = 2)")


def check_seed(inst: Instance, seed: int, label: str) -> list[CheckResult]:
    """The three statements on one generic draw."""
    d = generic_draw(inst, seed)
    H = d.hessians
    L = inst.arch.depth
    independent = difference_hessians(d.net, d.data).functional
    nonzero_diag = [l for l in range(1, L + 1) if not is_zero(parameter_submatrix(independent, inst.arch, l, l))]
    differing = differing_entries(H.functional, independent)
    rank = certified_rank(H.functional)
    block_ranks = [certified_rank(H.column_block("functional", l)) for l in range(1, L + 1)]
    inert = inertia(H.functional)
    pos, neg, zero = inert.as_tuple()
    counts = f"(n+, n-, n0) = ({pos}, {neg}, {zero}), rank H_F = {rank}"
    half = f"n-/rank = {neg}/{rank}" + (f" = {neg / rank:.3f}" if rank else "")
    return [
        compare_exact(NAME, f"{label} [block-hollow]", 0, len(nonzero_diag),
                      f"non-zero diagonal blocks of H_F by exact differences: {nonzero_diag or 'none'} of {L}"),
        compare_exact(NAME, f"{label} [H_F production = exact differences]", 0, differing,
                      f"differing entries of the {H.functional.nrows()}^2 of H_F"),
        compare_exact(NAME, f"{label} [n+ + n- = rank]", rank, pos + neg, f"{counts}; {inert.certificate()}"),
        compare_bound(NAME, f"{label} [|n+ - n-|]", rank - 2 * max(block_ranks), abs(pos - neg),
                      f"{counts}; rank C_l = {block_ranks}; {half}"),
    ]


def check(inst: Instance) -> list[CheckResult]:
    return each_seed(NAME, inst, lambda seed, label: check_seed(inst, seed, label))


def instances(full: bool = False) -> list[Instance]:
    """L = 2 (tight: n+ = n-), deeper linear and ReLU nets, stride/padding, an FCN, an LCN."""
    out = [
        Instance(Architecture(6, (ConvLayer(3, 3),), 2, "linear"), 4, (0,)),
        Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 2)), 2, "linear"), 4, (0,)),
        Instance(Architecture(8, (ConvLayer(2, 3, stride=2, padding=1), ConvLayer(3, 2)), 2, "linear"), 4, (0,)),
        Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 3)), 2, "relu"), 4, (3,), "gaussian"),
        Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 2), ConvLayer(2, 2)), 2, "linear"), 3, (0,)),
        Instance(Architecture.fully_connected(4, [3, 3], 2), 4, (0,)),
    ]
    if full:
        out += [
            Instance(Architecture(8, (ConvLayer(4, 3), ConvLayer(4, 3)), 3, "linear"), 8, (0, 1)),
            Instance(Architecture(10, (ConvLayer(4, 3), ConvLayer(4, 3)), 3, "relu"), 6, (2, 8, 14), "gaussian"),
            Instance(Architecture(7, (ConvLayer(2, 3), ConvLayer(2, 2), ConvLayer(2, 2)), 3, "relu"), 3, (3, 11, 23),
                     "gaussian"),
            Instance(Architecture.fully_connected(4, [5, 2, 4], 3), 8, (0, 1)),
            Instance(Architecture(6, (LocalLayer(3, 2, stride=2),), 2, "linear"), 4, (0,)),
            Instance(Architecture(9, (ConvLayer(3, 3, stride=2, padding=2), ConvLayer(2, 2, padding=1)), 2, "linear"),
                     5, (0, 1)),
        ]
    return out


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("remark", "functional", "inertia"))
