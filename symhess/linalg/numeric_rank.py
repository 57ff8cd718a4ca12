"""High-precision numerical rank with a documented gap rule (mpmath).

Some Hessians are not rational (cross-entropy: softmax probabilities involve ``exp``), so
their rank cannot be certified over ℚ. Here the rank is read off the singular values
computed by mpmath at ``dps`` significant decimal digits, by a *gap rule*, never by one
fixed threshold.

Gap rule, for ``A`` (``m × n``) with singular values ``σ_1 ≥ … ≥ σ_q``, ``q = min(m, n)``:

1. ``A = 0`` exactly (every entry zero): rank 0, a clear answer.
2. Work in decades relative to the largest value: ``ℓ_i = log10(σ_i / σ_1)``, clamped
   below at the *floor* ``−dps`` (the working precision: nothing below ``σ_1·10^{-dps}``
   is distinguishable from rounding noise). Append a virtual ``ℓ_{q+1} = −dps``, so that
   full rank is a candidate like any other.
3. The candidate rank ``r`` is the position of the largest drop ``g_r = ℓ_r − ℓ_{r+1}``
   (the largest ratio ``σ_r / σ_{r+1}`` between consecutive values), ``1 ≤ r ≤ q``.
4. The candidate is **accepted** only when the gap is clear:

   * ``g_r ≥ dps / 3`` decades (a wide gap), and
   * the kept values are far above the noise: ``σ_r ≥ σ_1 · 10^{-dps/2}``, and
   * the dropped values are at the noise level: ``σ_{r+1} ≤ σ_1 · 10^{-2 dps/3}``.

   Otherwise the answer is *no clear gap* (``rank=None``): the singular values decay with
   no separation the precision can resolve, and no rank is printed.

Why these numbers: a backward-stable SVD of a matrix whose entries carry relative errors
``~10^{-dps}`` moves each singular value by about ``σ_1 · 10^{-dps}`` (times a size and
cancellation factor, allowed up to ``10^{dps/3}``). True zero singular values therefore
land below ``σ_1 · 10^{-2 dps/3}``, and true non-zero ones stay where they are. Raising
``dps`` moves the noise down and leaves the true values in place; a rank that changes with
``dps`` was never resolved (see :func:`gap_rank` at two precisions in the tests). A true
singular value below ``σ_1 · 10^{-2 dps/3}`` is indistinguishable from noise at this
precision and is dropped; one between ``10^{-2 dps/3}`` and ``10^{-dps/2}`` (relative)
gives *no clear gap*, the signal to raise ``dps``.

On rational matrices this rule agrees with the certified exact rank
(:func:`symhess.linalg.rank.exact_rank`) whenever the smallest non-zero singular value is above
``σ_1 · 10^{-dps/2}`` and the rounding noise stays below ``σ_1 · 10^{-2 dps/3}``; e.g. it resolves Hilbert
matrices that float64 cannot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, Sequence

import flint
import mpmath
import numpy as np

from ..scalars import InputError, exact

DEFAULT_DPS = 50
"""Default working precision (significant decimal digits)."""

MIN_DPS = 15


@dataclass(frozen=True)
class GapRank:
    """A rank decided by the gap rule, or ``None`` when no clear gap exists.

    ``gap_decades``: ``log10(σ_r / σ_{r+1})`` at the chosen position (``inf`` for an exactly
    zero matrix). ``smallest_kept`` / ``largest_dropped``: ``σ_r`` and ``σ_{r+1}`` relative
    to ``σ_1`` in decades (``None`` when absent). ``singular_values``: all ``σ_i`` as short
    strings (``nstr`` with 6 digits), largest first. ``reason``: why a candidate was refused.
    """

    rank: int | None
    shape: tuple[int, int]
    dps: int
    candidate: int
    gap_decades: float
    smallest_kept: float | None
    largest_dropped: float | None
    singular_values: tuple[str, ...]
    reason: str = ""
    method: str = field(default="mpmath", init=False)

    @property
    def clear(self) -> bool:
        """Whether the gap rule accepted a rank."""
        return self.rank is not None

    @property
    def certificate(self) -> str:
        """One line saying how the rank was decided (or why it was not)."""
        if self.rank is None:
            return f"no clear gap at dps={self.dps}: {self.reason}"
        if self.rank == 0:
            return "exactly zero matrix"
        below = f"sigma_{self.rank + 1}" if self.rank < min(self.shape) else "noise floor"
        return (f"gap rule at dps={self.dps}: sigma_{self.rank}/{below} = 10^{self.gap_decades:.1f} "
                f"(need >= 10^{self.dps / 3:.1f})")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["shape"] = list(self.shape)
        out["singular_values"] = list(self.singular_values)
        out["certified"] = False
        out["certificate"] = self.certificate
        if out["gap_decades"] == float("inf"):
            out["gap_decades"] = None
        return out


def check_dps(dps: Any) -> int:
    """Validate a working precision (an integer ≥ 15 decimal digits)."""
    if isinstance(dps, bool) or not isinstance(dps, (int, np.integer)) or dps < MIN_DPS:
        raise InputError("dps", f"an integer number of decimal digits >= {MIN_DPS}", dps)
    return int(dps)


def to_mp_matrix(a: Any) -> mpmath.matrix:
    """``a`` as an ``mpmath.matrix`` at the current ``mp`` precision.

    Accepts ``fmpq_mat`` / ``fmpz_mat`` (each rational ``p/q`` rounded once, as ``mpf(p)/q``),
    an ``mpmath.matrix`` (returned as is), or a 2-D array / nested list of exact rationals,
    ``mpf`` values or floats.
    """
    if isinstance(a, mpmath.matrix):
        return a
    if isinstance(a, (flint.fmpq_mat, flint.fmpz_mat)):
        rows, cols = a.nrows(), a.ncols()
        vals = a.entries()
        out = mpmath.matrix(rows, cols)
        for idx, v in enumerate(vals):
            if v != 0:
                out[idx // cols, idx % cols] = (mpmath.mpf(int(v.p)) / int(v.q)) if isinstance(v, flint.fmpq) \
                    else mpmath.mpf(int(v))
        return out
    arr = np.asarray(a, dtype=object)
    if arr.ndim != 2:
        raise InputError("matrix", "a 2-D matrix", arr.shape)
    out = mpmath.matrix(arr.shape[0], arr.shape[1])
    for (i, j), v in np.ndenumerate(arr):
        out[i, j] = mp_value(v)
    return out


def mp_value(v: Any) -> mpmath.mpf:
    """One scalar as ``mpf`` at the current precision (exact rationals rounded once)."""
    if isinstance(v, mpmath.mpf):
        return v
    if isinstance(v, float):
        return mpmath.mpf(v)
    f = exact(v, "matrix entry")
    return mpmath.mpf(f.numerator) / f.denominator


def mpf_to_fraction(x: mpmath.mpf) -> Fraction:
    """The exact binary rational an ``mpf`` stores (``man · 2^exp``), no rounding."""
    sign, man, exp, _ = x._mpf_
    if not man:
        if exp:  # the special values (inf, nan) carry man = 0 and a non-zero exp code
            raise InputError("value", "a finite number", x)
        return Fraction(0)
    return (-1) ** sign * Fraction(int(man)) * (Fraction(2) ** int(exp))


def singular_values(a: Any, dps: int = DEFAULT_DPS) -> list[mpmath.mpf]:
    """All ``min(m, n)`` singular values of ``a`` at ``dps`` digits (``mp.svd_r``), largest first."""
    dps = check_dps(dps)
    with mpmath.workdps(dps):
        m = to_mp_matrix(a)
        if m.rows == 0 or m.cols == 0:
            return []
        sv = mpmath.svd_r(m, compute_uv=False)
        return sorted((abs(sv[i]) for i in range(sv.rows)), reverse=True)


def gap_rank(a: Any, dps: int = DEFAULT_DPS) -> GapRank:
    """Rank of ``a`` by the gap rule of this module at ``dps`` digits (see the module docstring).

    ``a``: ``fmpq_mat``, ``mpmath.matrix`` or a 2-D array; if it is an ``mpmath.matrix`` it
    should have been computed at (at least) ``dps`` digits.
    """
    dps = check_dps(dps)
    with mpmath.workdps(dps):
        m = to_mp_matrix(a)
        shape = (m.rows, m.cols)
        if 0 in shape or all(m[i, j] == 0 for i in range(m.rows) for j in range(m.cols)):
            return GapRank(0, shape, dps, 0, float("inf"), None, None,
                           tuple("0" for _ in range(min(shape))), "")
        sv = singular_values(m, dps)
        return decide_gap(sv, shape, dps)


def decide_gap(sv: Sequence[mpmath.mpf], shape: tuple[int, int], dps: int) -> GapRank:
    """Apply steps 2–4 of the gap rule to singular values ``sv`` (largest first, ``σ_1 > 0``)."""
    with mpmath.workdps(dps):
        top = sv[0]
        floor = -float(dps)
        levels = [max(float(mpmath.log10(s / top)), floor) if s > 0 else floor for s in sv] + [floor]
        gaps = [levels[i] - levels[i + 1] for i in range(len(sv))]
        r = max(range(len(gaps)), key=lambda i: (gaps[i], -i)) + 1
        kept = levels[r - 1]
        dropped = levels[r] if r < len(sv) else None
        shown = tuple(mpmath.nstr(s, 6) for s in sv)
        reasons = []
        if gaps[r - 1] < dps / 3:
            reasons.append(f"largest gap {gaps[r - 1]:.1f} decades < dps/3 = {dps / 3:.1f}")
        if kept < -dps / 2:
            reasons.append(f"smallest kept sigma_{r}/sigma_1 = 10^{kept:.1f} < 10^-{dps / 2:.1f}")
        if dropped is not None and dropped > -2 * dps / 3:
            reasons.append(f"largest dropped sigma_{r + 1}/sigma_1 = 10^{dropped:.1f} > 10^-{2 * dps / 3:.1f}")
        return GapRank(None if reasons else r, shape, dps, r, gaps[r - 1], kept, dropped, shown,
                       "; ".join(reasons))


def confirmed_gap_rank(a: Any, dps: int = DEFAULT_DPS) -> GapRank:
    """The gap rule at ``dps`` *and* at ``2·dps``; a rank only when both are clear and equal.

    A true singular value below ``σ_1 · 10^{-2 dps/3}`` is dropped by the gap rule at ``dps``
    (indistinguishable from noise there), so one precision alone can return a clear but wrong
    rank when such a value exists (nearly collinear data: ``σ/σ_1 ≈ 2^{-2a}``). At ``2·dps`` the
    noise moves down by ``dps`` decades while the true values stay: a value the first run
    dropped then lands in the no-clear-gap band or is kept, and the two answers differ. So:
    both clear and equal -> that rank (the ``2·dps`` result, its gap); otherwise *no clear gap*
    (``rank=None``) with both outcomes in ``reason``. This is the ``--method mpmath`` rule for
    MSE (``docs/float.md``); a value below ``σ_1 · 10^{-4 dps/3}`` is still invisible to both.
    """
    import dataclasses

    dps = check_dps(dps)
    low = gap_rank(a, dps)
    high = gap_rank(a, 2 * dps)
    if low.clear and high.clear and low.rank == high.rank:
        return high
    said = lambda g: f"rank {g.rank}" if g.clear else f"no clear gap ({g.reason})"  # noqa: E731
    reason = (f"dps={dps}: {said(low)}; dps={2 * dps}: {said(high)}" if (low.clear or high.clear)
              else high.reason)
    return dataclasses.replace(high, rank=None, reason=reason)
