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


def _heavy_selected(config) -> bool:
    """Whether ``-m`` can select a test marked ``heavy`` (and nothing else but ``parametrize``).

    The full sweeps are drawn only then: drawing them costs ~25 s (the systematic search
    selects from 60,000 architectures), wasted when the default ``-m 'not heavy'`` deselects
    them all. Any doubt (an expression pytest's parser does not take here) means yes.
    """
    expr = config.getoption("markexpr")
    if not expr:
        return True
    try:
        from _pytest.mark.expression import Expression
        return bool(Expression.compile(expr).evaluate(lambda name, **kw: not kw and name in ("heavy", "parametrize")))
    except Exception:  # a private API: when it changes, draw the sweeps as before
        return True


def pytest_generate_tests(metafunc):
    if metafunc.function.__name__ == "test_default_sweep":
        metafunc.parametrize("claim, instance", _cases(full=False))
    elif metafunc.function.__name__ == "test_full_sweep":
        cases = _cases(full=True) if _heavy_selected(metafunc.config) else [
            pytest.param(None, None, id="full sweeps not drawn: -m deselects heavy", marks=[pytest.mark.heavy])]
        metafunc.parametrize("claim, instance", cases)


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


def test_default_sweep(claim, instance, record_property):
    _check(claim, instance, record_property)


def test_full_sweep(claim, instance, record_property):
    _check(claim, instance, record_property)
