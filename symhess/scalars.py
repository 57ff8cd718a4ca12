"""Exact scalars: the one place where user values become exact rationals.

Every numeric value that enters the exact path goes through :func:`exact`, which
returns a :class:`fractions.Fraction` (or leaves a sympy expression alone in
symbolic mode). No float is ever rounded: a Python/NumPy float is read as the
exact binary rational it stores, a decimal string ``"0.125"`` as the decimal it
spells, ``"p/q"`` as that fraction.
"""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Union

import flint

if TYPE_CHECKING:  # sympy is imported on first symbolic use (keeps `symhess --help` fast)
    import sympy


def _sympy():
    """sympy, imported on first use."""
    import sympy

    return sympy


Exact = Union[Fraction, "sympy.Expr"]
"""An exact scalar: a rational number, or a sympy expression in symbolic mode."""

MAX_DIGITS = 4000
"""Most decimal digits of a numerator, denominator or mantissa read from user input."""
MAX_EXPONENT = 4000
"""Largest decimal exponent ``|e|`` of a value like ``"1e-30"`` (``10^e`` is expanded exactly)."""

_INTEGER = re.compile(r"[+-]?\d+")
_FRACTION = re.compile(r"([+-]?\d+)\s*/\s*(\d+)")
_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
NUMBER_FORM = "an integer, a 'p/q' string or a decimal string like '0.125' or '1e-3'"


class Oversized:
    """A number too long to read (more than :data:`MAX_DIGITS` digits or a huge exponent).

    JSON readers return it in place of the number, so that the error names the field it sits in.
    """

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"a number of {len(self.text)} characters ({self.text[:12]}...)"


def size_problem(text: str) -> str | None:
    """Why the decimal number ``text`` is too large to expand exactly, or ``None``."""
    digits = sum(ch.isdigit() for ch in text)
    if digits > MAX_DIGITS + 10:
        return f"at most {MAX_DIGITS} digits"
    m = re.search(r"[eE]([+-]?\d+)\s*$", text)
    if m is not None:
        exp = m.group(1).lstrip("+-").lstrip("0")
        if len(exp) > 6 or int(exp or 0) > MAX_EXPONENT:
            return f"a decimal exponent of at most {MAX_EXPONENT} in absolute value"
    return None


def parse_exact_string(text: str, field: str) -> Fraction:
    """``"3"``, ``"-2/7"``, ``"0.125"``, ``"1e-3"`` as a ``Fraction``; sizes capped, no hang on ``"1e100000000"``."""
    t = text.strip()
    problem = size_problem(t)
    if problem is not None:
        raise InputError(field, f"a number with {problem}", text)
    try:
        if _INTEGER.fullmatch(t):
            return Fraction(int(t))
        m = _FRACTION.fullmatch(t)
        if m:
            return Fraction(int(m.group(1)), int(m.group(2)))
        m = _DECIMAL.fullmatch(t)
        if m and (m.group(2) or m.group(3)):
            sign, whole, frac, exp = m.groups()
            frac = frac or ""
            value = Fraction(int((whole or "0") + frac), 10 ** len(frac))
            if exp:
                e = int(exp)
                value = value * 10 ** e if e >= 0 else value / 10 ** -e
            return -value if sign == "-" else value
    except ZeroDivisionError:
        raise InputError(field, f"{NUMBER_FORM} (non-zero denominator)", text) from None
    raise InputError(field, NUMBER_FORM, text)


class Verbatim(str):
    """A ``got`` text shown as is in an :class:`InputError` (no quotes, no truncation)."""

    def __repr__(self) -> str:
        return str(self)


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
            if not isinstance(got, Verbatim) and len(shown) > 60:
                shown = shown[:60] + "..."
            msg += f", got {shown}"
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
        if value.bit_length() > 3.33 * MAX_DIGITS:
            raise InputError(field, f"an integer of at most {MAX_DIGITS} digits", f"an integer of {value.bit_length()} bits")
        return Fraction(value)
    if isinstance(value, Oversized):
        raise InputError(field, f"a number of at most {MAX_DIGITS} digits (and exponent at most {MAX_EXPONENT})", value)
    if isinstance(value, (flint.fmpz, flint.fmpq)):
        return Fraction(int(value.p), int(value.q)) if isinstance(value, flint.fmpq) else Fraction(int(value))
    loaded = sys.modules.get("sympy")  # a sympy object exists only once sympy is imported
    if loaded is not None and isinstance(value, loaded.Basic):
        if isinstance(value, loaded.Rational):
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
        return parse_exact_string(value, field)
    raise InputError(field, "a number (integer, 'p/q' or decimal string)", value)


def to_fmpq(value: Exact) -> flint.fmpq:
    """Convert an exact rational to ``flint.fmpq`` (FLINT's rational type)."""
    f = value if isinstance(value, Fraction) else exact(value)
    return flint.fmpq(f.numerator, f.denominator)


def to_sympy(value: Exact) -> "sympy.Expr":
    """Convert an exact scalar to a sympy expression (``Rational`` for numbers)."""
    sympy = _sympy()
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return sympy.sympify(value)


def fraction_str(value: Exact) -> str:
    """Render an exact rational as ``"p"`` or ``"p/q"`` (the exchange format)."""
    f = exact(value)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
