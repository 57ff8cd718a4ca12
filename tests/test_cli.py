"""The command line: the JSON contract of ``symhess rank``, exports, and user errors (exit 2)."""

import json
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy

from symhess.cli.main import main
from symhess.hessian.symbolic import direct_hessians
from symhess.io.exchange import dataset_from_json, network_from_json

from cli_fixtures import DATA, MODEL


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


@pytest.mark.parametrize("args, prefix", [
    (["rank", "--kernels", "3,x"], "symhess rank: --kernels: expected comma-separated integers"),
    (["rank", "--kernels", "3,3", "--channels", "2"], "symhess: error: --channels"),
    (["rank", "--input-dim", "4", "--kernels", "3,3"], "symhess: error: --kernels (conv layer 2)"),
    (["rank", "--activation", "tanh"], "symhess rank: --activation: expected one of linear, relu, got 'tanh'"),
    (["rank", "--method", "svd"], "symhess rank: --method: expected one of exact, float64"),
    (["rank", "--model", "/nonexistent/model.json"], "symhess: error: --model"),
    (["rank", "--dataset", "cifar"], "symhess rank: --dataset: expected one of integer, gaussian, digits"),
    (["rank", "--input-dim", "abc"], "symhess rank: --input-dim: expected an integer from 1 to 1000000, got 'abc'"),
    (["rank", "--paddings", "-1,0", "--kernels", "3,3"], "symhess rank: --paddings: expected comma-separated"),
    (["rank", "--dps", "10000000"], "symhess rank: --dps: expected an integer from 15 to 10000"),
    (["rank", "--memory-limit", "nan"], "symhess rank: --memory-limit: expected a finite number > 0"),
    (["rank", "--frobnicate"], "symhess rank: --frobnicate: expected an option of 'symhess rank'"),
    (["hessian"], "symhess hessian: --out: expected"),
    (["nosuchcommand"], "symhess: COMMAND: expected one of audit, check, hessian, plot, rank, table"),
])
def test_user_errors_exit_2_one_line(args, prefix, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(prefix) and err.count("\n") == 1 and "Traceback" not in err


def test_help_and_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("symhess ")
    assert main(["rank", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for text in ("{integer,gaussian,digits,mnist1d,gunpoint}", "--input-dim 64, 16, 4 or 1", "(default 50)", "(default 20)", "linear,relu", "exact,float64"):
        assert text in out
    assert main(["hessian", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "outer, functional, loss" in out and "required" in out
    assert main(["plot", "--help"]) == 0
    assert "required with NAME" in " ".join(capsys.readouterr().out.split())


def test_memory_refused_before_drawing(capsys):
    """The reviewer's case: refused from the architecture alone, at once (it used to take 177 s and 6.3 GB)."""
    import time

    start = time.monotonic()
    assert main(["rank", "--input-dim", "100000", "--kernels", "3,3", "--channels", "500,500", "--samples", "20",
                 "--memory-limit", "1"]) == 2
    assert time.monotonic() - start < 5
    assert capsys.readouterr().err.startswith("symhess: error: --memory-limit: expected a job within 1.0 GB")


def test_out_is_checked_before_the_work(tmp_path, capsys):
    missing = tmp_path / "no" / "h.json"
    assert main(["hessian", "--out", str(missing), "--input-dim", "6", "--kernels", "3", "--samples", "3"]) == 2
    assert "--out" in capsys.readouterr().err and not missing.parent.exists()
    link = tmp_path / "h.json"
    link.symlink_to("/dev/null")
    assert main(["hessian", "--out", str(link), "--input-dim", "6", "--kernels", "3", "--samples", "3"]) == 2
    assert link.is_symlink() and "regular file" in capsys.readouterr().err


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


def test_rank_cross_entropy_json(capsys):
    args = ["rank", "--loss", "ce", "--input-dim", "6", "--kernels", "3", "--channels", "2", "--outputs", "3",
            "--samples", "5", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["ranks"]) == {"outer", "functional", "loss"}
    # the MSE report's shape: certified (bool), path, elapsed_seconds, params, samples; detail per part
    assert out["certified"] is False and out["rank_details"]["certified"] == {"outer": True, "functional": False,
                                                                              "loss": False}
    assert {"params", "samples", "path", "elapsed_seconds", "network", "data"} <= set(out)
    assert out["rank_details"]["outer_numeric_agrees"] is True  # exact rank H_O (1-perp basis) == mpmath rank
    assert set(out["bounds"]) >= {"outer", "functional", "loss"}
    # K − 1 bounds (Theorem 7 for K − 1 = 2 outputs, r = n = 5, d_1 = 4, q = 2):
    # H_O ≤ min((K−1) r, q((K−1) d_1 + k − q)) = min(10, 2·(8 + 3 − 2)) = 10 (with K it would be 15)
    assert out["bounds"]["outer"] == 10 and out["ranks"]["outer"] <= 10


def _torch_instance(torch, seed):
    gen = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3, stride=2, padding=1, bias=False), torch.nn.ReLU(),
                                torch.nn.Flatten(), torch.nn.Linear(2 * 4, 2, bias=False)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randint(-3, 4, p.shape, generator=gen, dtype=torch.float64))
    x = torch.randint(-20, 21, (6, 8), generator=gen, dtype=torch.float64)  # wide: few exact-zero pre-activations
    y = torch.randint(-3, 4, (6, 2), generator=gen, dtype=torch.float64)
    return model, x, y


def _torch_loss_hessian(torch, model, x, y):
    """``torch.func.hessian`` of the MSE loss, flattened in parameter order (independent of symhess)."""
    names = [n for n, _ in model.named_parameters()]
    params = [p.detach() for _, p in model.named_parameters()]

    def loss(*flat):
        out = torch.func.functional_call(model, dict(zip(names, flat)), (x.unsqueeze(1),))
        return 0.5 * ((out - y) ** 2).sum() / x.shape[0]

    blocks = torch.func.hessian(loss, argnums=tuple(range(len(names))))(*params)
    return torch.cat([torch.cat([blocks[i][j].reshape(params[i].numel(), -1) for j in range(len(names))], 1)
                      for i in range(len(names))], 0).numpy()


def test_rank_torch_model_matches_autograd(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    import numpy as np

    for seed in range(10):
        model, x, y = _torch_instance(torch, seed)
        path = tmp_path / "model.pt"
        torch.save(model, path)
        (tmp_path / "data.json").write_text(json.dumps({"inputs": x.int().tolist(), "targets": y.int().tolist()}))
        code = main(["rank", "--torch", str(path), "--input-dim", "8", "--data", str(tmp_path / "data.json"),
                     "--json"])
        captured = capsys.readouterr()
        if code == 2 and "pre-activation" in captured.err:
            continue  # a ReLU kink: the Hessian is undefined there, draw again
        assert code == 0, captured.err
        out = json.loads(captured.out)
        H = _torch_loss_hessian(torch, model, x, y)
        assert out["ranks"]["loss"] == np.linalg.matrix_rank(H)  # integer instance: unambiguous in float64
        return
    pytest.fail("every draw had a ReLU kink")


def test_relu_kink_is_an_error_unless_redraw_is_asked(capsys):
    args = ["rank", "--activation", "relu", "--samples", "10", "--input-dim", "8", "--kernels", "3", "--channels", "3"]
    assert main(args) == 2  # seed 0 with small integers sits on an exact kink
    assert "exactly-zero ReLU pre-activation" in capsys.readouterr().err
    assert main(args + ["--redraw", "10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["certified"] is True and out["ranks"]["loss"] <= out["params"]
    assert main(args + ["--redraw", "3", "--model", "m.json"]) == 2  # redraw is for generated instances only
