"""PyTorch models as exact networks: ``from_torch(module, input_dim) -> Network`` (and back, in float64:
:func:`torch_function`, :func:`torch_mse`).

Accepted: an ``nn.Sequential`` of the shape

    [Conv1d(bias=False) (ReLU)?]*  Flatten  [Linear(bias=False) (ReLU)?]*  Linear(bias=False)

taking inputs of shape ``(N, 1, d_0)``. ReLU follows every layer but the last, or none
(the suite's architectures have one activation). Conv1d layers need ``dilation=1``,
``groups=1``, ``padding_mode="zeros"`` and an integer padding (or ``"valid"``); Flatten its
defaults (``start_dim=1, end_dim=-1``). A hidden ``Linear`` after the flatten is the conv
layer whose filter spans its input (as the paper sees a dense layer), so MLP heads and
plain MLPs are expressible.

Exactness: every float16/bfloat16/float32/float64 weight is read as the exact binary
rational it stores (``Fraction(float(x))`` via :func:`symhess.scalars.exact`; widening to
float64 is exact), never rounded. Parameter order is the suite's ``θ = (vec_r W^1, …)``,
which is the order of ``torch.cat([p.flatten() for p in module.parameters()])``
(a ``Linear`` weight ``(M, C·d)`` is ``W`` of shape ``(M, C, d)`` on the channel-major
flattening).

Anything else (another layer type, a bias, dilation, groups, other padding modes, a ReLU
after some layers only, shapes that do not chain or do not fit ``input_dim``) raises
:class:`InputError` naming the layer, e.g. ``module[2] (Conv1d).bias``.

Files (:func:`load_torch_model`, ``--torch``): read with ``torch.load(weights_only=True)`` and
an allow-list of module classes (:data:`SAFE_MODULES`), so no file can run code; a file that
needs any other class or function is refused with one :class:`InputError` naming ``--torch``.
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
from ..scalars import InputError, exact

ALLOWED = "Conv1d(bias=False), ReLU, Flatten or Linear(bias=False)"
EXPECTED_FILE = "a torch.save(model) of an nn.Sequential of Conv1d(bias=False), ReLU, Flatten, Linear(bias=False)"
SAFE_MODULES = ("Sequential", "Conv1d", "ReLU", "Flatten", "Linear",
                "Conv2d", "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d")
"""``torch.nn`` classes a ``--torch`` file may contain (the weights-only allow-list). Conv2d and the
pooling layers are read, then refused by :func:`from_torch` until it supports them."""


@dataclass(frozen=True)
class _WeightLayer:
    """One weight layer found in the module: its position, the torch module, a ReLU after it."""

    position: int
    module: Any
    relu_after: bool = False

    @property
    def where(self) -> str:
        return _where(self.position, self.module)


def _where(position: int, module: Any) -> str:
    return f"module[{position}] ({type(module).__name__})"


def _torch():
    try:
        import torch  # optional extra, imported on use (torch)
    except ImportError:  # pragma: no cover - torch is an optional extra
        raise InputError("torch", "PyTorch installed (pip install 'symhess[torch]')", None) from None
    return torch


def _scan(module: Any) -> list[_WeightLayer]:
    """Walk the Sequential: the weight layers in order, with their ReLU flags; shape checks only."""
    nn = _torch().nn
    if not isinstance(module, nn.Sequential):
        raise InputError("module", f"a torch.nn.Sequential of {ALLOWED}", type(module).__name__)
    layers: list[_WeightLayer] = []
    flattened = False
    for pos, child in enumerate(module.children()):
        where = _where(pos, child)
        if isinstance(child, nn.Conv1d):
            if flattened:
                raise InputError(where, "no Conv1d after Flatten", None)
            layers.append(_WeightLayer(pos, child))
        elif isinstance(child, nn.Linear):
            if not flattened:
                raise InputError(where, "an nn.Flatten() before the first Linear (inputs are (N, 1, d0))", None)
            layers.append(_WeightLayer(pos, child))
        elif isinstance(child, nn.ReLU):
            if not layers or layers[-1].relu_after or layers[-1].position != pos - 1:
                raise InputError(where, "a ReLU only directly after a Conv1d or Linear layer", None)
            layers[-1] = _WeightLayer(layers[-1].position, layers[-1].module, True)
        elif isinstance(child, nn.Flatten):
            if flattened:
                raise InputError(where, "a single Flatten", None)
            if child.start_dim != 1 or child.end_dim != -1:
                raise InputError(where, "Flatten(start_dim=1, end_dim=-1)", (child.start_dim, child.end_dim))
            flattened = True
        else:
            raise InputError(where, f"one of {ALLOWED}", type(child).__name__)
    if not layers or not isinstance(layers[-1].module, nn.Linear):
        raise InputError("module", "a Sequential ending in a Linear(bias=False) output layer", None)
    if layers[-1].relu_after:
        raise InputError(f"module[{layers[-1].position + 1}] (ReLU)",
                         "no activation after the last Linear (the outputs are the network function)", None)
    hidden = layers[:-1]
    for layer in hidden:
        if layer.relu_after != hidden[0].relu_after:
            raise InputError(layer.where, "a ReLU after every hidden layer or after none (mixed activations)",
                             "ReLU" if layer.relu_after else "no ReLU")
    for layer in layers:
        _check_layer(layer)
    return layers


def _check_layer(layer: _WeightLayer) -> None:
    """Refuse biases, dilation, groups, padding modes and weights that are not floating point."""
    torch, m, where = _torch(), layer.module, layer.where
    if getattr(m, "bias", None) is not None:
        raise InputError(f"{where}.bias", "bias=False (the theory has no bias parameters)", "a bias")
    if isinstance(m, torch.nn.Conv1d):
        if tuple(m.dilation) != (1,):
            raise InputError(f"{where}.dilation", "1", m.dilation[0])
        if m.groups != 1:
            raise InputError(f"{where}.groups", "1", m.groups)
        if m.padding_mode != "zeros":
            raise InputError(f"{where}.padding_mode", "'zeros'", m.padding_mode)
        if isinstance(m.padding, str) and m.padding != "valid":
            raise InputError(f"{where}.padding", "an integer or 'valid'", m.padding)
    if not m.weight.is_floating_point() or m.weight.is_complex():
        raise InputError(f"{where}.weight", "a real floating-point tensor", str(m.weight.dtype))


def _padding(m: Any) -> int:
    return 0 if isinstance(m.padding, str) else int(m.padding[0])


def _architecture(layers: list[_WeightLayer], input_dim: int) -> Architecture:
    """The :class:`Architecture` of the scanned layers at ``input_dim``; InputError naming the misfit."""
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
    """The unique ``d_0`` for which the layers chain up to the first Linear's ``in_features``.

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


def _exact_weight(layer: _WeightLayer, shape: tuple[int, ...]) -> np.ndarray:
    """The layer's weight as exact ``Fraction`` s, reshaped to ``(m_l, m_{l-1}, k_l)``."""
    torch = _torch()
    values = layer.module.weight.detach().to(device="cpu", dtype=torch.float64).numpy()  # widening: exact
    out = np.empty(values.shape, dtype=object)
    for idx, v in np.ndenumerate(values):
        out[idx] = exact(float(v), f"{layer.where}.weight{list(idx)}")
    return out.reshape(shape)


def from_torch(module: Any, input_dim: int | None = None) -> Network:
    """The exact :class:`Network` computing the same function as ``module`` on ``(N, 1, input_dim)``.

    ``input_dim`` (``d_0``) may be omitted when the layers determine it uniquely.
    """
    layers = _scan(module)
    if input_dim is None:
        input_dim = infer_input_dim(layers)
    elif isinstance(input_dim, bool) or not isinstance(input_dim, (int, np.integer)) or input_dim < 1:
        raise InputError("input_dim", "an integer >= 1", input_dim)
    arch = _architecture(layers, int(input_dim))
    weights = tuple(_exact_weight(layer, s.weight_shape) for layer, s in zip(layers, arch.layers))
    return Network(arch, weights)


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


def load_torch_model(path: str | os.PathLike, input_dim: int | None = None) -> Network:
    """Read ``torch.save(module)`` from ``path`` and convert it with :func:`from_torch`.

    Security: no file can run code. The file is read with ``torch.load(path,
    weights_only=True)``, whose unpickler builds only tensors, plain containers and the classes
    allow-listed here (:data:`SAFE_MODULES`, through ``torch.serialization.safe_globals``);
    a file that needs any other class or function (a crafted ``__reduce__``, a custom module,
    a hook) is refused with :class:`InputError` before anything in it is called. Every other
    mistake is an :class:`InputError` naming ``--torch``.
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
        return from_torch(obj, input_dim)
    except InputError as err:
        field = "--input-dim" if err.field == "input_dim" else f"--torch {err.field}"
        raise InputError(field, err.expected, err.got) from None


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
