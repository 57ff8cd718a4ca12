"""Sequential networks of any layer types: ``Conv`` (1D/2D), ``Dense``, pooling, ``ReLU``, ``Flatten``.

A :class:`SequentialArchitecture` is an input shape and a tuple of layer dataclasses
(:mod:`symhess.nets.layers`), like a weight-free ``torch.nn.Sequential``. Its *weight layers*
(convolutions and dense layers) are numbered ``l = 1..L`` as in the paper; their parameters
form ``θ = (vec_r W^1, b^1, …, vec_r W^L, b^L)`` (a bias only where the layer has one) —
torch's ``parameters()`` order. The network function is

    F(x) = A_N ∘ ⋯ ∘ A_1 (x),

each ``A`` a weight layer ``z = T(W) h + B b`` or a parameter-free piecewise-linear layer.
A 1D :class:`~symhess.nets.architecture.Architecture` is the special case
``Conv, [ReLU], …, Conv, [ReLU], Flatten, Dense`` (:func:`from_architecture`).
"""

from __future__ import annotations

import random as _random
import sys
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..scalars import Exact, InputError, exact
from .architecture import Architecture, ConvLayer, Network, random_exact
from .layers import PARAMETER_FREE, WEIGHT_LAYERS, Conv, Dense, Flatten, FreeAffine, Layer, ReLU
from .layers.base import Shape, check_int, size


@dataclass(frozen=True)
class PlacedLayer:
    """A layer at its place in the network: shapes and, for a weight layer, its parameters.

    ``position``: 0-based place in :attr:`SequentialArchitecture.modules`; ``index``: 1-based
    weight-layer number ``l`` (``0`` for a parameter-free layer). ``num_params`` counts weight
    and bias; ``offset`` is where they start in ``θ``.
    """

    position: int
    index: int
    layer: Layer
    in_shape: Shape
    out_shape: Shape
    weight_shape: Shape | None
    bias_shape: Shape | None
    offset: int

    @property
    def has_params(self) -> bool:
        return self.weight_shape is not None

    @property
    def num_weights(self) -> int:
        return size(self.weight_shape) if self.weight_shape is not None else 0

    @property
    def num_params(self) -> int:
        return self.num_weights + (size(self.bias_shape) if self.bias_shape is not None else 0)

    @property
    def in_size(self) -> int:
        return size(self.in_shape)

    @property
    def out_size(self) -> int:
        return size(self.out_shape)


@dataclass(frozen=True)
class SequentialArchitecture:
    """``input_shape`` (one sample, no batch axis) and the layers in order."""

    input_shape: Shape
    modules: tuple[Layer, ...]
    placed: tuple[PlacedLayer, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shape = tuple(check_int(v, f"input_shape[{i}]", 1) for i, v in enumerate(self.input_shape))
        if not 1 <= len(shape) <= 4:
            raise InputError("input_shape", "1 to 4 positive integers like 1,8,8", list(self.input_shape))
        object.__setattr__(self, "input_shape", shape)
        object.__setattr__(self, "modules", tuple(self.modules))
        if not self.modules:
            raise InputError("layers", "at least one layer", [])
        placed, offset, index = [], 0, 0
        for position, layer in enumerate(self.modules):
            where = f"layers[{position}]"
            if not isinstance(layer, WEIGHT_LAYERS + PARAMETER_FREE):
                raise InputError(where, "Conv, Dense (Linear), AvgPool, MaxPool, ReLU or Flatten", layer)
            out = layer.out_shape(shape, where)
            weights = layer.weight_shape(shape) if isinstance(layer, WEIGHT_LAYERS) else None
            bias = layer.bias_shape(shape) if isinstance(layer, WEIGHT_LAYERS) else None
            index += weights is not None
            item = PlacedLayer(position, index if weights is not None else 0, layer, shape, out, weights, bias, offset)
            offset += item.num_params
            placed.append(item)
            shape = out
        if len(shape) != 1:
            raise InputError("layers", "a flat output (end with Flatten or Linear)", list(shape))
        if index == 0:
            raise InputError("layers", "at least one Conv or Linear layer (something to differentiate)", 0)
        object.__setattr__(self, "placed", tuple(placed))

    @property
    def layers(self) -> tuple[PlacedLayer, ...]:
        """The weight layers ``l = 1..L`` (each has ``index`` and ``num_params``)."""
        return tuple(p for p in self.placed if p.has_params)

    @property
    def depth(self) -> int:
        """``L``, the number of weight layers."""
        return len(self.layers)

    @property
    def input_dim(self) -> int:
        """Length of a flattened input, ``prod(input_shape)``."""
        return size(self.input_shape)

    @property
    def outputs(self) -> int:
        """``K``."""
        return self.placed[-1].out_size

    @property
    def num_params(self) -> int:
        return sum(p.num_params for p in self.placed)

    @property
    def param_offsets(self) -> tuple[int, ...]:
        """Start of each weight layer's block in ``θ``."""
        return tuple(p.offset for p in self.layers)

    @property
    def has_bias(self) -> bool:
        return any(p.bias_shape is not None for p in self.layers)

    def describe(self) -> str:
        """One line, e.g. ``in=1x8x8 Conv2d(4,k3x3,b) ReLU MaxPool2d(2) ... -> K=10, p=...``."""
        parts = ["in=" + "x".join(map(str, self.input_shape))]
        for p in self.placed:
            layer = p.layer
            if isinstance(layer, Conv):
                extra = "".join([",s" + "x".join(map(str, layer.stride)) if set(layer.stride) != {1} else "",
                                 ",p" + "x".join(map(str, layer.padding)) if set(layer.padding) != {0} else "",
                                 ",b" if layer.bias else ""])
                parts.append(f"{layer.name}({layer.out_channels},k{'x'.join(map(str, layer.kernel_size))}{extra})")
            elif isinstance(layer, Dense):
                parts.append(f"Linear({layer.out_features}{',b' if layer.bias else ''})")
            elif isinstance(layer, (ReLU, Flatten)):
                parts.append(layer.name)
            else:
                parts.append(f"{layer.name}({'x'.join(map(str, layer.kernel_size))})")
        return " ".join(parts) + f" -> K={self.outputs}, p={self.num_params}"


LayerParams = tuple[np.ndarray, np.ndarray | None]
"""``(W, b)`` of one weight layer: object arrays, ``b`` ``None`` without bias."""


def _exact_array(value: object, shape: Shape, where: str) -> np.ndarray:
    arr = np.asarray(value, dtype=object)
    if arr.shape != tuple(shape):
        raise InputError(where, f"shape {list(shape)}", list(arr.shape))
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = exact(v, where)
    return out


@dataclass(frozen=True, eq=False)
class SequentialNetwork:
    """A :class:`SequentialArchitecture` with exact parameters, one ``(W, b)`` per weight layer."""

    arch: SequentialArchitecture
    params: tuple[LayerParams, ...]

    def __post_init__(self) -> None:
        params = tuple(self.params)
        if len(params) != self.arch.depth:
            raise InputError("parameters", f"{self.arch.depth} (weight, bias) pairs", len(params))
        checked = []
        for p, (w, b) in zip(self.arch.layers, params):
            where = f"layers[{p.position}]"
            weight = _exact_array(w, p.weight_shape, f"{where}.weight")
            if (b is None) != (p.bias_shape is None):
                raise InputError(f"{where}.bias", "a bias exactly when the layer has bias=true",
                                 "missing" if b is None else "given")
            checked.append((weight, None if b is None else _exact_array(b, p.bias_shape, f"{where}.bias")))
        object.__setattr__(self, "params", tuple(checked))

    @property
    def is_symbolic(self) -> bool:
        loaded = sys.modules.get("sympy")
        return loaded is not None and any(isinstance(v, loaded.Basic) for v in self.theta())

    def theta(self) -> list[Exact]:
        """``θ = (vec_r W^1, b^1, …)``, length ``p``."""
        out: list[Exact] = []
        for w, b in self.params:
            out.extend(w.reshape(-1))
            if b is not None:
                out.extend(b)
        return out

    def with_theta(self, theta: Sequence[Exact]) -> "SequentialNetwork":
        """The same architecture with ``θ`` replaced."""
        params = []
        for p in self.arch.layers:
            chunk = list(theta[p.offset:p.offset + p.num_params])
            w = np.array(chunk[:p.num_weights], dtype=object).reshape(p.weight_shape)
            b = np.array(chunk[p.num_weights:], dtype=object) if p.bias_shape is not None else None
            params.append((w, b))
        return SequentialNetwork(self.arch, tuple(params))


def random_sequential_network(arch: SequentialArchitecture, seed: int = 0, scale: int = 3,
                              rational: bool = False) -> SequentialNetwork:
    """Weights (and biases) by :func:`symhess.nets.architecture.random_exact` from ``Random(seed)``."""
    rng = _random.Random(f"weights:{seed}")
    params = []
    for p in arch.layers:
        w = random_exact(rng, p.weight_shape, scale, rational)
        b = random_exact(rng, p.bias_shape, scale, rational) if p.bias_shape is not None else None
        params.append((w, b))
    return SequentialNetwork(arch, tuple(params))


def from_architecture(arch: Architecture) -> SequentialArchitecture:
    """The 1D CNN of Section 4.1 as layers: ``(Conv1d, [ReLU]) × (L−1), Flatten, Linear`` (no biases).

    The paper's dense layer ``W^L`` of shape ``(K, m_{L-1}, d_{L-1})`` acts on the channel-major
    flattening, which is torch's ``Flatten`` order, so ``vec_r W^L`` is the ``Linear`` weight.
    """
    modules: list[Layer] = []
    for l, conv in enumerate(arch.convs):
        if not isinstance(conv, ConvLayer):
            raise InputError(f"layers[{l}]", "a shared-weight conv layer (locally connected layers are 1D-only)",
                             type(conv).__name__)
        modules.append(Conv(conv.out_channels, (conv.kernel_size,), (conv.stride,), (conv.padding,)))
        if arch.activation == "relu":
            modules.append(ReLU())
    modules += [Flatten(), Dense(arch.outputs)]
    return SequentialArchitecture((1, arch.input_dim), tuple(modules))


def from_network(net: Network) -> SequentialNetwork:
    """:func:`from_architecture` with the same exact weights (``W^L`` reshaped to ``(K, m d)``)."""
    arch = from_architecture(net.arch)
    params = [(w, None) for w in net.weights[:-1]] + [(net.weights[-1].reshape(net.arch.outputs, -1), None)]
    return SequentialNetwork(arch, tuple(params))


def toeplitzed(net: SequentialNetwork) -> SequentialNetwork:
    """Prop. 4's Toeplitzed network: each weight layer becomes :class:`FreeAffine` at ``T̂ = T(W)``, ``b̂ = B b``."""
    modules = [FreeAffine(p.out_shape, p.bias_shape is not None) if p.has_params else p.layer
               for p in net.arch.placed]
    arch = SequentialArchitecture(net.arch.input_shape, tuple(modules))
    params = []
    for p, (w, b) in zip(net.arch.layers, net.params):
        idx = p.layer.index_map(p.in_shape)
        T = np.append(w.reshape(-1), 0)[idx]
        params.append((T, None if b is None else b[p.layer.bias_map(p.in_shape)]))
    return SequentialNetwork(arch, tuple(params))


def parameter_derivative(placed: PlacedLayer) -> np.ndarray:
    """``D_l = ∂(vec_r T̂, b̂)/∂(vec_r W, b)`` (0/1, ``(out·in + out) × num_params`` or without bias rows).

    The weight part is Lemma 1's ``∂vec_r T/∂vec_r W`` (a one at ``((a, c), idx[a, c])``), the bias
    part the bias map ``B``.
    """
    idx = placed.layer.index_map(placed.in_shape)
    rows = idx.size + (placed.out_size if placed.bias_shape is not None else 0)
    D = np.zeros((rows, placed.num_params), dtype=np.int64)
    flat = idx.reshape(-1)
    hit = np.nonzero(flat >= 0)[0]
    D[hit, flat[hit]] = 1
    if placed.bias_shape is not None:
        D[idx.size + np.arange(placed.out_size), placed.num_weights + placed.layer.bias_map(placed.in_shape)] = 1
    return D
