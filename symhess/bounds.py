"""Rank bounds of the paper, one function per result (Theorems 5–10, the FCN special case).

Every bound depends on the data only through ``r = rank Σ_xx`` and ``s = rank Ω``
(:func:`data_ranks` computes both exactly). Derivations: ``docs/theory.md``, whose
section numbers the docstrings cite. Notation (stride 1, no padding unless said):
layer ``l = 1..L`` has ``m_{l-1}`` in-channels, ``m_l`` out-channels, filter size ``k_l``,
input length ``d_{l-1}``, output length ``d_l = d_{l-1} − k_l + 1``, ``p_l = m_l m_{l-1} k_l``
parameters; the last layer is dense (``k_L = d_{L-1}``, ``d_L = 1``, ``m_L = K``);
``e_l = d_0 − d_{l-1} + 1 = Σ_{j<l}(k_j − 1) + 1`` is the effective filter length of the
conv stack below layer ``l`` (``e_1 = 1``, ``e_L = k_eff``, ``e_{L+1} = d_0``).

The key fact (theory.md §2): a linear stride-1 CNN computes ``F(x) = G x`` where the
``K × d_0`` matrix ``G`` holds the coefficients of the polynomial-matrix product
``W^L(z) ⋯ W^1(z)`` (``W^l(z)[o, i] = Σ_j W^l[o, i, j] z^j``). Bounds are generic:
they hold at every weight point outside a measure-zero set (as Singh et al. 2021).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

from .networks import Architecture, LayerShape, Network
from .scalars import InputError

LOSSES = ("mse", "ce")


# --------------------------------------------------------------------------- FCN (Singh et al. 2021)

def _fcn_q(r: int, widths: Sequence[int], outputs: int) -> int:
    """``q = min(r, K, M_1, …, M_{L-1})``, the bottleneck of the FCN."""
    return min([r, outputs, *widths])


def _classes(outputs: int, loss: str) -> int:
    """``K`` for MSE, ``K − 1`` for cross-entropy (softmax has a one-dimensional invariance)."""
    if loss not in LOSSES:
        raise InputError("loss", "'mse' or 'ce'", loss)
    return outputs - 1 if loss == "ce" else outputs


def fcn_outer_rank(r: int, widths: Sequence[int], outputs: int, loss: str = "mse") -> int:
    """FCN special case (Singh et al. 2021, Thm 3): ``rank H_O = q (r + K − q)``.

    ``q = min(r, K, M_1, …, M_{L-1})``; cross-entropy: ``K → K − 1``. Exact for generic
    weights; theory.md §1.
    """
    K = _classes(outputs, loss)
    q = _fcn_q(r, widths, K)
    return q * (r + K - q)


def fcn_functional_blocks(r: int, widths: Sequence[int], outputs: int, s: int | None = None,
                          loss: str = "mse") -> tuple[int, ...]:
    """FCN column blocks of ``H_F``: ``q (M_{l-1} + M_l − q)`` with ``M_0 = M_L = s``.

    Their sum is Singh et al.'s ``2 q Σ_l M_l + 2 q s − L q²``; theory.md §1.
    """
    K = _classes(outputs, loss)
    s = min(r, K) if s is None else s
    q = _fcn_q(r, widths, K)
    ends = [s, *widths, s]
    return tuple(q * (ends[l - 1] + ends[l] - q) for l in range(1, len(widths) + 2))


def fcn_functional_rank(r: int, widths: Sequence[int], outputs: int, s: int | None = None,
                        loss: str = "mse") -> int:
    """FCN special case: ``rank H_F = 2 q Σ_l M_l + 2 q s − L q²`` (Singh et al. 2021, Thm 4)."""
    return sum(fcn_functional_blocks(r, widths, outputs, s, loss))


def fcn_loss_rank(r: int, widths: Sequence[int], outputs: int, s: int | None = None,
                  loss: str = "mse") -> int:
    """FCN loss-Hessian prediction: ``rank H_F + rank H_O + q (q − 2 s)`` (Singh et al. 2021).

    The column spaces of ``H_O`` and ``H_F`` share ``q(2s − q)`` dimensions; theory.md §1.
    """
    K = _classes(outputs, loss)
    s = min(r, K) if s is None else s
    q = _fcn_q(r, widths, K)
    return (fcn_outer_rank(r, widths, outputs, loss) + fcn_functional_rank(r, widths, outputs, s, loss)
            + q * (q - 2 * s))


# --------------------------------------------------------------------------- helpers on architectures

def is_fully_connected(arch: Architecture) -> bool:
    """Every filter spans its (unpadded) input: the CNN is an FCN with widths ``m_l``."""
    return all(s.shared and s.kernel_size == s.in_dim and s.padding == 0 for s in arch.layers)


def is_plain_conv(arch: Architecture) -> bool:
    """Stride 1, no padding, shared weights: the setting of Theorems 5–8."""
    return all(s.shared and s.stride == 1 and s.padding == 0 for s in arch.layers)


def hidden_channels(arch: Architecture) -> list[int]:
    """``m_1, …, m_{L-1}``."""
    return [s.out_channels for s in arch.layers[:-1]]


def effective_length(arch: Architecture, l: int) -> int:
    """``e_l = d_0 − d_{l-1} + 1``: support length of ``W^{l-1}(z) ⋯ W^1(z)`` (stride 1).

    ``l`` ranges ``1..L+1``; ``e_1 = 1``, ``e_L = k_eff = Σ_{j<L}(k_j − 1) + 1``, ``e_{L+1} = d_0``.
    """
    d_prev = arch.layers[l - 2].out_dim if l >= 2 else arch.input_dim
    return arch.input_dim - d_prev + 1


# --------------------------------------------------------------------------- Theorems 5 and 6

def orbit_dimension(arch: Architecture, l: int) -> int:
    """Dimension of the generic orbit of the channel-mixing symmetry at hidden layer ``l``.

    ``(W^l, W^{l+1}) → (G W^l, W^{l+1} G^{-1})``, ``G ∈ GL(m_l)``, keeps ``F`` (mixing
    channels commutes with convolution). Generic stabiliser: ``G`` with ``G W^l(z) = 0`` and
    ``W^{l+1}(z) G = 0``, of dimension ``(m_l − m_{l-1} k_l)_+ (m_l − m_{l+1} k_{l+1})_+``.
    """
    sh, nxt = arch.layers[l - 1], arch.layers[l]
    m = sh.out_channels
    return m * m - max(0, m - sh.in_channels * sh.kernel_size) * max(0, m - nxt.out_channels * nxt.kernel_size)


def theorem5_outer(arch: Architecture, r: int) -> int:
    """Theorem 5: ``rank H_O ≤ min(p − Σ_l orb_l, q (r + K − q))``, ``q = min(r, K, m_l d_l)``.

    ``H_O = Dᵀ Ĥ_O D`` (Prop. 4) with ``Ĥ_O`` the outer Hessian of the Toeplitzed FCN of widths
    ``m_l d_l``, whose rank is Singh et al.'s ``q (r + K − q)``; and ``rank H_O = rank J ≤ p``
    minus the dimension of the channel-mixing symmetry orbits (:func:`orbit_dimension`), whose
    tangent directions lie in the kernel of ``J``. No bottleneck: ``q = min(r, K)`` and the
    bound is ``≤ r K``, linear in input and output. theory.md §3. Valid for any stride/padding.
    """
    widths = [s.out_channels * s.out_dim for s in arch.layers[:-1]]
    toeplitz_fcn = fcn_outer_rank(r, widths, arch.outputs)
    sym = sum(orbit_dimension(arch, l) for l in range(1, arch.depth)) if all(s.shared for s in arch.layers) else 0
    return min(arch.num_params - sym, toeplitz_fcn)


def _theorem6_q(arch: Architecture, s: int) -> int:
    """``q = min(s, m_1, …, m_{L-1})``: the channel bottleneck seen by the functional Hessian."""
    return min([s, *hidden_channels(arch)])


def theorem6_functional_blocks(arch: Architecture, r: int, s: int) -> tuple[int, ...]:
    """Theorem 6: bound on ``rank`` of column block ``l`` of ``H_F``, for ``l = 1..L``.

    With ``q = min(s, m_1, …, m_{L-1})`` and (theory.md §4)

    * ``α_l = m_{l-1} · min(e_l, q d_{l-1})`` for ``l > 1``, ``α_1 = q s`` (blocks ``k < l``),
    * ``β_l = m_l · min(e_{l+1}, q d_l)`` for ``l < L``, ``β_L = q s`` (blocks ``k > l``),
    * ``γ_l``: the dimension both parts share: ``q²`` if ``q d_{l-1} ≤ e_l`` (always for ``l = 1``,
      ``L``, and for dense layers), else ``1`` (only ``⟨Ω, A_{>l} Ẇ B_{<l}⟩`` is common),

    ``rank H_F[:, l] ≤ min(p_l, α_l + β_l − γ_l)``. Cases of the paper: ``l = 1`` gives
    ``min(p_1, m_1 min(k_1, s d_1))`` (no bottleneck); ``l = L`` gives ``m_{L-1} min(k_eff, s d_{L-1})``;
    ``1 < l < L`` the sum of both parts less their overlap. For an FCN it is
    ``q(M_{l-1} + M_l − q)``, Singh et al.'s. Stride 1, no padding; otherwise the Toeplitzed
    FCN bound (with widths ``m_l d_l``) capped at ``p_l`` is returned.
    """
    L, shapes = arch.depth, arch.layers
    if not is_plain_conv(arch):
        widths = [sh.out_channels * sh.out_dim for sh in shapes[:-1]]
        fcn = fcn_functional_blocks(r, widths, arch.outputs, s)
        return tuple(min(sh.num_params, b) for sh, b in zip(shapes, fcn))
    q = _theorem6_q(arch, s)
    out = []
    for l, sh in enumerate(shapes, start=1):
        alpha = q * s if l == 1 else sh.in_channels * min(effective_length(arch, l), q * sh.in_dim)
        beta = q * s if l == L else sh.out_channels * min(effective_length(arch, l + 1), q * sh.out_dim)
        s_branch = l in (1, L) or q * sh.in_dim <= effective_length(arch, l)
        gamma = q * q if s_branch else min(1, q)
        out.append(max(0, min(sh.num_params, alpha + beta - gamma)))
    return tuple(out)


def theorem6_functional(arch: Architecture, r: int, s: int) -> int:
    """Theorem 6 summed: ``rank H_F ≤ Σ_l rank H_F[:, l]`` (sub-additivity of rank)."""
    return sum(theorem6_functional_blocks(arch, r, s))


def loss_bound(outer: int, functional: int) -> int:
    """``rank H_L ≤ rank H_O + rank H_F`` (sub-additivity; ``H_L = H_O + H_F``, Eq. 1)."""
    return outer + functional


# --------------------------------------------------------------------------- Theorems 7 and 8

def _one_hidden(arch: Architecture) -> tuple[int, int, int, int]:
    """``(m, k, d_1, K)`` of a one-hidden-layer CNN (``d_1`` the strided, padded output length)."""
    if arch.depth != 2:
        raise InputError("architecture", "one hidden conv layer", arch.describe())
    sh = arch.layers[0]
    return sh.out_channels, sh.kernel_size, sh.out_dim, arch.outputs


def theorem7_outer(arch: Architecture, r: int) -> int:
    """Theorem 7 (one hidden layer, exact): ``rank H_O = min(K r, q (K d_1 + k − q))``, ``q = min(m, k)``.

    ``F`` is ``g(z) = V(z) w(z)``: ``V`` is ``K × m`` of degree ``< d_1``, ``w`` is ``m × 1`` of
    degree ``< k``. The image of the differential ``V̇ w + V ẇ`` has dimension
    ``q (K d_1 + k − q)`` (the ``m × m`` channel mixing removes ``q²``) and lives in
    ``K × d`` space, seen through ``r`` data directions. theory.md §5.
    """
    m, k, d1, K = _one_hidden(arch)
    q = min(m, k)
    return min(K * r, q * (K * d1 + k - q))


def theorem8_functional(arch: Architecture, r: int, s: int) -> int:
    """Theorem 8 (one hidden layer, exact): ``rank H_F = 2 m · min(k, s d_1)``.

    ``H_F = [[0, Bᵀ], [B, 0]]`` (block-hollow), so ``rank = 2 rank B``; ``B`` maps ``Ẇ`` to the
    functional ``V ↦ ⟨Ω, V Ẇ⟩``: per channel a ``k``-vector seen through ``s d_1`` numbers.
    theory.md §5.
    """
    m, k, d1, _ = _one_hidden(arch)
    return 2 * m * min(k, s * d1)


# --------------------------------------------------------------------------- Theorems 9 and 10

def _lcn(arch: Architecture) -> tuple[int, int, int, int]:
    """``(m, k, t, K)`` of a Section-7 network: one hidden layer, stride = filter size ``k``, ``t = d/k``."""
    sh = arch.layers[0]
    if arch.depth != 2 or sh.stride != sh.kernel_size or sh.padding or arch.input_dim % sh.kernel_size:
        raise InputError("architecture", "one hidden layer with stride = filter size dividing d", arch.describe())
    return sh.out_channels, sh.kernel_size, arch.input_dim // sh.kernel_size, arch.outputs


def theorem9_lcn(arch: Architecture, r: int, s: int) -> tuple[int, int]:
    """Theorem 9 (LCN, exact): ``(rank H_O, rank H_F) = (t q (k + K − q), 2 t m min(k, s))``, ``q = min(k, m, K)``.

    ``f(x) = Σ_j V^(j) W^(j) x_j`` is a sum of ``t`` one-hidden-layer FCNs on disjoint patches;
    both Hessians are block diagonal over patches (after permuting parameters), each block the
    FCN value with input ``k`` (``Ω_j`` has rank ``min(k, s)``). theory.md §6. Full-rank data.
    """
    m, k, t, K = _lcn(arch)
    q = min(k, m, K)
    return min(K * r, t * q * (k + K - q)), 2 * t * m * min(k, s)


def theorem10_lcn_weight_sharing(arch: Architecture, r: int, s: int) -> tuple[int, int]:
    """Theorem 10 (LCN + WS, exact): ``(q (k + tK − q), 2 m min(k, tK, t s))``, ``q = min(k, m, tK)``.

    ``G = [V^(1) W, …, V^(t) W]`` is a rearrangement of the ``tK × k`` product ``[V^(1); …; V^(t)] W``:
    a one-hidden-layer FCN with input ``k`` and ``tK`` outputs; ``Ω`` rearranged has rank
    ``min(k, tK, t s)``. ``t`` slides inside the minimum. theory.md §6. Full-rank data.
    """
    m, k, t, K = _lcn(arch)
    q = min(k, m, t * K)
    return min(K * r, q * (k + t * K - q)), 2 * m * min(k, t * K, t * s)


# --------------------------------------------------------------------------- dispatcher

@dataclass(frozen=True)
class Bounds:
    """The bounds for one network: ``outer``, ``functional`` (and its column blocks), ``loss``."""

    outer: int
    functional: int
    loss: int
    functional_blocks: tuple[int, ...]
    source: str

    def to_dict(self) -> dict:
        out = asdict(self)
        out["functional_blocks"] = list(self.functional_blocks)
        return out


def network_bounds(arch: Architecture, r: int, s: int, loss: str = "mse") -> Bounds:
    """Pick the sharpest applicable result for ``arch`` with data ranks ``r``, ``s``.

    FCN (every filter spans its input): Singh et al.'s exact values. One hidden layer,
    stride 1: Theorems 7/8 (exact). Section-7 LCN / LCN+WS: Theorems 9/10. Otherwise
    Theorems 5/6. ``loss="ce"``: ``K → K − 1`` (only the FCN formulas are stated for it).
    """
    _classes(arch.outputs, loss)
    layers = arch.layers
    if is_fully_connected(arch):
        widths = hidden_channels(arch)
        blocks = fcn_functional_blocks(r, widths, arch.outputs, s, loss)
        outer = fcn_outer_rank(r, widths, arch.outputs, loss)
        functional = sum(blocks)
        return Bounds(outer, functional, fcn_loss_rank(r, widths, arch.outputs, s, loss), blocks,
                      "FCN (Singh et al. 2021)")
    first = layers[0]
    non_overlapping = first.stride == first.kernel_size and not first.padding and arch.input_dim % first.kernel_size == 0
    if arch.depth == 2 and non_overlapping and (first.kernel_size > 1 or not first.shared):
        if first.shared:
            outer, functional = theorem10_lcn_weight_sharing(arch, r, s)
            source = "Theorem 10 (LCN + weight sharing)"
        else:
            outer, functional = theorem9_lcn(arch, r, s)
            source = "Theorem 9 (LCN)"
        return Bounds(outer, functional, loss_bound(outer, functional), (functional // 2, functional // 2), source)
    if arch.depth == 2 and layers[0].shared:
        outer, functional = theorem7_outer(arch, r), theorem8_functional(arch, r, s)
        source = "Theorems 7, 8 (one hidden layer, exact)" if is_plain_conv(arch) else \
            "Theorems 7, 8 with the strided/padded d_1 (upper bounds; theory.md §5.1)"
        return Bounds(outer, functional, loss_bound(outer, functional), (functional // 2, functional // 2), source)
    blocks = theorem6_functional_blocks(arch, r, s)
    outer = theorem5_outer(arch, r)
    return Bounds(outer, sum(blocks), loss_bound(outer, sum(blocks)), blocks, "Theorems 5, 6")


def data_ranks(net: Network, data) -> tuple[int, int]:
    """``(r, s) = (rank Σ_xx, rank Ω)``, exact and certified (:func:`symhess.rank.exact_rank`)."""
    from .hessians import input_covariance, residual_input_covariance
    from .rank import exact_rank

    ranks = []
    for M in (input_covariance(data), residual_input_covariance(net, data)):
        res = exact_rank(M)
        assert res.certified
        ranks.append(res.rank)
    return ranks[0], ranks[1]
