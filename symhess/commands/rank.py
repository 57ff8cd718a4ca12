"""``symhess rank``: exact ranks of ``H_O``, ``H_F``, ``H_L`` of one network, with the paper's bounds.

MSE (default): every rank certified exact over ℚ (or the float64 baseline with ``--method
float64``). Cross-entropy (``--loss ce``): ``rank H_O`` certified exact through the ``1⊥`` basis,
``H_F`` and ``H_L`` by mpmath at ``--dps`` digits with the gap rule (``null`` when no clear gap).
"""

from __future__ import annotations

import argparse
import json

from ..assembly import DEFAULT_CERTIFY_LIMIT
from ..bounds import network_bounds
import sys

from ..cli_args import (add_architecture_arguments, add_data_arguments, architecture_from_args, dataset_from_args,
                        network_from_args)
from ..crossentropy import LOSSES, as_ce_dataset, ce_hessian_ranks, random_ce_dataset, temper_logits
from ..hessians import input_covariance
from ..numeric_rank import DEFAULT_DPS
from ..output import render_table
from ..rank import METHODS, exact_rank
from ..relu import redraw_until_smooth
from ..report import rank_report
from ..scalars import InputError

NAME = "rank"
HELP = "exact (certified) ranks of the outer-product, functional and loss Hessians of a 1D CNN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_architecture_arguments(parser)
    add_data_arguments(parser)
    parser.add_argument("--method", default="exact", help="exact (default, certified over Q) or float64 (numpy SVD baseline)")
    parser.add_argument("--loss", default="mse", help="mse (default) or ce (softmax cross-entropy, one-hot targets)")
    parser.add_argument("--dps", type=int, default=DEFAULT_DPS,
                        help=f"decimal digits for the cross-entropy H_F / H_L gap rule (default {DEFAULT_DPS})")
    parser.add_argument("--certify-limit", type=int, default=DEFAULT_CERTIFY_LIMIT, metavar="P",
                        help=f"certify ranks up to P parameters; beyond: Monte Carlo, labelled so (default {DEFAULT_CERTIFY_LIMIT})")
    parser.add_argument("--memory-limit", type=float, default=None, metavar="GB",
                        help="refuse (before allocating) work estimated above GB gigabytes (default: half the RAM)")
    parser.add_argument("--redraw", type=int, default=0, metavar="N",
                        help="generated ReLU nets: redraw the weights (entries in +-1000) up to N times until no "
                             "pre-activation is exactly zero, instead of stopping with an error")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def run(args: argparse.Namespace) -> int:
    if args.method not in METHODS:
        raise InputError("--method", "exact or float64", args.method)
    if args.loss not in LOSSES:
        raise InputError("--loss", "mse or ce", args.loss)
    if args.memory_limit is not None and args.memory_limit <= 0:
        raise InputError("--memory-limit", "a positive number of gigabytes", args.memory_limit)
    limits = {"certify_limit": args.certify_limit,
              "memory_limit": None if args.memory_limit is None else int(args.memory_limit * 2**30)}
    if args.redraw:
        return _print(rank_report(*_smooth_instance(args), args.method, **limits), args.json)
    net = network_from_args(args)
    if args.loss == "ce":
        return _cross_entropy(args, net)
    return _print(rank_report(net, dataset_from_args(args, net), args.method, **limits), args.json)


def _smooth_instance(args: argparse.Namespace):
    """``--redraw N``: a kink-free draw of a generated ReLU network; the rejected draws go to stderr."""
    if args.model or args.torch or args.data or args.loss != "mse":
        raise InputError("--redraw", "generated networks and data with the MSE loss (no --model/--torch/--data/--loss ce)",
                         args.redraw)
    draw = redraw_until_smooth(architecture_from_args(args), args.samples, args.seed, args.redraw, args.dataset)
    if draw.redraws:
        print(f"symhess: redrew the weights {draw.redraws} time(s): exact ReLU kinks at weight seeds "
              f"{[seed for seed, _ in draw.rejected]}; using weight seed {draw.seed}", file=sys.stderr)
    return draw.net, draw.data


def _print(report, as_json: bool) -> int:
    print(json.dumps(report.to_dict(), indent=2) if as_json else report.to_text(), end="\n" if as_json else "")
    return 0


def _cross_entropy(args: argparse.Namespace, net) -> int:
    """``--loss ce``: generated networks get tempered logits so the softmax does not saturate."""
    if args.method != "exact":
        raise InputError("--method", "exact with --loss ce (H_F, H_L use the mpmath gap rule)", args.method)
    if args.data:
        data = as_ce_dataset(dataset_from_args(args, net), net.arch.outputs)
    else:
        data = random_ce_dataset(net.arch, args.samples, args.seed, args.dataset)
        if not (args.model or args.torch):
            net = temper_logits(net, data)
    result = ce_hessian_ranks(net, data, dps=args.dps)
    r = exact_rank(input_covariance(data)).rank
    s = min(r, net.arch.outputs - 1)  # CE residuals p - y lie in 1⊥; generic rank, they are not rational
    bounds = network_bounds(net.arch, r, s, loss="ce")
    if args.json:
        doc = result.to_dict()
        doc.update(network=net.arch.describe(), data={"r": r, "s_generic": s}, bounds=bounds.to_dict())
        print(json.dumps(doc, indent=2))
        return 0
    print(f"network: {net.arch.describe()}\nloss: softmax cross-entropy, n = {data.n}, r = {r}, "
          f"s = min(r, K-1) = {s}\n")
    rows = [dict(row, bound=bounds.to_dict()[row["part"]]) for row in result.rows()]
    print(render_table(rows, "md", ["part", "rank", "bound", "method", "gap (decades)", "note"]), end="")
    print(f"\nbounds: {bounds.source} (K -> K-1 where the theory states it)")
    return 0
