"""``symhess hessian``: export the exact Hessian matrices (rationals as strings) to a JSON file.

A 1D CNN: :func:`symhess.hessian.hessians.mse_hessians`; a layer network (2D convolutions, biases,
pooling, mixed ReLU): :func:`symhess.hessian.sequential.sequential_hessians`, in ``θ``'s order
``(vec_r W^1, b^1, …)`` (torch's ``parameters()`` order).
"""

from __future__ import annotations

import argparse
import json

from ...hessian.hessians import PARTS, mse_hessians
from ...hessian.sequential import sequential_hessians
from ...io.exchange import dataset_to_json, matrix_to_json, network_to_json
from ...io.output import check_target, write_atomic
from ...nets.sequential import SequentialNetwork
from ...scalars import InputError
from ..args import (add_architecture_arguments, add_data_arguments, add_memory_argument, check_memory,
                    dataset_from_args, export_bytes, network_from_args, param_count, parse_parts, sample_count)

NAME = "hessian"
HELP = "export the exact H_O, H_F, H_L (entries as 'p/q' strings) with the network and data to a JSON file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_architecture_arguments(parser)
    add_data_arguments(parser)
    parser.add_argument("--parts", default="outer,functional,loss", metavar="PART,...",
                        help=f"which Hessians, comma-separated from {', '.join(PARTS)} (default: all three)")
    add_memory_argument(parser)
    parser.add_argument("--out", required=True, metavar="FILE.json",
                        help="output JSON file (required; written atomically)")


def run(args: argparse.Namespace) -> int:
    if not args.out.endswith(".json"):
        raise InputError("--out", "a file name ending in .json", args.out)
    check_target(args.out)  # before any work: a bad --out is reported at once
    parts = parse_parts(args.parts, PARTS)
    n = sample_count(args)

    def check(arch) -> None:
        check_memory(args, export_bytes(arch, n, parts), f"exporting {', '.join(parts)} with p = {param_count(arch)}, n = {n}")

    net = network_from_args(args, check=check)
    data = dataset_from_args(args, net)
    if isinstance(net, SequentialNetwork):
        hessians = sequential_hessians(net, data)
        order = ("theta = (vec_r W^1, b^1, ..., vec_r W^L, b^L), torch's parameters() order: W^l of torch's weight "
                 "shape, row-major, then its bias where the layer has one")
    else:
        hessians = mse_hessians(net, data)
        order = "theta = (vec_r W^1, ..., vec_r W^L), W^l of shape (out, in, k), row-major"
    doc = {
        "format": "symhess-hessian/1",
        "loss": "mse: (1/n) sum_i 1/2 |F(x_i) - y_i|^2",
        "parameter_order": order,
        "params": net.arch.num_params,
        "layer_offsets": list(net.arch.param_offsets),
        "model": network_to_json(net),
        "data": dataset_to_json(data),
        "hessians": {part: matrix_to_json(hessians.part(part)) for part in parts},
    }
    write_atomic(args.out, json.dumps(doc) + "\n")
    print(f"wrote {', '.join(parts)} Hessians ({net.arch.num_params} x {net.arch.num_params}) to {args.out}")
    return 0
