"""Command-line options shared by sub-commands: which network, which data.

A network comes either from a model file (``--model FILE``) or from generation flags
(``--input-dim 12 --kernels 3,3 --channels 4,4 --strides 1,1 --paddings 0,0 --outputs 2
--activation linear --seed 0``); data from ``--data FILE`` or ``--samples N --dataset KIND``.
One function per step, so every command parses them the same way.
"""

from __future__ import annotations

import argparse
from typing import Sequence

from .data import DATASET_KINDS, Dataset, random_dataset
from .exchange import load_dataset, load_network
from .networks import ACTIVATIONS, Architecture, ConvLayer, Network, random_network
from .scalars import InputError

DEFAULT_INPUT_DIM = 12


def int_list(text: str | None, flag: str, minimum: int) -> list[int] | None:
    """``"3,3"`` -> ``[3, 3]``; ``None`` stays ``None``."""
    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise InputError(flag, f"comma-separated integers >= {minimum}, like 3,3", text) from None
    if any(v < minimum for v in values):
        raise InputError(flag, f"comma-separated integers >= {minimum}, like 3,3", text)
    return values


def add_architecture_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model`` or the generation flags of a conv stack followed by a dense layer."""
    g = parser.add_argument_group("network (a model file, or generated from flags)")
    g.add_argument("--model", metavar="FILE", help="model JSON file (see README: exchange format)")
    g.add_argument("--torch", metavar="FILE",
                   help="torch.save of an nn.Sequential of Conv1d/ReLU/Flatten/Linear without biases (trusted files only)")
    g.add_argument("--input-dim", type=int, default=None,
                   help="input length d_0 (default 12; with --torch: inferred when only one length fits)")
    g.add_argument("--kernels", default="3,3", help="filter sizes of the conv layers, e.g. 3,3 (default)")
    g.add_argument("--channels", default=None, help="out-channels of the conv layers, e.g. 4,4 (default 2 each)")
    g.add_argument("--strides", default=None, help="strides of the conv layers (default 1 each)")
    g.add_argument("--paddings", default=None, help="zero paddings of the conv layers (default 0 each)")
    g.add_argument("--outputs", type=int, default=2, help="K, outputs of the final dense layer (default 2)")
    g.add_argument("--activation", default="linear", help="linear (default) or relu")
    g.add_argument("--seed", type=int, default=0, help="seed of the generated weights and data (default 0)")


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data`` or the generation flags of a random data set."""
    g = parser.add_argument_group("data (a data file, or generated)")
    g.add_argument("--data", metavar="FILE", help="data JSON file (see README: exchange format)")
    g.add_argument("--samples", type=int, default=20, help="number of generated samples n (default 20)")
    g.add_argument("--dataset", default="integer", help=f"generated data kind: {', '.join(DATASET_KINDS)}")


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


def network_from_args(args: argparse.Namespace) -> Network:
    """``--model FILE``, ``--torch FILE``, or a random network from the flags and ``--seed``."""
    if args.model and args.torch:
        raise InputError("--torch", "either --model or --torch, not both", args.torch)
    if args.model:
        return load_network(args.model)
    if args.torch:
        from .torch_import import load_torch_model

        return load_torch_model(args.torch, args.input_dim)
    return random_network(architecture_from_args(args), seed=args.seed)


def dataset_from_args(args: argparse.Namespace, net: Network) -> Dataset:
    """``--data FILE``, or ``--samples`` random samples of kind ``--dataset`` from ``--seed``."""
    if args.data:
        return load_dataset(args.data, net.arch)
    if args.samples < 1:
        raise InputError("--samples", "a positive integer", args.samples)
    return random_dataset(net.arch, args.samples, seed=args.seed, kind=args.dataset)


def parse_parts(text: str, allowed: Sequence[str]) -> list[str]:
    """``"outer,loss"`` -> ``["outer", "loss"]``, each one of ``allowed``."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or any(p not in allowed for p in parts):
        raise InputError("--parts", f"comma-separated names from {', '.join(allowed)}", text)
    return parts
