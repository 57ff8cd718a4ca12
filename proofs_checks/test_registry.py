"""Every claim of the registry on its default sweep (and, marked heavy, its full sweep).

One test per (claim, instance). A test fails on any ``violated`` (or ``error``) result;
for a claim said to be exact, :func:`proofs_checks.framework.finalise` has already turned
a generic rank below its formula into ``violated``. Degenerate instances are never passed
silently: :func:`~proofs_checks.framework.run_claim` redraws an instance whose draws are all
degenerate and, failing that, adds a ``not checked`` result, which fails the test (nothing
was checked); a test with some degenerate results records them as the ``degenerate`` user
property of its report (``--junitxml`` shows them; ``symhess check`` lists them in its table).
"""

from __future__ import annotations

import pytest

from proofs_checks.framework import DEGENERATE, TIGHT, BOUND, instance_label, registry, run_claim


def _cases(full: bool) -> list:
    marks = [pytest.mark.heavy] if full else []
    return [pytest.param(claim, instance, id=f"{claim.name} | {instance_label(instance)}", marks=marks)
            for claim in registry() for instance in claim.instances(full)]


def _check(claim, instance, record) -> None:
    results = run_claim(claim, instance)
    assert results, f"{claim.name}: no result on {instance_label(instance)}"
    failures = [r for r in results if not r.ok]
    assert not failures, "\n".join(
        f"{r.verdict}: {r.instance}: expected {r.expected!r}, observed {r.observed!r} ({r.detail})" for r in failures)
    if claim.exact:
        loose = [r for r in results if r.relation == BOUND and r.verdict not in (TIGHT, DEGENERATE)]
        assert not loose, f"claimed exact but not attained: {[r.instance for r in loose]}"
    degenerate = [r for r in results if r.verdict == DEGENERATE]
    if len(degenerate) == len(results):
        pytest.skip("degenerate instance: " + "; ".join(f"{r.instance}: {r.detail}" for r in degenerate))
    for r in degenerate:
        record("degenerate", f"{r.instance}: {r.detail}")


@pytest.mark.parametrize("claim, instance", _cases(full=False))
def test_default_sweep(claim, instance, record_property):
    _check(claim, instance, record_property)


@pytest.mark.parametrize("claim, instance", _cases(full=True))
def test_full_sweep(claim, instance, record_property):
    _check(claim, instance, record_property)
