"""Rank bounds for any layer stack: 2D convolutions, biases, pooling, mixed ReLU (docs/theory.md §9).

One function per bound, each returning :class:`~symhess.theory.bounds.BoundTerms` (the minimum of
named, separately proven terms) and citing the section of ``docs/theory.md`` §9 that proves it.
The networks are :class:`~symhess.nets.sequential.SequentialArchitecture` s; the data enter through
:class:`DataRanks` (:func:`data_ranks`): ``n``, ``r = rank Σ_xx``, ``s = rank Ω`` and their
homogeneous-coordinate versions ``r₁ = rank [X, 1]``, ``s₁ = rank [Ω, r̄]`` (``r̄`` the mean residual).

Every bound holds at **every** kink-free point (the Hessians exist there), not only generically:
symmetry counts are lower bounds on the generic orbit dimension (then ``rank J(θ) ≤ rank J(θ_g) ≤
p − σ`` by lower semicontinuity of the rank on the open set where the activation pattern is fixed),
and the data-dependent terms are read off the draw's own ``(r, s)``. Which bounds are also *exact*
(attained generically) is measured by the claims ``theorem7_8_conv2d``, ``bias_bounds``,
``pooling_bounds``, ``sequential_bounds`` (numbers in docs/theory.md §9.7).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from fractions import Fraction

import flint
import numpy as np

from ..hessian.sequential import sample_pass, weight_matrices
from ..linalg.matrices import to_fmpq_mat
from ..linalg.rank import exact_rank
from ..nets.data import Dataset
from ..nets.layers import AvgPool, Conv, Dense, Flatten, MaxPool, ReLU
from ..nets.layers.base import size
from ..nets.sequential import PlacedLayer, SequentialArchitecture, SequentialNetwork
from ..scalars import InputError
from .bounds import BoundTerms, fcn_outer_rank
from .symmetry import ORBIT_PRIME

MAX_SYMMETRY_ENTRIES = 12_000_000
"""Above this many entries of ``ψ`` only the closed-form scaling count is used (still valid)."""


# --------------------------------------------------------------------------- data ranks

@dataclass(frozen=True)
class DataRanks:
    """What the bounds see of the data: ``n`` and four exact ranks.

    ``r = rank Σ_xx = rank X``, ``s = rank Ω``, ``r1 = rank [X, 1]`` (inputs in homogeneous
    coordinates), ``s1 = rank [Ω, r̄] = rank (1/n) Σ_i r_i [x_i; 1]ᵀ``.
    """

    n: int
    r: int
    s: int
    r1: int
    s1: int

    def effective(self, arch: SequentialArchitecture) -> "DataRanks":
        """``(r, s)`` replaced by ``(r1, s1)`` when some layer has a bias (homogeneous coordinates, §9.4)."""
        return replace(self, r=self.r1, s=self.s1) if arch.has_bias else self


def data_ranks(net: SequentialNetwork, data: Dataset) -> DataRanks:
    """Exact, certified :class:`DataRanks` of ``(net, data)``.

    With ``X`` (``n × d_0``) and the residuals ``R`` (``n × K``): ``r = rank X = rank Σ_xx``,
    ``r1 = rank [X, 1]``, ``s = rank RᵀX = rank Ω``, ``s1 = rank Rᵀ[X, 1] = rank [Ω, r̄]``.
    """
    mats = weight_matrices(net)
    R = to_fmpq_mat(np.array([list(sample_pass(net, x, i, mats).output - y)
                              for i, (x, y) in enumerate(zip(data.inputs, data.targets))], dtype=object))
    X = to_fmpq_mat(data.inputs)
    X1 = to_fmpq_mat(np.hstack([data.inputs, np.full((data.n, 1), Fraction(1), dtype=object)]))
    ranks = []
    for M in (X, X1, R.transpose() * X, R.transpose() * X1):
        res = exact_rank(M)
        assert res.certified
        ranks.append(res.rank)
    return DataRanks(data.n, ranks[0], ranks[2], ranks[1], ranks[3])


# --------------------------------------------------------------------------- structure of a stack

def is_linear(arch: SequentialArchitecture) -> bool:
    """No ReLU and no MaxPool: ``F`` is affine in ``x`` (polynomial in ``θ``)."""
    return not any(isinstance(p.layer, (ReLU, MaxPool)) for p in arch.placed)


def between(arch: SequentialArchitecture, l: int) -> list[PlacedLayer]:
    """The parameter-free layers between weight layers ``l`` and ``l + 1`` (1-based ``l < L``)."""
    a, b = arch.layers[l - 1].position, arch.layers[l].position
    return list(arch.placed[a + 1:b])


def channels(placed: PlacedLayer) -> int:
    """Output channels of a weight layer: ``m`` of a ``Conv``, every feature of a ``Dense``."""
    if isinstance(placed.layer, Conv):
        return placed.layer.out_channels
    if isinstance(placed.layer, Dense):
        return placed.layer.out_features
    raise InputError("layer", "Conv or Linear (the bounds do not take FreeAffine layers)", placed.layer.name)


def mixing_commutes(arch: SequentialArchitecture, l: int) -> bool:
    """Channel mixing ``GL(m_l)`` commutes with the stretch after layer ``l``: only AvgPool/Flatten there.

    AvgPool is ``I_m ⊗ S`` (the same linear map on every channel), Flatten the identity, so
    ``(A ⊗ I)`` passes through; ReLU and MaxPool only commute with positive diagonal ``A``.
    """
    return all(isinstance(p.layer, (AvgPool, Flatten)) for p in between(arch, l))


# --------------------------------------------------------------------------- symmetries (§9.3)

@dataclass(frozen=True)
class SymmetryCount:
    """Lower bounds on the generic dimension ``σ*`` of the symmetry orbits (tangent space ⊂ ``ker J``).

    ``scaling = Σ_{l<L} m_l``: one positive rescaling per hidden channel (every stretch);
    ``joint``: ``rank ψ`` modulo :data:`~symhess.theory.symmetry.ORBIT_PRIME` at a pseudo-random
    integer point, ``ψ`` the tangent map of ``Π_l G_l`` with ``G_l = GL(m_l)`` on stretches where
    mixing commutes and the positive diagonal group elsewhere (``None`` if too large).
    """

    scaling: int
    joint: int | None

    @property
    def value(self) -> int:
        return max(self.scaling, self.joint or 0)


def symmetry_generators(arch: SequentialArchitecture, theta: list[int], prime: int) -> flint.nmod_mat:
    """``ψ_θ`` modulo ``prime``: one column per generator ``E_ab`` of each hidden layer's group.

    Column ``(l, a, b)`` (``a = b`` only on stretches with ReLU/MaxPool) adds channel ``b`` of layer
    ``l``'s weights and bias to channel ``a`` and subtracts in-channel ``a`` of layer ``l + 1``'s
    weights into in-channel ``b`` (the in-units of channel ``c`` are the ``c``-th of ``m_l`` equal
    blocks of its input, since pooling and Flatten keep channel-major order).
    """
    layers = arch.layers
    cols = []
    for l in range(1, arch.depth):
        m = channels(layers[l - 1])
        pairs = [(a, b) for a in range(m) for b in range(m)] if mixing_commutes(arch, l) else [(a, a) for a in range(m)]
        cols += [(l, a, b) for a, b in pairs]
    mat = flint.nmod_mat(arch.num_params, max(len(cols), 1), prime)
    for col, (l, a, b) in enumerate(cols):
        below, above = layers[l - 1], layers[l]
        w_below = np.array(theta[below.offset:below.offset + below.num_weights], dtype=object).reshape(below.weight_shape)
        for idx in np.ndindex(*below.weight_shape[1:]):
            row = below.offset + int(np.ravel_multi_index((a,) + idx, below.weight_shape))
            mat[row, col] = (int(mat[row, col]) + int(w_below[(b,) + idx])) % prime
        if below.bias_shape is not None:
            row = below.offset + below.num_weights + a
            mat[row, col] = (int(mat[row, col]) + theta[below.offset + below.num_weights + b]) % prime
        m = channels(below)
        in_shape = (above.weight_shape[0], m, size(above.weight_shape[1:]) // m)
        w_above = np.array(theta[above.offset:above.offset + above.num_weights], dtype=object).reshape(in_shape)
        for o in range(in_shape[0]):
            for j in range(in_shape[2]):
                row = above.offset + int(np.ravel_multi_index((o, b, j), in_shape))
                mat[row, col] = (int(mat[row, col]) - int(w_above[o, a, j])) % prime
    return mat


def symmetry_dimension(arch: SequentialArchitecture, seed: int = 0) -> SymmetryCount:
    """:class:`SymmetryCount` of ``arch`` (docs/theory.md §9.3).

    Proof sketch: at a kink-free ``θ₀`` the pieces (ReLU signs, max-pool arg-maxes) are constant
    on an open ``U ∋ θ₀``, where ``F`` is polynomial in ``θ`` and invariant under the group (positive
    scaling keeps every sign and arg-max; mixing only acts across AvgPool/Flatten), so
    ``J(θ) ψ_θ = 0`` on ``U``. ``rank J(θ₀) ≤ rank J(θ_g) ≤ p − rank ψ_{θ_g} = p − σ*`` for ``θ_g ∈ U``
    generic, and ``rank ψ`` at any integer point modulo a prime is ``≤ σ*``. The scaling directions are
    independent wherever no hidden channel's weights and bias vanish (induction from layer 1), so
    ``σ* ≥ Σ_{l<L} m_l``.
    """
    layers = arch.layers
    scaling = sum(channels(p) for p in layers[:-1])
    cols = sum(channels(layers[l - 1]) ** (2 if mixing_commutes(arch, l) else 1) for l in range(1, arch.depth))
    if cols == 0:
        return SymmetryCount(0, 0)
    if arch.num_params * cols > MAX_SYMMETRY_ENTRIES:
        return SymmetryCount(scaling, None)
    rng = random.Random(f"symmetry:{seed}")
    theta = [rng.randint(-(1 << 20), 1 << 20) for _ in range(arch.num_params)]
    return SymmetryCount(scaling, symmetry_generators(arch, theta, ORBIT_PRIME).rank())


# --------------------------------------------------------------------------- generic bounds (§9.3)

def toeplitz_widths(arch: SequentialArchitecture) -> list[int]:
    """Widths ``M_l`` (``l = 1..L−1``) of the Toeplitzed FCN: the input size of weight layer ``l + 1``.

    The fixed linear maps after layer ``l`` (AvgPool, Flatten) are absorbed into it
    (``U_l = P_l T̂_l``, a linear reparametrisation), so its width is the size after pooling;
    ``M_l ≤`` layer ``l``'s output size (absorbing into the next layer instead gives that width,
    and the FCN formula is non-decreasing in every width).
    """
    return [p.in_size for p in arch.layers[1:]]


def sequential_outer_terms(arch: SequentialArchitecture, ranks: DataRanks, seed: int = 0) -> BoundTerms:
    """``rank H_O = rank J ≤ min(nK, p − σ)`` and, for linear stacks, ``K r₁`` and the Toeplitzed FCN.

    * ``"nK"``: ``J`` is ``nK × p``; ``"p - symmetry"``: :func:`symmetry_dimension` (§9.3);
    * linear stacks (no ReLU/MaxPool): ``F(x) = G x + g`` so ``J``'s image is ``{(Ġ x_i + ġ)_i}``:
      ``"K r"``: ``K r`` (``K r₁`` with biases); ``"toeplitz FCN"``: ``H_O = Dᵀ Ĥ_O D`` (Prop. 4) and the
      Toeplitzed net is an FCN (pooling absorbed, :func:`toeplitz_widths`; biases as one more constant
      unit per layer, §9.4) whose outer rank is at most Singh et al.'s ``q(r + K − q)`` at every point.
    Holds at every kink-free point; docs/theory.md §9.3.
    """
    K, p = arch.outputs, arch.num_params
    terms = [("nK", ranks.n * K), ("p - symmetry", p - symmetry_dimension(arch, seed).value)]
    if is_linear(arch):
        eff = ranks.effective(arch)
        widths = [w + 1 for w in toeplitz_widths(arch)] if arch.has_bias else toeplitz_widths(arch)
        terms += [("K r", K * eff.r), ("toeplitz FCN", fcn_outer_rank(eff.r, widths, K))]
    return BoundTerms(tuple(terms))


def lower_part_rank_terms(arch: SequentialArchitecture) -> BoundTerms:
    """Bounds on ``rank N``, ``N`` the strictly block-lower part of ``H_F = N + Nᵀ`` (§9.3).

    Row block ``m`` of ``N`` has non-zero rows only for the *weights* ``w_m`` of layer ``m`` (its bias
    rows vanish: ``∂F/∂b_m`` does not depend on earlier parameters), columns ``p_{<m}``. Terms:
    ``"cut j"``: ``Σ_{l<j} p_l + Σ_{m>j} w_m`` (columns left of ``j``, rows below ``j`` cover every
    non-zero block; these cuts are all the minimal covers); ``"row blocks"``: ``Σ_m min(w_m, p_{<m})``;
    ``"column blocks"``: ``Σ_l min(p_l, w_{>l})``.
    """
    layers = arch.layers
    L = len(layers)
    p = [pl.num_params for pl in layers]
    w = [pl.num_weights for pl in layers]
    terms = [(f"cut {j}", sum(p[:j - 1]) + sum(w[j:])) for j in range(1, L + 1)]
    terms.append(("row blocks", sum(min(w[m], sum(p[:m])) for m in range(1, L))))
    terms.append(("column blocks", sum(min(p[l], sum(w[l + 1:])) for l in range(L - 1))))
    return BoundTerms(tuple(terms))


def sequential_functional_terms(arch: SequentialArchitecture, ranks: DataRanks) -> BoundTerms:
    """``rank H_F ≤ min(p − K_b, 2 rank N)`` and, for linear stacks, the Toeplitzed-FCN column blocks.

    ``H_F`` has zero diagonal layer blocks (``F`` is affine in each layer's parameters with the pieces
    fixed), so ``H_F = N + Nᵀ`` and ``rank H_F ≤ 2 rank N`` (:func:`lower_part_rank_terms`); the bias of
    the last weight layer (``K_b`` entries) has a zero row and column. Linear stacks,
    ``"toeplitz blocks"``: ``Σ_l min(p_l, α̂_l + β̂_l)`` with the Toeplitzed FCN's (widths
    :func:`toeplitz_widths`, ``+1`` per layer with biases, ``s → s₁``)
    ``α̂_l = M_{l−1} min(s, K, M_l, …, M_{L−1})``, ``β̂_l = M_l min(s, M_0, …, M_{l−1})`` (Theorem 6's
    "toeplitz" terms, valid at every point; the overlap ``γ`` is not subtracted). §9.3.
    """
    last = arch.layers[-1]
    zero = size(last.bias_shape) if last.bias_shape is not None else 0
    terms = [("p - last bias", arch.num_params - zero), ("2 rank N", 2 * lower_part_rank_terms(arch).value)]
    if is_linear(arch):
        terms.append(("toeplitz blocks", toeplitz_functional_blocks(arch, ranks.effective(arch).s)))
    return BoundTerms(tuple(terms))


def toeplitz_functional_blocks(arch: SequentialArchitecture, s: int) -> int:
    """``Σ_l min(p_l, α̂_l + β̂_l)`` of :func:`sequential_functional_terms` (linear stacks)."""
    bias = 1 if arch.has_bias else 0
    M = [arch.input_dim + bias] + [w + bias for w in toeplitz_widths(arch)] + [arch.outputs]
    L = arch.depth
    total = 0
    for l in range(1, L + 1):
        alpha = M[l - 1] * min([s, arch.outputs, *M[l:L]]) if l > 1 else 0
        beta = M[l] * min([s, *M[0:l]]) if l < L else 0
        total += min(arch.layers[l - 1].num_params, alpha + beta)
    return total


def sequential_loss_bound(arch: SequentialArchitecture, ranks: DataRanks) -> int:
    """``rank H_L ≤ min(p, bound H_O + bound H_F)`` (sub-additivity; ``H_L = H_O + H_F``)."""
    return min(arch.num_params, sequential_outer_terms(arch, ranks).value
               + sequential_functional_terms(arch, ranks).value)


# --------------------------------------------------------------------------- one hidden conv layer (§9.2, §9.5)

@dataclass(frozen=True)
class OneHidden:
    """``Conv → [ReLU] → [AvgPool | MaxPool]* → Flatten → Linear``: the facts Theorems 7/8 use.

    ``k = C Π k_a`` (patch size), ``positions`` = output positions after pooling (``d_1``),
    ``hidden_bias``/``output_bias`` whether the conv/Linear have one; ``piecewise`` when a ReLU or a
    MaxPool sits between them.
    """

    m: int
    k: int
    positions: int
    outputs: int
    hidden_bias: bool
    output_bias: bool
    piecewise: bool


def one_hidden(arch: SequentialArchitecture) -> OneHidden:
    """The :class:`OneHidden` facts of ``arch``, or :class:`InputError` if it is not of that form."""
    layers = arch.layers
    if len(layers) != 2 or not isinstance(layers[0].layer, Conv) or not isinstance(layers[1].layer, Dense):
        raise InputError("architecture", "Conv, [ReLU], [pooling], Flatten, Linear", arch.describe())
    conv, dense = layers
    mid = between(arch, 1)
    if not mid or not isinstance(mid[-1].layer, Flatten) or \
            any(not isinstance(p.layer, (ReLU, AvgPool, MaxPool)) for p in mid[:-1]):
        raise InputError("architecture", "Conv, [ReLU], [pooling], Flatten, Linear", arch.describe())
    m = conv.layer.out_channels
    return OneHidden(m, size(conv.weight_shape) // m, dense.in_size // m, arch.outputs, conv.bias_shape is not None,
                     dense.bias_shape is not None, any(isinstance(p.layer, (ReLU, MaxPool)) for p in mid))


def conv_theorem7_terms(arch: SequentialArchitecture, ranks: DataRanks) -> BoundTerms:
    """Theorem 7 for one hidden ``Conv`` (1D/2D, any stride/padding, AvgPool, biases), linear stack.

    ``k = C Π_a k_a`` (patch size), ``d_1`` the output positions after pooling, ``q = min(m, k)``.
    ``F(x) = G x + g`` with ``G = V P T(W)`` (``P`` the pooling) and ``g = V P B b + c``. Terms:

    * ``"Kr"``: ``K r`` (``K r₁``, ``r₁ = rank [X, 1]``, with a bias): ``J``'s image is ``{(Ġ x_i + ġ)_i}``;
    * ``"q(Kd_1+k-q)+K_b"``: ``q(K d_1 + k − q)`` bounds the image of ``dG`` (``m > k``: ``G`` depends on
      ``θ`` only through the ``k`` matrices ``Σ_o W[o, j] V_o``; ``m ≤ k``: ``GL(m)`` mixing commutes with
      conv and pooling, an ``m²``-dimensional orbit), plus ``K`` for ``ġ ∈ R^K`` when there is a bias;
    * ``"q'(Kd_1+k'-q')+K_c"`` (with a conv bias): the bias as one more patch entry, constantly 1
      (homogeneous coordinates): ``k' = k + 1``, ``q' = min(m, k')``, plus ``K`` for a Linear bias.

    §9.2, §9.4, §9.5. Exact (generic) for stride 1, no padding, no pooling, no bias (§9.7).
    """
    h = one_hidden(arch)
    if h.piecewise:
        raise InputError("architecture", "a linear one-hidden-layer stack (no ReLU, no MaxPool)", arch.describe())
    eff = ranks.effective(arch)
    K, d1 = h.outputs, h.positions
    q = min(h.m, h.k)
    any_bias = h.hidden_bias or h.output_bias
    terms = [("Kr", K * eff.r), ("q(Kd_1+k-q)+K_b", q * (K * d1 + h.k - q) + (K if any_bias else 0))]
    if h.hidden_bias:
        k1 = h.k + 1
        q1 = min(h.m, k1)
        terms.append(("q'(Kd_1+k'-q')+K_c", q1 * (K * d1 + k1 - q1) + (K if h.output_bias else 0)))
    return BoundTerms(tuple(terms))


def conv_theorem8_terms(arch: SequentialArchitecture, ranks: DataRanks) -> BoundTerms:
    """Theorem 8 for one hidden ``Conv`` (1D/2D, any stride/padding, AvgPool, biases), linear stack.

    ``rank H_F ≤ 2m min(k', s' d_1)``, ``k' = k + [conv bias]``, ``s' = rank [Ω, r̄]`` with a conv bias
    (else ``s``). ``H_F = [[0, Bᵀ], [B, 0]]`` (the Linear bias row/column is zero) and
    ``B = I_m ⊗ M`` with ``M[(c, t), j] = Ω'[c, window (t, j)]`` averaged over the pooling window:
    ``Ω' = Σ_{a ≤ s'} u_a v_aᵀ`` puts the rows of ``M`` in the span of ``s' d_1`` patch rows. §9.2.
    """
    h = one_hidden(arch)
    if h.piecewise:
        raise InputError("architecture", "a linear one-hidden-layer stack (no ReLU, no MaxPool)", arch.describe())
    s = ranks.s1 if h.hidden_bias else ranks.s
    k = h.k + h.hidden_bias
    return BoundTerms((("2mk", 2 * h.m * k), ("2m s d_1", 2 * h.m * s * h.positions)))


def piecewise_one_hidden_functional_terms(arch: SequentialArchitecture, ranks: DataRanks) -> BoundTerms:
    """One hidden ``Conv`` with ReLU and/or MaxPool at a kink-free point: ``rank H_F ≤ 2m min(k', d_1 min(K, n))``.

    Per sample the pieces are a fixed local map ``L_i`` (mask, then selection), so channel ``o`` of ``B``
    has rows ``(c, t) ↦ Σ_i r_ic (row t of L_i^o X̃_i)``: for fixed ``t`` at most ``min(K, n)``
    independent rows. ``k' = k + [conv bias]``. §9.5 (the ReLU bound of docs/beyond.md in any geometry).
    """
    h = one_hidden(arch)
    k = h.k + h.hidden_bias
    return BoundTerms((("2mk", 2 * h.m * k), ("2m d_1 min(K,n)", 2 * h.m * h.positions * min(h.outputs, ranks.n))))


# --------------------------------------------------------------------------- biases: homogeneous coordinates (§9.4)

def constant_tap(placed: PlacedLayer) -> int | None:
    """A tap of a ``Conv`` inside the input at *every* output position (flat tap index), or ``None``.

    Exists e.g. when ``p_a ≤ (k_a − 1)/2`` on every axis; without one, a constant input channel
    cannot reproduce a bias at every position.
    """
    table = placed.layer.windows(placed.in_shape)
    inside = np.nonzero((table >= 0).all(axis=0))[0]
    return int(inside[0]) if inside.size else None


def homogeneous_valid(arch: SequentialArchitecture) -> bool:
    """The augmented (bias-free) network of :func:`augmented_architecture` reproduces ``arch``: every conv has a constant tap."""
    return all(constant_tap(p) is not None for p in arch.layers if isinstance(p.layer, Conv))


def augmented_architecture(arch: SequentialArchitecture) -> SequentialArchitecture:
    """The bias-free network with one extra constant channel in the input and in every hidden layer.

    ``F_bias(θ) = F_aug(ι(θ))`` for ``[x; 1]`` inputs, with ``ι`` affine and injective: the conv bias
    ``b[o]`` becomes the weight of a constant tap (:func:`constant_tap`) on the constant in-channel,
    the Linear bias a weight on one unit of the flattened constant channel, and the extra out-channel
    of every hidden layer is the constant ``1`` (weight ``1`` on the constant tap), which ReLU,
    AvgPool, MaxPool and Flatten keep. Valid when :func:`homogeneous_valid`. §9.4.
    """
    if not homogeneous_valid(arch):
        raise InputError("architecture", "a constant tap in every conv (e.g. padding <= (k-1)/2)", arch.describe())
    modules, last = [], arch.layers[-1].position
    for p in arch.placed:
        layer = p.layer
        if isinstance(layer, Conv):
            extra = 0 if p.position == last else 1
            layer = Conv(layer.out_channels + extra, layer.kernel_size, layer.stride, layer.padding, False)
        elif isinstance(layer, Dense):
            layer = Dense(layer.out_features + (0 if p.position == last else 1), False)
        modules.append(layer)
    shape = arch.input_shape
    shape = (shape[0] + 1,) + shape[1:] if len(shape) > 1 else (shape[0] + 1,)
    return SequentialArchitecture(shape, tuple(modules))


def augmented_network(net: SequentialNetwork) -> SequentialNetwork:
    """``ι(θ)``: the weights of :func:`augmented_architecture` that reproduce ``net`` on ``[x; 1]`` inputs.

    Conv: ``W_aug[o, C, j*] = b[o]`` for the constant tap ``j*``, ``W_aug[m, C, j*] = 1`` (the constant
    out-channel of a hidden layer), the rest of the constant in-/out-channel ``0``. Linear: the bias on the
    first constant input unit (the constant channel is the last one, so its units come last in ``vec_r``),
    ``1`` into the constant feature of a hidden Linear. Affine in ``θ`` (``ι(θ) = Eθ + c``).
    """
    arch = net.arch
    aug = augmented_architecture(arch)
    params = []
    for p, pa, (w, b) in zip(arch.layers, aug.layers, net.params):
        W = np.full(pa.weight_shape, Fraction(0), dtype=object)
        hidden = pa.weight_shape[0] > p.weight_shape[0]
        if isinstance(p.layer, Conv):
            m, C = p.weight_shape[:2]
            W[(slice(0, m), slice(0, C))] = w
            tap = np.unravel_index(constant_tap(p), p.layer.kernel_size)
            if b is not None:
                W[(slice(0, m), C) + tuple(tap)] = b
            if hidden:
                W[(m, C) + tuple(tap)] = Fraction(1)
        else:
            K, N = p.weight_shape
            W[:K, :N] = w
            if b is not None:
                W[:K, N] = b
            if hidden:
                W[K, N] = Fraction(1)
        params.append((W, None))
    return SequentialNetwork(aug, tuple(params))


def augmented_inputs(arch: SequentialArchitecture, inputs: np.ndarray) -> np.ndarray:
    """Flat inputs ``[x; 1]`` of :func:`augmented_architecture`: one constant channel appended (object array)."""
    ones = size(arch.input_shape[1:]) if len(arch.input_shape) > 1 else 1
    return np.hstack([inputs, np.full((inputs.shape[0], ones), Fraction(1), dtype=object)])


def proxy_bounds(proxy: SequentialArchitecture, ranks: DataRanks, p: int) -> tuple[int, int]:
    """``(H_O, H_F)`` bounds of a network through a proxy it is a linear image of (``H = Eᵀ H_proxy E``):
    the proxy's generic bounds, with Theorems 7/8 when it has one smooth hidden layer, capped at ``p``."""
    outer = sequential_outer_terms(proxy, ranks).value
    functional = sequential_functional_terms(proxy, ranks).value
    try:
        h = one_hidden(proxy)
    except InputError:
        h = None
    if h is not None and not h.piecewise:
        outer = min(outer, conv_theorem7_terms(proxy, ranks).value)
        functional = min(functional, conv_theorem8_terms(proxy, ranks).value)
    return min(p, outer), min(p, functional)


def homogeneous_bounds(arch: SequentialArchitecture, ranks: DataRanks) -> tuple[int, int]:
    """``(H_O, H_F)`` bounds of a bias net from its augmented net: ``rank H ≤ min(p, bound(aug))``.

    ``H_bias = Eᵀ H_aug E`` (``ι(θ) = Eθ + c`` affine), so every every-point bound of the augmented
    net applies, at its data ranks ``r_aug = rank [X, 1] = r₁`` (the constant channel's columns are
    all equal) and ``s_aug = s₁``; the augmented one-hidden net has ``q_aug = min(m + 1, (C + 1) k_1 k_2)``
    (Theorems 7/8 of §9.2). §9.4.
    """
    aug = augmented_architecture(arch)
    return proxy_bounds(aug, DataRanks(ranks.n, ranks.r1, ranks.s1, ranks.r1, ranks.s1), arch.num_params)


# --------------------------------------------------------------------------- average pooling as a strided conv (§9.5)

def avgpool_as_conv(arch: SequentialArchitecture) -> SequentialArchitecture:
    """Every ``Conv(k, s, p) → AvgPool(k_p, s_p)`` as one ``Conv(k + (k_p − 1)s, s s_p, p)`` (per axis).

    ``(1/k_p) Σ_{j'} Σ_j w[j] x[s(s_p u + j') + j − p] = Σ_J w̃[J] x[s s_p u + J − p]`` with
    ``w̃[J] = (1/k_p) Σ_{j' : 0 ≤ J − s j' < k} w[J − s j']`` (per axis; the output sizes agree). The
    map ``w ↦ w̃`` is linear and injective, so ``H_pool = Rᵀ H_strided R`` and every every-point bound
    of the strided net bounds the pooled one (at the same data). Repeated pools compose.
    """
    modules: list = []
    for p in arch.placed:
        layer = p.layer
        if isinstance(layer, AvgPool) and modules and isinstance(modules[-1], Conv):
            conv = modules[-1]
            kernel = tuple(k + (kp - 1) * s for k, kp, s in zip(conv.kernel_size, layer.kernel_size, conv.stride))
            stride = tuple(s * sp for s, sp in zip(conv.stride, layer.stride))
            modules[-1] = Conv(conv.out_channels, kernel, stride, conv.padding, conv.bias)
        else:
            modules.append(layer)
    return SequentialArchitecture(arch.input_shape, tuple(modules))


def avgpool_conv_weight(weight: np.ndarray, conv: Conv, pool: AvgPool) -> np.ndarray:
    """``w̃`` of :func:`avgpool_as_conv`: ``w̃[o, i, J] = (1/k_p) Σ_{j'} w[o, i, J − s ⊙ j']`` (exact, object array).

    ``J`` runs over ``k + (k_p − 1) s`` per axis, ``j'`` over the pooling window, ``s`` the conv stride;
    terms with ``J − s j'`` outside ``[0, k)`` are absent. Linear in ``w`` (and injective).
    """
    kernel = tuple(k + (kp - 1) * st for k, kp, st in zip(conv.kernel_size, pool.kernel_size, conv.stride))
    out = np.full(weight.shape[:2] + kernel, Fraction(0), dtype=object)
    scale = Fraction(1, size(pool.kernel_size))
    for jp in np.ndindex(*pool.kernel_size):
        for j in np.ndindex(*conv.kernel_size):
            J = tuple(ji + st * jpi for ji, st, jpi in zip(j, conv.stride, jp))
            out[(slice(None), slice(None)) + J] += weight[(slice(None), slice(None)) + j] * scale
    return out


def avgpool_reparametrised_bounds(arch: SequentialArchitecture, ranks: DataRanks) -> tuple[int, int]:
    """``(H_O, H_F)`` bounds of an AvgPool net from its strided-conv equivalent (:func:`avgpool_as_conv`).

    ``min(p, bound of the strided net)``; for one hidden layer that bound includes Theorems 7/8 with
    ``k̃ = C Π_a (k_a + (k_{p,a} − 1)s_a)`` (looser than :func:`conv_theorem7_terms`' direct ``k``). §9.5.
    """
    return proxy_bounds(avgpool_as_conv(arch), ranks, arch.num_params)


# --------------------------------------------------------------------------- dispatcher

@dataclass(frozen=True)
class SequentialBounds:
    """The bounds for one stack: ``outer``, ``functional``, ``loss`` and the sources used."""

    outer: int
    functional: int
    loss: int
    source: str


def sequential_bounds(arch: SequentialArchitecture, ranks: DataRanks) -> SequentialBounds:
    """The sharpest of the bounds above that apply to ``arch`` (each holds at every kink-free point)."""
    p = arch.num_params
    outer = sequential_outer_terms(arch, ranks).value
    functional = sequential_functional_terms(arch, ranks).value
    sources = ["generic (nK, p - symmetry, 2 rank N" + (", toeplitz FCN)" if is_linear(arch) else ")")]
    try:
        h = one_hidden(arch)
    except InputError:
        h = None
    if h is not None:
        if h.piecewise:
            functional = min(functional, piecewise_one_hidden_functional_terms(arch, ranks).value)
            sources.append("one hidden, piecewise: 2m min(k', d_1 min(K, n))")
        else:
            outer = min(outer, conv_theorem7_terms(arch, ranks).value)
            functional = min(functional, conv_theorem8_terms(arch, ranks).value)
            sources.append("Theorems 7/8 (conv, §9.2)")
    if arch.has_bias and homogeneous_valid(arch):
        o, f = homogeneous_bounds(arch, ranks)
        outer, functional = min(outer, o), min(functional, f)
        sources.append("homogeneous coordinates")
    outer, functional = min(p, outer), min(p, functional)
    return SequentialBounds(outer, functional, min(p, outer + functional), "; ".join(sources))
