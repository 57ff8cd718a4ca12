"""The exchange format: networks and data sets as JSON files, read exactly.

Model file::

    {"input_dim": d0, "activation": "linear" | "relu",
     "layers": [{"type": "conv1d", "weight": [out][in][k], "stride": 1, "padding": 0},
                ...,
                {"type": "linear", "weight": [K][channels * length]}]}

Data file::

    {"inputs": [[d0 values], ...], "targets": [[K values], ...]}

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


def network_from_json(doc: Any, what: str = "model") -> Network:
    """Build a :class:`Network` from a parsed model document (see the module docstring).

    ``what`` names the document in messages about the document as a whole (``--model``)."""
    if not isinstance(doc, dict):
        raise InputError(what, "a JSON object {\"input_dim\": ..., \"layers\": [...]}", type(doc).__name__)
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


def dataset_from_json(doc: Any, arch: Architecture, what: str = "data") -> Dataset:
    """Build a :class:`Dataset` for ``arch`` from a parsed data document."""
    if not isinstance(doc, dict):
        raise InputError(what, "a JSON object {\"inputs\": [...], \"targets\": [...]}", type(doc).__name__)
    doc = _object(doc, "", DATA_KEYS, DATA_KEYS)
    inputs, targets = doc["inputs"], doc["targets"]
    if not isinstance(inputs, list) or not inputs:
        raise InputError("inputs", f"a non-empty list of inputs, each a list of {arch.input_dim} numbers", inputs)
    n = len(inputs)
    x = nested_array(inputs, "inputs", (n, arch.input_dim), f"[n][input_dim] = [{n}, {arch.input_dim}]")
    if not isinstance(targets, list) or len(targets) != len(inputs):
        raise InputError("targets", f"a list of {len(inputs)} targets (one per input), each of {arch.outputs} numbers",
                         f"{len(targets)} items" if isinstance(targets, list) else targets)
    y = nested_array(targets, "targets", (n, arch.outputs), f"[n][K] = [{n}, {arch.outputs}]")
    return Dataset(x, y)


def load_network(path: str | Path) -> Network:
    """Read a model file."""
    return network_from_json(read_json(path, "--model"), "--model")


def load_dataset(path: str | Path, arch: Architecture) -> Dataset:
    """Read a data file for ``arch``."""
    return dataset_from_json(read_json(path, "--data"), arch, "--data")


def _strings(a: Any) -> Any:
    """Nested lists of exact numbers as JSON integers or ``"p/q"`` strings."""
    if isinstance(a, np.ndarray):
        return [_strings(sub) for sub in a]
    text = fraction_str(a)
    return text if "/" in text else int(text)


def network_to_json(net: Network) -> dict[str, Any]:
    """The model document of ``net`` (inverse of :func:`network_from_json`); conv layers only."""
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
