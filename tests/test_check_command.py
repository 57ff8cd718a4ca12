"""``symhess check``: exit codes, JSON shape, claim filter, --out, and --jobs independence."""

import json
import sys
import types

import pytest

import proofs_checks.framework as framework
from proofs_checks import outer_rank_equals_ntk
from proofs_checks.framework import Claim, DegenerateInstance, compare_bound, compare_exact
from symhess.cli.main import main

CHEAP = "outer_rank_equals_ntk"


def _violated_check(instance):
    return compare_bound("fake violated", f"case {instance}", 3, 3 + instance)  # 3 <= 3 tight, 4 <= 3 violated


def _below_check(instance):
    return compare_bound("fake exact", f"case {instance}", 3, 2 + instance)  # 2 < 3 holds, 3 <= 3 tight


def _crashing_check(instance):
    raise RuntimeError("bug in a check")


def _degenerate_check(instance):
    raise DegenerateInstance("singular data on purpose")


def _holding_check(instance):
    return compare_exact("fake holds", f"case {instance}", instance, instance)


def _empty_check(instance):
    return []


def _two_instances(full):
    return [0, 1]


def _fake(name, check, exact=False):
    return Claim(name, f"{name} statement", check, _two_instances, exact=exact)


@pytest.fixture
def fake_registry(monkeypatch):
    def install(*claims):
        monkeypatch.setattr(framework, "registry", lambda: list(claims))
    return install


def test_json_shape_and_exit_zero(capsys):
    assert main(["check", "--claim", CHEAP, "--json", "--jobs", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["violations"] == 0 and out["errors"] == 0
    (claim,) = out["claims"]
    assert claim["module"] == CHEAP
    assert set(claim) >= {"claim", "statement", "exact", "instances", "verdicts", "worst_gap", "results", "ok"}
    assert claim["instances"] == len(outer_rank_equals_ntk.instances(False))
    for r in claim["results"]:
        assert set(r) >= {"claim", "instance", "expected", "observed", "verdict", "detail", "gap"}
        assert r["verdict"] in framework.VERDICTS


def test_jobs_two_gives_identical_results(capsys):
    assert main(["check", "--claim", CHEAP, "--json", "--jobs", "1"]) == 0
    serial = capsys.readouterr().out
    assert main(["check", "--claim", CHEAP, "--json", "--jobs", "2"]) == 0
    assert capsys.readouterr().out == serial


def test_violation_exits_one(fake_registry, capsys):
    fake_registry(_fake("fake holds", _holding_check), _fake("fake violated", _violated_check))
    assert main(["check", "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "| fake violated | 2 | 1 tight, 1 violated | -1 |" in out
    assert "FAILED: fake violated" in out


def test_exact_claim_below_bound_is_violated(fake_registry, capsys):
    fake_registry(_fake("fake bound", _below_check))
    assert main(["check", "--json", "--jobs", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["claims"][0]["verdicts"] == {"holds": 1, "tight": 1}
    fake_registry(_fake("fake exact", _below_check, exact=True))
    assert main(["check", "--json", "--jobs", "1"]) == 1
    claim = json.loads(capsys.readouterr().out)["claims"][0]
    assert claim["verdicts"] == {"tight": 1, "violated": 1}
    assert claim["results"][0]["detail"].startswith("claimed exact, generic rank 2 < formula 3")


def test_crash_and_empty_results_are_failures(fake_registry, capsys):
    fake_registry(_fake("fake crash", _crashing_check))
    assert main(["check", "--json", "--jobs", "1"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["errors"] == 2 and "RuntimeError: bug in a check" in out["claims"][0]["results"][0]["detail"]
    fake_registry(_fake("fake empty", _empty_check))
    assert main(["check", "--jobs", "1"]) == 1
    assert "no result" in capsys.readouterr().out


def _degenerate_first_check(instance):
    if instance == 0:
        raise DegenerateInstance("singular data on purpose")
    return compare_exact("fake some degenerate", f"case {instance}", 1, 1)


def test_degenerate_draw_is_reported_not_failed(fake_registry, capsys):
    fake_registry(_fake("fake some degenerate", _degenerate_first_check), _fake("fake holds", _holding_check))
    assert main(["check", "--json", "--jobs", "1"]) == 1  # instance 0 (no seeds to redraw) was not checked
    out = json.loads(capsys.readouterr().out)
    first = out["claims"][0]
    assert first["verdicts"] == {"holds": 1, "degenerate instance": 1, "not checked": 1}
    assert first["results"][0]["detail"] == "DegenerateInstance: singular data on purpose"
    assert out["claims"][1]["ok"] is True


def test_all_degenerate_claim_is_not_checked_and_fails(fake_registry, capsys):
    """A claim with no generic instance has not been checked: exit 1, never "every claim holds"."""
    fake_registry(_fake("fake degenerate", _degenerate_check), _fake("fake holds", _holding_check))
    assert main(["check", "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "| fake degenerate | 2 | 2 degenerate instance, 2 not checked |" in out
    assert "FAILED: fake degenerate" in out and "every claim holds" not in out
    assert main(["check", "--json", "--jobs", "1"]) == 1
    claim = json.loads(capsys.readouterr().out)["claims"][0]
    assert claim["ok"] is False
    assert framework.claim_status([framework.CheckResult(**{k: r[k] for k in (
        "claim", "instance", "expected", "observed", "verdict")}) for r in claim["results"]]) == \
        framework.CLAIM_NOT_CHECKED


def test_claim_without_instances_is_not_checked(fake_registry, capsys, monkeypatch):
    import proofs_checks

    fake = types.ModuleType("proofs_checks.zz_fake_empty")
    fake.CLAIM = Claim("fake no instances", "statement", _holding_check, _no_instances)
    monkeypatch.setitem(sys.modules, "proofs_checks.zz_fake_empty", fake)
    real_iter = framework.pkgutil.iter_modules
    with monkeypatch.context() as m:
        m.setattr(framework.pkgutil, "iter_modules",
                  lambda path: [i for i in real_iter(path) if i.name == "fcn_special_case"]
                  + [types.SimpleNamespace(name="zz_fake_empty")])
        claims = framework.registry()
    assert [c.name for c in claims][-1] == "fake no instances"
    fake_registry(*claims[-1:])
    assert main(["check", "--jobs", "1"]) == 1
    assert "FAILED: fake no instances" in capsys.readouterr().out
    assert proofs_checks  # the package is importable


def _no_instances(full):
    return []


def test_claim_filter_is_repeatable_and_checked(fake_registry, capsys):
    fake_registry(_fake("fake holds", _holding_check), _fake("fake violated", _violated_check),
                  _fake("other", _holding_check))
    assert main(["check", "--claim", "HOLDS", "--claim", "other", "--json", "--jobs", "1"]) == 0
    assert [c["claim"] for c in json.loads(capsys.readouterr().out)["claims"]] == ["fake holds", "other"]
    assert main(["check", "--claim", "no-such-claim"]) == 2
    assert "--claim" in capsys.readouterr().err


def test_out_file_formats(fake_registry, tmp_path, capsys):
    fake_registry(_fake("fake holds", _holding_check))
    csv_file = tmp_path / "table.csv"
    assert main(["check", "--jobs", "1", "--out", str(csv_file)]) == 0
    assert csv_file.read_text().splitlines() == ["claim,instances,verdicts,worst_gap", "fake holds,2,2 holds,0"]
    json_file = tmp_path / "table.txt"
    assert main(["check", "--jobs", "1", "--out", str(json_file), "--format", "json"]) == 0
    assert json.loads(json_file.read_text())["claims"][0]["claim"] == "fake holds"
    # --out x.json writes the same document --json prints
    capsys.readouterr()
    assert main(["check", "--jobs", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json_file.read_text())
    assert main(["check", "--jobs", "1", "--out", str(tmp_path / "table.xyz")]) == 2
    assert main(["check", "--jobs", "1", "--out", str(tmp_path / "missing" / "t.md")]) == 2
    assert not (tmp_path / "table.xyz").exists()
    assert main(["check", "--jobs", "0"]) == 2
