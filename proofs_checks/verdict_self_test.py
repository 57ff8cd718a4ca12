"""The verdict logic itself: known-good and known-bad results through the framework.

On a correct program no rank claim produces a wrong result, so a loosened verdict rule
(an identity accepted when ``observed <= expected``, a bound that can never be violated, an
exact claim accepting a rank below its formula, an instance with no generic draw passing,
errors counted as passes) would change nothing ``symhess check`` prints. This claim feeds
results whose verdicts are known by hand through :func:`~proofs_checks.framework.compare_bound`,
:func:`~proofs_checks.framework.compare_exact`, :func:`~proofs_checks.framework.finalise`,
:attr:`CheckResult.ok`, :func:`~proofs_checks.framework.claim_status` /
:func:`~proofs_checks.framework.claim_ok` and :func:`~proofs_checks.framework.run_claim` (the
``not checked`` rule, redraws, ``error`` results), and the data-degeneracy test
:func:`proofs_checks.instances.degeneracy` on a constructed rank-deficient data set.

Each result compares the verdict the framework gives with the one written here. The
comparison is done with plain ``==`` and the result built directly (not through
:func:`compare_exact`, which is under test), so a broken rule cannot hide its own failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from symhess.nets.architecture import random_network
from symhess.nets.data import Dataset, random_dataset
from symhess.theory.bounds import data_ranks

from .framework import (BOUND, CLAIM_HOLDS, CLAIM_NOT_CHECKED, DEGENERATE, ERROR, HOLDS, IDENTITY, NOT_CHECKED,
                        TIGHT, VIOLATED, CheckResult, Claim, DegenerateInstance, NoInstance, claim_ok, claim_status,
                        compare_bound, compare_exact, finalise, run_claim)
from .instances import conv_arch, degeneracy

NAME = "Verdict logic self-test (known-good and known-bad results)"
STATEMENT = ("compare_bound, compare_exact, finalise on an exact claim, CheckResult.ok, claim_status/claim_ok, "
             "run_claim's 'not checked' and 'error' rules and the data-degeneracy test give the hand-written "
             "verdict on constructed results")


def _same(instance: str, expected, observed) -> CheckResult:
    return CheckResult(NAME, instance, expected, observed, HOLDS if observed == expected else VIOLATED,
                       "verdict written by hand", IDENTITY)


@dataclass(frozen=True)
class _Seeded:
    """A dummy instance with seeds (so :func:`run_claim` redraws it)."""

    seeds: tuple[int, ...] = (0, 1)
    label: str = "dummy instance"


def _always_degenerate(inst):
    raise DegenerateInstance(f"constructed: every draw degenerate (seeds {inst.seeds})")


def _below_formula(inst):
    return compare_bound("dummy exact claim", "dummy", 10, 9)


def _attains_formula(inst):
    return [compare_bound("dummy exact claim", "dummy", 10, 10), compare_exact("dummy exact claim", "id", 0, 0)]


def _raises(inst):
    raise RuntimeError("constructed bug in a check")


def _degenerate_once(inst):
    if 0 in inst.seeds:
        raise DegenerateInstance("seed 0 degenerate")
    return compare_bound("dummy", "dummy", 5, 4)


def _r(verdict: str, relation: str = BOUND) -> CheckResult:
    return CheckResult("dummy", "dummy", 1, 1, verdict, "", relation)


def case_compare() -> list[CheckResult]:
    return [
        _same("compare_bound(bound=5, observed=5)", TIGHT, compare_bound("c", "i", 5, 5).verdict),
        _same("compare_bound(bound=5, observed=4)", HOLDS, compare_bound("c", "i", 5, 4).verdict),
        _same("compare_bound(bound=5, observed=6)", VIOLATED, compare_bound("c", "i", 5, 6).verdict),
        _same("compare_bound relation", BOUND, compare_bound("c", "i", 5, 4).relation),
        _same("compare_exact(3, 3)", HOLDS, compare_exact("c", "i", 3, 3).verdict),
        _same("compare_exact(expected=3, observed=2)", VIOLATED, compare_exact("c", "i", 3, 2).verdict),
        _same("compare_exact(expected=3, observed=4)", VIOLATED, compare_exact("c", "i", 3, 4).verdict),
        _same("compare_exact([1, 2], [1, 3])", VIOLATED, compare_exact("c", "i", [1, 2], [1, 3]).verdict),
        _same("compare_exact relation", IDENTITY, compare_exact("c", "i", 3, 3).relation),
    ]


def case_finalise() -> list[CheckResult]:
    exact = Claim("dummy exact claim", "", _below_formula, lambda full: [], exact=True)
    loose = Claim("dummy bound claim", "", _below_formula, lambda full: [], exact=False)
    results = [compare_bound("c", "below", 10, 9), compare_bound("c", "tight", 10, 10),
               compare_exact("c", "identity", 0, 0), _r(DEGENERATE)]
    return [
        _same("finalise(exact claim): holds, tight, identity, degenerate",
              [VIOLATED, TIGHT, HOLDS, DEGENERATE], [r.verdict for r in finalise(exact, results)]),
        _same("finalise(bound claim): unchanged", [HOLDS, TIGHT, HOLDS, DEGENERATE],
              [r.verdict for r in finalise(loose, results)]),
        _same("run_claim(exact claim, rank below the formula)", [VIOLATED],
              [r.verdict for r in run_claim(exact, _Seeded())]),
        _same("run_claim(exact claim, formula attained)", [TIGHT, HOLDS],
              [r.verdict for r in run_claim(Claim("e", "", _attains_formula, lambda full: [], exact=True), _Seeded())]),
    ]


def case_ok_status() -> list[CheckResult]:
    out = [_same(f"CheckResult.ok for {v!r}", v in (HOLDS, TIGHT, DEGENERATE), _r(v).ok)
           for v in (HOLDS, TIGHT, DEGENERATE, VIOLATED, NOT_CHECKED, ERROR)]
    statuses = [
        ("[]", [], CLAIM_NOT_CHECKED),
        ("[degenerate]", [DEGENERATE], CLAIM_NOT_CHECKED),
        ("[not checked]", [NOT_CHECKED], CLAIM_NOT_CHECKED),
        ("[holds, degenerate]", [HOLDS, DEGENERATE], CLAIM_HOLDS),
        ("[tight]", [TIGHT], CLAIM_HOLDS),
        ("[holds, violated]", [HOLDS, VIOLATED], VIOLATED),
        ("[holds, error]", [HOLDS, ERROR], ERROR),
        ("[violated, error]", [VIOLATED, ERROR], ERROR),
        ("[holds, not checked]", [HOLDS, NOT_CHECKED], NOT_CHECKED),
    ]
    for what, verdicts, status in statuses:
        results = [_r(v) for v in verdicts]
        out.append(_same(f"claim_status{what}", status, claim_status(results)))
        out.append(_same(f"claim_ok{what}", status == CLAIM_HOLDS, claim_ok(results)))
    return out


def case_run_claim() -> list[CheckResult]:
    degen = Claim("dummy degenerate claim", "", _always_degenerate, lambda full: [])
    res = run_claim(degen, _Seeded())
    once = run_claim(Claim("dummy", "", _degenerate_once, lambda full: []), _Seeded((0, 1)))
    err = run_claim(Claim("dummy", "", _raises, lambda full: []), _Seeded(), catch_errors=True)
    none = run_claim(degen, NoInstance())
    return [
        # 1 draw + REDRAW_ROUNDS = 2 redraws, all degenerate, then one 'not checked'
        _same("run_claim(every draw degenerate): verdicts", [DEGENERATE, DEGENERATE, DEGENERATE, NOT_CHECKED],
              [r.verdict for r in res]),
        _same("run_claim(every draw degenerate): claim_status", CLAIM_NOT_CHECKED, claim_status(res)),
        _same("run_claim(every draw degenerate): some result not ok", True, any(not r.ok for r in res)),
        # seeds (0, 1) degenerate, the redraw (2, 3) is generic: no 'not checked'
        _same("run_claim(degenerate, then generic redraw)", [DEGENERATE, HOLDS], [r.verdict for r in once]),
        _same("run_claim(check raises, catch_errors)", [ERROR], [r.verdict for r in err]),
        _same("run_claim(check raises): claim_status", ERROR, claim_status(err)),
        _same("run_claim(NoInstance)", [NOT_CHECKED], [r.verdict for r in none]),
    ]


def case_degeneracy() -> list[CheckResult]:
    arch = conv_arch(4, [(2, 2)], 1)
    net = random_network(arch, 0)
    # 6 samples, only 2 distinct inputs: rank Σ_xx = 2 < min(n, d0) = 4
    rows = [[1, 0, 2, -1], [0, 3, -1, 1]] * 3
    dup = Dataset(rows, [[1], [2], [0], [-1], [3], [1]])
    r, s = data_ranks(net, dup)
    generic = random_dataset(arch, 6, 0)
    r_g, s_g = data_ranks(net, generic)
    return [
        _same("rank Σ_xx of duplicated samples", 2, r),
        _same("degeneracy(duplicated samples) reports rank-deficient data", True,
              (degeneracy(net, dup, r, s) or "").startswith("data rank r=2")),
        _same("degeneracy(generic integer data, seed 0)", None, degeneracy(net, generic, r_g, s_g)),
    ]


CASES = {"compare_bound / compare_exact": case_compare, "finalise on an exact claim": case_finalise,
         "ok, claim_status, claim_ok": case_ok_status, "run_claim: not checked, error": case_run_claim,
         "data degeneracy": case_degeneracy}


def check(case: str) -> list[CheckResult]:
    return [CheckResult(NAME, f"{case}: {r.instance}", r.expected, r.observed, r.verdict, r.detail, r.relation)
            for r in CASES[case]()]


def instances(full: bool = False) -> list[str]:
    return list(CASES)


CLAIM = Claim(NAME, STATEMENT, check, instances, exact=False, tags=("framework", "self-test"))
