"""``symhess audit``: the structure of the Lemma 1 derivative ``∂vec_r T^l/∂vec_r W^l`` per layer.

Kernel-entry ↔ Toeplitz-entry bipartite graph (degrees, components), cycle types of the
rotation powers ``P^{st}`` (per spatial axis in 2D), sparsity; a table, or ``--json`` for one JSON
object. Any weight layer with an index map: 1D CNNs and layer networks (``Conv1d``, ``Conv2d``, ``Linear``).
See :mod:`symhess.cli.audit`.
"""

from __future__ import annotations

import argparse
import json

from ..args import (add_architecture_arguments, add_memory_argument, architecture_from_args, audit_job_bytes,
                    check_memory, network_from_args, param_count)
from ...nets.sequential import SequentialArchitecture
from ..audit import audit

NAME = "audit"
HELP = "structure report of the Lemma 1 Toeplitz derivative (graph degrees, components, P cycles, sparsity)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_architecture_arguments(parser)
    add_memory_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def run(args: argparse.Namespace) -> int:
    arch = network_from_args(args).arch if (args.model or args.torch) else architecture_from_args(args)
    entries = (sum(p.out_size * p.in_size for p in arch.layers) if isinstance(arch, SequentialArchitecture)
               else arch.num_toeplitz_params)
    check_memory(args, audit_job_bytes(arch), f"the audit of p = {param_count(arch)} parameters, "
                                              f"{entries} Toeplitz entries")
    report = audit(arch)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text(), end="\n" if args.json else "")
    return 0
