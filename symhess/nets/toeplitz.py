"""Toeplitz representation of 1D CNNs (Section 4 of the paper).

Every function here is generic in the entry type: it works on numpy object arrays
holding ``Fraction`` (exact numeric mode) or sympy expressions (symbolic mode).

Conventions (``../shared/notes/formulas.md``):

* ``T(w)`` for a filter ``w ∈ R^k`` at base dimension ``d``, stride ``s``, zero
  padding ``p``: a ``d' × d`` matrix, ``d' = floor((d + 2p - k)/s) + 1``, with
  ``T[t, c] = w[c - s t + p]`` where ``0 <= c - s t + p < k`` and ``0`` elsewhere;
  so ``T(w) x`` is ``torch.nn.functional.conv1d(x, w, stride=s, padding=p)``.
* Layer matrix ``T^l ∈ R^{m_l d_l × m_{l-1} d_{l-1}}``: an ``m_l × m_{l-1}`` grid of
  blocks, block ``(o, i) = T(W^l[o, i, :])``.
* Network (Eq. 3): ``F(x) = T^L Λ^{L-1} T^{L-1} ⋯ Λ^1 T^1 x``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from .architecture import LayerShape, Network
from .derivatives import kernel_index_map
from .layers.base import KinkError


def output_length(d: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """``d' = floor((d + 2 padding - k) / stride) + 1``."""
    return (d + 2 * padding - k) // stride + 1


def zeros(rows: int, cols: int) -> np.ndarray:
    """An exact zero object array of shape ``(rows, cols)``."""
    out = np.empty((rows, cols), dtype=object)
    out.fill(Fraction(0))
    return out


def identity(n: int) -> np.ndarray:
    """The exact ``n × n`` identity as an object array."""
    out = zeros(n, n)
    for i in range(n):
        out[i, i] = Fraction(1)
    return out


def toeplitz(w: Sequence, d: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """``T(w)``: the ``d' × d`` Toeplitz matrix of filter ``w`` at base dimension ``d``.

    ``(T(w) x)[t] = Σ_j w[j] x[s t + j - p]`` (cross-correlation, zero padding).
    """
    k = len(w)
    d_out = output_length(d, k, stride, padding)
    out = zeros(d_out, d)
    for t in range(d_out):
        for j in range(k):
            c = stride * t + j - padding
            if 0 <= c < d:
                out[t, c] = w[j]
    return out


def layer_toeplitz(weight: np.ndarray, shape: LayerShape) -> np.ndarray:
    """``T^l``: the ``(m_l d_l) × (m_{l-1} d_{l-1})`` block grid of ``T(W^l[o, i, :])``.

    For a locally connected layer (``shape.shared`` false) row ``t`` of block ``(o, i)``
    is row ``t`` of ``T(W^l[t, o, i, :])``: the same banded pattern, a filter per row.
    """
    m_out, m_in, k = shape.out_channels, shape.in_channels, shape.kernel_size
    d_in, d_out = shape.in_dim, shape.out_dim
    out = zeros(m_out * d_out, m_in * d_in)
    for o in range(m_out):
        for i in range(m_in):
            if shape.shared:
                block = toeplitz(weight[o, i, :], d_in, shape.stride, shape.padding)
            else:
                block = np.vstack([toeplitz(weight[t, o, i, :], d_in, shape.stride, shape.padding)[t]
                                   for t in range(d_out)])
            out[o * d_out:(o + 1) * d_out, i * d_in:(i + 1) * d_in] = block
    return out


def network_toeplitz(net: Network) -> list[np.ndarray]:
    """``[T^1, ..., T^L]`` for the network's weights."""
    return [layer_toeplitz(w, s) for w, s in zip(net.weights, net.arch.layers)]


@dataclass(frozen=True, eq=False)
class ForwardPass:
    """Quantities of one forward pass through ``F(x) = T^L Λ^{L-1} ⋯ Λ^1 T^1 x``.

    ``hidden[l]`` is ``h_l`` (``h_0 = x``; ``h_l = Λ^l z_l`` with ``z_l = T^l h_{l-1}``),
    ``masks[l]`` the 0/1 diagonal of ``Λ^l`` for ``l = 1..L-1`` (all ones when linear),
    ``output = z_L = F(x)``. Index ``0`` of ``masks`` is unused (``None``).
    """

    hidden: list[np.ndarray]
    masks: list[np.ndarray | None]
    output: np.ndarray


class ReluKinkError(KinkError):
    """A ReLU pre-activation of a 1D network is exactly zero: the loss is not twice differentiable there."""


def forward(net: Network, x: Sequence, toeplitz_mats: list[np.ndarray] | None = None) -> ForwardPass:
    """Evaluate the network on one input ``x`` (length ``d_0``), keeping every ``h_l``.

    With ReLU, an exactly-zero pre-activation raises :class:`ReluKinkError`: the
    Hessian is undefined there and no one-sided choice is made silently. The one
    exception is a *structurally dead* unit (:func:`kink_units`): every input in its
    receptive field is zero, so its pre-activation is identically zero near the current
    weights and both one-sided derivatives agree; its mask entry is ``0``.
    """
    mats = toeplitz_mats if toeplitz_mats is not None else network_toeplitz(net)
    h = np.array(list(x), dtype=object)
    hidden: list[np.ndarray] = [h]
    masks: list[np.ndarray | None] = [None]
    relu = net.arch.activation == "relu"
    for l, T in enumerate(mats, start=1):
        z = T.dot(h)
        if l == len(mats):
            return ForwardPass(hidden, masks, z)
        if relu:
            kinks = kink_units(z, h, net.arch.layers[l - 1])
            if kinks:
                raise kink_error(net.arch.layers[l - 1], [(None, u) for u in kinks])
            mask = np.array([1 if v > 0 else 0 for v in z], dtype=object)
        else:
            mask = np.ones(len(z), dtype=object)
        h = mask * z
        hidden.append(h)
        masks.append(mask)
    raise AssertionError("unreachable")


KINK_REMEDY = ("no exactly-zero ReLU pre-activation (the Hessian is undefined at a kink); use other data "
               "(--data, --seed) or other weights (generated networks: --redraw N)")


def kink_error(shape: LayerShape, zeros: Sequence[tuple[int | None, int]]) -> ReluKinkError:
    """The one-line error for exact ReLU kinks in layer ``shape.index``.

    ``zeros``: ``(sample or None, unit)`` pairs, ``unit = channel · d_l + position`` (channel-major);
    the message names the first as ``sample i, channel c, position t`` and counts the rest.
    """
    sample, unit = zeros[0]
    where = (f"sample {sample}, " if sample is not None else "") + \
        f"channel {unit // shape.out_dim}, position {unit % shape.out_dim}"
    more = f" (and {len(zeros) - 1} more)" if len(zeros) > 1 else ""
    return ReluKinkError(f"layer {shape.index} pre-activation", KINK_REMEDY, f"zero at {where}{more}")


def kink_units(z: np.ndarray, h: np.ndarray, shape: LayerShape) -> list[int]:
    """Units ``u`` with ``z[u] = 0`` where the ReLU is genuinely not differentiable.

    ``z = T^l h``. A zero ``z[u]`` whose receptive field is all zero (``h[c] = 0`` for every
    structurally non-zero ``T^l[u, c]``, Lemma 1's index map) is excluded: ``z[u] = Σ W h``
    with each such ``h[c]`` locally constant zero (a data zero, a unit with negative
    pre-activation, or recursively such a dead unit), so ``z[u] ≡ 0`` near the current
    weights, every derivative of it vanishes, and the Hessian does not depend on the
    mask chosen there. Any other zero is a kink.
    """
    zero = [u for u, v in enumerate(z) if v == 0]
    if not zero:
        return []
    window = kernel_index_map(shape) >= 0
    return [int(u) for u in zero if any(h[c] != 0 for c in np.nonzero(window[u])[0])]


def network_output(net: Network, x: Sequence) -> np.ndarray:
    """``F(x)`` (length ``K``)."""
    return forward(net, x).output
