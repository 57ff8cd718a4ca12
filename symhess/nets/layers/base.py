"""What every layer module shares: shapes, window tables, the local-map record, kinks.

A layer is a frozen dataclass (its hyper-parameters, like a ``torch.nn`` module without
weights). Placed in a network it sees an input of shape ``in_shape`` (one sample, torch's
layout without the batch axis: ``(C, L)``, ``(C, H, W)`` or ``(N,)`` after ``Flatten``) and
every tensor is handled *flattened in torch's row-major order* (``vec_r``). Two kinds:

* **weight layers** (:mod:`.conv`, :mod:`.dense`) are affine in their input and their
  parameters: ``z = T(W) h + B b`` with ``T(W)[a, c] = vec_r(W)[idx[a, c]]`` (``idx = -1``:
  structurally zero). ``idx`` is the layer's *index map*: Lemma 1 says
  ``∂vec_r T/∂vec_r W`` is the 0/1 matrix with a one at ``((a, c), idx[a, c])``, and the
  index map is that matrix stored sparsely. ``B[a, β] = [bias_map[a] = β]``.
* **parameter-free layers** (:mod:`.pooling`, :mod:`.activation`) are piecewise linear in
  their input: at a point ``h`` they act as a *local map* ``M(h)`` (``out × in``), and a
  point where the piece is not unique (a ReLU input exactly 0, a tie in a max-pool window)
  is a *kink*, where the loss is not twice differentiable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from ...scalars import InputError

Shape = tuple[int, ...]
"""Shape of one sample's tensor, e.g. ``(C, L)`` or ``(C, H, W)``."""


def size(shape: Shape) -> int:
    """Number of entries of a tensor of ``shape``."""
    return int(math.prod(shape))


def check_int(value: object, where: str, minimum: int) -> int:
    """``value`` as an int ``>= minimum``, else :class:`InputError` naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(where, f"an integer >= {minimum}", value)
    return int(value)


def per_axis(value: int | Sequence[int] | None, dims: int, default: int, where: str, minimum: int) -> tuple[int, ...]:
    """A per-axis hyper-parameter (``3`` or ``(3, 3)``) as a ``dims``-tuple of ints."""
    if value is None:
        return (default,) * dims
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (check_int(value, where, minimum),) * dims
    values = tuple(value)
    if len(values) != dims:
        raise InputError(where, f"{dims} value(s), one per spatial axis", list(values))
    return tuple(check_int(v, f"{where}[{i}]", minimum) for i, v in enumerate(values))


def kernel_axes(kernel: int | Sequence[int]) -> tuple[int, ...]:
    """A window size: ``3`` (one axis) or ``(3, 3)``: 1 to 3 positive integers, one per spatial axis."""
    if isinstance(kernel, (int, np.integer)) and not isinstance(kernel, bool):
        kernel = (kernel,)
    if not isinstance(kernel, (tuple, list)) or not 1 <= len(kernel) <= 3:
        raise InputError("kernel_size", "1 to 3 positive integers (one per spatial axis)", kernel)
    return per_axis(tuple(kernel), len(kernel), 1, "kernel_size", 1)


def spatial_output(spatial: Shape, kernel: Shape, stride: Shape, padding: Shape, where: str) -> Shape:
    """``floor((d + 2 p − k) / s) + 1`` per axis; a kernel larger than the padded input is refused."""
    out = []
    for axis, (d, k, s, p) in enumerate(zip(spatial, kernel, stride, padding)):
        if k > d + 2 * p:
            raise InputError(f"{where}.kernel_size", f"at most the padded input size {d + 2 * p} on axis {axis}", k)
        out.append((d + 2 * p - k) // s + 1)
    return tuple(out)


def window_table(spatial: Shape, kernel: Shape, stride: Shape, padding: Shape) -> np.ndarray:
    """Input positions seen by each output position: ``table[t, j]``, flat (row-major) or ``-1``.

    ``t`` runs over output positions, ``j`` over kernel taps (both row-major); the input
    position of tap ``j = (j_1, …)`` at output ``t = (t_1, …)`` is ``(s_a t_a + j_a − p_a)_a``,
    ``-1`` where that falls in the zero padding. Shape ``(prod(out), prod(kernel))``. In 1D this
    is the support of row ``t`` of the Toeplitz matrix ``T(w)`` (Eq. 2); in 2D the support of
    the doubly-block Toeplitz matrix (docs/theory.md, Lemma 1 in 2D).
    """
    out = spatial_output(spatial, kernel, stride, padding, "layer")
    table = np.full((size(out), size(kernel)), -1, dtype=np.int64)
    for t, t_idx in enumerate(np.ndindex(*out)):
        for j, j_idx in enumerate(np.ndindex(*kernel)):
            pos = [s * ti + ji - p for ti, ji, s, p in zip(t_idx, j_idx, stride, padding)]
            if all(0 <= q < d for q, d in zip(pos, spatial)):
                table[t, j] = int(np.ravel_multi_index(tuple(pos), spatial))
    return table


class KinkError(InputError):
    """The loss is not twice differentiable here: a ReLU input exactly 0 or a max-pool tie."""


KINK_REMEDY = ("no kink (an exactly-zero ReLU input or a tie in a max-pool window: the Hessian is undefined "
               "there); use other data (--data, --seed) or other weights (generated networks: --redraw N)")


def kink_error(where: str, shape: Shape, units: Sequence[int], sample: int | None = None) -> KinkError:
    """The one-line error for kinks at output ``units`` of the layer named ``where``."""
    what = (f"sample {sample}, " if sample is not None else "") + describe_unit(shape, units[0])
    more = f" (and {len(units) - 1} more)" if len(units) > 1 else ""
    return KinkError(where, KINK_REMEDY, f"kink at {what}{more}")


Signature = tuple
"""What a unit is as a function of ``θ`` near the current point (equal signatures ⇒ equal functions):

* ``("c", v)`` — a constant ``v`` (every input entry; a ReLU output of a negative input; …);
* ``("a", position, pairs, bias)`` — the output of the weight layer at ``position`` whose receptive
  field holds only constants: ``Σ_(j, v) ∈ pairs θ_j v + b_bias``, a function of those parameters only,
  the same for every unit with the same ``pairs`` and bias index (a conv unit over an all-zero
  image patch is ``b_o`` at every such position);
* ``("u", position, unit)`` — anything else, its own function.
"""


def constant(value: object) -> Signature:
    """The signature of a constant unit."""
    return ("c", value)


def is_constant(signature: Signature) -> bool:
    return signature[0] == "c"


def own(position: int, unit: int) -> Signature:
    """The signature of a unit that is its own function."""
    return ("u", position, unit)


def constant_signatures(values: np.ndarray) -> np.ndarray:
    """Signatures of input entries (all constants), an object array."""
    out = np.empty(len(values), dtype=object)
    out[:] = [constant(v) for v in values]
    return out


@dataclass(frozen=True, eq=False)
class LocalMap:
    """A parameter-free layer at one input point: ``out = (numerator / denominator) · in`` near it.

    ``numerator``: int64 array ``(out_size, in_size)``; ``denominator``: a positive int (``1``
    for 0/1 maps, ``k`` for a ``k``-window average) — a structural constant of the layer, the
    same at every point. ``kinks``: output units at which the piece is not unique *and* the
    choice matters. ``signatures``: the output units' :data:`Signature` s.

    **When a non-unique piece is not a kink.** A ReLU input exactly ``0`` is harmless when the
    unit is constant near the point (both pieces then have zero derivatives); a max-pool tie is
    harmless when all tied maxima have the same signature (they are the same function of ``θ``
    near the point, so every choice gives the same derivatives) — e.g. several zero-padded or
    all-zero image patches feeding ``b_o``. Anything else is a kink: the loss is not twice
    differentiable there and nothing picks a one-sided derivative silently.
    """

    numerator: np.ndarray
    denominator: int = 1
    kinks: tuple[int, ...] = ()
    signatures: np.ndarray | None = None

    @property
    def matrix(self) -> np.ndarray:
        """The map as an object array of exact ``Fraction`` s."""
        out = np.empty(self.numerator.shape, dtype=object)
        out[...] = [[Fraction(int(v), self.denominator) for v in row] for row in self.numerator.tolist()]
        return out


def describe_unit(shape: Shape, unit: int) -> str:
    """``channel c, position (i, j)`` for a flat unit of an output of ``shape``."""
    idx = np.unravel_index(unit, shape)
    if len(shape) == 1:
        return f"unit {int(idx[0])}"
    pos = tuple(int(v) for v in idx[1:])
    return f"channel {int(idx[0])}, position {pos[0] if len(pos) == 1 else pos}"
