"""The exchange format: networks and data sets as JSON files, read exactly.

Two model formats. The **1D format** (the paper's CNN, :class:`~symhess.nets.architecture.Network`)::

    {"input_dim": d0, "activation": "linear" | "relu",
     "layers": [{"type": "conv1d", "weight": [out][in][k], "stride": 1, "padding": 0},
                ...,
                {"type": "linear", "weight": [K][channels * length]}]}

The **layer format** (any layer stack, :class:`~symhess.nets.sequential.SequentialNetwork`),
told apart by its ``"input_shape"`` (one sample in torch's layout, no batch axis)::

    {"input_shape": [1, 8, 8],
     "layers": [{"type": "conv2d", "weight": [out][in][kh][kw], "bias": [out],
                 "stride": [1, 1], "padding": [1, 1]},
                {"type": "relu"},
                {"type": "maxpool2d", "kernel_size": [2, 2], "stride": [2, 2]},
                {"type": "avgpool2d", "kernel_size": 2},
                {"type": "flatten"},
                {"type": "linear", "weight": [K][N], "bias": [K]}]}

Layer types: ``conv1d`` / ``conv2d`` (``weight`` nested in torch's shape ``[out][in][k]`` /
``[out][in][kh][kw]``; optional ``stride`` (default 1), ``padding`` (zeros, default 0), each an
integer or one per spatial axis; optional ``bias``), ``linear`` (``weight`` ``[K][N]`` on a flat
input of ``N`` values; optional ``bias``), ``avgpool1d/2d``, ``maxpool1d/2d`` (``kernel_size``,
optional ``stride`` defaulting to the window, as in torch; no padding), ``relu`` and ``flatten``
(no other keys). ``bias`` is a list of one number per output channel / feature; absent, ``null``
or ``false`` means no bias. Layers apply in order, as an ``nn.Sequential`` does; the output must
be flat (end with ``flatten`` or ``linear``). ``θ`` is torch's ``parameters()`` order: each
weight row-major, then its bias.

Data file::

    {"inputs": [[d0 values], ...], "targets": [[K values], ...]}

For a layer-format model each input is either a flat list of ``prod(input_shape)`` values in
torch's row-major order or a nested list matching ``input_shape`` (``[C][L]`` or ``[C][H][W]``);
the two may be mixed. Targets are always ``[n][K]``.

Values are JSON integers, strings ``"p/q"`` or decimal strings such as ``"0.125"``, all read
exactly; a JSON float is read as the exact binary value it parses to (never rounded further).
The dense layer acts on the channel-major flattening (index ``c * length + t``, as
``torch.flatten`` of an ``(N, C, L)`` tensor). Every mistake raises
:class:`~symhess.scalars.InputError` naming the field (``layers[1].weight[0][2]``) and the
expected form.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np

from ..nets.architecture import ACTIVATIONS, Architecture, ConvLayer, Network
from ..nets.data import Dataset
from ..nets.layers import AvgPool, Conv, Dense, Flatten, MaxPool, ReLU
from ..nets.layers.base import Shape, size
from ..nets.sequential import SequentialArchitecture, SequentialNetwork
from ..scalars import MAX_DIGITS, InputError, Oversized, Verbatim, exact, fraction_str, size_problem

MODEL_KEYS = {"input_dim", "activation", "layers"}
CONV_KEYS = {"type", "weight", "stride", "padding"}
LINEAR_KEYS = {"type", "weight"}
DATA_KEYS = {"inputs", "targets"}


MAX_FILE_BYTES = 64 * 2**20
"""Largest model or data file read (64 MiB: far above any network the exact path can rank)."""
MAX_SIZE = 10**6
"""Largest ``input_dim``, stride or padding accepted (a dimension beyond is no network one can rank)."""
MAX_LAYERS = 1000
"""Most layers in a model file."""


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _json_int(text: str) -> Any:
    return Oversized(text) if len(text.lstrip("-")) > MAX_DIGITS else int(text)


def _json_float(text: str) -> Any:
    return Oversized(text) if size_problem(text) else float(text)


def read_bytes(path: str | Path, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file (or a pipe) of at most ``limit`` bytes; anything else is an :class:`InputError`."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(what, "a file (not a directory)", str(path))
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise InputError(what, "a regular file (not a device or socket)", str(path))
        if st.st_size > limit:
            raise InputError(what, f"a file of at most {limit // 2**20} MiB", Verbatim(f"{path} ({st.st_size} bytes)"))
        with open(path, "rb") as fh:
            blob = fh.read(limit + 1)
    except OSError as err:
        raise InputError(what, "a readable file", Verbatim(f"{path} ({err.strerror or err})")) from None
    if len(blob) > limit:
        raise InputError(what, f"a file of at most {limit // 2**20} MiB", str(path))
    return blob


def parse_json(blob: bytes, what: str, path: str | Path = "") -> Any:
    """Strict JSON: UTF-8, no duplicate keys, numbers of at most :data:`MAX_DIGITS` digits (longer
    ones become :class:`~symhess.scalars.Oversized`, reported with their field), bounded nesting."""
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(what, "a UTF-8 JSON file", Verbatim(f"invalid UTF-8 at byte {err.start} of {path}")) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_json_int, parse_float=_json_float)
    except json.JSONDecodeError as err:
        raise InputError(what, "valid JSON", Verbatim(f"{err.msg} at line {err.lineno} column {err.colno} of {path}")) from None
    except _DuplicateKey as err:
        raise InputError(what, "JSON objects without duplicate keys", Verbatim(f"key {err.key[:60]!r} twice in {path}")) from None
    except RecursionError:
        raise InputError(what, "JSON nested at most a few hundred levels deep", Verbatim(f"deeper nesting in {path}")) from None
    except (MemoryError, ValueError) as err:
        raise InputError(what, "valid JSON of a moderate size", Verbatim(f"{type(err).__name__} reading {path}")) from None


def read_json(path: str | Path, what: str) -> Any:
    """Parse a JSON file; a missing, unreadable, oversized or malformed file is an :class:`InputError`."""
    return parse_json(read_bytes(path, what), what, path)


def _object(value: Any, where: str, keys: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(where, "a JSON object", type(value).__name__)
    unknown = sorted(set(value) - keys)
    if unknown:
        raise InputError(f"{where}.{unknown[0]}" if where else unknown[0],
                         f"no such key (allowed: {', '.join(sorted(keys))})", None)
    missing = sorted(required - set(value))
    if missing:
        raise InputError(f"{where}.{missing[0]}" if where else missing[0], "a required key (missing)", None)
    return value


def nested_array(value: Any, where: str, shape: tuple[int, ...], names: str) -> np.ndarray:
    """A nested JSON list of exact numbers with the given shape, as an object array.

    ``names`` describes the whole nesting for messages, e.g. ``"[out][in][k] = [2, 1, 3]"``.
    The lengths are checked before anything of ``shape`` is allocated.
    """
    if len(shape) == 0:
        return exact(value, where)  # type: ignore[return-value]
    if not isinstance(value, list) or len(value) != shape[0]:
        got = f"a list of length {len(value)}" if isinstance(value, list) else type(value).__name__
        raise InputError(where, f"a list of {shape[0]} items (the whole is nested as {names})", got)
    items = [nested_array(item, f"{where}[{i}]", shape[1:], names) for i, item in enumerate(value)]
    out = np.empty(shape, dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _positive_int(value: Any, where: str, minimum: int, maximum: int = MAX_SIZE) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InputError(where, f"an integer from {minimum} to {maximum}", value)
    return value


def _outer_shape(value: Any, depth: int) -> list[int]:
    """Lengths along the first ``depth`` levels of a nested list (following first items)."""
    dims = []
    for _ in range(depth):
        if not isinstance(value, list) or not value:
            break
        dims.append(len(value))
        value = value[0]
    return dims


def network_from_json(doc: Any, what: str = "model") -> Network | SequentialNetwork:
    """Build the network of a parsed model document (see the module docstring).

    The 1D format gives a :class:`Network`, the layer format (a document with ``"input_shape"``)
    a :class:`SequentialNetwork`. ``what`` names the document in messages about the document as
    a whole (``--model``)."""
    if not isinstance(doc, dict):
        raise InputError(what, "a JSON object {\"input_dim\": ..., \"layers\": [...]} or {\"input_shape\": [...], "
                         "\"layers\": [...]}", type(doc).__name__)
    if "input_shape" in doc:
        return sequential_from_json(doc)
    if "input_dim" not in doc and set(doc) <= MODEL_KEYS:
        raise InputError("input_dim", "a required key (missing; or input_shape for the layer format)", None)
    doc = _object(doc, "", MODEL_KEYS, {"input_dim", "layers"})
    d0 = _positive_int(doc["input_dim"], "input_dim", 1)
    activation = doc.get("activation", "linear")
    if activation not in ACTIVATIONS:
        raise InputError("activation", "'linear' or 'relu'", activation)
    layers = doc["layers"]
    if not isinstance(layers, list) or not layers or len(layers) > MAX_LAYERS:
        raise InputError("layers", f"a non-empty list of at most {MAX_LAYERS} layer objects, the last of type "
                         "'linear'", f"{len(layers)} layers" if isinstance(layers, list) else layers)
    convs, weights = [], []
    channels, length = 1, d0
    for i, layer in enumerate(layers):
        where = f"layers[{i}]"
        last = i == len(layers) - 1
        kind = layer.get("type") if isinstance(layer, dict) else None
        if kind != ("linear" if last else "conv1d"):
            expected = "'linear' (the last layer is dense)" if last else "'conv1d' (only the last layer is 'linear')"
            raise InputError(f"{where}.type", expected, kind)
        if last:
            layer = _object(layer, where, LINEAR_KEYS, LINEAR_KEYS)
            dims = _outer_shape(layer["weight"], 1)
            K = dims[0] if dims else 0
            if K < 1:
                raise InputError(f"{where}.weight", "a non-empty list [K][channels*length]", layer["weight"])
            w = nested_array(layer["weight"], f"{where}.weight", (K, channels * length),
                             f"[K][channels*length] = [{K}, {channels}*{length}]")
            weights.append(w.reshape(K, channels, length))
            arch = Architecture(d0, tuple(convs), K, activation)
            return Network(arch, tuple(weights))
        layer = _object(layer, where, CONV_KEYS, {"type", "weight"})
        stride = _positive_int(layer.get("stride", 1), f"{where}.stride", 1)
        padding = _positive_int(layer.get("padding", 0), f"{where}.padding", 0)
        dims = _outer_shape(layer["weight"], 3)
        if len(dims) < 3:
            raise InputError(f"{where}.weight", "a nested list [out][in][k] of numbers", layer["weight"])
        out, k = dims[0], dims[2]
        w = nested_array(layer["weight"], f"{where}.weight", (out, channels, k), f"[out][in][k] = [{out}, {channels}, {k}]")
        if k > length + 2 * padding:
            raise InputError(f"{where}.weight", f"filters of size at most the padded input length {length + 2 * padding}", k)
        convs.append(ConvLayer(out, k, stride, padding))
        weights.append(w)
        channels, length = out, (length + 2 * padding - k) // stride + 1
    raise AssertionError("unreachable")


# --- the layer format: any layer stack ----------------------------------------------------------------

SEQUENTIAL_KEYS = {"input_shape", "layers"}
LAYER_KEYS = {
    "conv1d": {"type", "weight", "bias", "stride", "padding"},
    "conv2d": {"type", "weight", "bias", "stride", "padding"},
    "linear": {"type", "weight", "bias"},
    "avgpool1d": {"type", "kernel_size", "stride"},
    "avgpool2d": {"type", "kernel_size", "stride"},
    "maxpool1d": {"type", "kernel_size", "stride"},
    "maxpool2d": {"type", "kernel_size", "stride"},
    "relu": {"type"},
    "flatten": {"type"},
}
"""Layer types of the layer format and the keys each allows (``type`` and ``weight`` /
``kernel_size`` are required)."""
LAYER_TYPES = ", ".join(LAYER_KEYS)
_SPATIAL_FORM = {1: "(C, L)", 2: "(C, H, W)"}
_AXES = {1: "[k]", 2: "[kh][kw]"}


def _per_axis(value: Any, where: str, dims: int, minimum: int) -> tuple[int, ...]:
    """An integer (every axis) or a list of ``dims`` integers, each ``minimum..MAX_SIZE``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (_positive_int(value, where, minimum),) * dims
    if not isinstance(value, list) or len(value) != dims:
        raise InputError(where, f"an integer from {minimum} to {MAX_SIZE} or a list of {dims} of them "
                         "(one per spatial axis)", value)
    return tuple(_positive_int(v, f"{where}[{i}]", minimum) for i, v in enumerate(value))


def _input_shape(value: Any) -> Shape:
    expected = "a list of 1 to 3 positive integers: [C, L] or [C, H, W] (one sample, no batch axis), like [1, 8, 8]"
    if not isinstance(value, list) or not 1 <= len(value) <= 3:
        raise InputError("input_shape", expected, value)
    shape = tuple(_positive_int(v, f"input_shape[{i}]", 1) for i, v in enumerate(value))
    if size(shape) > MAX_SIZE:
        raise InputError("input_shape", f"at most {MAX_SIZE} input values in all", list(shape))
    return shape


def _has_bias(layer: dict[str, Any]) -> bool:
    value = layer.get("bias")
    return value is not None and value is not False


def _bias(layer: dict[str, Any], where: str, out: int) -> np.ndarray | None:
    value = layer.get("bias")
    if not _has_bias(layer):
        return None
    if not isinstance(value, list):
        raise InputError(f"{where}.bias", f"a list of {out} numbers (one per output), or false / absent for "
                         "no bias", value)
    return nested_array(value, f"{where}.bias", (out,), f"[out] = [{out}]")


def _fits(shape: Shape, dims: int, where: str, kind: str) -> None:
    if len(shape) != dims + 1:
        hint = " (put flatten after the conv and pooling layers)" if len(shape) == 1 else ""
        raise InputError(f"{where}.type", f"a layer that takes its input of shape {list(shape)}: {kind} takes "
                         f"{_SPATIAL_FORM.get(dims, 'a spatial input')}{hint}", kind)


def _sequential_layer(layer: Any, where: str, shape: Shape) -> tuple[Any, tuple[np.ndarray, np.ndarray | None] | None]:
    """One layer object of the layer format at input ``shape``: the layer and its ``(W, b)`` (or ``None``)."""
    kind = layer.get("type") if isinstance(layer, dict) else None
    if not isinstance(layer, dict):
        raise InputError(where, f"a JSON object {{\"type\": ...}} (one of {LAYER_TYPES})", layer)
    if not isinstance(kind, str) or kind not in LAYER_KEYS:
        raise InputError(f"{where}.type", f"one of {LAYER_TYPES}", kind)
    keys = LAYER_KEYS[kind]
    required = {"type"} | ({"weight"} & keys) | ({"kernel_size"} & keys)
    layer = _object(layer, where, keys, required)
    if kind in ("relu", "flatten"):
        return (ReLU() if kind == "relu" else Flatten()), None
    if kind == "linear":
        if len(shape) != 1:
            raise InputError(f"{where}.type", f"a layer that takes its input of shape {list(shape)}: linear takes "
                             "a flat input (put a flatten before it)", kind)
        dims = _outer_shape(layer["weight"], 1)
        if not dims:
            raise InputError(f"{where}.weight", f"a non-empty nested list [K][N] with N = {shape[0]}", layer["weight"])
        K = dims[0]
        w = nested_array(layer["weight"], f"{where}.weight", (K, shape[0]), f"[K][N] = [{K}, {shape[0]}]")
        b = _bias(layer, where, K)
        return Dense(K, b is not None), (w, b)
    dims = int(kind[-2])
    _fits(shape, dims, where, kind)
    if kind.startswith("conv"):
        stride = _per_axis(layer.get("stride", 1), f"{where}.stride", dims, 1)
        padding = _per_axis(layer.get("padding", 0), f"{where}.padding", dims, 0)
        outer = _outer_shape(layer["weight"], 2 + dims)
        names = f"[out][in]{_AXES[dims]}"
        if len(outer) < 2 + dims:
            raise InputError(f"{where}.weight", f"a nested list {names} of numbers", layer["weight"])
        out, kernel = outer[0], tuple(outer[2:])
        full = (out, shape[0]) + kernel
        w = nested_array(layer["weight"], f"{where}.weight", full, f"{names} = {list(full)}")
        conv = Conv(out, kernel, stride, padding, _has_bias(layer))
        try:
            conv.out_shape(shape, where)
        except InputError as err:
            raise InputError(f"{where}.weight", f"filters of size at most the padded input ({err.expected})",
                             list(kernel)) from None
        return conv, (w, _bias(layer, where, out))
    kernel = _per_axis(layer["kernel_size"], f"{where}.kernel_size", dims, 1)
    stride = _per_axis(layer["stride"], f"{where}.stride", dims, 1) if "stride" in layer else kernel
    pool = (AvgPool if kind.startswith("avg") else MaxPool)(kernel, stride)
    pool.out_shape(shape, where)
    return pool, None


def sequential_from_json(doc: Any) -> SequentialNetwork:
    """Build a :class:`SequentialNetwork` from a parsed layer-format document (see the module docstring)."""
    doc = _object(doc, "", SEQUENTIAL_KEYS, SEQUENTIAL_KEYS)
    shape = _input_shape(doc["input_shape"])
    layers = doc["layers"]
    if not isinstance(layers, list) or not layers or len(layers) > MAX_LAYERS:
        raise InputError("layers", f"a non-empty list of at most {MAX_LAYERS} layer objects (types {LAYER_TYPES})",
                         f"{len(layers)} layers" if isinstance(layers, list) else layers)
    modules, params = [], []
    for i, layer in enumerate(layers):
        where = f"layers[{i}]"
        module, wb = _sequential_layer(layer, where, shape)
        shape = module.out_shape(shape, where)
        modules.append(module)
        if wb is not None:
            params.append(wb)
    if len(shape) != 1:
        raise InputError("layers", "a flat output (end with flatten or linear)", f"output shape {list(shape)}")
    if not params:
        raise InputError("layers", "at least one conv1d, conv2d or linear layer (something with parameters)",
                         f"{len(layers)} layers without weights")
    return SequentialNetwork(SequentialArchitecture(_input_shape(doc["input_shape"]), tuple(modules)), tuple(params))


def _sequential_inputs(inputs: list, arch: SequentialArchitecture) -> np.ndarray:
    """``[n][prod(input_shape)]`` exact inputs, each given flat or nested as ``input_shape``."""
    shape, N = arch.input_shape, arch.input_dim
    letters = {1: "[N]", 2: "[C][L]", 3: "[C][H][W]"}.get(len(shape), "")
    nested = f"{letters} = {list(shape)}, or flat: {N} numbers in torch's row-major order"
    x = np.empty((len(inputs), N), dtype=object)
    for i, value in enumerate(inputs):
        where = f"inputs[{i}]"
        if len(shape) > 1 and isinstance(value, list) and value and isinstance(value[0], list):
            x[i, :] = nested_array(value, where, shape, nested).reshape(-1)
        else:
            x[i, :] = nested_array(value, where, (N,), f"flat [{N}] (torch's row-major order), or nested {letters} "
                                   f"= {list(shape)}")
    return x


def dataset_from_json(doc: Any, arch: Architecture | SequentialArchitecture, what: str = "data") -> Dataset:
    """Build a :class:`Dataset` for ``arch`` from a parsed data document (inputs stored flat, row-major)."""
    if not isinstance(doc, dict):
        raise InputError(what, "a JSON object {\"inputs\": [...], \"targets\": [...]}", type(doc).__name__)
    doc = _object(doc, "", DATA_KEYS, DATA_KEYS)
    inputs, targets = doc["inputs"], doc["targets"]
    layered = isinstance(arch, SequentialArchitecture)
    if not isinstance(inputs, list) or not inputs:
        each = (f"a flat list of {arch.input_dim} numbers or nested as input_shape {list(arch.input_shape)}"
                if layered else f"a list of {arch.input_dim} numbers")
        raise InputError("inputs", f"a non-empty list of inputs, each {each}", inputs)
    n = len(inputs)
    if layered:
        x = _sequential_inputs(inputs, arch)
    else:
        x = nested_array(inputs, "inputs", (n, arch.input_dim), f"[n][input_dim] = [{n}, {arch.input_dim}]")
    if not isinstance(targets, list) or len(targets) != len(inputs):
        raise InputError("targets", f"a list of {len(inputs)} targets (one per input), each of {arch.outputs} numbers",
                         f"{len(targets)} items" if isinstance(targets, list) else targets)
    y = nested_array(targets, "targets", (n, arch.outputs), f"[n][K] = [{n}, {arch.outputs}]")
    return Dataset(x, y)


def load_network(path: str | Path) -> Network | SequentialNetwork:
    """Read a model file: a :class:`Network` (1D format) or a :class:`SequentialNetwork` (layer format)."""
    return network_from_json(read_json(path, "--model"), "--model")


def load_dataset(path: str | Path, arch: Architecture | SequentialArchitecture) -> Dataset:
    """Read a data file for ``arch``."""
    return dataset_from_json(read_json(path, "--data"), arch, "--data")


def _strings(a: Any) -> Any:
    """Nested lists of exact numbers as JSON integers or ``"p/q"`` strings."""
    if isinstance(a, np.ndarray):
        return [_strings(sub) for sub in a]
    text = fraction_str(a)
    return text if "/" in text else int(text)


def _sequential_to_json(net: SequentialNetwork) -> dict[str, Any]:
    params = iter(net.params)
    layers: list[dict[str, Any]] = []
    for p in net.arch.placed:
        layer = p.layer
        item: dict[str, Any]
        if isinstance(layer, (Conv, Dense)) and getattr(layer, "dims", 1) in (1, 2):
            w, b = next(params)
            item = {"type": "linear" if isinstance(layer, Dense) else f"conv{layer.dims}d", "weight": _strings(w)}
            if b is not None:
                item["bias"] = _strings(b)
            if isinstance(layer, Conv):
                item.update(stride=list(layer.stride), padding=list(layer.padding))
        elif isinstance(layer, (AvgPool, MaxPool)) and layer.dims in (1, 2):
            item = {"type": layer.name.lower(), "kernel_size": list(layer.kernel_size), "stride": list(layer.stride)}
        elif isinstance(layer, (ReLU, Flatten)):
            item = {"type": layer.name.lower()}
        else:
            raise InputError("network", f"layers of the types {LAYER_TYPES} (the exchange format has no "
                             f"{layer.name})", layer.name)
        layers.append(item)
    return {"input_shape": list(net.arch.input_shape), "layers": layers}


def network_to_json(net: Network | SequentialNetwork) -> dict[str, Any]:
    """The model document of ``net`` (inverse of :func:`network_from_json`): the 1D format for a
    :class:`Network` (conv layers only), the layer format for a :class:`SequentialNetwork`."""
    if isinstance(net, SequentialNetwork):
        return _sequential_to_json(net)
    layers: list[dict[str, Any]] = []
    for shape, w in zip(net.arch.layers[:-1], net.weights[:-1]):
        if not shape.shared:
            raise InputError("network", "conv1d layers only (the exchange format has no locally connected layer)")
        layers.append({"type": "conv1d", "weight": _strings(w), "stride": shape.stride, "padding": shape.padding})
    last = net.weights[-1]
    layers.append({"type": "linear", "weight": _strings(last.reshape(last.shape[0], -1))})
    return {"input_dim": net.arch.input_dim, "activation": net.arch.activation, "layers": layers}


def dataset_to_json(data: Dataset) -> dict[str, Any]:
    """The data document of ``data``."""
    return {"inputs": _strings(data.inputs), "targets": _strings(data.targets)}


def matrix_to_json(m: Any) -> list[list[str]]:
    """An exact matrix (``fmpq_mat``) as rows of ``"p/q"`` strings."""
    return [[str(v) for v in row] for row in m.tolist()]
