"""The bound functions of :mod:`symhess.theory.bounds` against values derived by hand from docs/theory.md.

The rank claims compare certified ranks with the bounds, so a bound that is too *loose*, or a
term that never binds on the sweep, changes no verdict there. This claim evaluates every bound
function on fixed small architectures and data ranks ``(r, s)`` and compares the result, with
:func:`~proofs_checks.framework.compare_exact`, with a value written by hand. Each expected value
carries its derivation in a comment (formulas of ``docs/theory.md`` §1 FCN, §3 Theorem 5, §4
Theorem 6, §5 Theorems 7/8, §6 Theorems 9/10, ``docs/beyond.md`` ReLU). **No expected value is
computed by the code under test**: a changed formula, a lost bottleneck, a forgotten overlap
``γ_l``, ``K`` instead of ``K − 1`` for cross-entropy or a different source picked by
:func:`~symhess.theory.bounds.network_bounds` is a violation.

Notation: ``d_l`` output length (stride 1: ``d_l = d_{l-1} − k_l + 1``; stride ``σ``:
``⌊(d_{l-1} − k_l)/σ⌋ + 1``), ``M_l = m_l d_l`` (``M_0 = d_0``), ``p_l = m_l m_{l-1} k_l``; the
dense layer has ``k_L = d_{L-1}``, ``m_L = K``.
"""

from __future__ import annotations

from symhess.nets.architecture import Architecture, ConvLayer, LocalLayer
from symhess.theory import bounds as B

from .framework import CheckResult, Claim, compare_exact

NAME = "Bound functions: values derived by hand"
STATEMENT = ("every bound function of symhess.theory.bounds (FCN with MSE and cross-entropy, Theorems 5-10 term by term, "
             "loss_bound, the ReLU bounds, network_bounds' choice of source) equals its value derived by hand "
             "from docs/theory.md on fixed small architectures")


def _arch(d0, layers, K, activation="linear"):
    return Architecture(d0, tuple(layers), K, activation)


# d0=5 conv(1,k2) -> K=2: d1 = 4, p1 = 1·1·2 = 2, p2 = K m1 d1 = 2·1·4 = 8, p = 10.
A_THM5_ORBIT = _arch(5, [ConvLayer(1, 2)], 2)
# d0=6 conv(2,k3) -> K=2: d1 = 4, M1 = 8, p1 = 2·1·3 = 6, p2 = 2·2·4 = 16, p = 22.
A_THM5_FCN = _arch(6, [ConvLayer(2, 3)], 2)
# d0=6 conv(1,k2) -> K=2: d1 = 5, p1 = 2, p2 = 2·1·5 = 10, p = 12.
A_ONE = _arch(6, [ConvLayer(1, 2)], 2)
# d0=6 conv(3,k3) conv(3,k2) -> K=1: d1 = 4, M1 = 12, p1 = 3·1·3 = 9; d2 = 3, M2 = 9, p2 = 3·3·2 = 18;
# dense k3 = d2 = 3, p3 = 1·3·3 = 9; p = 36.
A_DEEP = _arch(6, [ConvLayer(3, 3), ConvLayer(3, 2)], 1)
# d0=8 conv(1,k6,s2) conv(2,k2) -> K=3 (strided): d1 = (8−6)/2 + 1 = 2, M1 = 2, p1 = 6;
# d2 = 2 − 2 + 1 = 1, M2 = 2, p2 = 2·1·2 = 4; dense k3 = 1, p3 = 3·2·1 = 6.
A_STRIDED3 = _arch(8, [ConvLayer(1, 6, 2), ConvLayer(2, 2)], 3)
# d0=8 conv(1,k6,s2) -> K=2: d1 = 2, M1 = 2, p1 = 6, p2 = 2·1·2 = 4.
A_STRIDED2 = _arch(8, [ConvLayer(1, 6, 2)], 2)
# d0=6 local(2,k3,s3) -> K=2 (LCN): t = 6/3 = 2 patches.
A_LCN = _arch(6, [LocalLayer(2, 3, 3)], 2)
# d0=6 conv(2,k3,s3) -> K=1 (LCN + weight sharing): t = 2.
A_LCNWS = _arch(6, [ConvLayer(2, 3, 3)], 1)
# d0=3 conv(2,k3) -> K=2: every filter spans its input (FCN with width M1 = 2, d1 = 1).
A_FCN = _arch(3, [ConvLayer(2, 3)], 2)
# ReLU, d0=6 conv(2,k3) -> K=2: d1 = 4, p = 6 + 16 = 22.
A_RELU1 = _arch(6, [ConvLayer(2, 3)], 2, "relu")
# ReLU, d0=6 conv(2,k3) conv(1,k2) -> K=1: p1 = 6, d1 = 4; p2 = 1·2·2 = 4, d2 = 3; p3 = 1·1·3 = 3; p = 13.
A_RELU2 = _arch(6, [ConvLayer(2, 3), ConvLayer(1, 2)], 1, "relu")


def _terms(t: B.BoundTerms) -> dict:
    return dict(t.terms)


def _block(c: B.ColumnBlockBound) -> dict:
    return {"params": c.params, "alpha": _terms(c.alpha), "beta": _terms(c.beta), "gamma": c.gamma,
            "value": c.value}


def case_fcn() -> list[tuple[str, object, object]]:
    """FCN special case (theory.md §1): ``rank H_O = q(r + K − q)``, blocks ``q(M_{l-1} + M_l − q)``."""
    return [
        # widths [1], K = 2, r = 3: q = min(3, 2, 1) = 1; 1·(3 + 2 − 1) = 4 (the width is the bottleneck)
        ("fcn_outer_rank(r=3, [1], K=2)", 4, lambda: B.fcn_outer_rank(3, [1], 2)),
        # widths [2], K = 3, MSE: q = min(3, 3, 2) = 2; 2·(3 + 3 − 2) = 8
        ("fcn_outer_rank(r=3, [2], K=3)", 8, lambda: B.fcn_outer_rank(3, [2], 3)),
        # cross-entropy: K → K − 1 = 2; q = min(3, 2, 2) = 2; 2·(3 + 2 − 2) = 6
        ("fcn_outer_rank(r=3, [2], K=3, ce)", 6, lambda: B.fcn_outer_rank(3, [2], 3, "ce")),
        # widths [1], K = 2, s = 2: q = 1, ends (s, M1, s) = (2, 1, 2): 1·(2+1−1) = 2, 1·(1+2−1) = 2
        ("fcn_functional_blocks(r=3, [1], K=2, s=2)", (2, 2), lambda: B.fcn_functional_blocks(3, [1], 2, 2)),
        # r = 3, widths [3], K = 2, s = 1: q = min(3, 2, 3) = 2, ends (1, 3, 1): 2·(1+3−2) = 4, 2·(3+1−2) = 4
        # (r instead of s at the input end would give 2·(3+3−2) = 8)
        ("fcn_functional_blocks(r=3, [3], K=2, s=1)", (4, 4), lambda: B.fcn_functional_blocks(3, [3], 2, 1)),
        # ce, K = 3 → 2, s defaults to min(r, K−1) = 2, q = min(3, 2, 2) = 2, ends (2, 2, 2): 2·2 = 4 each
        ("fcn_functional_blocks(r=3, [2], K=3, ce)", (4, 4), lambda: B.fcn_functional_blocks(3, [2], 3, loss="ce")),
        # the same summed: 8 (Singh et al.: 2qΣM_l + 2qs − Lq² = 2·2·2 + 2·2·2 − 2·4 = 8)
        ("fcn_functional_rank(r=3, [2], K=3, ce)", 8, lambda: B.fcn_functional_rank(3, [2], 3, loss="ce")),
        # MSE, widths [2], K = 3, s = 3: q = 2, ends (3, 2, 3): 2·(3+2−2) = 6 twice → 12
        ("fcn_functional_rank(r=3, [2], K=3, s=3)", 12, lambda: B.fcn_functional_rank(3, [2], 3, 3)),
        # loss, MSE, widths [1], K = 2, s = 2: outer 4 + functional 4 + q(q − 2s) = 1·(1 − 4) = −3 → 5
        ("fcn_loss_rank(r=3, [1], K=2, s=2)", 5, lambda: B.fcn_loss_rank(3, [1], 2, 2)),
        # loss, ce, widths [2], K = 3: outer 6 + functional 8 + 2·(2 − 2·2) = −4 → 10
        ("fcn_loss_rank(r=3, [2], K=3, ce)", 10, lambda: B.fcn_loss_rank(3, [2], 3, loss="ce")),
    ]


def case_theorem5() -> list:
    """Theorem 5 (theory.md §3): ``min(p − orb, q(r + K − q))``, ``q = min(r, K, M_1..M_{L-1})``."""
    return [
        # A_THM5_ORBIT, r = 5: p = 10; GL(1) orbit: m1² = 1 (W^1 ≠ 0, so the stabiliser is trivial) → p − orb = 9;
        # toeplitz FCN: q = min(5, 2, M1 = 4) = 2, 2·(5 + 2 − 2) = 10. The orbit term binds: 9.
        ("theorem5 terms, d0=5 conv(1,k2) -> K=2, r=5", {"p - orbit": 9, "toeplitz FCN": 10},
         lambda: _terms(B.theorem5_outer_terms(A_THM5_ORBIT, 5))),
        ("theorem5 value, d0=5 conv(1,k2) -> K=2, r=5", 9, lambda: B.theorem5_outer(A_THM5_ORBIT, 5)),
        # A_THM5_FCN, r = 6: p = 22; GL(2): m1 = 2 ≤ m0 k1 = 3, so the stabiliser is trivial, orb = 4 → 18;
        # toeplitz FCN: q = min(6, 2, 8) = 2, 2·(6 + 2 − 2) = 12. The FCN term binds: 12.
        ("theorem5 terms, d0=6 conv(2,k3) -> K=2, r=6", {"p - orbit": 18, "toeplitz FCN": 12},
         lambda: _terms(B.theorem5_outer_terms(A_THM5_FCN, 6))),
        # A_DEEP, r = 6: p = 36; GL(3) × GL(3): A_1 W^1 = 0 with the 3 columns of W^1 spanning R^3 → A_1 = 0,
        # then A_2 W^2 = W^2 A_1 = 0 with 6 columns spanning R^3 → A_2 = 0: orb = 9 + 9 = 18 → 18;
        # toeplitz FCN: q = min(6, 1, 12, 9) = 1, 1·(6 + 1 − 1) = 6.
        ("theorem5 terms, d0=6 conv(3,k3) conv(3,k2) -> K=1, r=6", {"p - orbit": 18, "toeplitz FCN": 6},
         lambda: _terms(B.theorem5_outer_terms(A_DEEP, 6))),
    ]


def case_theorem6() -> list:
    """Theorem 6 (theory.md §4) per column block: ``min(p_l, α_l + β_l − γ_l)``."""
    return [
        # A_DEEP, s = 1, block 1: α = none 0; β: params above p2 + p3 = 27, toeplitz M1·min(s, M0) = 12·1 = 12,
        # s*d m1 s d1 = 3·1·4 = 12 (no cut: j < 0); γ = 0 (l = 1); value min(p1 = 9, 0 + 12) = 9
        # (the paper's min(p_1, m_1 min(k_1, s d_1)) = min(9, 3·3) = 9).
        ("theorem6 block 1, d0=6 conv(3,k3) conv(3,k2) -> K=1, s=1",
         {"params": 9, "alpha": {"none": 0}, "beta": {"params above": 27, "toeplitz": 12, "s*d": 12},
          "gamma": 0, "value": 9},
         lambda: _block(B.theorem6_column_block(A_DEEP, 1, 1))),
        # block 2: α: params below 9, toeplitz M1·min(s, K, M2) = 12·1 = 12, e_l m1 e2 = 3·(6 − 4 + 1) = 9,
        # s*d m1 s d1 = 3·1·4 = 12 (no cut: 2 < j < 3 empty) → α = 9;
        # β: params above 9, toeplitz M2·min(s, M0, M1) = 9·1 = 9, s*d m2 s d2 = 3·1·3 = 9,
        # cut m_0: m2 m0 (d0 − d2 + 1) = 3·1·4 = 12 → β = 9; γ = 1 (1 < 2 < 3, α, β, s ≥ 1);
        # value min(p2 = 18, 9 + 9 − 1) = 17: the overlap γ matters (without it 18).
        ("theorem6 block 2 (gamma), d0=6 conv(3,k3) conv(3,k2) -> K=1, s=1",
         {"params": 18, "alpha": {"params below": 9, "toeplitz": 12, "e_l": 9, "s*d": 12},
          "beta": {"params above": 9, "toeplitz": 9, "s*d": 9, "cut m_0": 12}, "gamma": 1, "value": 17},
         lambda: _block(B.theorem6_column_block(A_DEEP, 2, 1))),
        # block 3 (dense): α: params below 27, toeplitz M2·min(s, K) = 9, e_l m2 e3 = 3·(6 − 3 + 1) = 12,
        # s*d m2 s d2 = 9 → 9; β none 0; γ 0; value min(p3 = 9, 9) = 9 (paper: m_{L-1} min(k_eff, s d_{L-1})
        # = 3·min(4, 3) = 9).
        ("theorem6 block 3, d0=6 conv(3,k3) conv(3,k2) -> K=1, s=1",
         {"params": 9, "alpha": {"params below": 27, "toeplitz": 9, "e_l": 12, "s*d": 9}, "beta": {"none": 0},
          "gamma": 0, "value": 9},
         lambda: _block(B.theorem6_column_block(A_DEEP, 3, 1))),
        # the blocks (9, 17, 9) and the sum min(p = 36, 35) = 35
        ("theorem6_functional_blocks, d0=6 conv(3,k3) conv(3,k2) -> K=1, r=6, s=1", (9, 17, 9),
         lambda: B.theorem6_functional_blocks(A_DEEP, 6, 1)),
        ("theorem6_functional, d0=6 conv(3,k3) conv(3,k2) -> K=1, r=6, s=1", 35,
         lambda: B.theorem6_functional(A_DEEP, 6, 1)),
        # strided (no polynomial terms), A_STRIDED3, s = 3, block 2: α: params below p1 = 6,
        # toeplitz M1·min(s, K, M2) = 2·min(3, 3, 2) = 4 (the width M2 = 2 is the bottleneck) → α = 4, the
        # toeplitz term binds; β: params above p3 = 6, toeplitz M2·min(s, M0, M1) = 2·min(3, 8, 2) = 4 → 4;
        # γ = 1; value min(p2 = 4, 4 + 4 − 1) = 4.
        ("theorem6 block 2 (toeplitz binds), d0=8 conv(1,k6,s2) conv(2,k2) -> K=3, s=3",
         {"params": 4, "alpha": {"params below": 6, "toeplitz": 4}, "beta": {"params above": 6, "toeplitz": 4},
          "gamma": 1, "value": 4},
         lambda: _block(B.theorem6_column_block(A_STRIDED3, 2, 3))),
        ("theorem6 block 2 alpha binding, d0=8 conv(1,k6,s2) conv(2,k2) -> K=3, s=3", ("toeplitz",),
         lambda: B.theorem6_column_block(A_STRIDED3, 2, 3).alpha.binding),
        # strided, A_STRIDED2, s = 1, block 2 (dense): α: params below 6, toeplitz M1·min(s, K) = 2·1 = 2 → 2;
        # β none; γ 0; value min(p2 = 4, 2) = 2: the toeplitz term gives the block's value.
        ("theorem6 block 2 (toeplitz value), d0=8 conv(1,k6,s2) -> K=2, s=1",
         {"params": 4, "alpha": {"params below": 6, "toeplitz": 2}, "beta": {"none": 0}, "gamma": 0, "value": 2},
         lambda: _block(B.theorem6_column_block(A_STRIDED2, 2, 1))),
    ]


def case_one_hidden() -> list:
    """Theorems 7, 8 (theory.md §5), 9, 10 (§6)."""
    return [
        # Thm 7, A_ONE, r = 6: q = min(m, k) = 1; min(K r = 12, q (K d1 + k − q) = 1·(10 + 2 − 1) = 11) = 11
        ("theorem7_outer, d0=6 conv(1,k2) -> K=2, r=6", 11, lambda: B.theorem7_outer(A_ONE, 6)),
        # Thm 7, A_THM5_FCN, r = 6: q = 2; min(12, 2·(8 + 3 − 2) = 18) = 12
        ("theorem7_outer, d0=6 conv(2,k3) -> K=2, r=6", 12, lambda: B.theorem7_outer(A_THM5_FCN, 6)),
        # Thm 8, A_ONE, s = 2: 2 m min(k, s d1) = 2·1·min(2, 10) = 4
        ("theorem8_functional, d0=6 conv(1,k2) -> K=2, s=2", 4, lambda: B.theorem8_functional(A_ONE, 6, 2)),
        # Thm 8, A_THM5_FCN, s = 1: s d1 = 4 ≥ k = 3, so 2 m min(k, s d1) = 2·2·min(3, 4) = 12
        ("theorem8_functional, d0=6 conv(2,k3) -> K=2, s=1", 12, lambda: B.theorem8_functional(A_THM5_FCN, 6, 1)),
        # Thm 9, A_LCN (m=2, k=3, t=2, K=2), r = 6, s = 2: q = min(3, 2, 2) = 2;
        # H_O: min(K r = 12, t q (k + K − q) = 2·2·3 = 12) = 12; H_F: 2 t m min(k, s) = 2·2·2·2 = 16
        ("theorem9_lcn, d0=6 local(2,k3,s3) -> K=2, r=6, s=2", (12, 16), lambda: B.theorem9_lcn(A_LCN, 6, 2)),
        # Thm 9, r = 6, s = 1, K = 2: H_F 2·2·2·min(3, 1) = 8
        ("theorem9_lcn, d0=6 local(2,k3,s3) -> K=2, r=6, s=1", (12, 8), lambda: B.theorem9_lcn(A_LCN, 6, 1)),
        # Thm 10, A_LCNWS (m=2, k=3, t=2, K=1), r = 6, s = 1: q = min(k, m, tK) = min(3, 2, 2) = 2;
        # H_O: min(K r = 6, q (k + tK − q) = 2·(3 + 2 − 2) = 6) = 6; H_F: 2 m min(k, tK, t s) = 4·min(3, 2, 2) = 8
        ("theorem10, d0=6 conv(2,k3,s3) -> K=1, r=6, s=1", (6, 8),
         lambda: B.theorem10_lcn_weight_sharing(A_LCNWS, 6, 1)),
        # Thm 10, r = 3: H_O min(K r = 3, 6) = 3
        ("theorem10, d0=6 conv(2,k3,s3) -> K=1, r=3, s=1", (3, 8),
         lambda: B.theorem10_lcn_weight_sharing(A_LCNWS, 3, 1)),
    ]


def case_loss_relu() -> list:
    """``loss_bound`` (sub-additivity) and the ReLU bounds (docs/beyond.md §ReLU)."""
    return [
        ("loss_bound(5, 7)", 12, lambda: B.loss_bound(5, 7)),                 # 5 + 7
        ("loss_bound(5, 7, p=10)", 10, lambda: B.loss_bound(5, 7, 10)),       # min(10, 12)
        ("loss_bound(5, 7, p=20)", 12, lambda: B.loss_bound(5, 7, 20)),       # min(20, 12)
        # A_RELU1, n = 5: nK = 10; p − Σ_{l<L} m_l = 22 − 2 = 20
        ("relu_outer_terms, relu d0=6 conv(2,k3) -> K=2, n=5", {"nK": 10, "p - channels": 20},
         lambda: _terms(B.relu_outer_terms(A_RELU1, 5))),
        # n = 20: nK = 40 > 20: the channel term binds
        ("relu_outer_terms, relu d0=6 conv(2,k3) -> K=2, n=20", {"nK": 40, "p - channels": 20},
         lambda: _terms(B.relu_outer_terms(A_RELU1, 20))),
        # 2mk = 2·2·3 = 12; 2 m d1 min(K, n) = 2·2·4·2 = 32
        ("relu_functional_terms, relu d0=6 conv(2,k3) -> K=2, n=5", {"2mk": 12, "2m d_1 min(K,n)": 32},
         lambda: _terms(B.relu_functional_terms(A_RELU1, 5))),
        # n = 1: 2 m d1 min(K, 1) = 2·2·4·1 = 16 (still above 2mk = 12)
        ("relu_functional_terms, relu d0=6 conv(2,k3) -> K=2, n=1", {"2mk": 12, "2m d_1 min(K,n)": 16},
         lambda: _terms(B.relu_functional_terms(A_RELU1, 1))),
        # relu_bounds, n = 5: outer min(10, 20, p = 22) = 10; functional 12; loss min(22, 22) = 22; blocks 6, 6
        ("relu_bounds, relu d0=6 conv(2,k3) -> K=2, n=5", (10, 12, 22, (6, 6)),
         lambda: _bounds_tuple(B.relu_bounds(A_RELU1, 5))),
        # two hidden layers, n = 2: outer min(nK = 2, p − (2 + 1) = 10) = 2; functional = p = 13;
        # loss min(13, 2 + 13) = 13; blocks = per-layer parameters (6, 4, 3)
        ("relu_bounds, relu d0=6 conv(2,k3) conv(1,k2) -> K=1, n=2", (2, 13, 13, (6, 4, 3)),
         lambda: _bounds_tuple(B.relu_bounds(A_RELU2, 2))),
    ]


def _bounds_tuple(b: B.Bounds) -> tuple:
    return b.outer, b.functional, b.loss, tuple(b.functional_blocks)


def _with_source(b: B.Bounds) -> tuple:
    return _bounds_tuple(b) + (b.source,)


def case_network_bounds() -> list:
    """:func:`network_bounds` picks the sharpest result: FCN, Theorems 7/8, 9, 10, else 5/6."""
    return [
        # A_FCN (FCN, widths [2], K = 2), r = 3, s = 2: q = 2; outer 2·(3+2−2) = 6; ends (2, 2, 2):
        # blocks 2·(2+2−2) = 4 each; functional 8; loss 6 + 8 + 2·(2 − 4) = 10
        ("network_bounds, d0=3 conv(2,k3) -> K=2, r=3, s=2", (6, 8, 10, (4, 4), "FCN (Singh et al. 2021)"),
         lambda: _with_source(B.network_bounds(A_FCN, 3, 2))),
        # the same with loss="ce": K → 1, s = 2 as given; q = min(3, 1, 2) = 1; outer 1·(3+1−1) = 3;
        # ends (2, 2, 2): blocks 1·(2+2−1) = 3 each → 6; loss 3 + 6 + 1·(1 − 4) = 6
        ("network_bounds ce, d0=3 conv(2,k3) -> K=2, r=3, s=2", (3, 6, 6, (3, 3), "FCN (Singh et al. 2021)"),
         lambda: _with_source(B.network_bounds(A_FCN, 3, 2, "ce"))),
        # A_ONE, r = 6, s = 2: Theorems 7, 8: outer 11, functional 4, loss 11 + 4 = 15, blocks (2, 2)
        ("network_bounds, d0=6 conv(1,k2) -> K=2, r=6, s=2",
         (11, 4, 15, (2, 2), "Theorems 7, 8 (one hidden layer, exact)"),
         lambda: _with_source(B.network_bounds(A_ONE, 6, 2))),
        # A_LCN, r = 6, s = 2: Theorem 9 (12, 16), loss 28, blocks (8, 8)
        ("network_bounds, d0=6 local(2,k3,s3) -> K=2, r=6, s=2", (12, 16, 28, (8, 8), "Theorem 9 (LCN)"),
         lambda: _with_source(B.network_bounds(A_LCN, 6, 2))),
        # A_LCNWS, r = 6, s = 1: Theorem 10 (6, 8), loss 14, blocks (4, 4)
        ("network_bounds, d0=6 conv(2,k3,s3) -> K=1, r=6, s=1",
         (6, 8, 14, (4, 4), "Theorem 10 (LCN + weight sharing)"),
         lambda: _with_source(B.network_bounds(A_LCNWS, 6, 1))),
        # A_DEEP, r = 6, s = 1: Theorems 5, 6: outer 6, blocks (9, 17, 9), functional 35, loss min(36, 41) = 36
        ("network_bounds, d0=6 conv(3,k3) conv(3,k2) -> K=1, r=6, s=1", (6, 35, 36, (9, 17, 9), "Theorems 5, 6"),
         lambda: _with_source(B.network_bounds(A_DEEP, 6, 1))),
    ]


CASES = {"FCN formulas": case_fcn, "Theorem 5": case_theorem5, "Theorem 6": case_theorem6,
         "Theorems 7-10": case_one_hidden, "loss and ReLU bounds": case_loss_relu,
         "network_bounds": case_network_bounds}


def check(case: str) -> list[CheckResult]:
    return [compare_exact(NAME, f"{case}: {what}", expected, value(), "hand-derived (docs/theory.md)")
            for what, expected, value in CASES[case]()]


def instances(full: bool = False) -> list[str]:
    return list(CASES)


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("bounds", "self-test"))
