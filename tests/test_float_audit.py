"""symhess.experiments.float_audit: float conventions next to certified exact ranks, on the float-failure families."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from symhess.cli.main import main
from symhess.cli.report import rank_report
from symhess.experiments.float_audit import (CONVENTIONS, FAMILIES, family_instance, float_audit, float_matrices,
                                             float_singular_values, get_convention)
from symhess.experiments.sweep import run_table
from symhess.experiments.tables import get_table
from symhess.linalg.rank import exact_rank


def _wrong(audit, name):
    return set(audit.result(name).wrong)


def test_collinear_inputs_fool_every_convention_and_the_exact_rank_is_right():
    net, data = family_instance("collinear", 26)
    audit = float_audit(net, data)
    # independent check of r: the exact input matrix has full column rank d0 (x[1] - x[0] = 2^-26 z != 0)
    assert exact_rank(data.inputs).rank == net.arch.input_dim == audit.exact_r
    assert audit.certified
    for res in audit.results:
        assert {"outer", "loss", "r"} <= set(res.wrong), res.convention.name
        assert not res.agrees
    # the float values at the exact cut are tiny but non-zero: no threshold at numpy's scale separates them
    cut = audit.result("numpy").cuts["outer"]
    assert cut.sigma_at_exact[0] < cut.tol
    # at a = 0 nothing is wrong
    assert all(res.agrees for res in float_audit(*family_instance("collinear", 0)).results)


def test_rebalanced_weights_keep_the_exact_ranks_and_break_float_ranks_from_2_to_the_12():
    base = float_audit(*family_instance("rebalanced", 0))
    assert all(res.agrees for res in base.results)
    for a in (12, 24):
        audit = float_audit(*family_instance("rebalanced", a))
        # same function, Hessians congruent by diag(2^-a I, 2^a I): exact ranks provably those at a = 0
        assert audit.exact == base.exact and audit.certified
        assert "loss" in _wrong(audit, "numpy")
        assert _wrong(audit, "torch") == _wrong(audit, "numpy") == _wrong(audit, "jax-x64")
    assert float_audit(*family_instance("rebalanced", 8)).result("numpy").agrees


def test_near_interpolation_breaks_loss_and_the_subtraction_breaks_functional_first():
    ref = float_audit(*family_instance("interpolation", 0))
    for a, numpy_ok in ((8, True), (40, False)):
        audit = float_audit(*family_instance("interpolation", a))
        # residuals are exactly -2^-a z: H_F scales by a power of two, its exact rank cannot change
        assert audit.exact["functional"] == ref.exact["functional"]
        assert audit.result("numpy").agrees is numpy_ok
        if get_convention("H_L-H_O") and float_matrices(*family_instance("interpolation", a)).autodiff_loss is not None:
            # H_L from autodiff minus H_O: rounding noise of size eps |H_O| swamps H_F ~ 2^-a
            assert audit.result("H_L-H_O").ranks["functional"] > audit.exact["functional"]
        else:
            assert audit.result("H_L-H_O").ranks["functional"] == audit.result("numpy").ranks["functional"]


def test_absolute_threshold_breaks_on_deep_nets():
    audit = float_audit(*family_instance("depth", 12))
    assert "outer" in _wrong(audit, "atol=1e-7/p")
    assert audit.result("numpy").agrees


def test_numpy_and_torch_conventions_are_what_those_libraries_compute():
    net, data = family_instance("rebalanced", 12)
    audit = float_audit(net, data)
    mats = float_matrices(net, data)
    for part in ("outer", "functional", "loss"):
        assert audit.result("numpy").ranks[part] == np.linalg.matrix_rank(mats.part(part))
        sv = float_singular_values(mats.part(part))
        assert audit.result("rtol=1e-6").ranks[part] == int((sv > 1e-6 * sv[0]).sum())
    torch = pytest.importorskip("torch")
    for part in ("outer", "functional", "loss"):
        t = int(torch.linalg.matrix_rank(torch.tensor(mats.part(part))))
        assert audit.result("torch").ranks[part] == t


def test_json_shape_and_text_marks():
    net, data = family_instance("collinear", 26)
    report = rank_report(net, data, float_audit=True)
    doc = json.loads(json.dumps(report.to_dict()))
    names = [e["convention"] for e in doc["float_audit"]]
    assert names == [c.name for c in CONVENTIONS]
    entry = doc["float_audit"][0]
    assert set(entry["ranks"]) == {"outer", "functional", "loss"} and entry["agrees"] is False
    assert {"tol", "smallest_kept", "largest_dropped", "sigma_at_exact"} <= set(entry["cut"]["outer"])
    text = report.to_text()
    assert "NO <-" in text and "14*" in text


def test_cli_rank_float_audit(capsys):
    argv = ["rank", "--input-dim", "8", "--kernels", "3", "--channels", "2", "--samples", "10", "--float-audit"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "float64 audit" in out and "jax-float32" in out
    assert main(argv + ["--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["float_audit"]) == len(CONVENTIONS)


def test_float_failures_table_is_fast_and_names_first_breaks():
    start = time.perf_counter()
    result = run_table(get_table("float-failures"), jobs=1, progress=False)
    assert time.perf_counter() - start < 30
    assert {r.series for r in result.rows} == set(FAMILIES)
    assert all(r.certified for r in result.rows)
    notes = "\n".join(result.notes())
    assert "collinear (x_i[1] = x_i[0] + 2^-a z_i): first wrong at numpy=torch=jax64 2^-20" in notes
    assert "rebalanced" in notes and "numpy=torch=jax64 2^12" in notes
    md = result.render("md")
    assert "| NO " in md
