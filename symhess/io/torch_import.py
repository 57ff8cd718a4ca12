"""PyTorch models as exact networks: ``from_torch(module, input_dim=None, input_shape=None)`` (and back,
in float64: :func:`torch_function`, :func:`torch_mse`; any layer stack: :func:`symhess.hessian.torch_float.torch_module`).

Accepted: an ``nn.Sequential`` of

* ``Conv1d``, ``Conv2d`` (bias allowed; ``dilation=1``, ``groups=1``, ``padding_mode="zeros"``,
  an integer / per-axis padding or ``"valid"``),
* ``Linear`` (bias allowed) on a flat input,
* ``ReLU`` after any layer, or not (mixed activations),
* ``AvgPool1d/2d`` and ``MaxPool1d/2d`` (``padding=0``, ``ceil_mode=False``, ``dilation=1``,
  ``divisor_override=None``, ``return_indices=False``; ``count_include_pad`` is irrelevant
  without padding), any window and stride,
* ``Flatten`` (its defaults ``start_dim=1, end_dim=-1``),

whose output is flat (``(N, K)``). Inputs have torch's shape ``(N, *input_shape)`` with
``input_shape`` ``(C, L)`` (1D layers) or ``(C, H, W)`` (2D layers); ``input_shape`` may be
omitted when the layers fit exactly one (:func:`infer_input_shape`), else an :class:`InputError`
asks for it (``--input-shape``). A model that starts with ``Flatten`` reads inputs ``(N, 1, d_0)``
as today's MLPs do.

Two results. A *plain 1D CNN of the paper's form* (Section 4.1),

    [Conv1d(bias=False) (ReLU)?]*  Flatten  [Linear(bias=False) (ReLU)?]*  Linear(bias=False),

ReLU after every layer but the last or after none, one input channel, becomes the 1D
:class:`~symhess.nets.architecture.Network` exactly as before this module took other layers (a
hidden ``Linear`` after the flatten is the conv layer whose filter spans its input); ``input_dim``
is its ``d_0`` (``input_shape`` ``(1, d_0)`` says the same). Every other model becomes a
:class:`~symhess.nets.sequential.SequentialNetwork` with the same layers in the same order.
For such a model ``input_dim`` means ``input_shape = (C, input_dim)`` (``C`` the first
``Conv1d``'s ``in_channels``; 2D models need ``input_shape``).

Exactness: every float16/bfloat16/float32/float64 weight and bias is read as the exact binary
rational it stores (``Fraction(float(x))`` via :func:`symhess.scalars.exact`; widening to float64
is exact), never rounded. Parameter order is torch's ``parameters()`` order (weight, then bias,
layer by layer), which is the suite's ``θ``; a conv weight keeps torch's shape ``(m, C, *k)``, a
``Linear`` weight ``(K, N)`` acts on the channel-major (row-major) flattening.

Anything else (another layer type, dilation, groups, other padding modes, pooling with padding
or ``ceil_mode``, shapes that do not chain or do not fit the input) raises :class:`InputError`
naming the layer and its field, e.g. ``module[3] (MaxPool2d).padding``.

Files (:func:`load_torch_model`, ``--torch``): read with ``torch.load(weights_only=True)`` and
an allow-list of module classes (:data:`SAFE_MODULES`), so no file can run code; a file that
needs any other class or function is refused with one :class:`InputError` naming ``--torch``.
The attributes of an allow-listed module come from the file, so each one is checked for its
type and range here, and each weight and bias against the shape the layer implies.
"""

from __future__ import annotations

import os
import pickle
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..nets.architecture import Architecture, ConvLayer, Network
from ..nets.data import Dataset
from ..nets.layers import AvgPool, Conv, Dense, Flatten, MaxPool, ReLU
from ..nets.layers.base import Shape
from ..nets.sequential import SequentialArchitecture, SequentialNetwork
from ..scalars import InputError, exact

ALLOWED = "Conv1d, Conv2d, Linear, ReLU, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d or Flatten"
EXPECTED_FILE = ("a torch.save(model) of an nn.Sequential of Conv1d, Conv2d, Linear, ReLU, AvgPool1d/2d, "
                 "MaxPool1d/2d, Flatten")
SAFE_MODULES = ("Sequential", "Conv1d", "ReLU", "Flatten", "Linear",
                "Conv2d", "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d")
"""``torch.nn`` classes a ``--torch`` file may contain (the weights-only allow-list): exactly the
layer types :func:`from_torch` converts. None of them runs code when unpickled."""

MAX_INFERENCE = 10**6
"""Largest input length per axis tried when inferring the input shape (beyond: ask for it)."""


def _where(position: int, module: Any) -> str:
    return f"module[{position}] ({type(module).__name__})"


def _torch():
    try:
        import torch  # optional extra, imported on use (torch)
    except ImportError:  # pragma: no cover - torch is an optional extra
        raise InputError("torch", "PyTorch installed (pip install 'symhess[torch]')", None) from None
    return torch


# --- reading one module: its hyper-parameters, checked, as a symhess layer -------------------------


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(where, f"an integer >= {minimum}", value)
    return int(value)


def _axes(value: Any, dims: int, where: str, minimum: int) -> tuple[int, ...]:
    """An int or a ``dims``-tuple of ints ``>= minimum`` (torch's per-axis hyper-parameters)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,) * dims
    if (not isinstance(value, (tuple, list)) or len(value) != dims
            or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum for v in value)):
        raise InputError(where, f"an integer >= {minimum} or {dims} of them (one per spatial axis)",
                         value if isinstance(value, (int, tuple, list, str, type(None))) else type(value).__name__)
    return tuple(int(v) for v in value)


def _equal(m: Any, name: str, allowed: Any, where: str, expected: str) -> None:
    """Refuse ``m.<name>`` unless it equals ``allowed`` (a value, or a tuple of accepted values)."""
    value = getattr(m, name, allowed[0] if isinstance(allowed, tuple) else allowed)
    accepted = allowed if isinstance(allowed, tuple) else (allowed,)
    if isinstance(value, bool) != isinstance(accepted[0], bool) or value not in accepted:
        raise InputError(f"{where}.{name}", expected,
                         value if isinstance(value, (int, float, str, tuple, list, type(None))) else type(value).__name__)


def _tensor(m: Any, name: str, where: str, required: bool) -> Any:
    """``m.weight`` / ``m.bias``: a real floating-point tensor (or ``None`` for an absent bias)."""
    torch = _torch()
    value = getattr(m, name, None)
    if value is None and not required:
        return None
    if not isinstance(value, torch.Tensor):
        raise InputError(f"{where}.{name}", "a tensor", type(value).__name__)
    if not value.is_floating_point() or value.is_complex():
        raise InputError(f"{where}.{name}", "a real floating-point tensor", str(value.dtype))
    return value


@dataclass(frozen=True)
class _Item:
    """One child of the Sequential: its position, the torch module, the symhess layer it is."""

    position: int
    module: Any
    layer: Any
    weight: Any = None
    bias: Any = None
    in_size: int | None = None  # in_channels of a conv, in_features of a Linear

    @property
    def where(self) -> str:
        return _where(self.position, self.module)

    @property
    def dims(self) -> int:
        """Spatial axes of a conv or pooling layer (0 for the others)."""
        return self.layer.dims if isinstance(self.layer, (Conv, AvgPool, MaxPool)) else 0


def _conv(pos: int, m: Any, dims: int) -> _Item:
    where = _where(pos, m)
    dilation = _axes(getattr(m, "dilation", 1), dims, f"{where}.dilation", 1)
    if dilation != (1,) * dims:
        raise InputError(f"{where}.dilation", "1", dilation[0] if dims == 1 else dilation)
    if _int(getattr(m, "groups", 1), f"{where}.groups", 1) != 1:
        raise InputError(f"{where}.groups", "1", m.groups)
    _equal(m, "padding_mode", "zeros", where, "'zeros'")
    padding = getattr(m, "padding", 0)
    if isinstance(padding, str):
        if padding != "valid":
            raise InputError(f"{where}.padding", "an integer or 'valid'", padding)
        padding = 0
    padding = _axes(padding, dims, f"{where}.padding", 0)
    kernel = _axes(getattr(m, "kernel_size", None), dims, f"{where}.kernel_size", 1)
    stride = _axes(getattr(m, "stride", 1), dims, f"{where}.stride", 1)
    out = _int(getattr(m, "out_channels", None), f"{where}.out_channels", 1)
    channels = _int(getattr(m, "in_channels", None), f"{where}.in_channels", 1)
    weight = _tensor(m, "weight", where, True)
    bias = _tensor(m, "bias", where, False)
    return _Item(pos, m, Conv(out, kernel, stride, padding, bias is not None), weight, bias, channels)


def _linear(pos: int, m: Any) -> _Item:
    where = _where(pos, m)
    out = _int(getattr(m, "out_features", None), f"{where}.out_features", 1)
    features = _int(getattr(m, "in_features", None), f"{where}.in_features", 1)
    weight = _tensor(m, "weight", where, True)
    bias = _tensor(m, "bias", where, False)
    return _Item(pos, m, Dense(out, bias is not None), weight, bias, features)


def _pool(pos: int, m: Any, dims: int, cls: type) -> _Item:
    where = _where(pos, m)
    _equal(m, "ceil_mode", False, where, "ceil_mode=False")
    if _axes(getattr(m, "padding", 0), dims, f"{where}.padding", 0) != (0,) * dims:
        raise InputError(f"{where}.padding", "0 (no padding)", m.padding)
    if cls is MaxPool:
        if _axes(getattr(m, "dilation", 1), dims, f"{where}.dilation", 1) != (1,) * dims:
            raise InputError(f"{where}.dilation", "1", m.dilation)
        _equal(m, "return_indices", False, where, "return_indices=False (an nn.Sequential passes one tensor on)")
    else:
        _equal(m, "divisor_override", None, where, "None (the average over each window)")
    kernel = _axes(getattr(m, "kernel_size", None), dims, f"{where}.kernel_size", 1)
    stride = getattr(m, "stride", None)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        _axes(stride, dims, f"{where}.stride", 1)
    return _Item(pos, m, cls(kernel, stride))


def _scan(module: Any) -> list[_Item]:
    """Every child of the Sequential as an :class:`_Item`, its hyper-parameters checked (no shapes yet)."""
    nn = _torch().nn
    if not isinstance(module, nn.Sequential):
        raise InputError("module", f"a torch.nn.Sequential of {ALLOWED}", type(module).__name__)
    items: list[_Item] = []
    for pos, child in enumerate(module.children()):
        kind = type(child)
        if kind is nn.Conv1d or kind is nn.Conv2d:
            items.append(_conv(pos, child, 1 if kind is nn.Conv1d else 2))
        elif kind is nn.Linear:
            items.append(_linear(pos, child))
        elif kind in (nn.AvgPool1d, nn.AvgPool2d, nn.MaxPool1d, nn.MaxPool2d):
            dims = 1 if kind in (nn.AvgPool1d, nn.MaxPool1d) else 2
            items.append(_pool(pos, child, dims, AvgPool if kind in (nn.AvgPool1d, nn.AvgPool2d) else MaxPool))
        elif kind is nn.ReLU:
            items.append(_Item(pos, child, ReLU()))
        elif kind is nn.Flatten:
            start, end = getattr(child, "start_dim", 1), getattr(child, "end_dim", -1)
            if (start, end) != (1, -1) or isinstance(start, bool) or isinstance(end, bool):
                raise InputError(_where(pos, child), "Flatten(start_dim=1, end_dim=-1)", (start, end))
            items.append(_Item(pos, child, Flatten()))
        else:
            raise InputError(_where(pos, child), f"one of {ALLOWED}", kind.__name__)
    if not any(isinstance(it.layer, (Conv, Dense)) for it in items):
        raise InputError("module", f"a Sequential with at least one Conv1d, Conv2d or Linear layer ({ALLOWED})",
                         f"{len(items)} layers without weights")
    return items


# --- today's 1D Network: the paper's plain CNN ------------------------------------------------------


def _is_plain_1d(items: list[_Item]) -> bool:
    """``[Conv1d (ReLU)?]* Flatten [Linear (ReLU)?]* Linear``, no bias, one input channel, ReLU on all or none."""
    if any(not isinstance(it.layer, (Conv, Dense, ReLU, Flatten)) or getattr(it.layer, "bias", False)
           or (isinstance(it.layer, Conv) and it.dims != 1) for it in items):
        return False
    flat = [i for i, it in enumerate(items) if isinstance(it.layer, Flatten)]
    if len(flat) != 1:
        return False
    before, after = items[:flat[0]], items[flat[0] + 1:]
    if any(isinstance(it.layer, Dense) for it in before) or any(isinstance(it.layer, Conv) for it in after):
        return False
    weights = [it for it in items if isinstance(it.layer, (Conv, Dense))]
    if not after or not isinstance(items[-1].layer, Dense):
        return False
    relu_after = []
    for it in weights[:-1]:
        nxt = items.index(it) + 1
        relu_after.append(nxt < len(items) and isinstance(items[nxt].layer, ReLU))
    relus = sum(isinstance(it.layer, ReLU) for it in items)
    if relus != sum(relu_after) or len(set(relu_after)) > 1:
        return False  # a ReLU elsewhere (after another ReLU, the Flatten or the output), or mixed
    return not (weights and isinstance(weights[0].layer, Conv) and weights[0].in_size != 1)


@dataclass(frozen=True)
class _WeightLayer:
    """One weight layer of a plain 1D CNN: its position, the torch module, a ReLU after it."""

    position: int
    module: Any
    relu_after: bool = False

    @property
    def where(self) -> str:
        return _where(self.position, self.module)


def _weight_layers(items: list[_Item]) -> list[_WeightLayer]:
    out = []
    for i, it in enumerate(items):
        if isinstance(it.layer, (Conv, Dense)):
            relu = i + 1 < len(items) and isinstance(items[i + 1].layer, ReLU)
            out.append(_WeightLayer(it.position, it.module, relu))
    return out


def _padding(m: Any) -> int:
    return 0 if isinstance(m.padding, str) else int(m.padding[0])


def _architecture(layers: list[_WeightLayer], input_dim: int) -> Architecture:
    """The :class:`Architecture` of a plain 1D CNN at ``input_dim``; InputError naming the misfit."""
    nn = _torch().nn
    channels, dim, convs = 1, input_dim, []
    for layer in layers:
        m, where = layer.module, layer.where
        if isinstance(m, nn.Conv1d):
            if m.in_channels != channels:
                raise InputError(f"{where}.in_channels", f"{channels} (channels of its input)", m.in_channels)
            k, s, p = m.kernel_size[0], m.stride[0], _padding(m)
            if k > dim + 2 * p:
                raise InputError(f"{where}.kernel_size",
                                 f"at most the padded input length {dim + 2 * p} at input_dim = {input_dim}", k)
            convs.append(ConvLayer(m.out_channels, k, s, p))
            channels, dim = m.out_channels, (dim + 2 * p - k) // s + 1
        else:
            if m.in_features != channels * dim:
                raise InputError(f"{where}.in_features",
                                 f"{channels * dim} (= {channels} channels x length {dim} at input_dim = {input_dim})",
                                 m.in_features)
            if layer is not layers[-1]:
                convs.append(ConvLayer(m.out_features, dim))
                channels, dim = m.out_features, 1
    activation = "relu" if layers[0].relu_after and len(layers) > 1 else "linear"
    return Architecture(input_dim, tuple(convs), layers[-1].module.out_features, activation)


def infer_input_dim(layers: list[_WeightLayer]) -> int:
    """The unique ``d_0`` for which a plain 1D CNN's layers chain up to the first Linear's ``in_features``.

    With strides several ``d_0`` can fit; then :class:`InputError` asks for ``input_dim``.
    """
    nn = _torch().nn
    convs = [l.module for l in layers if isinstance(l.module, nn.Conv1d)]
    first_dense = next(l for l in layers if isinstance(l.module, nn.Linear))
    channels = convs[-1].out_channels if convs else 1
    if first_dense.module.in_features % channels:
        raise InputError(f"{first_dense.where}.in_features", f"a multiple of the {channels} channels before it",
                         first_dense.module.in_features)
    bound = first_dense.module.in_features // channels
    for m in reversed(convs):  # largest input length that can produce `bound` outputs
        bound = m.stride[0] * bound + m.kernel_size[0] - 2 * _padding(m)
    fits = []
    for d0 in range(1, max(bound, 1) + 1):
        try:
            _architecture(layers, d0)
        except InputError:
            continue
        fits.append(d0)
    if len(fits) != 1:
        raise InputError("input_dim", "an explicit value (--input-dim): "
                         + ("no input length fits the layers" if not fits else f"the model accepts any of {fits}"),
                         None)
    return fits[0]


def _exact_array(tensor: Any, shape: Shape, where: str) -> np.ndarray:
    """A torch tensor of ``shape`` as exact ``Fraction`` s (each float its exact binary value)."""
    torch = _torch()
    if tuple(tensor.shape) != tuple(shape):
        raise InputError(where, f"a tensor of shape {list(shape)}", list(tensor.shape))
    values = tensor.detach().to(device="cpu", dtype=torch.float64).numpy()  # widening: exact
    out = np.empty(values.shape, dtype=object)
    for idx, v in np.ndenumerate(values):
        out[idx] = exact(float(v), f"{where}{list(idx)}")
    return out


def _plain_network(items: list[_Item], input_dim: int | None) -> Network:
    layers = _weight_layers(items)
    if input_dim is None:
        input_dim = infer_input_dim(layers)
    arch = _architecture(layers, int(input_dim))
    weights = []
    for layer, item, s in zip(layers, [it for it in items if isinstance(it.layer, (Conv, Dense))], arch.layers):
        torch_shape = (s.out_channels, s.in_channels * s.kernel_size) if isinstance(item.layer, Dense) else \
            s.weight_shape
        weights.append(_exact_array(item.weight, torch_shape, f"{layer.where}.weight").reshape(s.weight_shape))
    return Network(arch, tuple(weights))


# --- any other stack: a SequentialNetwork ------------------------------------------------------------


def _chain(items: list[_Item], input_shape: Shape) -> Shape:
    """Walk the shapes from ``input_shape``; an :class:`InputError` names the first layer that does not fit."""
    shape = tuple(input_shape)
    at = f" at input_shape {list(input_shape)}"
    for it in items:
        layer, where = it.layer, it.where
        if it.dims and len(shape) != it.dims + 1:
            form = "(C, L)" if it.dims == 1 else "(C, H, W)"
            hint = " (no Conv or pooling after Flatten)" if len(shape) == 1 else ""
            raise InputError(where, f"an input of shape {form}{hint}", f"shape {list(shape)}{at}")
        if isinstance(layer, Conv) and shape[0] != it.in_size:
            raise InputError(f"{where}.in_channels", f"{shape[0]} (channels of its input{at})", it.in_size)
        if isinstance(layer, Dense):
            if len(shape) != 1:
                raise InputError(where, "a flat input (an nn.Flatten() before it)", f"shape {list(shape)}{at}")
            if shape[0] != it.in_size:
                raise InputError(f"{where}.in_features", f"{shape[0]} (the size of its input{at})", it.in_size)
        try:
            shape = layer.out_shape(shape, where)
        except InputError as err:
            raise InputError(err.field, err.expected + at, err.got) from None
    if len(shape) != 1:
        raise InputError("module", "a Sequential whose output is flat (end with Flatten or Linear)",
                         f"output shape {list(shape)}{at}")
    return shape


def _axis_lengths(items: list[_Item], axis: int, largest: int) -> dict[int, list[int]]:
    """``{out: [d, …]}``: input lengths ``d`` on ``axis`` and the length they give after the spatial layers."""
    ops = []
    for it in items:
        if isinstance(it.layer, (Conv, AvgPool, MaxPool)):
            pad = it.layer.padding[axis] if isinstance(it.layer, Conv) else 0
            ops.append((it.layer.kernel_size[axis], it.layer.stride[axis], pad))
    bound = largest
    for k, s, _ in reversed(ops):  # (d + 2p − k) // s + 1 <= largest  implies  d < s·largest + k
        bound = s * bound + k
        if bound > MAX_INFERENCE:
            return {}
    out: dict[int, list[int]] = {}
    for d in range(1, bound + 1):
        v = d
        for k, s, p in ops:
            if k > v + 2 * p:
                break
            v = (v + 2 * p - k) // s + 1
        else:
            if v <= largest:
                out.setdefault(v, []).append(d)
    return out


def _ask(reason: str) -> InputError:
    return InputError("input_shape", f"an explicit input shape (--input-shape C,L or C,H,W): {reason}", None)


def _shown(fits: list[Shape]) -> str:
    text = ", ".join(str(list(s)) for s in fits[:6])
    return text + (f", ... ({len(fits)} in all)" if len(fits) > 6 else "")


def _front(items: list[_Item]) -> tuple[list[_Item], _Item | None]:
    """The layers before the first Flatten or Linear, and that boundary layer."""
    for i, it in enumerate(items):
        if isinstance(it.layer, (Flatten, Dense)):
            return items[:i], it
    return items, None


def infer_input_shape(items: list[_Item]) -> Shape:
    """The unique ``input_shape`` the layers fit (their first ``Linear`` fixes the flattened size).

    The spatial layers before the first ``Flatten`` give the number of axes, the first conv its
    ``in_channels`` (``1`` without a conv, today's convention for ``(N, 1, d_0)`` inputs); each
    axis is solved exactly. When several shapes fit (strides; in 2D any factorisation of the
    flattened size) or none does, :class:`InputError` asks for ``input_shape``.
    """
    front, boundary = _front(items)
    spatial = [it for it in front if it.dims]
    convs = [it for it in front if isinstance(it.layer, Conv)]
    dense = next((it for it in items[len(front):] if isinstance(it.layer, Dense)), None)
    if not spatial:
        if boundary is not None and isinstance(boundary.layer, Dense):
            return (boundary.in_size,)  # a Linear on the raw input: inputs (N, in_features)
        if dense is None:
            raise _ask("no Linear layer fixes the input size")
        return (1, dense.in_size)
    dims = spatial[0].dims
    if any(it.dims != dims for it in spatial):
        odd = next(it for it in spatial if it.dims != dims)
        raise InputError(odd.where, f"a {dims}D layer like the model's first spatial layer "
                         f"{spatial[0].where} (1D and 2D layers do not mix)", f"{odd.dims}D")
    if dense is None:
        raise _ask("no Linear layer fixes the input size")
    channels = convs[0].in_size if convs else 1
    last = convs[-1].layer.out_channels if convs else channels
    if dense.in_size % last:
        raise InputError(f"{dense.where}.in_features", f"a multiple of the {last} channels before it", dense.in_size)
    size = dense.in_size // last
    per_axis = [_axis_lengths(front, a, size) for a in range(dims)]
    if any(not lengths for lengths in per_axis):
        raise _ask("no input size fits the layers" if all(per_axis) or size <= MAX_INFERENCE else
                   "the input is too large to infer")
    fits: list[Shape] = []
    if dims == 1:
        fits = [(channels, d) for d in per_axis[0].get(size, [])]
    else:
        for a in sorted(per_axis[0]):
            if size % a == 0:
                fits += [(channels, h, w) for h in per_axis[0][a] for w in per_axis[1].get(size // a, [])]
    if len(fits) != 1:
        fits.sort(key=lambda s: (max(s[1:]) - min(s[1:]), s))  # the squarest first
        raise _ask("no input shape fits the layers" if not fits else f"the model accepts any of {_shown(fits)}")
    return fits[0]


def _shape_from_dim(items: list[_Item], input_dim: int) -> Shape:
    """``input_dim`` read as the length of a 1D input: ``(C, input_dim)``."""
    front, boundary = _front(items)
    spatial = [it for it in front if it.dims]
    if spatial and spatial[0].dims != 1:
        raise InputError("input_dim", "an input shape C,H,W instead (--input-shape: the model has 2D layers; "
                         "input_dim is the length of a 1D input)", input_dim)
    if not spatial and boundary is not None and isinstance(boundary.layer, Dense):
        return (input_dim,)
    convs = [it for it in front if isinstance(it.layer, Conv)]
    return (convs[0].in_size if convs else 1, input_dim)


def _sequential_network(items: list[_Item], input_shape: Shape) -> SequentialNetwork:
    _chain(items, input_shape)
    arch = SequentialArchitecture(input_shape, tuple(it.layer for it in items))
    weighted = [it for it in items if isinstance(it.layer, (Conv, Dense))]
    params = []
    for it, placed in zip(weighted, arch.layers):
        w = _exact_array(it.weight, placed.weight_shape, f"{it.where}.weight")
        b = None if it.bias is None else _exact_array(it.bias, placed.bias_shape, f"{it.where}.bias")
        params.append((w, b))
    return SequentialNetwork(arch, tuple(params))


def _check_shape(value: Any) -> Shape:
    expected = "C,L or C,H,W: 2 or 3 positive integers (one sample, no batch axis), like (1, 8, 8)"
    if not isinstance(value, (tuple, list)) or not 1 <= len(value) <= 3:
        raise InputError("input_shape", expected, value if isinstance(value, (tuple, list, int, str)) else None)
    return tuple(_int(v, "input_shape", 1) for v in value)


def from_torch(module: Any, input_dim: int | None = None,
               input_shape: Shape | None = None) -> Network | SequentialNetwork:
    """The exact network computing the same function as ``module`` on inputs ``(N, *input_shape)``.

    A plain bias-free 1D CNN of the paper's form gives a :class:`Network` (``d_0 = input_dim``,
    or ``input_shape = (1, d_0)``), anything else a :class:`SequentialNetwork`. ``input_dim`` /
    ``input_shape`` (at most one of them) may be omitted when the layers determine the input.
    """
    items = _scan(module)
    if input_dim is not None and input_shape is not None:
        raise InputError("input_shape", "either input_dim or input_shape, not both", list(input_shape)
                         if isinstance(input_shape, (tuple, list)) else input_shape)
    if input_dim is not None and (isinstance(input_dim, bool) or not isinstance(input_dim, (int, np.integer))
                                  or input_dim < 1):
        raise InputError("input_dim", "an integer >= 1", input_dim)
    shape = None if input_shape is None else _check_shape(input_shape)
    if _is_plain_1d(items) and (shape is None or (len(shape) == 2 and shape[0] == 1)):
        return _plain_network(items, shape[1] if shape is not None else input_dim)
    if shape is None:
        shape = _shape_from_dim(items, int(input_dim)) if input_dim is not None else infer_input_shape(items)
    return _sequential_network(items, shape)


def safe_module_classes() -> list[type]:
    """The module classes a ``--torch`` file may contain (:data:`SAFE_MODULES`), as torch classes."""
    nn = _torch().nn
    return [getattr(nn, name) for name in SAFE_MODULES]


def _refused_global(err: BaseException) -> str:
    """What the weights-only unpickler refused, in a few words (its message spans many lines)."""
    text = str(err)
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        return f"needs {found.group(1)}"
    lines = [line.strip() for line in text.split("WeightsUnpickler error:", 1)[-1].splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


FLAGS = {"input_dim": "--input-dim", "input_shape": "--input-shape"}
""":func:`from_torch` arguments as the command-line flags that give them."""


def load_torch_model(path: str | os.PathLike, input_dim: int | None = None,
                     input_shape: Shape | None = None) -> Network | SequentialNetwork:
    """Read ``torch.save(module)`` from ``path`` and convert it with :func:`from_torch`.

    Security: no file can run code. The file is read with ``torch.load(path,
    weights_only=True)``, whose unpickler builds only tensors, plain containers and the classes
    allow-listed here (:data:`SAFE_MODULES`, through ``torch.serialization.safe_globals``);
    a file that needs any other class or function (a crafted ``__reduce__``, a custom module,
    a hook) is refused with :class:`InputError` before anything in it is called. Every other
    mistake is an :class:`InputError` naming ``--torch`` (and the layer), ``--input-dim`` or
    ``--input-shape``.
    """
    torch = _torch()
    if not os.path.isfile(path):
        raise InputError("--torch", "an existing file saved with torch.save(model)", str(path))
    try:
        with warnings.catch_warnings():  # torch warns (several lines) about unusual pickle protocols
            warnings.simplefilter("ignore")
            with torch.serialization.safe_globals(safe_module_classes()):
                obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise InputError("--torch", f"{EXPECTED_FILE} (read with weights_only=True: no other class, function "
                                    "or code is loaded)", _refused_global(err)) from None
    except Exception as err:  # noqa: BLE001 - any unreadable file is a user mistake
        raise InputError("--torch", "a file written by torch.save(model)", _first_line(err)) from None
    if isinstance(obj, dict):
        raise InputError("--torch", "a whole saved module (torch.save(model)), not a state_dict", "a dict")
    try:
        return from_torch(obj, input_dim, input_shape)
    except InputError as err:
        raise InputError(FLAGS.get(err.field, f"--torch {err.field}"), err.expected, err.got) from None
    except Exception as err:  # noqa: BLE001 - a crafted module's attributes may break anything; still one line
        raise InputError("--torch", "an nn.Sequential whose layers have torch's own attributes",
                         _first_line(err)) from None


# --- the other way: an architecture as a differentiable float64 PyTorch function ----------------


def torch_function(arch: Architecture) -> Callable[[Any, Any], Any]:
    """``f(θ, X) -> F(X)``: the network of ``arch`` in PyTorch, differentiable in ``θ``.

    ``θ``: float tensor of length ``p`` in the suite's order ``(vec_r W^1, …, vec_r W^L)``;
    ``X``: ``(n, d_0)``; result ``(n, K)``. Hidden layers are ``conv1d`` (stride, padding),
    the activation (``relu``: ``torch.relu``) between layers, the last layer a dense map on
    the channel-major flattening (``W^L`` of shape ``(K, m_{L-1}, d_{L-1})``).
    """
    torch = _torch()
    if not all(s.shared for s in arch.layers):
        raise InputError("architecture", "shared-weight conv layers (no locally connected layer) for PyTorch",
                         arch.describe())
    shapes, offsets = arch.layers, arch.param_offsets

    def f(theta: Any, X: Any) -> Any:
        h = X.reshape(X.shape[0], 1, -1)
        for sh, off in zip(shapes[:-1], offsets[:-1]):
            w = theta[off:off + sh.num_params].reshape(sh.weight_shape)
            h = torch.nn.functional.conv1d(h, w, stride=sh.stride, padding=sh.padding)
            if arch.activation == "relu":
                h = torch.relu(h)
        last = shapes[-1]
        W = theta[offsets[-1]:].reshape(last.out_channels, -1)
        return h.reshape(h.shape[0], -1) @ W.T

    return f


def torch_mse(arch: Architecture, data: Dataset) -> Callable[[Any], Any]:
    """``θ ↦ (1/n) Σ_i ½‖F(x_i) − y_i‖²`` in float64 PyTorch (inputs and targets rounded to float64)."""
    torch = _torch()
    f = torch_function(arch)
    X = torch.tensor([[float(v) for v in row] for row in data.inputs], dtype=torch.float64)
    Y = torch.tensor([[float(v) for v in row] for row in data.targets], dtype=torch.float64)
    return lambda theta: 0.5 * ((f(theta, X) - Y) ** 2).sum() / X.shape[0]
