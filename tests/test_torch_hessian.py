"""The exact Hessians against PyTorch autograd (``torch.func``) in float64, and the ranks.

PyTorch differentiates its own network (``F.conv1d``, ``relu``, flatten, a dense
matmul), independent of the Toeplitz code. On integer instances the exact Hessians,
converted to float64, must match ``torch.func.hessian`` of
``(1/n) Σ_i ½‖F(x_i) − y_i‖²`` to float64 accuracy; ``H_O = Jᵀ J / n`` from
``torch.func.jacrev`` and ``H_F = H_L − H_O``. The float64 SVD rank of PyTorch's
Hessians (numpy's default tolerance) must equal the certified exact rank.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from proofs_checks._block_routes import kink_free_draw  # noqa: E402
from symhess.hessian.hessians import mse_hessians  # noqa: E402
from symhess.io.torch_import import torch_function  # noqa: E402
from symhess.linalg.rank import exact_rank, float64_rank  # noqa: E402
from symhess.nets.architecture import Architecture, ConvLayer, Network  # noqa: E402


def torch_hessians(net: Network, data) -> dict[str, np.ndarray]:
    """``{"loss", "outer", "functional"}`` in float64 by ``torch.func``."""
    theta = torch.tensor([float(v) for v in net.theta()], dtype=torch.float64)
    X = torch.tensor(data.inputs.astype(np.float64))
    Y = torch.tensor(data.targets.astype(np.float64))
    outputs = torch_function(net.arch)  # conv1d / relu / flatten / matmul on θ = (vec_r W^1, …)
    n = X.shape[0]

    def loss(t):
        return 0.5 * ((outputs(t, X) - Y) ** 2).sum() / n

    H_L = torch.func.hessian(loss)(theta)
    J = torch.func.jacrev(lambda t: outputs(t, X))(theta).reshape(-1, theta.numel())  # (nK, p)
    H_O = J.T @ J / n
    return {"loss": H_L.numpy(), "outer": H_O.numpy(), "functional": (H_L - H_O).numpy()}


INSTANCES = [
    ("1conv-s2-p1", Architecture(8, (ConvLayer(3, 3, stride=2, padding=1),), 2), 6),
    ("2conv-pad", Architecture(9, (ConvLayer(2, 3, padding=1), ConvLayer(2, 2, stride=2, padding=1)), 2), 5),
    ("2conv-wide", Architecture(10, (ConvLayer(3, 3), ConvLayer(3, 2, stride=2)), 3), 8),
    ("3conv", Architecture(12, (ConvLayer(2, 3, stride=2, padding=2), ConvLayer(2, 2, padding=1),
                                ConvLayer(2, 2)), 2), 6),
]


HEAVY_INSTANCES = [
    ("2conv-p204", Architecture(16, (ConvLayer(4, 3), ConvLayer(4, 3)), 3), 10),
    ("2conv-s2-p2", Architecture(20, (ConvLayer(3, 5, stride=2, padding=2), ConvLayer(4, 3, padding=1)), 4), 12),
    ("3conv-p148", Architecture(24, (ConvLayer(4, 4, stride=2), ConvLayer(4, 3), ConvLayer(3, 2, padding=1)), 2), 8),
]


def instance(arch, act, n, kind="integer"):
    """The first kink-free draw; integer weights in [-9, 9] (fewer exact zeros than the default range).

    ``kind="gaussian"`` data are multiples of 1/8: dyadic, so still exact in float64.
    """
    arch = Architecture(arch.input_dim, arch.convs, arch.outputs, act)
    found = kink_free_draw(arch, n, tuple(range(60)), kind, scale=9)
    assert found is not None, "every seed hits a ReLU kink"
    return found[0], found[1]


def assert_torch_agrees(net, data):
    """Entries to float64 accuracy; float64 rank of torch's Hessian == certified exact rank, every part."""
    exact = mse_hessians(net, data)
    ref = torch_hessians(net, data)
    report = []
    for part in ("loss", "outer", "functional"):
        ours = np.array([[float(v) for v in row] for row in exact.part(part).tolist()])
        scale = max(1.0, np.abs(ref[part]).max())
        np.testing.assert_allclose(ours, ref[part], rtol=1e-12, atol=1e-12 * scale, err_msg=part)
        r_exact = exact_rank(exact.part(part))
        r_float = float64_rank(ref[part])
        assert r_exact.certified
        report.append((part, r_exact.rank, r_float.rank, r_float.details))
    disagreements = [r for r in report if r[1] != r[2]]
    assert not disagreements, f"float64 rank of torch's Hessian disagrees with the exact rank: {disagreements}"


@pytest.mark.parametrize("act", ["linear", "relu"])
@pytest.mark.parametrize("name,arch,n", INSTANCES, ids=[i[0] for i in INSTANCES])
def test_exact_hessians_match_torch_and_ranks_agree(name, arch, n, act):
    assert_torch_agrees(*instance(arch, act, n))


@pytest.mark.heavy
@pytest.mark.parametrize("act", ["linear", "relu"])
@pytest.mark.parametrize("name,arch,n", HEAVY_INSTANCES, ids=[i[0] for i in HEAVY_INSTANCES])
def test_larger_nets_match_torch_and_ranks_agree(name, arch, n, act):
    assert_torch_agrees(*instance(arch, act, n, "gaussian"))


def test_functional_part_is_nonzero_and_indefinite():
    """The instances are not trivial: ``H_F ≠ 0`` with eigenvalues of both signs (torch side)."""
    net, data = instance(INSTANCES[1][1], "linear", INSTANCES[1][2])
    eig = np.linalg.eigvalsh(torch_hessians(net, data)["functional"])
    assert eig.min() < -1e-6 and eig.max() > 1e-6
