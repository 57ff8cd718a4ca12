"""``symhess audit``: the structure of the Lemma 1 derivative ``∂vec_r T^l/∂vec_r W^l`` per layer.

Kernel-entry ↔ Toeplitz-entry bipartite graph (degrees, components), cycle types of the
rotation powers ``P^{st}``, sparsity; a table, or ``--json`` for one JSON object.
See :mod:`symhess.cli.audit`.
"""

from __future__ import annotations

import argparse
import json

from ...linalg.memory import audit_bytes, params_of
from ..args import (add_architecture_arguments, add_memory_argument, architecture_from_args, check_memory,
                    network_from_args)
from ..audit import audit

NAME = "audit"
HELP = "structure report of the Lemma 1 Toeplitz derivative (graph degrees, components, P cycles, sparsity)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_architecture_arguments(parser)
    add_memory_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def run(args: argparse.Namespace) -> int:
    arch = network_from_args(args).arch if (args.model or args.torch) else architecture_from_args(args)
    check_memory(args, audit_bytes(arch), f"the audit of p = {params_of(arch)} parameters, "
                                             f"{arch.num_toeplitz_params} Toeplitz entries")
    report = audit(arch)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text(), end="\n" if args.json else "")
    return 0
