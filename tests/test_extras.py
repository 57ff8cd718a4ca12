"""After a plain install (no extras), ``symhess check`` passes: a claim whose optional package is
missing is reported ``skipped`` with the install hint, and does not fail the run."""

import builtins
import json

import pytest

from proofs_checks.framework import CLAIM_SKIPPED, SKIPPED, claim_ok, claim_status, registry, run_claim
from symhess.cli.main import main
from symhess.experiments import datasets
from symhess.extras import MissingExtra


@pytest.fixture
def no_sklearn(monkeypatch):
    real_import = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    datasets.digits_images.cache_clear()
    yield
    datasets.digits_images.cache_clear()


def test_missing_extra_is_an_input_error_with_hint():
    err = MissingExtra("--dataset digits", "scikit-learn", "data")
    assert "pip install 'symhess[data]'" in str(err) and err.hint.startswith("needs scikit-learn")


def test_real_data_claim_skipped_without_sklearn(no_sklearn):
    claim = next(c for c in registry() if c.name.startswith("Real data"))
    results = [r for inst in claim.instances(False) for r in run_claim(claim, inst, catch_errors=True)]
    assert results and {r.verdict for r in results} == {SKIPPED}
    assert "pip install 'symhess[data]'" in results[0].detail
    assert claim_status(results) == CLAIM_SKIPPED and claim_ok(results)


def test_check_exit_zero_and_shows_skip(no_sklearn, capsys):
    assert main(["check", "--claim", "Real data", "--json", "--jobs", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "skipped" in json.dumps(doc)


def test_rank_with_digits_without_sklearn_is_one_line(no_sklearn, capsys):
    assert main(["rank", "--input-dim", "16", "--kernels", "3", "--channels", "2", "--outputs", "2",
                 "--samples", "5", "--dataset", "digits"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scikit-learn" in err[0]
