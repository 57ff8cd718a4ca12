"""The production Hessians equal sympy's direct differentiation of the loss (Eq. 1)."""

import pytest

from symhess.hessian.hessians import mse_hessians
from symhess.hessian.symbolic import direct_hessians
from symhess.linalg.matrices import to_sympy_matrix
from symhess.nets.architecture import Architecture, ConvLayer, random_network
from symhess.nets.data import random_dataset


@pytest.mark.parametrize("activation", ["linear", "relu"])
def test_production_equals_direct_sympy(activation):
    arch = Architecture(5, (ConvLayer(2, 2), ConvLayer(2, 2, stride=2, padding=1)), 2, activation)
    for seed in range(20):
        net, data = random_network(arch, seed), random_dataset(arch, 2, seed)
        try:
            H = mse_hessians(net, data)
        except Exception as err:  # a ReLU kink: try the next seed
            if "kink" in str(err) or "pre-activation" in str(err):
                continue
            raise
        break
    direct = direct_hessians(net, data)
    for part in ("outer", "functional", "loss"):
        assert to_sympy_matrix(H.part(part)) == direct[part], part
