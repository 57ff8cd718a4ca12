"""Route (a): the Hessians from the block formulas of Propositions 2, 3 and 4.

This is the *independent, literal* route: it builds the Hessians of the
"Toeplitzed" fully-connected network with Kronecker products of Toeplitz
products, then pulls them back to the kernel parameters with the Lemma 1
derivatives. Clarity over speed; entries stay generic (``Fraction`` for exact
numeric networks, sympy expressions for symbolic ones), as numpy object arrays.

Setting (``../shared/notes/formulas.md``). The network is
``F(x) = T^L Λ^{L-1} T^{L-1} ⋯ Λ^1 T^1 x`` with ``h_0 = x``, ``z_l = T^l h_{l-1}``,
``h_l = Λ^l z_l``; MSE loss ``(1/n) Σ_i ½‖F(x_i) − y_i‖²``, residual ``r_i``.
The Toeplitzed FCN has the *matrices* ``T^l`` as its parameters,
``θ̃ = (vec_r T^1, …, vec_r T^L)`` of length ``p̃`` (structural zeros included).
Per sample (``Λ`` depends on the sample for ReLU, is ``I`` for linear nets):

* ``A_{>l} = ∂F/∂z_l = T^L Λ^{L-1} T^{L-1} ⋯ T^{l+1} Λ^l``  (``K × m_l d_l``; ``A_{>L} = I_K``);
* ``M_{l,k} = ∂h_{l-1}/∂z_k = Λ^{l-1} T^{l-1} ⋯ T^{k+1} Λ^k``  (``k < l``; ``M_{k+1,k} = Λ^k``);
* ``∂F/∂vec_r T^l = A_{>l} ⊗ h_{l-1}ᵀ``  (from ``d vec_r(A X B) = (A ⊗ Bᵀ) d vec_r X``).

**Proposition 2** (outer-product blocks, rows ``T^k``, columns ``T^l``)::

    Ĥ_O^{(k,l)} = (1/n) Σ_i (A_{>k}ᵀ A_{>l}) ⊗ (h_{k-1} h_{l-1}ᵀ)
               = (T^{L:k+1})ᵀ T^{L:l+1} ⊗ T^{k-1:1} Σ_xx (T^{l-1:1})ᵀ     (linear net)

with ``T^{b:a} = T^b T^{b-1} ⋯ T^a`` (identity when ``b < a``) and
``Σ_xx = (1/n) Σ_i x_i x_iᵀ``.

**Proposition 3** (functional blocks). ``Ĥ_F^{(l,l)} = 0`` (``F`` is linear in each
``T^l``: block-hollow). For ``k < l``, differentiating ``r_iᵀ F = g_lᵀ T^l M_{l,k} T^k h_{k-1}``
(``g_l = A_{>l}ᵀ r_i``, residual held fixed) gives entry
``[(c, e), (a, b)] = g_l[a] M_{l,k}[b, c] h_{k-1}[e]``, i.e. ::

    Ĥ_F^{(k,l)} = (1/n) Σ_i (M_{l,k}ᵀ ⊗ h_{k-1} g_lᵀ) K_{m_l d_l, m_{l-1} d_{l-1}}
               = (T^{l-1:k+1}ᵀ ⊗ T^{k-1:1} Ωᵀ T^{L:l+1}) K_{m_l d_l, m_{l-1} d_{l-1}}   (linear net)

with ``Ω = (1/n) Σ_i r_i x_iᵀ`` (``K × d_0``) and the commutation matrix
``K_{a,b}`` (``ab × ab``) that reorders columns from ``(b, a)`` to ``(a, b)``:
``(X ⊗ Y) K`` has column ``(a, b)`` equal to column ``(b, a)`` of ``X ⊗ Y``. The
commutation is needed because the row index of ``T^l`` pairs with ``h_{k-1}``
(through ``g``) and its column index with the rows of ``T^k`` (through ``M``).
``Ĥ_F^{(l,k)} = (Ĥ_F^{(k,l)})ᵀ``.

**Proposition 4.** ``F(θ) = F̃(D θ)`` with ``D = blockdiag(∂vec_r T^l/∂vec_r W^l)``
(``p̃ × p``, Lemma 1: :func:`symhess.nets.derivatives.toeplitz_derivative`), a linear
reparametrisation, so ``H_O = Dᵀ Ĥ_O D`` and ``H_F = Dᵀ Ĥ_F D``; block-wise
``H^{(k,l)} = D_kᵀ Ĥ^{(k,l)} D_l``.

For linear networks the covariance forms (``Σ_xx``, ``Ω``) are used, as the
propositions state them; for ReLU the per-sample forms with the masks ``Λ^l(x_i)``.
Both are exposed (:func:`outer_block`, :func:`functional_block` take ``form=``)
and checked equal on linear networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import flint
import numpy as np
import sympy

from ..linalg.matrices import to_fmpq_mat, to_object, to_sympy_matrix
from ..nets.architecture import Architecture, Network
from ..nets.data import Dataset
from ..nets.derivatives import toeplitz_derivative
from ..nets.toeplitz import forward, identity, network_toeplitz, zeros

FORMS = ("covariance", "per-sample")
"""``"covariance"``: the propositions' ``Σ_xx`` / ``Ω`` forms (linear nets only);
``"per-sample"``: the sum over samples with each sample's ReLU masks."""


def commutation(a: int, b: int) -> np.ndarray:
    """``K_{a,b}`` (``ab × ab``, 0/1 object array): ``K[(b', a'), (a', b')] = 1``.

    Right-multiplying by it reorders columns indexed ``(b', a')`` (``b'`` major) into
    ``(a', b')`` order; equivalently ``K vec_r(X) = vec_r(Xᵀ)`` for ``X`` of shape ``a × b``.
    """
    K = np.zeros((a * b, a * b), dtype=object)
    for ai in range(a):
        for bi in range(b):
            K[bi * a + ai, ai * b + bi] = 1
    return K


def dot(*factors: np.ndarray) -> np.ndarray:
    """The matrix product ``factors[0] · factors[1] ⋯`` of object arrays, exactly.

    Rational factors are multiplied in FLINT (``fmpq_mat``) for speed; as soon as a
    factor holds a sympy expression (symbolic mode) numpy's object ``dot`` is used.
    """
    if any(_is_symbolic(f) for f in factors):
        out = factors[0]
        for f in factors[1:]:
            out = out.dot(f)
        return out
    out = to_fmpq_mat(factors[0])
    for f in factors[1:]:
        out = out * to_fmpq_mat(f)
    return to_object(out)


def _is_symbolic(a: np.ndarray) -> bool:
    return any(isinstance(v, sympy.Basic) and not isinstance(v, sympy.Rational) for v in np.asarray(a).flat)


def chain(mats: list[np.ndarray], masks: list[np.ndarray | None], top: int, bottom: int,
          size: int) -> np.ndarray:
    """``T^{top} Λ^{top-1} T^{top-1} ⋯ T^{bottom}`` (1-based, masks between factors).

    The identity of order ``size`` when ``top < bottom``. ``masks[l]`` is the 0/1
    diagonal of ``Λ^l`` or ``None`` (identity).
    """
    out = identity(size)
    for l in range(bottom, top + 1):
        out = dot(mats[l - 1], out)
        if l < top:
            out = _mask_rows(out, masks[l])
    return out


def _mask_rows(a: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """``Λ a`` for the 0/1 diagonal ``mask`` (``a`` unchanged when ``mask`` is ``None``)."""
    return a if mask is None else a * np.asarray(mask, dtype=object)[:, np.newaxis]


def _mask_cols(a: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """``a Λ``."""
    return a if mask is None else a * np.asarray(mask, dtype=object)[np.newaxis, :]


@dataclass(frozen=True, eq=False)
class SampleProducts:
    """Toeplitz products of one sample (all 1-based by layer ``l``, index 0 unused).

    ``h[l]`` = ``h_l`` (column vectors, ``h[0] = x``), ``backward[l]`` = ``A_{>l}``,
    ``masks[l]`` = diagonal of ``Λ^l`` (``None`` = identity; also for ``l = 0, L``),
    ``residual`` = ``F(x) − y``.
    """

    h: list[np.ndarray]
    backward: list[np.ndarray | None]
    masks: list[np.ndarray | None]
    residual: np.ndarray

    def between(self, mats: list[np.ndarray], l: int, k: int) -> np.ndarray:
        """``M_{l,k} = Λ^{l-1} T^{l-1} ⋯ T^{k+1} Λ^k`` (``k < l``)."""
        inner = chain(mats, self.masks, l - 1, k + 1, len(self.h[k]))
        return _mask_cols(_mask_rows(inner, self.masks[l - 1]), self.masks[k])


def sample_products(net: Network, mats: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> SampleProducts:
    """Forward pass (with ReLU masks, :func:`symhess.nets.toeplitz.forward`) and ``A_{>l}`` products."""
    fwd = forward(net, x, mats)
    L = len(mats)
    relu = net.arch.activation == "relu"
    masks: list[np.ndarray | None] = [None] + [m if relu else None for m in fwd.masks[1:]] + [None]
    backward: list[np.ndarray | None] = [None] * (L + 1)
    backward[L] = identity(net.arch.outputs)
    for l in range(L, 1, -1):
        backward[l - 1] = _mask_cols(dot(backward[l], mats[l - 1]), masks[l - 1])
    h = [np.asarray(v, dtype=object).reshape(-1, 1) for v in fwd.hidden]
    residual = (np.asarray(fwd.output, dtype=object) - np.asarray(y, dtype=object)).reshape(-1, 1)
    return SampleProducts(h, backward, masks, residual)


def _mean(terms: list[np.ndarray], n: int) -> np.ndarray:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total * Fraction(1, n)


def _require_linear(net: Network, form: str) -> None:
    if form == "covariance" and net.arch.activation != "linear":
        raise ValueError("the covariance forms of Propositions 2 and 3 hold for linear networks only; "
                         "use form='per-sample' for ReLU")


def input_covariance(data: Dataset) -> np.ndarray:
    """``Σ_xx = (1/n) Σ_i x_i x_iᵀ`` (object array ``d_0 × d_0``)."""
    X = np.asarray(data.inputs, dtype=object)
    return X.T.dot(X) * Fraction(1, data.n)


def residual_input_covariance(samples: list[SampleProducts], data: Dataset) -> np.ndarray:
    """``Ω = (1/n) Σ_i r_i x_iᵀ`` (object array ``K × d_0``)."""
    return _mean([s.residual.dot(s.h[0].T) for s in samples], data.n)


@dataclass(frozen=True, eq=False)
class ToeplitzedNetwork:
    """Everything the block formulas need: ``T^l``, per-sample products, ``Σ_xx``, ``Ω``."""

    net: Network
    data: Dataset
    mats: list[np.ndarray]
    samples: list[SampleProducts]

    @classmethod
    def build(cls, net: Network, data: Dataset) -> "ToeplitzedNetwork":
        data.check_fits(net.arch)
        mats = network_toeplitz(net)
        samples = [sample_products(net, mats, x, y) for x, y in zip(data.inputs, data.targets)]
        return cls(net, data, mats, samples)

    @property
    def depth(self) -> int:
        return len(self.mats)

    def forward_chain(self, top: int) -> np.ndarray:
        """``T^{top:1} = T^{top} ⋯ T^1`` (linear nets; identity of order ``d_0`` when ``top = 0``)."""
        return chain(self.mats, [None] * (self.depth + 1), top, 1, self.net.arch.input_dim)

    def backward_chain(self, l: int) -> np.ndarray:
        """``T^{L:l+1}`` (linear nets; ``I_K`` when ``l = L``)."""
        return chain(self.mats, [None] * (self.depth + 1), self.depth, l + 1, self.mats[l - 1].shape[0])


def outer_block(tn: ToeplitzedNetwork, k: int, l: int, form: str = "per-sample") -> np.ndarray:
    """Proposition 2: ``Ĥ_O^{(k,l)}`` (``(m_k d_k m_{k-1} d_{k-1}) × (m_l d_l m_{l-1} d_{l-1})``).

    ``"per-sample"``: ``(1/n) Σ_i (A_{>k}ᵀ A_{>l}) ⊗ (h_{k-1} h_{l-1}ᵀ)``;
    ``"covariance"`` (linear): ``(T^{L:k+1})ᵀ T^{L:l+1} ⊗ T^{k-1:1} Σ_xx (T^{l-1:1})ᵀ``.
    """
    _require_linear(tn.net, form)
    if form == "covariance":
        left = dot(tn.backward_chain(k).T, tn.backward_chain(l))
        right = dot(tn.forward_chain(k - 1), input_covariance(tn.data), tn.forward_chain(l - 1).T)
        return np.kron(left, right)
    return _mean([np.kron(dot(s.backward[k].T, s.backward[l]), s.h[k - 1].dot(s.h[l - 1].T))
                  for s in tn.samples], tn.data.n)


def functional_block(tn: ToeplitzedNetwork, k: int, l: int, form: str = "per-sample") -> np.ndarray:
    """Proposition 3: ``Ĥ_F^{(k,l)}``; zero for ``k = l``, the transpose of ``(l, k)`` for ``k > l``.

    For ``k < l``: ``"per-sample"``: ``(1/n) Σ_i (M_{l,k}ᵀ ⊗ h_{k-1} g_lᵀ) K``, ``g_l = A_{>l}ᵀ r_i``;
    ``"covariance"`` (linear): ``(T^{l-1:k+1}ᵀ ⊗ T^{k-1:1} Ωᵀ T^{L:l+1}) K``, with
    ``K = K_{m_l d_l, m_{l-1} d_{l-1}}`` (:func:`commutation`).
    """
    _require_linear(tn.net, form)
    rows_k, cols_k = tn.mats[k - 1].shape
    rows_l, cols_l = tn.mats[l - 1].shape
    if k == l:
        return zeros(rows_k * cols_k, rows_l * cols_l)
    if k > l:
        return functional_block(tn, l, k, form).T
    K = commutation(rows_l, cols_l)
    if form == "covariance":
        omega = residual_input_covariance(tn.samples, tn.data)
        between = chain(tn.mats, [None] * (tn.depth + 1), l - 1, k + 1, rows_k)
        cross = dot(tn.forward_chain(k - 1), omega.T, tn.backward_chain(l))
        return dot(np.kron(between.T, cross), K)
    return _mean([dot(np.kron(s.between(tn.mats, l, k).T, s.h[k - 1].dot(dot(s.backward[l].T, s.residual).T)), K)
                  for s in tn.samples], tn.data.n)


def assemble(block: Callable[[int, int], np.ndarray], L: int) -> np.ndarray:
    """The full matrix from its ``L × L`` grid of blocks ``block(k, l)`` (1-based)."""
    return np.vstack([np.hstack([block(k, l) for l in range(1, L + 1)]) for k in range(1, L + 1)])


def layer_derivative(net: Network, l: int) -> np.ndarray:
    """``D_l = ∂vec_r T^l/∂vec_r W^l`` (Lemma 1) as an object array of Python ints 0/1.

    Python ints, not numpy ints: a numpy integer times a ``Fraction`` would leave exact arithmetic.
    """
    return np.vectorize(int, otypes=[object])(toeplitz_derivative(net.arch.layers[l - 1]))


def derivative_blockdiag(net: Network) -> np.ndarray:
    """``D = blockdiag(D_1, …, D_L)`` (``p̃ × p``, Python-int 0/1)."""
    parts = [layer_derivative(net, l) for l in range(1, net.arch.depth + 1)]
    rows, cols = sum(d.shape[0] for d in parts), sum(d.shape[1] for d in parts)
    D = np.zeros((rows, cols), dtype=object)
    r0 = c0 = 0
    for d in parts:
        D[r0:r0 + d.shape[0], c0:c0 + d.shape[1]] = d
        r0, c0 = r0 + d.shape[0], c0 + d.shape[1]
    return D


def pull_back(H_hat: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Proposition 4: ``Dᵀ Ĥ D``."""
    return dot(D.T, H_hat, D)


@dataclass(frozen=True, eq=False)
class BlockFormulaHessians:
    """Route (a) results: Toeplitzed ``Ĥ_O``, ``Ĥ_F`` (``p̃ × p̃``), ``D`` and ``H = Dᵀ Ĥ D`` (``p × p``).

    Entries are ``Fraction`` (numeric networks) or sympy expressions (symbolic networks).
    """

    outer_hat: np.ndarray
    functional_hat: np.ndarray
    D: np.ndarray
    outer: np.ndarray
    functional: np.ndarray

    @property
    def loss(self) -> np.ndarray:
        """``H_L = H_O + H_F``."""
        return self.outer + self.functional

    def part(self, name: str) -> np.ndarray:
        return {"outer": self.outer, "functional": self.functional, "loss": self.loss}[name]

    def as_fmpq(self, name: str) -> flint.fmpq_mat:
        """Part ``name`` as an exact ``fmpq_mat`` (numeric networks only)."""
        return to_fmpq_mat(self.part(name))

    def as_sympy(self, name: str) -> sympy.Matrix:
        """Part ``name`` as a ``sympy.Matrix``, entries expanded."""
        return to_sympy_matrix(self.part(name)).applyfunc(sympy.expand)


def toeplitzed_hessians(tn: ToeplitzedNetwork, form: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(Ĥ_O, Ĥ_F)`` assembled from Propositions 2 and 3 (``p̃ × p̃`` each).

    ``form=None``: the covariance form for linear nets, per-sample for ReLU.
    """
    form = form or ("covariance" if tn.net.arch.activation == "linear" else "per-sample")
    L = tn.depth
    return (assemble(lambda k, l: outer_block(tn, k, l, form), L),
            assemble(lambda k, l: functional_block(tn, k, l, form), L))


def block_formula_hessians(net: Network, data: Dataset, form: str | None = None) -> BlockFormulaHessians:
    """Route (a) end to end: Props 2 and 3 for ``Ĥ``, Lemma 1 for ``D``, Prop 4 for ``H = Dᵀ Ĥ D``."""
    tn = ToeplitzedNetwork.build(net, data)
    outer_hat, functional_hat = toeplitzed_hessians(tn, form)
    D = derivative_blockdiag(net)
    return BlockFormulaHessians(outer_hat, functional_hat, D, pull_back(outer_hat, D), pull_back(functional_hat, D))


def parameter_block(net: Network, H_hat_block: np.ndarray, k: int, l: int) -> np.ndarray:
    """``H^{(k,l)} = D_kᵀ Ĥ^{(k,l)} D_l`` for one block (rows ``W^k``, columns ``W^l``)."""
    return dot(layer_derivative(net, k).T, H_hat_block, layer_derivative(net, l))


def toeplitzed_fcn(net: Network) -> Network:
    """The 'Toeplitzed' fully-connected network: an FCN whose weight matrices *are* ``T^l``.

    Widths ``m_l d_l``; built with :meth:`Architecture.fully_connected`, whose parameters
    ``vec_r W^l`` are exactly ``vec_r T^l`` (the ``(o, i, j)`` order is ``(row, column, 0)``),
    so its Hessians, computed by any route, are ``Ĥ_O`` and ``Ĥ_F`` (``p̃ × p̃``).
    """
    mats = network_toeplitz(net)
    widths = [T.shape[0] for T in mats[:-1]]
    arch = Architecture.fully_connected(net.arch.input_dim, widths, net.arch.outputs, net.arch.activation)
    weights = [mats[0].reshape(mats[0].shape[0], 1, -1)] + [T.reshape(T.shape[0], T.shape[1], 1) for T in mats[1:]]
    return Network(arch, tuple(weights))
