"""Proposition 3: the ``(k, l)`` block of the functional Hessian.

``Ĥ_F^{(l,l)} = 0`` (block-hollow: ``F`` is linear in each ``T^l``) and, for ``k < l``,
with ``Ω = (1/n) Σ_i r_i x_iᵀ`` and the commutation matrix ``K = K_{m_l d_l, m_{l-1} d_{l-1}}``::

    Ĥ_F^{(k,l)} = (T^{l-1:k+1}ᵀ ⊗ T^{k-1:1} Ωᵀ T^{L:l+1}) K                       (linear)
               = (1/n) Σ_i (M_{l,k}ᵀ ⊗ h_{k-1} (A_{>l}ᵀ r_i)ᵀ) K                   (ReLU masks)

with ``M_{l,k} = Λ^{l-1} T^{l-1} ⋯ T^{k+1} Λ^k``; the CNN block is ``D_kᵀ Ĥ_F^{(k,l)} D_l``.
Checked exactly, block by block, against route (c) (exact finite differences of a
convolution-loop forward pass, :mod:`proofs_checks._independent`: independent of the Toeplitz
forward pass that route (a) shares with production; its diagonal blocks are computed, not
set to zero), the whole ``Dᵀ Ĥ_F D`` against the production Hessian and, for small ``p``, sympy.
Derivation: :mod:`symhess.hessian.block_formulas`.
"""

from __future__ import annotations

from ._block_routes import RouteInstance, compare_blocks, default_instances, evaluate
from .framework import CheckResult, Claim

NAME = "Proposition 3 (functional Hessian blocks)"


def check(inst: RouteInstance) -> list[CheckResult]:
    """One result per block ``(k ≤ l)`` and form, one for the whole ``H_F``, one vs sympy (small ``p``)."""
    res = evaluate(NAME, inst)
    return [res] if isinstance(res, CheckResult) else compare_blocks(NAME, res, "functional")


CLAIM = Claim(
    name=NAME,
    statement="H_F^(l,l) = 0 and H_F^(k,l) = D_kᵀ [(T^{l-1:k+1}ᵀ ⊗ T^{k-1:1} Ωᵀ T^{L:l+1}) K] D_l (k<l), "
              "equal to the exact Hessian",
    check=check,
    instances=default_instances,
    tags=("identity", "block formulas"),
)
