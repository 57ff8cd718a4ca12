"""``symhess table NAME``: an exact rank table of the paper's figures (see :mod:`symhess.experiments.tables`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...experiments.parallel import default_jobs
from ...experiments.sweep import TableResult, run_table
from ...experiments.tables import TABLES, get_table
from ...io.output import FORMATS, check_target, write_atomic
from ...scalars import InputError
from ..args import IntArg, check_dask_address, check_jobs

NAME = "table"
HELP = "exact rank tables of the paper's figures: ranks of H_O, H_F, H_L and their bounds over a sweep"


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """``NAME``, ``--full``, ``--seed``, ``--jobs``: what ``table`` and ``plot`` both sweep."""
    parser.add_argument("name", nargs="?", metavar="NAME",
                        help=f"table name: {', '.join(TABLES)} (omit to list them)")
    parser.add_argument("--full", action="store_true", help="the larger sweep (slow) instead of the default sizes")
    parser.add_argument("--seed", type=IntArg(), default=0, help="base seed of the random instances (default 0)")
    parser.add_argument("--jobs", type=IntArg(), default=None, metavar="N",
                        help=f"worker processes, 1..256 (default: all cores, here {default_jobs()})")
    parser.add_argument("--dask", metavar="ADDRESS", default=None,
                        help="run the instances on this Dask scheduler (e.g. tcp://host:8786) instead of locally")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_sweep_arguments(parser)
    parser.add_argument("--format", default=None, metavar="{" + ",".join(FORMATS) + "}",
                        help="md (default), csv or json; from --out's extension if not given")
    parser.add_argument("--out", metavar="FILE", help="write the table to FILE (atomically) instead of stdout")


def list_tables() -> str:
    """One line per registered table: name and title."""
    width = max(len(n) for n in TABLES)
    return "".join(f"{name:<{width}}  {spec.title}\n" for name, spec in TABLES.items())


def compute_from_args(args: argparse.Namespace) -> TableResult:
    """Run the sweep named by ``args.name`` with the sweep options."""
    spec = get_table(args.name)
    check_jobs(args.jobs)
    check_dask_address(args.dask)
    result = run_table(spec, full=args.full, seed=args.seed, jobs=args.jobs, progress=not args.no_progress,
                       dask_address=args.dask)
    if result.violated:  # a finding, not a failure of the command: shown, and kept in the table
        print(f"symhess: warning: table {spec.name}: some exact rank exceeds its bound (holds = no)",
              file=sys.stderr)
    return result


def output_format(fmt: str | None, out: str | None) -> str:
    """``--format`` if given, else the extension of ``--out`` (``.md``, ``.csv``, ``.json``), else ``md``."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError("--format", f"one of {', '.join(FORMATS)}", fmt)
        return fmt
    if out is None:
        return "md"
    ext = Path(out).suffix.lstrip(".").lower()
    if ext not in FORMATS:
        raise InputError("--out", "a file ending in .md, .csv or .json (or give --format)", out)
    return ext


def run(args: argparse.Namespace) -> int:
    if args.name is None:
        sys.stdout.write(list_tables())
        return 0
    get_table(args.name)  # fail fast on an unknown name
    fmt = output_format(args.format, args.out)
    if args.out:
        check_target(args.out)  # before the sweep, not after it
    result = compute_from_args(args)
    text = result.render(fmt)
    if args.out:
        write_atomic(args.out, text)
        print(f"wrote table {result.spec.name} ({len(result.rows)} rows, {fmt}) to {args.out}")
    else:
        sys.stdout.write(text)
    if fmt == "csv":  # the CSV holds rows only: show the notes where a reader sees them
        for note in result.notes():
            print(f"note: {note}", file=sys.stderr)
    return 0
