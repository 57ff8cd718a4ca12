"""Exact scalars: the one place where user values become exact rationals.

Every numeric value that enters the exact path goes through :func:`exact`, which
returns a :class:`fractions.Fraction` (or leaves a sympy expression alone in
symbolic mode). No float is ever rounded: a Python/NumPy float is read as the
exact binary rational it stores, a decimal string ``"0.125"`` as the decimal it
spells, ``"p/q"`` as that fraction.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Union

import flint
import sympy

Exact = Union[Fraction, sympy.Expr]
"""An exact scalar: a rational number, or a sympy expression in symbolic mode."""


class InputError(ValueError):
    """A user mistake in a model, data set or option.

    ``field`` names the offending field (``"layers[1].weight"``), ``expected``
    the form that was expected. ``str(err)`` is the one-line message the CLI
    prints before exiting with status 2.
    """

    def __init__(self, field: str, expected: str, got: Any = None):
        self.field = field
        self.expected = expected
        self.got = got
        msg = f"{field}: expected {expected}"
        if got is not None:
            shown = repr(got)
            msg += f", got {shown[:60] + '...' if len(shown) > 60 else shown}"
        super().__init__(msg)


def exact(value: Any, field: str = "value") -> Exact:
    """Return ``value`` as an exact rational (``Fraction``), or a sympy expression.

    Accepted: ``int``, ``Fraction``, sympy ``Rational``/``Integer``, ``flint.fmpq``/
    ``fmpz``, finite ``float`` (its exact binary value), numpy scalars, strings
    ``"3"``, ``"-2/7"``, ``"0.125"``, ``"1e-3"``; sympy non-numeric expressions are
    returned unchanged (symbolic mode). Anything else raises :class:`InputError`
    naming ``field``.
    """
    if isinstance(value, bool):
        raise InputError(field, "a number (integer, 'p/q' or decimal string)", value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, (flint.fmpz, flint.fmpq)):
        return Fraction(int(value.p), int(value.q)) if isinstance(value, flint.fmpq) else Fraction(int(value))
    if isinstance(value, sympy.Basic):
        if isinstance(value, sympy.Rational):
            return Fraction(int(value.p), int(value.q))
        if value.is_number:
            raise InputError(field, "a rational number", value)
        return value
    if hasattr(value, "dtype") and hasattr(value, "item"):  # numpy scalar
        return exact(value.item(), field)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(field, "a finite number", value)
        return Fraction(value)  # exact binary value, no rounding
    if isinstance(value, str):
        text = value.strip()
        try:
            out = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise InputError(field, "an integer, a 'p/q' string or a decimal string", value) from None
        return out
    raise InputError(field, "a number (integer, 'p/q' or decimal string)", value)


def to_fmpq(value: Exact) -> flint.fmpq:
    """Convert an exact rational to ``flint.fmpq`` (FLINT's rational type)."""
    f = value if isinstance(value, Fraction) else exact(value)
    return flint.fmpq(f.numerator, f.denominator)


def to_sympy(value: Exact) -> sympy.Expr:
    """Convert an exact scalar to a sympy expression (``Rational`` for numbers)."""
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return sympy.sympify(value)


def fraction_str(value: Exact) -> str:
    """Render an exact rational as ``"p"`` or ``"p/q"`` (the exchange format)."""
    f = exact(value)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
