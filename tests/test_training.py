"""Gradient descent in float64, weights read exactly at checkpoints, exact ranks vs step."""

from fractions import Fraction

import flint
import numpy as np
import pytest

from symhess.hessian.hessians import jacobian, sample_terms
from symhess.linalg.matrices import to_fmpq_mat
from symhess.nets.architecture import Architecture, ConvLayer
from symhess.nets.data import random_dataset

torch = pytest.importorskip("torch")

from symhess.experiments.training import checkpoint_ranks, gradient_descent, initial_theta, network_at  # noqa: E402

ARCH = Architecture(8, (ConvLayer(2, 3),), 2)


def test_deterministic_and_exact_checkpoints():
    data = random_dataset(ARCH, 4, 1)
    a = gradient_descent(ARCH, data, [0, 5, 40], lr=0.01, seed=1)
    b = gradient_descent(ARCH, data, [40, 0, 5], lr=0.01, seed=1)
    assert a == b and [c.step for c in a] == [0, 5, 40]
    assert a[0].theta == tuple(initial_theta(ARCH, 1, Fraction(1, 4)))
    for c in a:  # every weight is the exact binary rational of a float64
        assert all(Fraction(float(v)) == v for v in c.theta)
        assert network_at(ARCH, c).theta() == list(c.theta)
    assert a[2].loss < a[1].loss < a[0].loss


def test_one_step_is_the_exact_gradient_step():
    """θ_1 = θ_0 − lr (1/n) Σ_i J_iᵀ r_i, with J and r from the exact route (rounded once to float64)."""
    data = random_dataset(ARCH, 5, 2)
    lr = 0.01
    c0, c1 = gradient_descent(ARCH, data, [0, 1], lr=lr, seed=2)
    net = network_at(ARCH, c0)
    J = jacobian(net, data)
    r = to_fmpq_mat(np.array([[v] for t in sample_terms(net, data) for v in t.residual], dtype=object))
    grad = (J.transpose() * r) * flint.fmpq(1, data.n)
    expected = [float(c0.theta[i]) - lr * float(Fraction(int(grad[i, 0].p), int(grad[i, 0].q)))
                for i in range(grad.nrows())]
    assert np.allclose([float(v) for v in c1.theta], expected, rtol=1e-12, atol=1e-12)


def test_exact_ranks_and_bounds_at_checkpoints():
    """Over-parameterised (n = 4): the loss goes to ~0, the exact ranks stay generic, the bounds hold."""
    pytest.importorskip("symhess.theory.bounds")
    data = random_dataset(ARCH, 4, 0)
    rows = [checkpoint_ranks(ARCH, data, c) for c in gradient_descent(ARCH, data, [0, 400], lr=0.01, seed=0)]
    assert rows[-1].loss < 1e-6 * rows[0].loss
    for row in rows:
        assert row.certified and (row.r, row.s) == (4, 2)
        for part in ("outer", "functional", "loss"):
            assert row.exact[part] <= row.bounds[part]
    assert rows[0].exact == rows[-1].exact  # exact rank of H_F does not fall while residuals are non-zero


def test_training_checkpoints_carry_float_conventions():
    """Each checkpoint carries every float convention's verdict: all agree at the start, numpy's
    default breaks late in training, while the certified exact ranks stay put."""
    from symhess.experiments.training import TRAINING_SAMPLES, training_arch, training_ranks

    arch = training_arch(0)
    start, late = training_ranks(arch, TRAINING_SAMPLES, [0, 3000], seed=0)
    assert start.exact == late.exact
    assert dict(start.conventions)["numpy=torch=jax64"] == "ok"
    assert dict(late.conventions)["numpy=torch=jax64"].startswith("NO")
