"""The ``symhess`` command line.

Each sub-command lives in its own module under :mod:`symhess.commands` and exposes

* ``NAME``: the sub-command name,
* ``HELP``: one line of help,
* ``add_arguments(parser)``: its options,
* ``run(args) -> int``: the work; returns the exit status.

Sub-commands are discovered automatically, so adding one never touches this file.
A user mistake raises :class:`symhess.scalars.InputError`; it is printed as one line
``symhess: error: <field>: expected <form>`` and the exit status is 2, with no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Sequence

from . import commands
from .scalars import InputError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symhess",
        description="Exact, certified Hessian ranks of 1D CNNs (Singh, Hofmann, Schoelkopf, ICML 2023).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args._run(args) or 0)
    except InputError as err:
        print(f"symhess: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("symhess: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
