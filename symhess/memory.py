"""Memory: the machine's RAM, a size estimate made before assembling, and the peak actually used.

The fast exact path (:mod:`symhess.assembly`) holds ``p × p`` integer matrices and, while
ranking, a Python-int copy of one of them (FLINT's constructors take lists). Before any large
allocation :func:`check_fits` compares :func:`estimate_rank_bytes` with a limit (default: half
the machine's RAM) and raises :class:`~symhess.scalars.InputError` with the numbers, instead of
letting the operating system kill the process halfway.
"""

from __future__ import annotations

import os
import resource
from typing import Iterable

from .networks import Architecture
from .scalars import InputError

BYTES_PER_ENTRY_ASSEMBLY = 40
"""``p × p`` int64 matrices alive during assembly (``ĴᵀĴ``, ``F̂``, ``H_L``, float64 product temporaries)."""
BYTES_PER_ENTRY_RANK = 60
"""Converting one ``p × p`` matrix for FLINT: Python ints and list (~36 B), ``fmpz_mat`` and ``nmod_mat`` copies."""


def machine_memory_bytes() -> int:
    """Total RAM: ``MemTotal`` of ``/proc/meminfo``, else ``os.sysconf``."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def default_limit_bytes() -> int:
    """Half the machine's RAM."""
    return machine_memory_bytes() // 2


def peak_rss_bytes() -> int:
    """Peak resident memory of this process so far (``ru_maxrss``, kilobytes on Linux)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def forward_jacobian_bytes(arch: Architecture, n: int) -> int:
    """Largest forward Jacobian ``D_{l,k}`` (``n × m_l d_l × p_k``) plus its windows for layer ``l+1``
    (``n × d_{l+1} × m_l k_{l+1} × p_k``), int64."""
    shapes = arch.layers
    worst = 0
    for k, lower in enumerate(shapes[:-1]):
        for upper in shapes[k + 1:]:
            rows = upper.in_channels * upper.in_dim
            windows = upper.out_dim * upper.in_channels * upper.kernel_size
            worst = max(worst, n * (rows + windows) * lower.num_params)
    return 8 * worst


def estimate_rank_bytes(arch: Architecture, n: int, parts: Iterable[str] = ("loss",)) -> int:
    """Bytes needed to assemble and rank ``parts`` of the Hessians of ``arch`` on ``n`` samples.

    ``p²`` times :data:`BYTES_PER_ENTRY_ASSEMBLY` + :data:`BYTES_PER_ENTRY_RANK` (matrices are
    ranked one at a time), plus the forward Jacobians, plus the stacked Jacobian ``nK × p``.
    """
    p = arch.num_params
    parts = tuple(parts)
    square = any(name != "outer" for name in parts) or n * arch.outputs >= p
    per_entry = BYTES_PER_ENTRY_ASSEMBLY + BYTES_PER_ENTRY_RANK if square else 0
    return per_entry * p * p + forward_jacobian_bytes(arch, n) + 8 * 4 * n * arch.outputs * p


def check_fits(needed: int, limit: int | None = None, what: str = "the Hessian matrices") -> int:
    """Raise :class:`InputError` if ``needed`` bytes exceed ``limit`` (default: half the RAM); return the limit."""
    limit = default_limit_bytes() if limit is None else int(limit)
    if needed > limit:
        raise InputError("memory", f"at most {format_bytes(limit)} for {what} (set memory_limit / --memory-limit "
                                   f"to allow more)", f"an estimated {format_bytes(needed)}")
    return limit


def format_bytes(n: float) -> str:
    """``1.5 GB``-style size (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError("unreachable")
