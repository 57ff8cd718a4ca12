"""Architectures and exact parameters of 1D CNNs (Section 4.1 of the paper).

An :class:`Architecture` is a frozen description: input length ``d_0``, a stack of
conv1d layers (cross-correlation as in ``torch.nn.functional.conv1d``, no bias),
an activation between layers, and a final fully-connected layer to ``K`` outputs
on the channel-major flattening. Following the paper, the final dense layer *is*
a conv layer whose filter spans its whole input (``k_L = d_{L-1}``, ``d_L = 1``,
``m_L = K``); :attr:`Architecture.layers` lists all ``L`` layers in that uniform
form, so every formula indexes layers ``1..L`` the same way.

A :class:`Network` is an architecture plus exact weights: one object array of
shape ``(m_l, m_{l-1}, k_l)`` per layer holding ``Fraction`` (or sympy
symbols in symbolic mode).
"""

from __future__ import annotations

import random as _random
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, Sequence, Union

import numpy as np

from ..scalars import Exact, InputError, exact

Activation = Literal["linear", "relu"]
ACTIVATIONS: tuple[str, ...] = ("linear", "relu")


@dataclass(frozen=True)
class ConvLayer:
    """One hidden conv1d layer: ``out_channels`` filters of size ``kernel_size``."""

    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0


@dataclass(frozen=True)
class LocalLayer:
    """A locally connected layer (Section 7): a *distinct* filter at every output position.

    Same geometry as :class:`ConvLayer`, but no weight sharing: the weight has shape
    ``(d_out, out_channels, in_channels, kernel_size)``. With ``stride = kernel_size``
    (non-overlapping patches) this is the paper's LCN, ``f(x) = Σ_j V^(j) W^(j) x_j``.
    """

    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0


HiddenLayer = Union[ConvLayer, LocalLayer]


@dataclass(frozen=True)
class LayerShape:
    """Shape facts of layer ``l`` (1-based), derived from the architecture.

    ``W^l`` has shape ``(out_channels, in_channels, kernel_size)``; the layer maps
    ``in_channels * in_dim`` values to ``out_channels * out_dim`` values, with
    ``out_dim = floor((in_dim + 2 padding - kernel_size) / stride) + 1``.
    """

    index: int
    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int
    padding: int
    in_dim: int
    out_dim: int
    shared: bool = True

    @property
    def num_params(self) -> int:
        """``m_l m_{l-1} k_l`` (times ``d_l`` for a locally connected layer)."""
        return int(np.prod(self.weight_shape))

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """``(m_l, m_{l-1}, k_l)``; ``(d_l, m_l, m_{l-1}, k_l)`` when not shared."""
        conv = (self.out_channels, self.in_channels, self.kernel_size)
        return conv if self.shared else (self.out_dim,) + conv

    @property
    def toeplitz_shape(self) -> tuple[int, int]:
        """Shape of ``T^l``: ``(m_l d_l, m_{l-1} d_{l-1})``."""
        return (self.out_channels * self.out_dim, self.in_channels * self.in_dim)


def _check_int(value: object, field_name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(field_name, f"an integer >= {minimum}", value)
    return int(value)


@dataclass(frozen=True)
class Architecture:
    """A 1D CNN: ``input_dim`` -> conv stack ``convs`` -> dense layer to ``outputs``.

    The network function (Eq. 3) is ``F(x) = T^L Λ^{L-1} T^{L-1} ... Λ^1 T^1 x``,
    with ``Λ^l = I`` for ``activation="linear"`` and the ReLU mask for ``"relu"``.
    """

    input_dim: int
    convs: tuple[HiddenLayer, ...]
    outputs: int
    activation: str = "linear"
    layers: tuple[LayerShape, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_int(self.input_dim, "input_dim", 1)
        _check_int(self.outputs, "outputs", 1)
        if self.activation not in ACTIVATIONS:
            raise InputError("activation", "'linear' or 'relu'", self.activation)
        object.__setattr__(self, "convs", tuple(self.convs))
        shapes: list[LayerShape] = []
        channels, dim = 1, self.input_dim
        for l, conv in enumerate(self.convs, start=1):
            where = f"layers[{l - 1}]"
            if not isinstance(conv, (ConvLayer, LocalLayer)):
                raise InputError(where, "a ConvLayer or LocalLayer", conv)
            m = _check_int(conv.out_channels, f"{where}.out_channels", 1)
            k = _check_int(conv.kernel_size, f"{where}.kernel_size", 1)
            s = _check_int(conv.stride, f"{where}.stride", 1)
            pad = _check_int(conv.padding, f"{where}.padding", 0)
            if k > dim + 2 * pad:
                raise InputError(f"{where}.kernel_size", f"at most the padded input length {dim + 2 * pad}", k)
            out_dim = (dim + 2 * pad - k) // s + 1
            shapes.append(LayerShape(l, channels, m, k, s, pad, dim, out_dim, isinstance(conv, ConvLayer)))
            channels, dim = m, out_dim
        shapes.append(LayerShape(len(self.convs) + 1, channels, self.outputs, dim, 1, 0, dim, 1))
        object.__setattr__(self, "layers", tuple(shapes))

    @classmethod
    def fully_connected(cls, input_dim: int, widths: Sequence[int], outputs: int,
                        activation: str = "linear") -> "Architecture":
        """The FCN ``d -> M_1 -> ... -> M_{L-1} -> K`` as a CNN whose filters span their input."""
        convs = [ConvLayer(m, input_dim if i == 0 else 1) for i, m in enumerate(widths)]
        return cls(input_dim, tuple(convs), outputs, activation)

    @classmethod
    def locally_connected(cls, input_dim: int, channels: int, kernel_size: int, outputs: int,
                          weight_sharing: bool = False, activation: str = "linear") -> "Architecture":
        """Section 7: one hidden layer on ``t = d/k`` non-overlapping patches (stride = ``k``).

        ``weight_sharing=False``: the LCN ``f(x) = Σ_j V^(j) W^(j) x_j`` (Theorem 9);
        ``True``: ``W^(j) = W`` (Theorem 10), i.e. a CNN with stride ``k``.
        """
        if input_dim % kernel_size:
            raise InputError("kernel_size", f"a divisor of input_dim = {input_dim}", kernel_size)
        layer = (ConvLayer if weight_sharing else LocalLayer)(channels, kernel_size, kernel_size)
        return cls(input_dim, (layer,), outputs, activation)

    @property
    def depth(self) -> int:
        """``L``, the number of weight layers including the final dense layer."""
        return len(self.layers)

    @property
    def num_params(self) -> int:
        """``p = Σ_l m_l m_{l-1} k_l``."""
        return sum(s.num_params for s in self.layers)

    @property
    def num_toeplitz_params(self) -> int:
        """``p̃ = Σ_l m_l d_l m_{l-1} d_{l-1}``, the size of the 'Toeplitzed' FCN."""
        return sum(s.toeplitz_shape[0] * s.toeplitz_shape[1] for s in self.layers)

    @property
    def param_offsets(self) -> tuple[int, ...]:
        """Start index of each layer's block in ``θ = (vec_r W^1, ..., vec_r W^L)``."""
        offs, acc = [], 0
        for s in self.layers:
            offs.append(acc)
            acc += s.num_params
        return tuple(offs)

    def describe(self) -> str:
        """One-line summary, e.g. ``d0=12 conv(4,k3) conv(4,k3) -> K=2 linear, p=...``."""
        parts = [f"d0={self.input_dim}"]
        for s in self.layers[:-1]:
            extra = (f",s{s.stride}" if s.stride != 1 else "") + (f",p{s.padding}" if s.padding else "")
            parts.append(f"{'conv' if s.shared else 'local'}({s.out_channels},k{s.kernel_size}{extra})")
        return " ".join(parts) + f" -> K={self.outputs} {self.activation}, p={self.num_params}"


Weights = tuple[np.ndarray, ...]
"""One object array per layer, shape ``(m_l, m_{l-1}, k_l)``, entries exact."""


@dataclass(frozen=True, eq=False)
class Network:
    """An architecture with exact weights ``W^1 ... W^L``."""

    arch: Architecture
    weights: Weights

    def __post_init__(self) -> None:
        ws = tuple(self.weights)
        if len(ws) != self.arch.depth:
            raise InputError("layers", f"{self.arch.depth} weight tensors", len(ws))
        checked = []
        for s, w in zip(self.arch.layers, ws):
            arr = np.asarray(w, dtype=object)
            where = f"layers[{s.index - 1}].weight"
            if arr.shape != s.weight_shape:
                raise InputError(where, f"shape {list(s.weight_shape)} (out, in, kernel)", list(arr.shape))
            out = np.empty(arr.shape, dtype=object)
            for idx, v in np.ndenumerate(arr):
                out[idx] = exact(v, where)
            checked.append(out)
        object.__setattr__(self, "weights", tuple(checked))

    @property
    def is_symbolic(self) -> bool:
        loaded = sys.modules.get("sympy")  # a sympy symbol exists only once sympy is imported
        return loaded is not None and any(isinstance(v, loaded.Basic) for w in self.weights for v in w.flat)

    def theta(self) -> list[Exact]:
        """``θ = (vec_r W^1, ..., vec_r W^L)``, length ``p``."""
        return [v for w in self.weights for v in w.reshape(-1)]

    def with_theta(self, theta: Sequence[Exact]) -> "Network":
        """The same architecture with parameters replaced by ``theta``."""
        ws, offs = [], self.arch.param_offsets
        for s, o in zip(self.arch.layers, offs):
            ws.append(np.array(list(theta[o:o + s.num_params]), dtype=object).reshape(s.weight_shape))
        return Network(self.arch, tuple(ws))


def symbolic_network(arch: Architecture, prefix: str = "w") -> Network:
    """A network whose weights are sympy symbols ``w{l}_{o}_{i}_{j}`` (real)."""
    import sympy  # heavy; only the symbolic mode needs it
    ws = []
    for s in arch.layers:
        arr = np.empty(s.weight_shape, dtype=object)
        for idx in np.ndindex(*s.weight_shape):
            arr[idx] = sympy.Symbol(f"{prefix}{s.index}_" + "_".join(map(str, idx)), real=True)
        ws.append(arr)
    return Network(arch, tuple(ws))


def random_exact(rng: _random.Random, shape: tuple[int, ...], scale: int = 3,
                 rational: bool = False, nonzero: bool = True) -> np.ndarray:
    """Object array of exact random entries.

    Integers uniform in ``{-scale..scale}`` (``0`` excluded when ``nonzero``); with
    ``rational=True`` each entry is divided by a denominator uniform in ``{1..scale}``.
    """
    choices = [v for v in range(-scale, scale + 1) if v or not nonzero]
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        v = Fraction(rng.choice(choices))
        if rational:
            v /= rng.randint(1, scale)
        out[idx] = v
    return out


def random_network(arch: Architecture, seed: int = 0, scale: int = 3, rational: bool = False) -> Network:
    """A network with weights drawn by :func:`random_exact` from ``random.Random(seed)``."""
    rng = _random.Random(f"weights:{seed}")
    return Network(arch, tuple(random_exact(rng, s.weight_shape, scale, rational) for s in arch.layers))
