"""Lemma 1: the Kronecker-built Toeplitz derivative against sympy's Jacobian and independent counts."""

import numpy as np
import pytest

from proofs_checks import lemma1
from proofs_checks.framework import HOLDS
from symhess.nets.derivatives import rotation, tall_identity, toeplitz_derivative


def test_claim_holds_on_default_grid():
    results = [r for inst in lemma1.instances(False) for r in lemma1.check(inst)]
    assert len(results) >= 3 * 90
    assert all(r.verdict == HOLDS for r in results), [r for r in results if r.verdict != HOLDS][:3]


@pytest.mark.parametrize("m_in,m_out,k,d,s,p", [(1, 1, 3, 7, 1, 0), (2, 3, 2, 6, 1, 0), (2, 2, 3, 7, 2, 1),
                                                 (1, 2, 4, 5, 3, 2)])
def test_column_counts(m_in, m_out, k, d, s, p):
    """Column ``(o, i, j)`` has one 1 per output position ``t`` whose tap ``s t + j − p`` hits the input.

    Counted directly from the definition of the convolution, not from the code under test;
    stride 1, no padding: every kernel entry appears ``d_out`` times.
    """
    shape = lemma1.LayerInstance(m_in, m_out, k, d, s, p).shape
    D = toeplitz_derivative(shape)
    d_out = (d + 2 * p - k) // s + 1
    for col in range(m_out * m_in * k):
        j = col % k
        expected = sum(1 for t in range(d_out) if 0 <= s * t + j - p < d)
        assert D[:, col].sum() == expected
        if s == 1 and p == 0:
            assert expected == d_out


def test_check_can_fail_notes_formula_ignores_padding():
    """The notes' formula with ``P`` at base ``d`` (no padding embedding) is wrong once ``p > 0``.

    Counterexample: ``d = 3, k = 2, s = 1, p = 1``: row ``t = 0`` of ``T(w)`` is
    ``(w_1, 0, 0)`` but ``P^0 Ĩ w = (w_0, w_1, 0)``. The sympy comparison catches it.
    """
    inst = lemma1.LayerInstance(1, 1, 2, 3, 1, 1)
    shape = inst.shape
    naive = np.vstack([rotation(3, t) @ tall_identity(3, 2) for t in range(shape.out_dim)])
    J = lemma1.sympy_jacobian(shape)
    assert naive.shape == (J.rows, J.cols)
    assert any(J[r, c] != naive[r, c] for r in range(J.rows) for c in range(J.cols))
    assert all(J[r, c] == toeplitz_derivative(shape)[r, c] for r in range(J.rows) for c in range(J.cols))


def test_no_wraparound_in_rotation_powers():
    """``P^{st}`` never wraps for the rows used: the cyclic ``P`` and the plain shift agree there."""
    for inst in lemma1.instances(False):
        shape = inst.shape
        D_len = shape.in_dim + 2 * shape.padding
        assert shape.stride * (shape.out_dim - 1) + shape.kernel_size - 1 <= D_len - 1
