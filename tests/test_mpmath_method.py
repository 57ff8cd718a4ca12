"""``--method mpmath``: the gap rule on the exact integer matrices, confirmed at 2*dps."""

from __future__ import annotations

import json

import pytest

from symhess.cli.main import main
from symhess.cli.report import rank_report
from symhess.experiments.float_audit import family_instance
from symhess.linalg.numeric_rank import confirmed_gap_rank


def _ranks(report):
    return {k: v.rank for k, v in report.ranks.items()}


def test_mpmath_equals_certified_where_the_gap_is_clear():
    net, data = family_instance("collinear", 0)
    exact = rank_report(net, data)
    mp = rank_report(net, data, method="mpmath", dps=20)
    assert _ranks(mp) == _ranks(exact)
    assert mp.path == "mpmath" and not mp.certified
    assert all("same rank at dps=20" in r.certificate for r in mp.ranks.values())


@pytest.mark.parametrize("family,knob", [("collinear", 26), ("rebalanced", 12), ("interpolation", 40)])
def test_float_failure_families_at_too_low_precision_say_no_clear_gap_never_a_wrong_rank(family, knob):
    net, data = family_instance(family, knob)
    exact = _ranks(rank_report(net, data))
    mp = rank_report(net, data, method="mpmath", dps=15)
    got = _ranks(mp)
    for part, rank in got.items():
        assert rank is None or rank == exact[part], (part, rank, exact[part])
    assert None in got.values()  # float64-like precision cannot resolve these: said so, not guessed
    assert "no gap" in mp.to_text()


def test_one_precision_alone_can_be_wrong_the_confirmation_catches_it():
    from symhess.hessian.assembly import assemble
    from symhess.linalg.numeric_rank import gap_rank
    import flint

    net, data = family_instance("collinear", 26)
    A = assemble(net, data)
    m = flint.fmpz_mat([[int(v) for v in row] for row in A.integer("outer").tolist()])
    assert gap_rank(m, 15).rank == 14  # the single-precision gap rule drops sigma ~ 2^-52: wrong (exact 16)
    assert confirmed_gap_rank(m, 15).rank is None


@pytest.mark.heavy
@pytest.mark.parametrize("family,knob", [("collinear", 26), ("rebalanced", 12), ("interpolation", 40),
                                         ("depth", 10), ("scale", 16)])
def test_enough_digits_resolve_the_float_failures(family, knob):
    net, data = family_instance(family, knob)
    assert _ranks(rank_report(net, data, method="mpmath", dps=60)) == _ranks(rank_report(net, data))


def test_cli_method_mpmath_json(capsys):
    argv = ["rank", "--input-dim", "6", "--kernels", "2", "--channels", "2", "--samples", "6",
            "--method", "mpmath", "--dps", "20", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["path"] == "mpmath" and doc["certified"] is False
    assert main(argv[:-3] + ["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ranks"] == doc["ranks"]
