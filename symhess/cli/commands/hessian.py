"""``symhess hessian``: export the exact Hessian matrices (rationals as strings) to a JSON file."""

from __future__ import annotations

import argparse
import json

from ...hessian.hessians import PARTS, mse_hessians
from ...io.exchange import dataset_to_json, matrix_to_json, network_to_json
from ...io.output import check_target, write_atomic
from ...linalg.memory import hessian_export_bytes, params_of
from ...scalars import InputError
from ..args import (add_architecture_arguments, add_data_arguments, add_memory_argument, check_memory,
                    dataset_from_args, network_from_args, parse_parts, sample_count)

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
        check_memory(args, hessian_export_bytes(arch, n, parts), f"exporting {', '.join(parts)} with p = {params_of(arch)}, n = {n}")

    net = network_from_args(args, check=check)
    data = dataset_from_args(args, net)
    hessians = mse_hessians(net, data)
    doc = {
        "format": "symhess-hessian/1",
        "loss": "mse: (1/n) sum_i 1/2 |F(x_i) - y_i|^2",
        "parameter_order": "theta = (vec_r W^1, ..., vec_r W^L), W^l of shape (out, in, k), row-major",
        "params": net.arch.num_params,
        "layer_offsets": list(net.arch.param_offsets),
        "model": network_to_json(net),
        "data": dataset_to_json(data),
        "hessians": {part: matrix_to_json(hessians.part(part)) for part in parts},
    }
    write_atomic(args.out, json.dumps(doc) + "\n")
    print(f"wrote {', '.join(parts)} Hessians ({net.arch.num_params} x {net.arch.num_params}) to {args.out}")
    return 0
