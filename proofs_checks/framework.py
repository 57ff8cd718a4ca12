"""Structured checks: a claim, its instances, and a verdict per instance.

A :class:`CheckResult` says what was checked (``claim``), on what (``instance``),
what the theory predicts (``expected``: a bound, or a value for identities), what
exact arithmetic observed (``observed``) and the ``verdict``:

* ``"holds"``: an inequality claim is satisfied (``observed <= expected``) or an
  identity holds exactly;
* ``"tight"``: an inequality claim is met with equality;
* ``"violated"``: the claim fails on this instance (a counterexample);
* ``"degenerate instance"``: the random draw is not generic (singular data
  covariance, ReLU kink, ...): reported, never counted as a pass or a fail.

Claims said to be exact (Theorems 7–10) expect ``"tight"`` on generic instances.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

HOLDS, TIGHT, VIOLATED, DEGENERATE = "holds", "tight", "violated", "degenerate instance"
VERDICTS = (HOLDS, TIGHT, VIOLATED, DEGENERATE)


@dataclass(frozen=True)
class CheckResult:
    """One claim checked on one instance."""

    claim: str
    instance: str
    expected: Any
    observed: Any
    verdict: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Not a violation (``degenerate instance`` is not a failure of the claim)."""
        return self.verdict != VIOLATED

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "instance": self.instance, "expected": self.expected,
                "observed": self.observed, "verdict": self.verdict, "detail": self.detail}


def compare_bound(claim: str, instance: str, bound: int, observed: int, detail: str = "") -> CheckResult:
    """Verdict for ``observed <= bound``: ``tight`` on equality, ``holds`` below, else ``violated``."""
    verdict = TIGHT if observed == bound else HOLDS if observed < bound else VIOLATED
    return CheckResult(claim, instance, bound, observed, verdict, detail)


def compare_exact(claim: str, instance: str, expected: Any, observed: Any, detail: str = "") -> CheckResult:
    """Verdict for an identity ``observed == expected``: ``holds`` or ``violated``."""
    return CheckResult(claim, instance, expected, observed, HOLDS if observed == expected else VIOLATED, detail)


def degenerate(claim: str, instance: str, why: str) -> CheckResult:
    """A non-generic random draw, reported as such."""
    return CheckResult(claim, instance, None, None, DEGENERATE, why)


@dataclass(frozen=True)
class Claim:
    """A claim of the paper and how to check it.

    ``check(instance)`` returns one :class:`CheckResult` (or several, one per
    sub-statement such as per column block). ``instances(full)`` lists the
    instances of the default sweep (``full=False``, fast) or the full sweep.
    Instances must be picklable (they are sent to worker processes).
    ``exact=True`` marks a claim whose bound is said to be attained on generic
    instances: the generic (maximum over seeds) rank must equal the bound.
    """

    name: str
    statement: str
    check: Callable[[Any], CheckResult | Sequence[CheckResult]]
    instances: Callable[[bool], Sequence[Any]]
    exact: bool = False
    tags: tuple[str, ...] = field(default=())


def registry() -> list[Claim]:
    """Every ``CLAIM`` defined by a module of this package, in module order."""
    import proofs_checks

    claims = []
    for info in sorted(pkgutil.iter_modules(proofs_checks.__path__), key=lambda m: m.name):
        if info.name in ("framework",) or info.name.startswith("_") or info.name.startswith("test"):
            continue
        mod = importlib.import_module(f"proofs_checks.{info.name}")
        claim = getattr(mod, "CLAIM", None)
        if claim is not None:
            claims.append(claim)
    return claims


def run_claim(claim: Claim, instance: Any) -> list[CheckResult]:
    """Run one claim on one instance, always returning a list of results."""
    out = claim.check(instance)
    return [out] if isinstance(out, CheckResult) else list(out)
