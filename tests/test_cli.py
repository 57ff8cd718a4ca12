"""The command line: the JSON contract of ``symhess rank``, exports, and user errors (exit 2)."""

import json
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy

from symhess.cli import main
from symhess.exchange import dataset_from_json, network_from_json
from symhess.symbolic import direct_hessians

MODEL = {
    "input_dim": 5, "activation": "linear",
    "layers": [
        {"type": "conv1d", "weight": [[[1, -2, 1]], [[2, 1, "1/2"]]], "stride": 1, "padding": 0},
        {"type": "linear", "weight": [[1, 0, 2, -1, 1, 3], [0, 1, -1, 2, 2, 1]]},
    ],
}
DATA = {"inputs": [[1, 0, 2, -1, 3], [0, 1, 1, 2, -2], [2, -1, 0, 1, 1]],
        "targets": [[1, 0], [0, 1], ["1/3", 2]]}


@pytest.fixture
def files(tmp_path):
    model, data = tmp_path / "model.json", tmp_path / "data.json"
    model.write_text(json.dumps(MODEL))
    data.write_text(json.dumps(DATA))
    return model, data


def test_rank_json_matches_sympy(files, capsys):
    model, data = files
    assert main(["rank", "--model", str(model), "--data", str(data), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    net = network_from_json(MODEL)
    direct = direct_hessians(net, dataset_from_json(DATA, net.arch))  # independent: sympy differentiation
    assert out["params"] == 2 * 1 * 3 + 2 * (2 * 3)
    assert out["ranks"] == {part: direct[part].rank() for part in ("outer", "functional", "loss")}
    assert out["method"] == "exact" and out["certified"] is True
    assert set(out["bounds"]) >= {"outer", "functional", "loss"}
    for part in ("outer", "functional", "loss"):
        assert out["ranks"][part] <= out["bounds"][part]


def test_rank_float64_baseline(files, capsys):
    model, data = files
    assert main(["rank", "--model", str(model), "--data", str(data), "--method", "float64", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "float64" and out["certified"] is False
    assert "largest_dropped" in out["rank_details"]["loss"]["details"]


def test_rank_generated_table(capsys):
    assert main(["rank", "--input-dim", "8", "--kernels", "3,2", "--channels", "2,2", "--strides", "1,2",
                 "--paddings", "0,1", "--outputs", "2", "--samples", "6", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "H_O outer" in text and "H_F functional" in text and "certified: yes" in text


def test_hessian_export(files, tmp_path, capsys):
    model, data = files
    out = tmp_path / "h.json"
    assert main(["hessian", "--model", str(model), "--data", str(data), "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    net = network_from_json(MODEL)
    direct = direct_hessians(net, dataset_from_json(DATA, net.arch))
    for part in ("outer", "functional", "loss"):
        exported = sympy.Matrix([[sympy.Rational(Fraction(v)) for v in row] for row in doc["hessians"][part]])
        assert exported == direct[part]


@pytest.mark.parametrize("args, field", [
    (["rank", "--kernels", "3,x"], "--kernels"),
    (["rank", "--kernels", "3,3", "--channels", "2"], "--channels"),
    (["rank", "--input-dim", "4", "--kernels", "3,3"], "--kernels (conv layer 2)"),
    (["rank", "--activation", "tanh"], "--activation"),
    (["rank", "--method", "svd"], "--method"),
    (["rank", "--model", "/nonexistent/model.json"], "--model"),
    (["rank", "--dataset", "cifar"], "dataset"),
])
def test_user_errors_exit_2_one_line(args, field, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"symhess: error: {field}") and "\n" not in err and "Traceback" not in err


def test_bad_model_file_no_partial_output(files, tmp_path):
    model, data = files
    bad = dict(MODEL, layers=[MODEL["layers"][0], {"type": "linear", "weight": [[1, 2, 3]]}])
    model.write_text(json.dumps(bad))
    out = tmp_path / "h.json"
    proc = subprocess.run([sys.executable, "-m", "symhess", "hessian", "--model", str(model), "--data", str(data),
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("symhess: error: layers[1].weight[0]") and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.json", "model.json"]  # no partial output
