"""``symhess plot NAME --out FILE.png|.svg``: the figure of a rank table (see :mod:`symhess.experiments.plots`)."""

from __future__ import annotations

import argparse
import sys

from ...experiments.plots import plot_format, pyplot_or_error, write_plot
from ...experiments.tables import get_table
from ...io.output import check_target
from ...scalars import InputError
from .table import add_sweep_arguments, compute_from_args, list_tables

NAME = "plot"
HELP = "plot a rank table: exact ranks as markers, bounds as lines (PNG or SVG; needs matplotlib)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_sweep_arguments(parser)
    parser.add_argument("--out", metavar="FILE", help="output image, .png or .svg (required with NAME; written atomically)")


def run(args: argparse.Namespace) -> int:
    if args.name is None:
        sys.stdout.write(list_tables())
        return 0
    get_table(args.name)
    if not args.out:
        raise InputError("--out", "an output file ending in .png or .svg", None)
    plot_format(args.out)  # fail before the sweep, not after
    check_target(args.out)
    pyplot_or_error()  # likewise: a missing matplotlib is reported before computing
    result = compute_from_args(args)
    write_plot(result, args.out)
    print(f"wrote plot of table {result.spec.name} ({len(result.rows)} points) to {args.out}")
    return 0
