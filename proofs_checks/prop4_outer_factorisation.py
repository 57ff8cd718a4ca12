"""Proposition 4: ``H_O = Dᵀ Ĥ_O D`` (and the same for ``H_F``), ``D = blockdiag(∂vec_r T^l/∂vec_r W^l)``.

``Ĥ_O``, ``Ĥ_F`` are the Hessians of the 'Toeplitzed' fully-connected network, whose
weight matrices are the ``T^l`` themselves (``p̃`` parameters). The check is built so
that the two sides come from different code:

1. the Toeplitzed FCN (:func:`symhess.hessian.block_formulas.toeplitzed_fcn`) is handed to the
   production route as an ordinary FCN: its ``Ĥ_O``, ``Ĥ_F`` must equal the ones the
   block formulas of Propositions 2 and 3 assemble;
2. the Jacobians factor: ``J_CNN = J_FCN D`` (both by the production route);
3. ``Dᵀ Ĥ D`` (``D`` from Lemma 1's Kronecker formula) equals the production CNN
   Hessian, for both parts.
"""

from __future__ import annotations

from symhess.hessian.block_formulas import toeplitzed_fcn
from symhess.hessian.hessians import jacobian, mse_hessians
from symhess.linalg.matrices import to_fmpq_mat

from ._block_routes import RouteInstance, default_instances, evaluate, identity_result
from .framework import CheckResult, Claim, degenerate

NAME = "Proposition 4 (H = Dᵀ Ĥ D)"


def check(inst: RouteInstance) -> list[CheckResult]:
    """Ĥ (FCN production) vs Ĥ (Props 2, 3); ``J = J̃ D``; ``Dᵀ Ĥ D`` vs the CNN Hessians.

    A ReLU draw where the Toeplitzed FCN kinks (a CNN unit with an all-zero receptive
    field is smooth in the CNN but a kink of the FCN) is avoided; when every seed has
    one, the FCN-side checks are reported ``degenerate instance`` and ``Dᵀ Ĥ D`` is
    checked with route (a)'s ``Ĥ`` only.
    """
    res = evaluate(NAME, inst, with_direct=False, companion=toeplitzed_fcn)
    if isinstance(res, CheckResult):
        res = evaluate(NAME, inst, with_direct=False)
        if isinstance(res, CheckResult):
            return [res]
        D = to_fmpq_mat(res.route_a.D)
        return [degenerate(NAME, res.label, "the Toeplitzed FCN hits a ReLU kink on every seed "
                                            "(dead CNN units); FCN-side checks skipped")] + [
            identity_result(NAME, res.label, f"H_{part} = Dᵀ Ĥ D (Ĥ from Props 2/3)",
                            D.transpose() * to_fmpq_mat(hat) * D, res.production.part(part))
            for part, hat in (("outer", res.route_a.outer_hat), ("functional", res.route_a.functional_hat))]
    net, data = res.tn.net, res.tn.data
    fcn = toeplitzed_fcn(net)
    fcn_hessians = mse_hessians(fcn, data)
    D = to_fmpq_mat(res.route_a.D)
    out = [identity_result(NAME, res.label, "J_CNN = J_FCN D", jacobian(net, data), jacobian(fcn, data) * D)]
    hats = {"outer": res.route_a.outer_hat, "functional": res.route_a.functional_hat}
    for part, hat in hats.items():
        H_hat = fcn_hessians.part(part)
        out.append(identity_result(NAME, res.label, f"Ĥ_{part}: Toeplitzed-FCN Hessian vs Props 2/3",
                                   to_fmpq_mat(hat), H_hat))
        out.append(identity_result(NAME, res.label, f"H_{part} = Dᵀ Ĥ D", D.transpose() * H_hat * D,
                                   res.production.part(part)))
    return out


CLAIM = Claim(
    name=NAME,
    statement="H_O = Dᵀ Ĥ_O D and H_F = Dᵀ Ĥ_F D, with Ĥ the Hessians of the Toeplitzed FCN (p̃ × p̃) "
              "and D = blockdiag of the Lemma 1 derivatives",
    check=check,
    instances=default_instances,
    tags=("identity", "block formulas"),
)
