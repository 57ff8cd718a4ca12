"""``symhess rank``: exact ranks of ``H_O``, ``H_F``, ``H_L`` of one network, with the paper's bounds.

MSE (default): every rank certified exact over ℚ (or the float64 baseline with ``--method
float64``). Cross-entropy (``--loss ce``): ``rank H_O`` certified exact through the ``1⊥`` basis,
``H_F`` and ``H_L`` by mpmath at ``--dps`` digits with the gap rule (``null`` when no clear gap).
"""

from __future__ import annotations

import argparse
import json
import sys

from ...experiments.datasets import load_dataset
from ...hessian.assembly import DEFAULT_CERTIFY_LIMIT
from ...hessian.crossentropy import LOSSES, as_ce_dataset, random_labels, temper_logits
from ...hessian.hessians import PARTS, input_covariance
from ...io.output import render_table
from ...linalg.numeric_rank import DEFAULT_DPS, MIN_DPS
from ...linalg.rank import exact_rank
from ...nets.relu import redraw_until_smooth
from ...nets.sequential import SequentialArchitecture
from ...scalars import InputError
from ...theory.bounds import network_bounds
from ..args import (ChoiceArg, IntArg, add_architecture_arguments, add_data_arguments, add_memory_argument,
                    architecture_from_args, check_memory, dataset_from_args, mpmath_bytes, network_from_args,
                    param_count, rank_bytes, rename_fields, sample_count, smooth_layer_draw)
from ..crossentropy_report import crossentropy_report
from ..report import REPORT_METHODS as METHODS, rank_report

MAX_DPS = 10_000
"""Most decimal digits for ``--dps`` (mpmath at 10^4 digits is already very slow)."""
MAX_REDRAW = 1000
"""Most redraws for ``--redraw``."""

NAME = "rank"
HELP = ("exact (certified) ranks of the outer-product, functional and loss Hessians of a CNN (1D, or 2D with "
        "biases, pooling and mixed ReLU)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_architecture_arguments(parser)
    add_data_arguments(parser)
    parser.add_argument("--method", type=ChoiceArg(METHODS), default="exact", metavar="{" + ",".join(METHODS) + "}",
                        help="exact (default, certified over Q), float64 (numpy SVD baseline) or mpmath (gap rule at "
                             "--dps digits, confirmed at 2x; 'no gap' instead of a guess)")
    parser.add_argument("--float-audit", action="store_true",
                        help="add the float64 ranks of the same Hessians under numpy/torch/JAX/rtol/atol conventions "
                             "next to the exact ones (docs/float.md)")
    parser.add_argument("--loss", type=ChoiceArg(LOSSES), default="mse", metavar="{" + ",".join(LOSSES) + "}",
                        help="mse (default) or ce (softmax cross-entropy, one-hot targets)")
    parser.add_argument("--dps", type=IntArg(MIN_DPS, MAX_DPS), default=DEFAULT_DPS, metavar="DIGITS",
                        help=f"decimal digits for the mpmath gap rule (--method mpmath, --loss ce), {MIN_DPS}..{MAX_DPS} "
                             f"(default {DEFAULT_DPS})")
    parser.add_argument("--certify-limit", type=IntArg(0), default=DEFAULT_CERTIFY_LIMIT, metavar="P",
                        help=f"certify ranks up to P parameters; beyond: Monte Carlo, labelled so (default {DEFAULT_CERTIFY_LIMIT})")
    add_memory_argument(parser)
    parser.add_argument("--redraw", type=IntArg(0, MAX_REDRAW), default=0, metavar="N",
                        help=f"generated ReLU / max-pool nets: draw the weights (entries in +-1000) up to N times "
                             f"(0..{MAX_REDRAW}) until no pre-activation is exactly zero and no max-pool window has a "
                             "tie, instead of stopping with an error (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def _memory_check(args: argparse.Namespace):
    """The estimate of the whole job from the architecture and ``n`` alone, before drawing or reading data."""
    n = sample_count(args)

    def check(arch) -> None:
        if args.loss == "ce" and isinstance(arch, SequentialArchitecture):
            raise InputError("--loss", "mse for layer networks (2D convolutions, biases, pooling, mixed "
                             "activations); --loss ce is for 1D CNNs", "ce")
        if args.loss == "ce" or args.method == "mpmath":  # p x p mpmath matrices at --dps digits
            check_memory(args, mpmath_bytes(arch, n, args.dps),
                         f"p = {param_count(arch)}, n = {n}, mpmath at {args.dps} digits")
        else:
            check_memory(args, rank_bytes(arch, n, PARTS), f"p = {param_count(arch)} parameters, n = {n}")
    return check


def run(args: argparse.Namespace) -> int:
    if args.method not in METHODS:
        raise InputError("--method", "exact, float64 or mpmath", args.method)
    if args.loss not in LOSSES:
        raise InputError("--loss", "mse or ce", args.loss)
    if args.memory_limit is not None and args.memory_limit <= 0:
        raise InputError("--memory-limit", "a positive number of gigabytes", args.memory_limit)
    if args.loss == "ce" and args.method != "exact":
        raise InputError("--method", "exact with --loss ce (H_F, H_L use the mpmath gap rule)", args.method)
    if args.loss == "ce" and args.float_audit:
        raise InputError("--float-audit", "the MSE loss (the audit compares rational Hessians)", "--loss ce")
    limits = {"certify_limit": args.certify_limit, "dps": args.dps, "float_audit": args.float_audit,
              "memory_limit": None if args.memory_limit is None else int(args.memory_limit * 2**30)}
    if args.redraw:
        return _print(rank_report(*_smooth_instance(args), args.method, **limits), args.json)
    net = network_from_args(args, check=_memory_check(args))
    if args.loss == "ce":
        return _cross_entropy(args, net)
    return _print(rank_report(net, dataset_from_args(args, net), args.method, **limits), args.json)


def _smooth_instance(args: argparse.Namespace):
    """``--redraw N``: a kink-free draw of a generated network; the rejected draws go to stderr.

    1D CNNs: :func:`symhess.nets.relu.redraw_until_smooth` (ReLU zeros); layer networks:
    :func:`smooth_layer_draw` (ReLU zeros and max-pool ties), the same seeds and weight range.
    """
    if args.model or args.torch or args.data or args.loss != "mse":
        raise InputError("--redraw", "generated networks and data with the MSE loss (no --model/--torch/--data/--loss ce)",
                         args.redraw)
    arch = architecture_from_args(args)
    _memory_check(args)(arch)
    try:
        data = load_dataset(arch, args.samples, args.seed, args.dataset)
        if isinstance(arch, SequentialArchitecture):
            draw = smooth_layer_draw(arch, data, args.seed, args.redraw)
        else:
            draw = redraw_until_smooth(arch, data, args.seed, args.redraw)
    except InputError as err:
        raise rename_fields(err) from None
    if draw.redraws:
        what = ("ReLU zeros or max-pool ties" if isinstance(arch, SequentialArchitecture) else "ReLU kinks")
        print(f"symhess: redrew the weights {draw.redraws} time(s): exact {what} at weight seeds "
              f"{[seed for seed, _ in draw.rejected]}; using weight seed {draw.seed}", file=sys.stderr)
    return draw.net, draw.data


def _print(report, as_json: bool) -> int:
    print(json.dumps(report.to_dict(), indent=2) if as_json else report.to_text(), end="\n" if as_json else "")
    return 0


def _cross_entropy(args: argparse.Namespace, net) -> int:
    """``--loss ce``: generated networks get tempered logits so the softmax does not saturate."""
    if net.arch.outputs < 2:
        flag = "--outputs" if not (args.model or args.torch) else ("--model" if args.model else "--torch")
        raise InputError(flag, "K >= 2 outputs for --loss ce (softmax over K classes)", net.arch.outputs)
    try:
        if args.data:
            data = as_ce_dataset(dataset_from_args(args, net), net.arch.outputs)
        else:
            data = random_labels(load_dataset(net.arch, args.samples, args.seed, args.dataset), net.arch.outputs,
                                 args.seed)
    except InputError as err:
        raise rename_fields(err) from None
    if not args.data and not (args.model or args.torch):
        net = temper_logits(net, data)
    return _print(crossentropy_report(net, data, args.dps), args.json)
