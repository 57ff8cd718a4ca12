"""Memory: the machine's RAM, a size estimate made before assembling, and the peak actually used.

The fast exact path (:mod:`symhess.hessian.assembly`) holds ``p × p`` integer matrices and, while
ranking, panels of one of them converted for FLINT. Before any large
allocation :func:`check_fits` compares :func:`estimate_rank_bytes` with a limit (default: half
the machine's RAM) and raises :class:`~symhess.scalars.InputError` with the numbers, instead of
letting the operating system kill the process halfway.
"""

from __future__ import annotations

import os
import resource
from typing import Iterable

from ..nets.architecture import Architecture
from ..nets.sequential import SequentialArchitecture
from ..scalars import InputError

BYTES_PER_ENTRY_ASSEMBLY = 40
"""``p × p`` int64 matrices alive during assembly (``ĴᵀĴ``, ``F̂``, ``H_L``, float64 product temporaries)."""
BYTES_PER_ENTRY_RANK = 30
"""Ranking one ``p × p`` matrix: :func:`symhess.linalg.rank.rank_mod` converts 256-row panels only (no Python-int
list of the whole matrix), plus row selections of the matrix during the certificate. The kernel
certificate's exact solution is estimated separately, once the rank is known, and above the limit the
word-size Schur certificate is used (:func:`symhess.linalg.rank.kernel_certificate_bytes`). Measured: 2.8 GB
peak in all at p = 9,360 (32 bytes per entry including assembly)."""


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
    """Peak resident memory of this process so far: ``VmHWM`` of ``/proc/self/status`` (the high-water mark of
    this program's own memory), elsewhere ``ru_maxrss`` (which on Linux also counts the parent's memory
    at ``fork`` before ``exec``: a child of a large process would report the parent's size)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


CALL_OVERHEAD_BYTES = 64 * 2 ** 20
"""Working memory of one rank call besides its matrices: BLAS thread buffers, FLINT's allocations, Python
objects (the whole-process peak exceeded the matrix estimate plus the resident size by 1.5 MB at p = 600)."""


def resident_bytes() -> int:
    """Resident memory of this process now (``/proc/self/statm``; elsewhere the peak so far, an upper bound)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError):
        return peak_rss_bytes()


def forward_jacobian_bytes(arch: Architecture, n: int) -> int:
    """Largest working set of one ``F̂`` block ``(l, k)`` of :mod:`symhess.hessian.assembly`, int64, in Python ints.

    ``l ≥ k + 2`` (or a locally connected layer ``k``): the forward Jacobian ``D_{l-1,k}``
    (``n × m_{l-1} d_{l-1} × p_k``) plus its windows for layer ``l`` (``n × d_l × m_{l-1} k_l × p_k``).
    ``l = k + 1`` with a shared layer ``k``: ``U_k`` is never formed, only the windows of
    ``Q`` (``n × m_k d_k × c`` and ``n × d_l × m_k k_l × c``, ``c = m_{k-1} k_k``; ``p_k = m_k c``).
    """
    shapes = arch.layers
    worst = 0
    for k, lower in enumerate(shapes[:-1]):
        for j in range(k + 1, len(shapes)):
            upper = shapes[j]
            rows = upper.in_channels * upper.in_dim
            windows = upper.out_dim * upper.in_channels * upper.kernel_size
            width = layer_params(lower)
            if j == k + 1 and lower.shared:
                width = lower.in_channels * lower.kernel_size
            worst = max(worst, n * (rows + windows) * width)
    return 8 * worst


def sequential_work_bytes(arch: SequentialArchitecture) -> int:
    """Per-sample working set of :mod:`symhess.hessian.sequential_assembly` (int64, 8 bytes an entry):
    the layer matrices ``T̂`` and local maps (``out × in`` each), the largest forward Jacobian
    ``D`` (``out_q × p_l`` for layer ``l`` before ``q``) and the matching ``V_m(ĝ)`` (``p_m × in_m``),
    times 3 for products' temporaries."""
    maps = sum(p.out_size * p.in_size for p in arch.placed)
    worst = 0
    for lower in arch.layers:
        for q in arch.placed[lower.position:]:
            worst = max(worst, q.out_size * lower.num_params + (q.num_params * q.in_size if q.has_params else 0))
    return 8 * 3 * (maps + worst)


def assembly_work_bytes(arch: Architecture | SequentialArchitecture, n: int) -> int:
    """The assembly's working set besides its ``p × p`` matrices: :func:`sequential_work_bytes` for a layer
    stack, :func:`forward_jacobian_bytes` for a 1D network."""
    if isinstance(arch, SequentialArchitecture):
        return sequential_work_bytes(arch)
    return forward_jacobian_bytes(arch, n)


def estimate_rank_bytes(arch: Architecture | SequentialArchitecture, n: int, parts: Iterable[str] = ("loss",)) -> int:
    """Bytes needed to assemble and rank ``parts`` of the Hessians of ``arch`` on ``n`` samples.

    ``p²`` times :data:`BYTES_PER_ENTRY_ASSEMBLY` + :data:`BYTES_PER_ENTRY_RANK` (matrices are
    ranked one at a time), plus the forward Jacobians, plus the stacked Jacobian ``nK × p``.
    """
    p = arch.num_params
    parts = tuple(parts)
    square = any(name != "outer" for name in parts) or n * arch.outputs >= p
    per_entry = BYTES_PER_ENTRY_ASSEMBLY + BYTES_PER_ENTRY_RANK if square else 0
    work = assembly_work_bytes(arch, n)
    return per_entry * p * p + work + 8 * 4 * n * arch.outputs * p


def loss_rank_bound(arch: Architecture | SequentialArchitecture, n: int) -> int:
    """A structural upper bound on ``rank H_L`` used to size the modular elimination's basis.

    ``rank H_L ≤ rank H_O + rank H_F ≤ nK + Σ_k rank F̂[:, θ_k]``. For a 1D network
    (:class:`Architecture`, linear or ReLU) the output is linear in each layer's weights, so the
    diagonal blocks ``F̂[θ_k, θ_k]`` are zero and ``rank F̂[:, θ_k] ≤ min(p_k, p − p_k)``; for a
    general layer stack only ``≤ p_k``. Never above ``p``.
    """
    p = arch.num_params
    sizes = [layer.num_params for layer in arch.layers]
    hollow = isinstance(arch, Architecture)
    functional = sum(min(pk, p - pk) if hollow else pk for pk in sizes)
    return min(p, n * arch.outputs + functional)


def loss_assembly_bytes(arch: Architecture | SequentialArchitecture, n: int, block_rows: int = 512) -> int:
    """Bytes the loss-only assembly (``F̂`` with ``s_y ĴᵀĴ`` added in place) holds besides the int64 ``H_L``
    (``8 p²``): three copies of the off-diagonal ``F̂`` blocks (raw, scaled, common dtype), the forward
    Jacobians, ``Ĵ`` and a ``block_rows``-row block of ``ĴᵀĴ`` (float64 and int64)."""
    p = arch.num_params
    sizes = [layer.num_params for layer in arch.layers]
    off_diagonal = sum(sizes[l] * sizes[k] for l in range(len(sizes)) for k in range(l))
    work = assembly_work_bytes(arch, n)
    return 3 * 8 * off_diagonal + work + 8 * 4 * n * arch.outputs * p + 3 * 8 * block_rows * p


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


# ---- estimates made before anything large is drawn or read (used by the CLI) --------------------
# Python-int arithmetic throughout: sizes typed by a user may overflow int64 products.

BYTES_PER_EXACT_VALUE = 160
"""A ``Fraction`` in an object array: the object, its two ints and the array slot."""
BYTES_PER_EXPORTED_ENTRY = 260
"""One exported Hessian entry: the ``fmpq`` Python object from ``tolist``, its ``"p/q"`` string, list slot, JSON text."""
BYTES_PER_FMPQ_ENTRY = 32
"""One entry of an ``fmpq_mat`` (numerator and denominator, small values)."""


def layer_params(shape) -> int:
    """``m_l m_{l-1} k_l`` (times ``d_l`` for a locally connected layer), as a Python int."""
    out = 1
    for v in shape.weight_shape:
        out *= int(v)
    return out


def params_of(arch: Architecture) -> int:
    """``p``, as a Python int (no int64 overflow whatever the sizes)."""
    return sum(layer_params(s) for s in arch.layers)


def exact_inputs_bytes(arch: Architecture, n: int) -> int:
    """Exact weights and ``n`` samples (inputs and targets) as ``Fraction`` object arrays."""
    return BYTES_PER_EXACT_VALUE * (params_of(arch) + n * (arch.input_dim + arch.outputs))


def rank_job_bytes(arch: Architecture, n: int, parts: Iterable[str] = ("outer", "functional", "loss")) -> int:
    """Everything ``symhess rank`` (MSE) holds: :func:`estimate_rank_bytes` (in Python ints) plus the exact
    weights and data. At least what :mod:`symhess.hessian.assembly` checks itself, so the CLI refuses first."""
    p = params_of(arch)
    parts = tuple(parts)
    square = any(name != "outer" for name in parts) or n * arch.outputs >= p
    per_entry = BYTES_PER_ENTRY_ASSEMBLY + BYTES_PER_ENTRY_RANK if square else 0
    return (per_entry * p * p + forward_jacobian_bytes(arch, n) + 8 * 4 * n * arch.outputs * p
            + exact_inputs_bytes(arch, n))


def crossentropy_job_bytes(arch: Architecture, n: int, dps: int) -> int:
    """``symhess rank --loss ce``: the exact ``H_O`` path plus a few ``p × p`` mpmath matrices at ``dps`` digits."""
    p = params_of(arch)
    per_mpf = 120 + dps // 2
    return rank_job_bytes(arch, n) + 4 * per_mpf * p * p


def toeplitz_entries(arch: Architecture) -> int:
    """Entries of the largest dense ``T^l`` (``m_l d_l × m_{l-1} d_{l-1}``)."""
    return max(s.out_channels * s.out_dim * s.in_channels * s.in_dim for s in arch.layers)


def hessian_export_bytes(arch: Architecture, n: int, parts: Iterable[str]) -> int:
    """``symhess hessian``: the FLINT route (``fmpq_mat`` Hessians, dense Toeplitz matrices, Jacobians)
    and the exported JSON text of ``parts``."""
    p = params_of(arch)
    count = len(tuple(parts))
    return (p * p * (3 * BYTES_PER_FMPQ_ENTRY + count * BYTES_PER_EXPORTED_ENTRY)
            + 4 * BYTES_PER_FMPQ_ENTRY * toeplitz_entries(arch) * max(1, arch.depth)
            + 4 * BYTES_PER_FMPQ_ENTRY * n * arch.outputs * p + exact_inputs_bytes(arch, n))


def audit_bytes(arch: Architecture) -> int:
    """``symhess audit``: per layer, the dense 0/1 derivative ``D_l`` (twice, plus Kronecker temporaries),
    its networkx graph (~500 B per node and edge) and the rotation matrices on the padded length."""
    worst = 0
    for s in arch.layers:
        rows = s.out_channels * s.out_dim * s.in_channels * s.in_dim
        cols = layer_params(s)
        edges = s.out_channels * s.out_dim * s.in_channels * s.kernel_size
        padded = s.in_dim + 2 * s.padding
        worst = max(worst, 8 * 4 * rows * cols + 500 * (2 * edges + cols) + 8 * 3 * padded * padded)
    return worst
