"""Proposition 2: the ``(k, l)`` block of the outer-product Hessian.

For the Toeplitzed network (parameters ``vec_r T^l``)::

    Ĥ_O^{(k,l)} = (T^{L:k+1})ᵀ T^{L:l+1} ⊗ T^{k-1:1} Σ_xx (T^{l-1:1})ᵀ          (linear)
               = (1/n) Σ_i (A_{>k}ᵀ A_{>l}) ⊗ (h_{k-1} h_{l-1}ᵀ)               (ReLU masks in A, h)

and the CNN block is ``H_O^{(k,l)} = D_kᵀ Ĥ_O^{(k,l)} D_l`` (Lemma 1). Checked exactly,
block by block, against route (c): exact finite differences of a convolution-loop forward
pass (:mod:`proofs_checks._independent`; it shares no code with the block formulas, which
share the Toeplitz forward pass with the production route); the whole ``Dᵀ Ĥ_O D`` against
the production Hessian (:mod:`symhess.hessian.hessians`) and, for small ``p``, against sympy's
direct differentiation of the loss.
Derivation: :mod:`symhess.hessian.block_formulas`.
"""

from __future__ import annotations

from ._block_routes import RouteInstance, compare_blocks, default_instances, evaluate
from .framework import CheckResult, Claim

NAME = "Proposition 2 (outer-product Hessian blocks)"


def check(inst: RouteInstance) -> list[CheckResult]:
    """One result per block ``(k ≤ l)`` and form, one for the whole ``H_O``, one vs sympy (small ``p``)."""
    res = evaluate(NAME, inst)
    return [res] if isinstance(res, CheckResult) else compare_blocks(NAME, res, "outer")


CLAIM = Claim(
    name=NAME,
    statement="H_O^(k,l) = D_kᵀ [(T^{L:k+1})ᵀT^{L:l+1} ⊗ T^{k-1:1} Σ_xx (T^{l-1:1})ᵀ] D_l "
              "(per-sample with ReLU masks), equal to the exact Hessian",
    check=check,
    instances=default_instances,
    tags=("identity", "block formulas"),
)
