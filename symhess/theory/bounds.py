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

from ..hessian.hessians import input_covariance, residual_input_covariance
from ..linalg.rank import exact_rank
from ..nets.architecture import Architecture, LayerShape, Network
from ..scalars import InputError
from .symmetry import orbit_dimension

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
    return arch.input_dim - _dim(arch, l - 1) + 1


def _dim(arch: Architecture, j: int) -> int:
    """``d_j``, the output length of layer ``j`` (``d_0`` the input length, ``d_L = 1``)."""
    return arch.layers[j - 1].out_dim if j >= 1 else arch.input_dim


def _channels(arch: Architecture, j: int) -> int:
    """``m_j`` (``m_0 = 1`` input channel, ``m_L = K``)."""
    return arch.layers[j - 1].out_channels if j >= 1 else arch.layers[0].in_channels


def _width(arch: Architecture, j: int) -> int:
    """``M_j = m_j d_j``: the width of layer ``j`` in the Toeplitzed FCN (``M_0 = d_0``)."""
    return _channels(arch, j) * _dim(arch, j)


# --------------------------------------------------------------------------- bounds as minima of terms

@dataclass(frozen=True)
class BoundTerms:
    """A bound that is the minimum of named, separately proven terms.

    ``terms``: ``(name, value)`` pairs; the bound is the smallest value, and ``binding`` names
    the terms attaining it (the systematic search counts, per term, where it binds).
    """

    terms: tuple[tuple[str, int], ...]

    @property
    def value(self) -> int:
        return min(v for _, v in self.terms)

    @property
    def binding(self) -> tuple[str, ...]:
        return tuple(name for name, v in self.terms if v == self.value)


# --------------------------------------------------------------------------- Theorem 5

def theorem5_outer_terms(arch: Architecture, r: int) -> BoundTerms:
    """Theorem 5 (corrected), its two terms: ``rank H_O ≤ min(p − orb, q (r + K − q))``.

    * ``"p - orbit"``: ``p − orb``, with ``orb`` a proven lower bound on the generic dimension of
      the orbits of the *joint* channel mixing ``GL(m_1) × ⋯ × GL(m_{L-1})``
      (:func:`symhess.theory.symmetry.orbit_dimension`), whose tangent space lies in ``ker J``;
    * ``"toeplitz FCN"``: ``q (r + K − q)``, ``q = min(r, K, m_1 d_1, …, m_{L-1} d_{L-1})``: by
      Prop. 4 ``H_O = Dᵀ Ĥ_O D`` and ``rank Ĥ_O`` of the Toeplitzed FCN is at most Singh et
      al.'s generic value (``≤ r K``).

    Both hold at every weight point, any stride, padding or weight sharing; ``≥ 0``.
    Derivation: ``docs/theory.md`` §3.
    """
    widths = [_width(arch, j) for j in range(1, arch.depth)]
    return BoundTerms((("p - orbit", arch.num_params - orbit_dimension(arch)),
                       ("toeplitz FCN", fcn_outer_rank(r, widths, arch.outputs))))


def theorem5_outer(arch: Architecture, r: int) -> int:
    """Theorem 5 (corrected): the minimum of :func:`theorem5_outer_terms`."""
    return theorem5_outer_terms(arch, r).value


# --------------------------------------------------------------------------- Theorem 6

@dataclass(frozen=True)
class ColumnBlockBound:
    """Theorem 6 for column block ``l`` of ``H_F``: ``min(p_l, α_l + β_l − γ_l)``.

    ``alpha`` bounds the rank of the rows of the blocks ``k < l`` (functionals through the
    layers below), ``beta`` those of the blocks ``k > l``; ``gamma`` is the dimension both
    are proven to share. ``docs/theory.md`` §4.
    """

    l: int
    params: int
    alpha: BoundTerms
    beta: BoundTerms
    gamma: int

    @property
    def value(self) -> int:
        return max(0, min(self.params, self.alpha.value + self.beta.value - self.gamma))

    @property
    def binding(self) -> tuple[str, ...]:
        """``"p_l"`` and/or ``"alpha+beta"`` with the binding sub-terms, e.g. ``"alpha:e_l"``."""
        parts = self.alpha.value + self.beta.value - self.gamma
        out = ("p_l",) if self.params == self.value else ()
        if parts == self.value:
            out += tuple(f"alpha:{n}" for n in self.alpha.binding if self.alpha.value) + \
                tuple(f"beta:{n}" for n in self.beta.binding if self.beta.value)
        return out


def theorem6_alpha(arch: Architecture, l: int, s: int) -> BoundTerms:
    """``α_l``: rank of the rows of ``H_F[:, l]`` from the blocks ``k < l`` (``0`` for ``l = 1``).

    Those rows are the functionals ``Ẇ^l ↦ ⟨Ω, A Ṫ^l N⟩``, ``A = T^L ⋯ T^{l+1}``, ``N`` in the
    tangent space of ``B = T^{l-1} ⋯ T^1``. Terms (each proven in theory.md §4):

    * ``"params below"``: ``Σ_{k<l} p_k`` (the functionals are indexed by ``Ẇ^{<l}``);
    * ``"toeplitz"``: ``M_{l-1} min(s, K, M_l, …, M_{L-1})``: they depend on ``Ṫ^l`` through
      ``Ṫ^{lᵀ} Aᵀ Ω``, whose row space lies in that of ``Aᵀ Ω`` (any stride/padding);
    * stride 1, no padding, shared (polynomial view, ``Ẇ^l(z)``, channel ``i`` of layer ``l−1``):
      ``"e_l"``: ``m_{l-1} e_l`` (a functional on ``R[z]_{<e_l}`` per channel);
      ``"s*d"``: ``m_{l-1} s d_{l-1}`` (computed from ``u_aᵀ A Ẇ_{:,i}``, ``a ≤ s``, length ``d_{l-1}``);
      ``"cut m_j"``: ``m_{l-1} m_j (d_{l-1} − d_j + 1)`` for ``l < j < L`` (``A Ẇ_{:,i}`` factors
      through the ``m_j``-channel polynomial ``W^j ⋯ W^{l+1} Ẇ_{:,i}`` of degree ``< d_{l-1} − d_j + 1``;
      ``j = l`` would give ``p_l``, the cap of the whole block).
    """
    if l == 1:
        return BoundTerms((("none", 0),))
    L, m_prev, d_prev = arch.depth, _channels(arch, l - 1), _dim(arch, l - 1)
    below = sum(sh.num_params for sh in arch.layers[:l - 1])
    terms = [("params below", below),
             ("toeplitz", _width(arch, l - 1) * min([s, arch.outputs, *(_width(arch, j) for j in range(l, L))]))]
    if is_plain_conv(arch):
        terms += [("e_l", m_prev * effective_length(arch, l)), ("s*d", m_prev * s * d_prev)]
        terms += [(f"cut m_{j}", m_prev * _channels(arch, j) * (d_prev - _dim(arch, j) + 1)) for j in range(l + 1, L)]
    return BoundTerms(tuple(terms))


def theorem6_beta(arch: Architecture, l: int, s: int) -> BoundTerms:
    """``β_l``: rank of the rows of ``H_F[:, l]`` from the blocks ``k > l`` (``0`` for ``l = L``).

    Those rows are ``Ẇ^l ↦ ⟨Ω, Q Ṫ^l B⟩``, ``Q`` in the tangent space of ``A = T^L ⋯ T^{l+1}``.
    Terms: ``"params above"``: ``Σ_{k>l} p_k``; ``"toeplitz"``: ``M_l min(s, d_0, M_1, …, M_{l-1})``
    (through ``Ṫ^l B Ωᵀ``); stride 1, no padding, shared (out-channel ``o`` of layer ``l``):
    ``"s*d"``: ``m_l s d_l`` (correlations of ``b_o = Ẇ^l_{o,:} B`` with the ``s`` factors of ``Ω``,
    ``d_l`` lags); ``"cut m_j"``: ``m_l m_j (d_j − d_l + 1)`` for ``0 ≤ j < l − 1`` (``b_o`` factors
    through the ``m_j``-channel ``Ẇ^l_{o,:} W^{l-1} ⋯ W^{j+1}``; ``j = 0`` is ``m_l e_{l+1}``;
    ``j = l − 1`` would give ``p_l``).
    """
    L = arch.depth
    if l == L:
        return BoundTerms((("none", 0),))
    m, d = _channels(arch, l), _dim(arch, l)
    above = sum(sh.num_params for sh in arch.layers[l:])
    terms = [("params above", above),
             ("toeplitz", _width(arch, l) * min([s, *(_width(arch, j) for j in range(0, l))]))]
    if is_plain_conv(arch):
        terms += [("s*d", m * s * d)]
        terms += [(f"cut m_{j}", m * _channels(arch, j) * (_dim(arch, j) - d + 1)) for j in range(0, l - 1)]
    return BoundTerms(tuple(terms))


def theorem6_column_block(arch: Architecture, l: int, s: int) -> ColumnBlockBound:
    """Theorem 6 (corrected) for column block ``l``: ``rank H_F[:, l] ≤ min(p_l, α_l + β_l − γ_l)``.

    ``γ_l = 1`` for ``1 < l < L`` (when ``α_l, β_l, s ≥ 1``): the functional
    ``Ẇ^l ↦ ⟨Ω, A Ṫ^l B⟩`` is in both spans (``N = B`` and ``Q = A`` are tangent vectors:
    scale a layer), and it is the gradient ``∂L/∂W^l``, non-zero off critical points of the
    loss in ``W^l`` (a measure-zero set; there ``γ_l = 0``). Otherwise ``γ_l = 0``.
    Valid for any stride, padding and weight sharing (the polynomial terms only for stride 1,
    no padding, shared). theory.md §4.
    """
    alpha, beta = theorem6_alpha(arch, l, s), theorem6_beta(arch, l, s)
    gamma = 1 if 1 < l < arch.depth and alpha.value >= 1 and beta.value >= 1 and s >= 1 else 0
    return ColumnBlockBound(l, arch.layers[l - 1].num_params, alpha, beta, gamma)


def theorem6_functional_blocks(arch: Architecture, r: int, s: int) -> tuple[int, ...]:
    """Theorem 6: the bounds on the ranks of the column blocks ``l = 1..L`` of ``H_F``.

    :func:`theorem6_column_block` for each ``l``. Cases of the paper (stride 1): ``l = 1`` gives
    ``min(p_1, m_1 min(k_1, s d_1))``; ``l = L`` gives ``m_{L-1} min(k_eff, s d_{L-1})`` (the notes'
    ``m_{L-1} k_eff``). ``r`` is unused (the functional Hessian sees the data only through ``Ω``).
    """
    return tuple(theorem6_column_block(arch, l, s).value for l in range(1, arch.depth + 1))


def theorem6_functional(arch: Architecture, r: int, s: int) -> int:
    """Theorem 6 summed: ``rank H_F ≤ min(p, Σ_l rank H_F[:, l])`` (sub-additivity of rank)."""
    return min(arch.num_params, sum(theorem6_functional_blocks(arch, r, s)))


def loss_bound(outer: int, functional: int, params: int | None = None) -> int:
    """``rank H_L ≤ min(p, rank H_O + rank H_F)`` (sub-additivity; ``H_L = H_O + H_F``, Eq. 1)."""
    total = outer + functional
    return total if params is None else min(params, total)


# --------------------------------------------------------------------------- ReLU (beyond the theory)

def relu_outer_terms(arch: Architecture, n: int) -> BoundTerms:
    """ReLU nets: ``rank H_O = rank J ≤ min(n K, p − Σ_{l<L} m_l)`` (docs/beyond.md §ReLU).

    ``"nK"``: ``J`` has ``n K`` rows. ``"p - channels"``: positive rescaling of each hidden
    channel (``relu(c z) = c relu(z)``, ``c > 0``) keeps ``F``: one kernel direction per hidden
    channel, independent when no weight row is zero (a zero row is an exact kink).
    """
    return BoundTerms((("nK", n * arch.outputs),
                       ("p - channels", arch.num_params - sum(sh.out_channels for sh in arch.layers[:-1]))))


def relu_functional_terms(arch: Architecture, n: int) -> BoundTerms:
    """ReLU, one hidden layer: ``rank H_F ≤ 2 m min(k, d_1 min(K, n))`` (block-hollow, masks in ``B``)."""
    m, k, d1, K = _one_hidden(arch)
    return BoundTerms((("2mk", 2 * m * k), ("2m d_1 min(K,n)", 2 * m * d1 * min(K, n))))


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
    return theorem7_outer_terms(arch, r).value


def theorem7_outer_terms(arch: Architecture, r: int) -> BoundTerms:
    """Theorem 7's two terms: ``"Kr"`` (data directions) and ``"q(Kd_1+k-q)"`` (the differential's image)."""
    m, k, d1, K = _one_hidden(arch)
    q = min(m, k)
    return BoundTerms((("Kr", K * r), ("q(Kd_1+k-q)", q * (K * d1 + k - q))))


def theorem8_functional(arch: Architecture, r: int, s: int) -> int:
    """Theorem 8 (one hidden layer, exact): ``rank H_F = 2 m · min(k, s d_1)``.

    ``H_F = [[0, Bᵀ], [B, 0]]`` (block-hollow), so ``rank = 2 rank B``; ``B`` maps ``Ẇ`` to the
    functional ``V ↦ ⟨Ω, V Ẇ⟩``: per channel a ``k``-vector seen through ``s d_1`` numbers.
    theory.md §5.
    """
    return theorem8_functional_terms(arch, s).value


def theorem8_functional_terms(arch: Architecture, s: int) -> BoundTerms:
    """Theorem 8's two terms: ``"2mk"`` (the filter) and ``"2m s d_1"`` (correlations with ``Ω``)."""
    m, k, d1, _ = _one_hidden(arch)
    return BoundTerms((("2mk", 2 * m * k), ("2m s d_1", 2 * m * s * d1)))


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
    outer, functional = theorem5_outer(arch, r), theorem6_functional(arch, r, s)
    return Bounds(outer, functional, loss_bound(outer, functional, arch.num_params), blocks, "Theorems 5, 6")


def relu_bounds(arch: Architecture, n: int) -> Bounds:
    """The bounds that hold for a ReLU network at kink-free weights (``docs/beyond.md`` §ReLU).

    ``H_O``: :func:`relu_outer_terms`; ``H_F``: :func:`relu_functional_terms` with one hidden
    layer, else only ``p``; ``H_L ≤ min(p, H_O + H_F)``. The linear theorems do *not* hold for
    ReLU (``network_bounds`` of the same architecture is a finding that may be exceeded).
    """
    p = arch.num_params
    outer = relu_outer_terms(arch, n).value
    one_hidden = arch.depth == 2 and arch.layers[0].shared
    functional = relu_functional_terms(arch, n).value if one_hidden else p
    blocks = (functional // 2, functional // 2) if one_hidden else tuple(sh.num_params for sh in arch.layers)
    source = "ReLU bounds (rank H_O <= min(nK, p - sum m_l)" + (", H_F <= 2m min(k, d_1 min(K, n)))" if one_hidden
                                                                 else ", H_F <= p)")
    return Bounds(min(outer, p), functional, loss_bound(outer, functional, p), blocks, source)


def data_ranks(net: Network, data) -> tuple[int, int]:
    """``(r, s) = (rank Σ_xx, rank Ω)``, exact and certified (:func:`symhess.linalg.rank.exact_rank`)."""
    ranks = []
    for M in (input_covariance(data), residual_input_covariance(net, data)):
        res = exact_rank(M)
        assert res.certified
        ranks.append(res.rank)
    return ranks[0], ranks[1]
