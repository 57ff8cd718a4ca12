"""Exact integer array operations: products and sums of integer numpy arrays, never rounded.

**Exact integer products** (:func:`exact_matmul`): a product is computed in float64 BLAS only
when a proven bound ``|A| |B|`` (computed entrywise, so it bounds every partial sum in any
summation order) stays below ``2^52``: every intermediate value is then an integer that float64
represents exactly, so the result is exact (the same device FLINT uses internally). Otherwise
int64 when the bound is below ``2^62``, otherwise Python integers (object arrays). No rounding
ever happens; no float value enters the result. Entrywise products and sums check
``max|a| max|b|`` and ``max|a| + max|b|`` the same way. Arrays are joined in a dtype chosen by
:func:`common_dtype` (widening casts only), so an array that became Python integers is never
cast back to int64: int64 holds only values proven below ``2^62``, and nothing can wrap.

Float64 arrays (the float64 baseline of :mod:`symhess.hessian.assembly`) pass through as floats.
:func:`clear_denominators` writes rationals as integers over their least common denominator.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..scalars import InputError

FLOAT_EXACT_LIMIT = 2 ** 52
"""Float64 BLAS is used for an integer product only if every partial sum stays below this."""
INT64_LIMIT = 2 ** 62
"""int64 arithmetic is used only if every value and partial sum stays below this."""


# ---------------------------------------------------------------- exact integer array operations

def max_abs(a: np.ndarray) -> int:
    """``max |a_ij|`` as a Python int (0 for an empty array)."""
    if a.size == 0:
        return 0
    if a.dtype.kind == "f":
        return int(math.ceil(float(np.abs(a).max())))
    return max(abs(int(a.max())), abs(int(a.min())))


def _is_float(*arrays: np.ndarray) -> bool:
    return any(a.dtype.kind == "f" for a in arrays)


def to_objects(a: np.ndarray) -> np.ndarray:
    """Integer array as an object array of Python ints (exact beyond int64)."""
    if a.dtype == object:
        return a
    out = np.empty(a.shape, dtype=object)
    out[...] = a.tolist() if a.ndim else int(a)
    return out


def shrink(a: np.ndarray) -> np.ndarray:
    """An object array of ints as int64 when every entry fits (faster downstream), else unchanged."""
    if a.dtype == object and max_abs(a) < INT64_LIMIT:
        return a.astype(np.int64)
    return a


def common_dtype(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``arrays`` in one dtype that represents every entry of every array exactly.

    Only widening casts: Python ints (object) if any array holds them, else float64 if any is
    float (the float64 baseline), else int64. Never an object-to-int64 cast: int64 is kept only
    for arrays that already are int64, whose entries every exact operation here bounded by
    :data:`INT64_LIMIT` before producing them, so nothing can wrap or overflow.
    """
    kinds = {a.dtype.kind for a in arrays}
    if "O" in kinds:
        dtype = object
    elif "f" in kinds:
        dtype = np.float64
    else:
        if not kinds <= {"i", "u", "b"}:
            raise TypeError(f"not an integer array: {sorted(kinds)}")
        dtype = np.int64
    return [a if a.dtype == dtype else a.astype(dtype) for a in arrays]


def exact_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` (numpy broadcasting rules) for integer arrays, exactly.

    Float64 BLAS if the bound ``max|a| max|b| · inner`` (or, failing that, the entrywise bound
    ``|a| @ |b|``) is below :data:`FLOAT_EXACT_LIMIT`; int64 below :data:`INT64_LIMIT`; Python
    ints otherwise. Float inputs (the float64 baseline) are multiplied as floats.
    """
    if _is_float(a, b):
        return a @ b
    if a.dtype == object or b.dtype == object:
        return shrink(to_objects(a) @ to_objects(b))
    inner = a.shape[-1]
    crude = max_abs(a) * max_abs(b) * inner
    if crude < FLOAT_EXACT_LIMIT:
        return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    # The float64 evaluation of the non-negative sum |a| @ |b| has relative error at most
    # (inner + 2) 2^-53 / (1 - (inner + 2) 2^-53) (entry conversion, product, summation), so the
    # slack below makes ``bound`` a proven upper bound of every partial sum of a @ b.
    bound = float((np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)).max()) * (1 + (inner + 2) * 2.0 ** -51)
    if bound < FLOAT_EXACT_LIMIT:
        return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    if bound < INT64_LIMIT:
        return a @ b
    return shrink(to_objects(a) @ to_objects(b))


def exact_mul(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """Entrywise (broadcast) product, exact: int64 when ``max|a| max|b| < 2^62``, else Python ints."""
    b_arr = np.asarray(b) if not isinstance(b, np.ndarray) else b
    if _is_float(a, b_arr):
        return a * b
    if isinstance(b, int) and b == 1:
        return a
    if (a.dtype != object and b_arr.dtype != object and max_abs(b_arr) < INT64_LIMIT
            and max_abs(a) * max_abs(b_arr) < INT64_LIMIT):
        return a * b_arr.astype(np.int64)
    return shrink(to_objects(a) * (to_objects(b_arr) if isinstance(b, np.ndarray) else int(b)))


def exact_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Entrywise sum, exact (int64 when both fit comfortably, else Python ints)."""
    if _is_float(a, b):
        return a + b
    if a.dtype != object and b.dtype != object and max_abs(a) + max_abs(b) < INT64_LIMIT:
        return a + b
    return shrink(to_objects(a) + to_objects(b))


# ---------------------------------------------------------------- clearing denominators

def clear_denominators(values: np.ndarray, arithmetic: str = "exact") -> tuple[np.ndarray, int]:
    """``(V̂, s)`` with ``values = V̂ / s``, ``V̂`` integer (int64 or object), ``s`` the lcm of denominators.

    ``arithmetic="float64"``: ``(float64 array of the values, 1)``.
    """
    flat = [v for v in np.asarray(values, dtype=object).reshape(-1)]
    for v in flat:
        if not isinstance(v, (Fraction, int)):
            raise InputError("weights", "exact rational numbers (the fast assembly is numeric, not symbolic)", v)
    if arithmetic == "float64":
        try:
            floats = [float(v) for v in flat]
        except OverflowError:
            raise InputError("--method float64", f"values within the float64 range (about ±1.8e308; "
                             "the exact method takes any rational)", "a value beyond it") from None
        return np.array(floats, dtype=np.float64).reshape(np.shape(values)), 1
    den = 1
    for v in flat:
        den = math.lcm(den, Fraction(v).denominator)
    ints = [int(Fraction(v) * den) for v in flat]
    out = np.empty(len(ints), dtype=object)
    out[:] = ints
    return shrink(out.reshape(np.shape(values))), den
