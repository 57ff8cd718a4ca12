"""Cross-entropy Hessians: exact rank H_O vs the high-precision route, dps stability, PyTorch, targets."""

import random
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from symhess.hessian.crossentropy import (as_ce_dataset, ce_dataset, ce_hessian_ranks, ce_hessians, ce_loss,
                                          class_labels, outer_factor, random_ce_instance, softmax, sum_zero_basis)
from symhess.hessian.hessians import functional_hessian, mse_hessians
from symhess.hessian.symbolic import network_outputs
from symhess.linalg.matrices import to_sympy_matrix
from symhess.linalg.numeric_rank import gap_rank
from symhess.linalg.rank import exact_rank
from symhess.nets.architecture import Architecture, ConvLayer, random_network, symbolic_network
from symhess.nets.data import Dataset, random_dataset
from symhess.scalars import InputError, to_sympy

DEFAULT_INSTANCES = [
    ("linear", Architecture(7, (ConvLayer(2, 3),), 3), 3, "integer"),
    ("strided", Architecture(8, (ConvLayer(2, 3), ConvLayer(2, 2, stride=2, padding=1)), 3), 3, "integer"),
    ("relu", Architecture(8, (ConvLayer(2, 3),), 3, "relu"), 4, "gaussian"),
]


@pytest.fixture(scope="module")
def default_ranks():
    """Ranks of every default instance at dps 50 and 80 (computed once for the module)."""
    out = {}
    for name, arch, n, kind in DEFAULT_INSTANCES:
        net, data = random_ce_instance(arch, n, seed=1, kind=kind)
        out[name] = (net, data, ce_hessian_ranks(net, data, 50), ce_hessian_ranks(net, data, 80))
    return out


# --- rank H_O exactly, against the high-precision route ----------------------------------------

@pytest.mark.parametrize("name", [i[0] for i in DEFAULT_INSTANCES])
def test_exact_outer_rank_equals_mpmath_rank_of_actual_outer_hessian(default_ranks, name):
    _, _, r50, r80 = default_ranks[name]
    assert r50.outer.certified
    assert r50.outer_numeric.clear and r50.outer_numeric.rank == r50.outer.rank
    assert r80.outer_numeric.rank == r50.outer.rank


@pytest.mark.parametrize("name", [i[0] for i in DEFAULT_INSTANCES])
def test_raising_precision_does_not_change_the_ranks(default_ranks, name):
    _, _, r50, r80 = default_ranks[name]
    for g50, g80 in ((r50.functional, r80.functional), (r50.loss, r80.loss)):
        assert g50.clear, g50.certificate
        assert g50.rank == g80.rank
        # the gap widens with the precision: the noise floor moves, the kept values do not
        assert g80.gap_decades > g50.gap_decades + 20


def test_outer_rank_is_that_of_the_stacked_differences():
    """Independently: rank Σ Jᵢᵀ Aᵢ Jᵢ (sympy, exact A built from *rational* p) = rank [Cᵀ Jᵢ]."""
    arch = Architecture(6, (ConvLayer(2, 2),), 3)
    net, data = random_network(arch, 4), random_dataset(arch, 2, 4)
    # any strictly positive probability vector gives the same range 1⊥: use rational ones
    rng = random.Random(0)
    total = sympy.zeros(arch.num_params, arch.num_params)
    sym = symbolic_network(arch, prefix="_t")
    theta = sympy.Matrix([to_sympy(v) for v in sym.theta()])
    subs = {a: to_sympy(b) for a, b in zip(sym.theta(), net.theta())}
    for x in data.inputs:
        F = sympy.Matrix(network_outputs(sym, [to_sympy(v) for v in x])[0])
        J = F.jacobian(theta).xreplace(subs)
        w = [sympy.Rational(rng.randint(1, 9)) for _ in range(3)]
        p = sympy.Matrix([v / sum(w) for v in w])
        A = sympy.diag(*p) - p * p.T
        total += J.T * A * J
    G = outer_factor(net, data)
    assert exact_rank(G).rank == total.rank()
    assert G.nrows() == data.n * (arch.outputs - 1)


def test_sum_zero_basis_spans_the_sum_zero_vectors():
    C = sum_zero_basis(4)
    assert (C.nrows(), C.ncols()) == (4, 3)
    assert exact_rank(C).rank == 3
    ones = [sum(C[r, c] for r in range(4)) for c in range(3)]
    assert all(v == 0 for v in ones)


# --- H_F via the residual-linear production route -------------------------------------------------

def test_functional_hessian_with_residuals_equals_sympy():
    """``functional_hessian(..., residuals=R)`` = (1/n) Σ_i Σ_c R_ic ∇²F_c(x_i), by sympy differentiation."""
    arch = Architecture(6, (ConvLayer(2, 3), ConvLayer(2, 2, stride=2, padding=1)), 2)
    net, data = random_network(arch, 2), random_dataset(arch, 2, 2)
    R = [[Fraction(1, 3), Fraction(-5, 7)], [Fraction(2), Fraction(0)]]
    sym = symbolic_network(arch, prefix="_t")
    theta = sympy.Matrix([to_sympy(v) for v in sym.theta()])
    subs = {a: to_sympy(b) for a, b in zip(sym.theta(), net.theta())}
    expr = sum(to_sympy(R[i][c]) * network_outputs(sym, [to_sympy(v) for v in x])[0][c]
               for i, x in enumerate(data.inputs) for c in range(2))
    direct = sympy.hessian(expr, theta).xreplace(subs) / data.n
    assert to_sympy_matrix(functional_hessian(net, data, residuals=R)) == direct
    # default residuals are F(x_i) - y_i (MSE)
    assert functional_hessian(net, data) == mse_hessians(net, data).functional


def test_functional_hessian_rejects_bad_residuals():
    arch = Architecture(5, (ConvLayer(1, 2),), 2)
    net, data = random_network(arch, 0), random_dataset(arch, 2, 0)
    with pytest.raises(InputError, match="residuals"):
        functional_hessian(net, data, residuals=[[1, 2]])


# --- against PyTorch autograd ----------------------------------------------------------------------

def _torch_logits(torch, arch, theta, X):
    """``F(x)`` for a batch ``X`` (n, d0) by ``torch.nn.functional.conv1d``: independent of the Toeplitz code."""
    F = torch.nn.functional
    h, off = X.unsqueeze(1), 0
    for s in arch.layers[:-1]:
        w = theta[off:off + s.num_params].reshape(s.weight_shape)
        off += s.num_params
        h = F.conv1d(h, w, stride=s.stride, padding=s.padding)
        if arch.activation == "relu":
            h = torch.relu(h)
    last = arch.layers[-1]
    W = theta[off:off + last.num_params].reshape(arch.outputs, -1)
    return h.flatten(1) @ W.T


@pytest.mark.parametrize("name", ["strided", "relu"])
def test_ce_hessians_match_torch_autograd(default_ranks, name):
    torch = pytest.importorskip("torch")
    net, data, _, _ = default_ranks[name]
    arch = net.arch
    X = torch.tensor([[float(v) for v in x] for x in data.inputs], dtype=torch.float64)
    labels = torch.tensor(class_labels(data.targets, arch.outputs))
    theta = torch.tensor([float(v) for v in net.theta()], dtype=torch.float64)

    def loss(th):
        return torch.nn.functional.cross_entropy(_torch_logits(torch, arch, th, X), labels)

    H_L = torch.func.hessian(loss)(theta).numpy()
    J = torch.func.jacrev(lambda th: _torch_logits(torch, arch, th, X))(theta)  # (n, K, p)
    P = torch.softmax(_torch_logits(torch, arch, theta, X), dim=1)
    A = torch.diag_embed(P) - P.unsqueeze(2) * P.unsqueeze(1)
    H_O = torch.einsum("nkp,nkl,nlq->pq", J, A, J).numpy() / data.n

    H = ce_hessians(net, data, 30)
    ours = {part: np.array(H.part(part).tolist(), dtype=np.float64) for part in ("outer", "functional", "loss")}
    scale = max(1.0, np.abs(H_L).max())
    assert np.abs(ours["loss"] - H_L).max() < 1e-10 * scale
    assert np.abs(ours["outer"] - H_O).max() < 1e-10 * scale
    assert np.abs(ours["functional"] - (H_L - H_O)).max() < 1e-10 * scale
    assert abs(float(ce_loss(net, data, 30)) - float(loss(theta))) < 1e-12


# --- probabilities and targets ----------------------------------------------------------------------

def test_softmax_sums_to_one_and_is_shift_invariant():
    p = softmax([Fraction(1), Fraction(-2), Fraction(7, 3)], 40)
    q = softmax([Fraction(101), Fraction(98), Fraction(307, 3)], 40)
    with mpmath.workdps(40):
        assert abs(mpmath.fsum(p) - 1) < mpmath.mpf(10) ** -38
        assert all(abs(a - b) < mpmath.mpf(10) ** -38 for a, b in zip(p, q))
        assert abs(p[0] / p[1] - mpmath.exp(3)) < mpmath.mpf(10) ** -37


def test_targets_as_one_hot_rows_or_class_indices():
    assert class_labels([[0, 1, 0], [1, 0, 0]], 3) == (1, 0)
    assert class_labels([2, 0], 3) == (2, 0)
    assert class_labels([[2], [1]], 3) == (2, 1)
    d = ce_dataset([[1, 2], [3, 4]], [2, 0], 3)
    assert [list(r) for r in d.targets] == [[0, 0, 1], [1, 0, 0]]
    idx = Dataset(np.array([[1, 2]], dtype=object), np.array([[1]], dtype=object))
    assert list(as_ce_dataset(idx, 3).targets[0]) == [0, 1, 0]


@pytest.mark.parametrize("targets, field", [
    ([[0, 1, 1], [1, 0, 0]], "targets[0]"),       # two ones
    ([[1, 0, 0], [0, 2, 0]], "targets[1]"),       # not 0/1
    ([[1, 0, 0], [0, 0, 0]], "targets[1]"),       # no one
    ([0, 3], "targets[1]"),                       # index out of range
    ([Fraction(1, 2), 0], "targets[0]"),          # not an integer
    ([[1, 0], [0, 1]], "targets"),                # wrong row length
    ([True, 0], "targets[0]"),                    # a bool is not a class
])
def test_bad_targets_name_the_field(targets, field):
    with pytest.raises(InputError) as err:
        class_labels(targets, 3)
    assert err.value.field == field


def test_one_class_is_refused():
    with pytest.raises(InputError, match="outputs"):
        class_labels([0, 0], 1)


def test_ce_ranks_json_shape(default_ranks):
    _, _, r50, _ = default_ranks["linear"]
    d = r50.to_dict()
    assert set(d["ranks"]) == {"outer", "functional", "loss"}
    assert d["certified"]["outer"] is True and d["dps"] == 50
    assert d["ranks"]["outer"] == r50.outer.rank
    assert all(row["part"] in ("outer", "functional", "loss") for row in r50.rows())


def test_saturated_softmax_is_reported_not_guessed():
    """Huge logits push true singular values below 10^-dps: the gap rule must not print a wrong rank silently."""
    arch = Architecture(7, (ConvLayer(2, 3),), 3)
    net, data = random_network(arch, 1), random_dataset(arch, 3, 1)  # logits in the tens to hundreds
    data = as_ce_dataset(Dataset(data.inputs, [[0] for _ in range(data.n)]), 3)
    exact = exact_rank(outer_factor(net, data)).rank
    g = gap_rank(ce_hessians(net, data, 20).outer, 20)
    assert g.rank is None or g.rank <= exact  # never above the exact rank; usually "no clear gap"
