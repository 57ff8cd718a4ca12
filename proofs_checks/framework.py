"""Structured checks: a claim, its instances, and a verdict per instance.

A :class:`CheckResult` says what was checked (``claim``), on what (``instance``),
what the theory predicts (``expected``: a bound, or a value for identities), what
exact arithmetic observed (``observed``) and the ``verdict``:

* ``"holds"``: an inequality claim is satisfied (``observed <= expected``) or an
  identity holds exactly;
* ``"tight"``: an inequality claim is met with equality;
* ``"violated"``: the claim fails on this instance (a counterexample);
* ``"degenerate instance"``: the random draw is not generic (singular data
  covariance, ReLU kink, ...): reported, never counted as a pass or a fail;
* ``"not checked"``: every draw of the instance was degenerate, also after
  :data:`REDRAW_ROUNDS` rounds of fresh seeds (:func:`run_claim`), or the claim has no
  instance at all: nothing was checked, so it counts as a **failure** (never "holds");
* ``"error"``: the check itself raised (a bug in the check, not a verdict on the
  claim); only :func:`run_claim` with ``catch_errors=True`` produces it (the CLI), and
  it counts as a failure.

Claims said to be exact (Theorems 7–10) expect ``"tight"`` on generic instances: a
rank claimed exact is the *generic* rank, so a check evaluates several seeds of one
architecture and reports the maximum rank over them (:mod:`proofs_checks.instances`);
:func:`finalise` turns a bound that holds but is not attained on an exact claim into
``"violated"``. ``pytest proofs_checks`` (``test_registry.py``) and ``symhess check``
both go through :func:`run_claim` and :func:`finalise`, so they agree.

Claim level (:func:`claim_status`, :func:`claim_ok`): a claim holds only when it has at
least one ``holds``/``tight`` result and no ``violated``, ``error`` or ``not checked``
one; a claim whose instances are all degenerate is ``"not checked: no generic
instance"``, a failure. Since :func:`run_claim` already turns an instance with no generic
draw into a ``not checked`` result (whose :attr:`CheckResult.ok` is false) and
:func:`registry` gives a claim without instances one placeholder instance that
:func:`run_claim` reports ``not checked``, a caller that only looks at ``ok`` per result
fails on both as well.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import proofs_checks
from symhess.extras import MissingExtra
from symhess.nets.layers.base import KinkError

HOLDS, TIGHT, VIOLATED, DEGENERATE = "holds", "tight", "violated", "degenerate instance"
NOT_CHECKED, ERROR = "not checked", "error"
SKIPPED = "skipped"
"""An optional dependency (pip extra) is missing: reported with the install hint, not a failure."""
VERDICTS = (HOLDS, TIGHT, VIOLATED, DEGENERATE, NOT_CHECKED, ERROR, SKIPPED)
FAILING = (VIOLATED, NOT_CHECKED, ERROR)
"""Verdicts that make a claim (and ``symhess check``) fail."""

CLAIM_HOLDS = "holds"
CLAIM_NOT_CHECKED = "not checked: no generic instance"
CLAIM_SKIPPED = "skipped: optional dependency missing"
"""Claim-level statuses of :func:`claim_status` (besides ``violated`` and ``error``)."""

REDRAW_ROUNDS = 2
"""Rounds of fresh seeds :func:`run_claim` tries when every draw of an instance is degenerate."""

BOUND, IDENTITY = "<=", "=="
"""``CheckResult.relation``: ``observed <= expected`` (a bound) or ``observed == expected``."""


class DegenerateInstance(Exception):
    """Raised by a check when its random draw is not generic; :func:`run_claim` reports it."""


@dataclass(frozen=True)
class CheckResult:
    """One claim checked on one instance."""

    claim: str
    instance: str
    expected: Any
    observed: Any
    verdict: str
    detail: str = ""
    relation: str = BOUND

    @property
    def ok(self) -> bool:
        """Not a violation, an error, nor ``not checked`` (a ``degenerate instance`` draw is not a failure)."""
        return self.verdict not in FAILING

    @property
    def gap(self) -> int | None:
        """``expected − observed`` when both are integers (the slack of a bound), else ``None``."""
        e, o = self.expected, self.observed
        if isinstance(e, int) and isinstance(o, int) and not isinstance(e, bool) and not isinstance(o, bool):
            return e - o
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "instance": self.instance, "expected": self.expected,
                "observed": self.observed, "verdict": self.verdict, "detail": self.detail,
                "relation": self.relation, "gap": self.gap}


def compare_bound(claim: str, instance: str, bound: int, observed: int, detail: str = "") -> CheckResult:
    """Verdict for ``observed <= bound``: ``tight`` on equality, ``holds`` below, else ``violated``."""
    verdict = TIGHT if observed == bound else HOLDS if observed < bound else VIOLATED
    return CheckResult(claim, instance, bound, observed, verdict, detail, BOUND)


def compare_exact(claim: str, instance: str, expected: Any, observed: Any, detail: str = "") -> CheckResult:
    """Verdict for an identity ``observed == expected``: ``holds`` or ``violated``."""
    return CheckResult(claim, instance, expected, observed, HOLDS if observed == expected else VIOLATED, detail,
                       IDENTITY)


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


def finalise(claim: Claim, results: Sequence[CheckResult]) -> list[CheckResult]:
    """Apply the claim-level rule: on an ``exact`` claim a bound below its value is violated.

    A result of relation ``<=`` whose verdict is ``holds`` (generic rank strictly below
    the formula) becomes ``violated``; identities, tight results and degenerate
    instances pass through unchanged. Idempotent.
    """
    if not claim.exact:
        return list(results)
    return exact_verdicts(results)


def exact_verdicts(results: Sequence[CheckResult]) -> list[CheckResult]:
    """The exact-claim rule on a list of results: a bound that holds but is not attained is violated.

    :func:`finalise` applies it to every result of an ``exact`` claim; a claim whose items are
    only partly exact (cross-entropy) applies it to those items. The one implementation.
    """
    out = []
    for res in results:
        if res.verdict == HOLDS and res.relation == BOUND:
            res = replace(res, verdict=VIOLATED,
                          detail=f"claimed exact, generic rank {res.observed} < formula {res.expected}; {res.detail}")
        out.append(res)
    return out


def instance_label(instance: Any) -> str:
    """How an instance is named in results: its ``label`` attribute, else ``str``."""
    label = getattr(instance, "label", None)
    return label if isinstance(label, str) else str(instance)


@dataclass(frozen=True)
class NoInstance:
    """Placeholder instance of a claim whose sweep is empty: :func:`run_claim` reports it ``not checked``."""

    label: str = "no instance in this sweep"


@dataclass(frozen=True)
class AtLeastOneInstance:
    """``instances(full)`` of a claim, or ``[NoInstance()]`` when that list is empty (picklable)."""

    instances: Callable[[bool], Sequence[Any]]

    def __call__(self, full: bool) -> list[Any]:
        out = list(self.instances(full))
        return out or [NoInstance()]


def claim_status(results: Sequence[CheckResult]) -> str:
    """The claim-level verdict over all its results (every instance of a sweep).

    ``"error"`` or ``"violated"`` if any result is; ``"not checked: no generic instance"``
    when no result is ``holds`` or ``tight`` (all degenerate, all ``not checked``, or no
    result at all); ``"not checked"`` if some instance was not checked; else ``"holds"``.
    """
    verdicts = {r.verdict for r in results}
    for bad in (ERROR, VIOLATED):
        if bad in verdicts:
            return bad
    if verdicts == {SKIPPED}:
        return CLAIM_SKIPPED
    if not verdicts & {HOLDS, TIGHT}:
        return CLAIM_NOT_CHECKED
    if NOT_CHECKED in verdicts:
        return NOT_CHECKED
    return CLAIM_HOLDS


def claim_ok(results: Sequence[CheckResult]) -> bool:
    """Whether the claim passed: :func:`claim_status` is ``"holds"`` or ``"skipped: …"`` (so ``[]`` is *not* ok)."""
    return claim_status(results) in (CLAIM_HOLDS, CLAIM_SKIPPED)


def registry() -> list[Claim]:
    """Every ``CLAIM`` defined by a module of this package, in module order.

    Each claim's ``instances`` is wrapped in :class:`AtLeastOneInstance`: a claim with an
    empty sweep gets one :class:`NoInstance`, reported ``not checked`` (a failure).
    """
    claims = []
    for info in sorted(pkgutil.iter_modules(proofs_checks.__path__), key=lambda m: m.name):
        if info.name in ("framework",) or info.name.startswith("_") or info.name.startswith("test"):
            continue
        mod = importlib.import_module(f"proofs_checks.{info.name}")
        claim = getattr(mod, "CLAIM", None)
        if claim is not None:
            if not isinstance(claim.instances, AtLeastOneInstance):
                claim = replace(claim, instances=AtLeastOneInstance(claim.instances))
            claims.append(claim)
    return claims


def more_seeds(instance: Any) -> Any | None:
    """The same instance with as many fresh seeds (after its largest), or ``None`` if it has none.

    Works for frozen dataclass instances with a non-empty tuple ``seeds`` field
    (:class:`proofs_checks.instances.Instance`, the route instances, ...).
    """
    seeds = getattr(instance, "seeds", None)
    if not (dataclasses.is_dataclass(instance) and isinstance(seeds, tuple) and seeds
            and "seeds" in {f.name for f in dataclasses.fields(instance)}):
        return None
    start = max(seeds) + 1
    return replace(instance, seeds=tuple(range(start, start + len(seeds))))


def _run_once(claim: Claim, instance: Any, catch_errors: bool) -> list[CheckResult]:
    label = instance_label(instance)
    try:
        out = claim.check(instance)
    except MissingExtra as err:
        return [CheckResult(claim.name, label, None, None, SKIPPED, err.hint)]
    except (DegenerateInstance, KinkError) as err:
        return [degenerate(claim.name, label, f"{type(err).__name__}: {err}")]
    except Exception as err:  # noqa: BLE001 - reported as a result when asked to
        if not catch_errors:
            raise
        return [CheckResult(claim.name, label, None, None, ERROR, f"{type(err).__name__}: {err}")]
    results = [out] if isinstance(out, CheckResult) else list(out)
    return finalise(claim, results)


def run_claim(claim: Claim, instance: Any, catch_errors: bool = False) -> list[CheckResult]:
    """Run one claim on one instance: its results, after :func:`finalise`.

    A :class:`DegenerateInstance` or an exact kink (:class:`symhess.nets.layers.base.KinkError`: a ReLU zero, a max-pool tie)
    raised by the check becomes one ``degenerate instance`` result. With
    ``catch_errors=True`` any other exception becomes one ``error`` result (the CLI keeps
    going and reports it); otherwise it propagates (pytest shows the traceback).

    When *every* result is ``degenerate instance``, nothing was checked: the instance is
    redrawn with fresh seeds (:func:`more_seeds`, up to :data:`REDRAW_ROUNDS` rounds) and
    the degenerate results are kept alongside the new ones; if no round gives a generic
    draw (or the instance has no seeds to redraw), one ``not checked`` result closes the
    list, and it counts as a failure. A :class:`NoInstance` is ``not checked`` outright.
    """
    if isinstance(instance, NoInstance):
        return [CheckResult(claim.name, instance.label, None, None, NOT_CHECKED,
                            f"{CLAIM_NOT_CHECKED}: the sweep of this claim has no instance")]
    results = _run_once(claim, instance, catch_errors)
    current, tried = instance, [instance_label(instance)]
    for _ in range(REDRAW_ROUNDS):
        if not _all_degenerate(results):
            return results
        current = more_seeds(current)
        if current is None:
            break
        tried.append(instance_label(current))
        results = results + _run_once(claim, current, catch_errors)
    if _all_degenerate(results):
        results.append(CheckResult(claim.name, instance_label(instance), None, None, NOT_CHECKED,
                                   f"no generic draw: every draw was degenerate in {'; '.join(tried)}"))
    return results


def _all_degenerate(results: Sequence[CheckResult]) -> bool:
    return bool(results) and all(r.verdict == DEGENERATE for r in results)


def seed_label(instance: Any, seed: int) -> str:
    """Label of one seed of a multi-seed instance (``arch, n, seeds`` as in :mod:`proofs_checks.instances`)."""
    arch, n = getattr(instance, "arch", None), getattr(instance, "n", None)
    if arch is None or n is None:
        return f"{instance_label(instance)}, seed={seed}"
    kind = getattr(instance, "kind", "integer")
    return f"{arch.describe()}, n={n}" + (f" {kind}" if kind != "integer" else "") + f", seed={seed}"


def each_seed(claim: str, instance: Any,
              check_one: Callable[[int, str], CheckResult | Sequence[CheckResult]]) -> list[CheckResult]:
    """Run ``check_one(seed, label)`` for every seed of ``instance`` (its ``seeds`` attribute).

    For statements that must hold on *every* draw, not only generically: each seed gives
    its own results, labelled by :func:`seed_label`; a :class:`DegenerateInstance` or a ReLU
    kink on one seed becomes a ``degenerate instance`` result for that seed only.
    """
    out: list[CheckResult] = []
    for seed in instance.seeds:
        label = seed_label(instance, seed)
        try:
            res = check_one(seed, label)
        except (DegenerateInstance, KinkError) as err:
            out.append(degenerate(claim, label, f"{type(err).__name__}: {err}"))
            continue
        out.extend([res] if isinstance(res, CheckResult) else res)
    return out
