"""``symhess rank``: exact ranks of ``H_O``, ``H_F``, ``H_L`` of one network, with the paper's bounds."""

from __future__ import annotations

import argparse
import json

from ..cli_args import add_architecture_arguments, add_data_arguments, dataset_from_args, network_from_args
from ..rank import METHODS
from ..report import rank_report
from ..scalars import InputError

NAME = "rank"
HELP = "exact (certified) ranks of the outer-product, functional and loss Hessians of a 1D CNN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_architecture_arguments(parser)
    add_data_arguments(parser)
    parser.add_argument("--method", default="exact", help="exact (default, certified over Q) or float64 (numpy SVD baseline)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def run(args: argparse.Namespace) -> int:
    if args.method not in METHODS:
        raise InputError("--method", "exact or float64", args.method)
    net = network_from_args(args)
    data = dataset_from_args(args, net)
    report = rank_report(net, data, args.method)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text(), end="" if not args.json else "\n")
    return 0
