"""The command line for layer networks: 2D convolutions, biases, pooling, mixed ReLU (issue 9).

Every command runs through :func:`symhess.cli.main.main`; its numbers are checked against routes
the CLI does not use: the certified ranks of ``symhess rank`` (fast integer assembly) against the
exact FLINT Hessians of :func:`symhess.hessian.sequential.sequential_hessians` ranked by
:func:`symhess.linalg.rank.exact_rank`, the exported matrices against sympy's differentiation
(:func:`symhess.hessian.sequential_sympy.sympy_hessians`), the audit against counts of window
taps, and a torch model against float64 ``torch.func`` on a well-conditioned instance.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

import numpy as np
import pytest
import sympy

from symhess.cli.main import main
from symhess.experiments.datasets import load_dataset
from symhess.hessian.hessians import input_covariance
from symhess.hessian.sequential import sample_pass, sequential_hessians
from symhess.hessian.sequential_sympy import sympy_hessians
from symhess.linalg.matrices import to_fmpq_mat
from symhess.linalg.rank import exact_rank
from symhess.nets.layers import AvgPool, Conv, Dense, Flatten, MaxPool, ReLU
from symhess.nets.layers.base import KinkError
from symhess.nets.relu import GENERIC_SCALE, attempt_seed
from symhess.nets.sequential import SequentialArchitecture, random_sequential_network

PARTS = ("outer", "functional", "loss")


def run_json(capsys, *argv: str) -> tuple[dict, str]:
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def independent_ranks(net, data) -> dict:
    """Ranks by the exact FLINT route (not the CLI's integer assembly), with column blocks and r, s."""
    H = sequential_hessians(net, data)
    ranks = {part: exact_rank(H.part(part)).rank for part in PARTS}
    blocks = {part: [exact_rank(H.column_block(part, l)).rank for l in range(1, net.arch.depth + 1)]
              for part in ("outer", "functional")}
    R = np.array([list(sample_pass(net, x, i).output - y) for i, (x, y) in enumerate(zip(data.inputs, data.targets))],
                 dtype=object)  # residuals F(x_i) - y_i
    r = exact_rank(input_covariance(data)).rank
    s = exact_rank(to_fmpq_mat(R.T.dot(data.inputs))).rank  # rank Omega = rank R^T X
    ranks_data = {"r": r, "s": s}
    if net.arch.has_bias:  # homogeneous coordinates: rank [X, 1] and rank R^T [X, 1]
        X1 = np.hstack([data.inputs, np.full((data.n, 1), Fraction(1), dtype=object)])
        ranks_data["r1"] = exact_rank(to_fmpq_mat(X1)).rank
        ranks_data["s1"] = exact_rank(to_fmpq_mat(R.T.dot(X1))).rank
    return {"ranks": ranks, "blocks": blocks, "data": ranks_data}


def check_against_independent(out: dict, net, data) -> None:
    want = independent_ranks(net, data)
    assert out["network"] == net.arch.describe()
    assert out["params"] == net.arch.num_params == len(net.theta())
    assert out["ranks"] == want["ranks"]
    assert out["column_block_ranks"] == want["blocks"]
    assert out["data"] == want["data"]
    assert out["certified"] is True and out["path"] == "certified"


# ---- generated 2D networks ---------------------------------------------------------------------

MIXED = ["--input-shape", "1,6,6", "--kernels", "3x3,2", "--channels", "2,2", "--paddings", "1x0,0",
         "--bias", "--pool", "max2,none", "--activations", "relu,linear", "--samples", "6", "--seed", "3"]
MIXED_ARCH = SequentialArchitecture((1, 6, 6), (
    Conv(2, (3, 3), padding=(1, 0), bias=True), ReLU(), MaxPool((2, 2)),
    Conv(2, (2, 2), bias=True), Flatten(), Dense(2, bias=True)))


def _weight_seed(err: str, base: int) -> int:
    m = re.search(r"using weight seed (\d+)", err)
    return int(m[1]) if m else attempt_seed(base, 0)


def test_rank_2d_bias_maxpool_mixed_relu(capsys):
    out, err = run_json(capsys, "rank", *MIXED, "--redraw", "10")
    net = random_sequential_network(MIXED_ARCH, _weight_seed(err, 3), scale=GENERIC_SCALE)
    data = load_dataset(MIXED_ARCH, 6, 3, "integer")
    check_against_independent(out, net, data)
    assert [layer["type"] for layer in out["layers"]] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "Flatten", "Linear"]
    assert out["layers"][2]["out_shape"] == [2, 3, 2] and out["layers"][0]["bias"] is True
    for part in PARTS:  # the bounds of symhess.theory.sequential_bounds hold
        assert out["ranks"][part] <= out["bounds"][part] <= out["params"]
    assert "docs/theory.md §9" in out["bounds"]["source"]


def test_rank_text_names_the_layers(capsys):
    assert main(["rank", *MIXED, "--redraw", "10"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0] == "network: " + MIXED_ARCH.describe()
    assert lines[1] == ("shapes: 1x6x6 -> Conv2d -> 2x6x4 -> ReLU -> 2x6x4 -> MaxPool2d -> 2x3x2 -> Conv2d -> 2x2x1 "
                        "-> Flatten -> 4 -> Linear -> 2")
    assert lines[3].startswith("data: n = 6, r = rank Sigma_xx = ") and "; biases: r1 = rank [X, 1] = " in lines[3]
    assert re.search(r"^Hessian +rank +bound  column blocks l=1\.\.L$", text, re.M)
    assert "certified: yes" in text and re.search(r"^bounds: .*\(docs/theory\.md §9\)$", text, re.M)


def test_rank_avgpool_bias_linear_and_float64(capsys):
    """Average pooling and linear activations never kink: the first draw (weights in -3..3) is used."""
    flags = ["--input-shape", "2,5,5", "--kernels", "2,2", "--pool", "avg2,none", "--bias", "--samples", "8"]
    arch = SequentialArchitecture((2, 5, 5), (Conv(2, (2, 2), bias=True), AvgPool((2, 2)), Conv(2, (2, 2), bias=True),
                                              Flatten(), Dense(2, bias=True)))
    net, data = random_sequential_network(arch, 0), load_dataset(arch, 8, 0, "integer")
    exact, _ = run_json(capsys, "rank", *flags)
    check_against_independent(exact, net, data)
    floats, _ = run_json(capsys, "rank", *flags, "--method", "float64")
    assert floats["method"] == "float64" and floats["certified"] is False
    assert floats["ranks"] == exact["ranks"]  # well-conditioned: the float64 baseline agrees


def test_rank_1d_mixed_relu_is_a_layer_network(capsys):
    out, err = run_json(capsys, "rank", "--input-dim", "9", "--kernels", "3,2", "--activations", "relu,linear",
                        "--samples", "5", "--redraw", "10")
    arch = SequentialArchitecture((1, 9), (Conv(2, (3,)), ReLU(), Conv(2, (2,)), Flatten(), Dense(2)))
    net = random_sequential_network(arch, _weight_seed(err, 0), scale=GENERIC_SCALE)
    check_against_independent(out, net, load_dataset(arch, 5, 0, "integer"))


def test_old_1d_flags_keep_the_1d_report(capsys):
    out, _ = run_json(capsys, "rank", "--input-dim", "8", "--kernels", "3", "--samples", "5")
    assert out["network"] == "d0=8 conv(2,k3) -> K=2 linear, p=30" and "layers" not in out
    assert out["bounds"]["source"].startswith("Theorems 7, 8")


# ---- --redraw on a max-pool tie ------------------------------------------------------------------

TIE = ["--input-shape", "3,8", "--kernels", "1", "--channels", "1", "--pool", "max2", "--dataset", "gaussian",
       "--samples", "10", "--seed", "212"]
TIE_ARCH = SequentialArchitecture((3, 8), (Conv(1, (1,)), MaxPool((2,)), Flatten(), Dense(2)))


def test_redraw_past_a_max_pool_tie(capsys):
    data = load_dataset(TIE_ARCH, 10, 212, "gaussian")
    first = random_sequential_network(TIE_ARCH, attempt_seed(212, 0), scale=GENERIC_SCALE)
    with pytest.raises(KinkError, match=r"MaxPool1d"):  # the base draw really ties in a max-pool window
        for i, x in enumerate(data.inputs):
            sample_pass(first, x, i)
    out, err = run_json(capsys, "rank", *TIE, "--redraw", "3")
    assert "redrew the weights 1 time(s)" in err and "[212]" in err
    net = random_sequential_network(TIE_ARCH, attempt_seed(212, 1), scale=GENERIC_SCALE)
    check_against_independent(out, net, data)


def test_redraw_gives_up_in_one_line(capsys):
    assert main(["rank", *TIE, "--redraw", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("symhess: error: --redraw: expected a kink-free draw within 1 tries")


def test_tie_without_redraw_is_one_line(capsys):
    assert main(["rank", *MIXED]) == 2  # weights in -3..3: a ReLU zero or a max-pool tie
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("symhess: error: layer ") and "--redraw N" in err


# ---- bad flags: exit 2, one line naming the flag and the form, no file --------------------------

BAD = [
    (["--kernels", "3x3"], "symhess: error: --input-shape: expected C,H,W"),
    (["--input-shape", "1,8,8,8"], "symhess hessian: --input-shape: expected C,L or C,H,W"),
    (["--input-shape", "1,x"], "symhess hessian: --input-shape: expected C,L or C,H,W"),
    (["--input-shape", "1,8", "--kernels", "3x3"], "symhess: error: --kernels (conv layer 1): expected 1 value"),
    (["--input-shape", "1,8,8", "--kernels", "3x3x3"], "symhess hessian: --kernels: expected comma-separated"),
    (["--input-shape", "1,8,8", "--strides", "2x1x1,1"], "symhess hessian: --strides: expected comma-separated"),
    (["--input-shape", "1,8,8", "--padding", "-1,0"], "symhess hessian: --padding: expected comma-separated"),
    (["--input-shape", "1,4,4", "--kernels", "5"], "symhess: error: --kernels (conv layer 1): expected at most"),
    (["--input-shape", "1,4,4", "--kernels", "2,2", "--pool", "none,max4"],
     "symhess: error: --pool (layer 2): expected at most"),
    (["--input-shape", "1,8", "--kernels", "3", "--pool", "max2x2"], "symhess: error: --pool (layer 1): expected a window of 1"),
    (["--pool", "mean2,none"], "symhess hessian: --pool: expected comma-separated pooling layers"),
    (["--pool", "max2"], "symhess: error: --pool: expected 2 comma-separated values"),
    (["--activations", "relu,tanh"], "symhess hessian: --activations: expected comma-separated values from linear, relu"),
    (["--activations", "relu"], "symhess: error: --activations: expected 2 comma-separated values"),
    (["--activations", "relu,relu", "--activation", "relu"], "symhess: error: --activations: expected either"),
    (["--input-shape", "1,8,8", "--input-dim", "64"], "symhess: error: --input-dim: expected either"),
    (["--bias=yes"], "symhess hessian: --bias: expected no value"),
]


@pytest.mark.parametrize("flags, prefix", BAD, ids=[" ".join(f) for f, _ in BAD])
def test_bad_layer_flags(flags, prefix, tmp_path, capsys):
    target = tmp_path / "h.json"
    assert main(["hessian", *flags, "--samples", "3", "--out", str(target)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and err.startswith(prefix), err
    assert captured.out == "" and not target.exists()


def test_rank_refuses_ce_for_layer_networks(capsys):
    assert main(["rank", "--input-shape", "1,6,6", "--kernels", "3", "--loss", "ce"]) == 2
    assert capsys.readouterr().err.startswith("symhess: error: --loss: expected mse for layer networks")


# ---- hessian export and audit --------------------------------------------------------------------

def test_hessian_export_2d_matches_sympy(tmp_path, capsys):
    """The exported H_O, H_F, H_L of a small 2D net with biases and average pooling equal sympy's."""
    target = tmp_path / "h.json"
    flags = ["--input-shape", "1,4,4", "--kernels", "2x2", "--channels", "1", "--bias", "--pool", "avg2",
             "--outputs", "2", "--samples", "3", "--seed", "1"]
    assert main(["hessian", *flags, "--out", str(target)]) == 0
    doc = json.loads(target.read_text())
    arch = SequentialArchitecture((1, 4, 4), (Conv(1, (2, 2), bias=True), AvgPool((2, 2)), Flatten(),
                                              Dense(2, bias=True)))
    net, data = random_sequential_network(arch, 1), load_dataset(arch, 3, 1, "integer")
    assert doc["params"] == arch.num_params == (4 + 1) + (2 * 1 + 2)
    assert doc["layer_offsets"] == [0, 5]
    direct = sympy_hessians(net, data)
    for part in PARTS:
        exported = sympy.Matrix([[sympy.Rational(Fraction(v)) for v in row] for row in doc["hessians"][part]])
        assert exported == getattr(direct, part)


def _taps(k: int, d_in: int, d_out: int, stride: int, padding: int) -> list[int]:
    """Output positions that see tap ``j`` on a real input, on one axis."""
    return [sum(1 for t in range(d_out) if 0 <= stride * t + j - padding < d_in) for j in range(k)]


def test_audit_2d_counts(capsys):
    out, _ = run_json(capsys, "audit", "--input-shape", "2,5,6", "--kernels", "3x2", "--channels", "3",
                      "--strides", "2x1", "--paddings", "1x0", "--bias", "--pool", "none")
    conv = out["layers"][0]
    assert conv["kind"] == "Conv2d" and conv["weight_shape"] == [3, 2, 3, 2] and conv["bias_params"] == 3
    out_h, out_w = (5 + 2 - 3) // 2 + 1, 6 - 2 + 1
    rows, cols = _taps(3, 5, out_h, 2, 1), _taps(2, 6, out_w, 1, 0)
    degrees = [a * b for a in rows for b in cols]  # one tap (j_1, j_2): positions seen on both axes
    hist: dict[str, int] = {}
    for deg in degrees:
        hist[str(deg)] = hist.get(str(deg), 0) + 3 * 2  # every (out, in) channel pair
    assert conv["kernel_degree_histogram"] == hist
    assert conv["nnz"] == 3 * 2 * sum(degrees)
    assert conv["toeplitz_shape"] == [3 * out_h * out_w, 2 * 5 * 6]
    assert conv["components"] == conv["kernel_entries"] == 36 and conv["stars"] and conv["toeplitz_degree_max"] == 1
    assert conv["padded_length"] == [7, 6]
    powers = {a: sorted(p for c in conv["cycle_types"] if c["axis"] == a for p in c["powers"]) for a in (1, 2)}
    assert powers == {1: [2 * t for t in range(out_h)], 2: list(range(out_w))}
    dense = out["layers"][1]
    assert dense["kind"] == "Linear" and dense["nnz"] == 2 * 3 * out_h * out_w and dense["bias_params"] == 2
    assert out["params"] == 36 + 3 + 2 * 3 * out_h * out_w + 2 and out["bias_params"] == 5


# ---- a LeNet-style torch model on 8x8 digits -------------------------------------------------------

def _lenet(tmp_path):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, bias=True), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 2, 2),
                          nn.AvgPool2d(2), nn.Flatten(), nn.Linear(2, 3, bias=True)).to(torch.float64)
    path = tmp_path / "lenet.pt"
    torch.save(model, path)
    return torch, model, path


def test_torch_lenet_on_digits(tmp_path, capsys):
    """Certified ranks of the saved model = the exact FLINT route = float64 torch.func (well-conditioned here)."""
    pytest.importorskip("sklearn")
    torch, model, path = _lenet(tmp_path)
    from symhess.hessian.torch_float import torch_hessians  # noqa: E402 (needs torch)
    from symhess.io.torch_import import from_torch  # noqa: E402

    flags = ["--torch", str(path), "--input-shape", "1,8,8", "--dataset", "digits", "--samples", "10", "--seed", "2"]
    out, _ = run_json(capsys, "rank", *flags)
    net = from_torch(model, input_shape=(1, 8, 8))
    data = load_dataset(net.arch, 10, 2, "digits")
    check_against_independent(out, net, data)
    assert [layer["type"] for layer in out["layers"]] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "AvgPool2d",
                                                          "Flatten", "Linear"]
    floats = torch_hessians(net, data)
    assert {part: int(np.linalg.matrix_rank(floats[part])) for part in PARTS} == out["ranks"]
    for part in PARTS:
        assert out["ranks"][part] <= out["bounds"][part]
    audit, _ = run_json(capsys, "rank", *flags, "--float-audit")
    assert audit["ranks"] == out["ranks"]
    by_name = {row["convention"]: row for row in audit["float_audit"]}
    assert by_name["numpy"]["ranks"] == out["ranks"]  # numpy's threshold gets this instance right
    assert "H_L-H_O" in by_name  # torch autodiff's H_L minus H_O


def test_torch_2d_model_needs_an_input_shape(tmp_path, capsys):
    _, _, path = _lenet(tmp_path)
    assert main(["rank", "--torch", str(path), "--samples", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("symhess: error: --input-shape: expected an explicit input shape")


# ---- model and data files in the layer format --------------------------------------------------------

LAYER_MODEL = {
    "input_shape": [1, 4, 4],
    "layers": [
        {"type": "conv2d", "weight": [[[[1, -2], ["1/2", 3]]], [[[2, 1], [-1, "3/4"]]]], "bias": ["1/7", "-2/5"],
         "stride": [1, 2], "padding": [0, 1]},
        {"type": "relu"},
        {"type": "avgpool2d", "kernel_size": [3, 1]},
        {"type": "flatten"},
        {"type": "linear", "weight": [[1, -1, 2, 0, 1, 1], [0, 2, -1, 1, "1/3", -2]], "bias": [0, 1]},
    ],
}
LAYER_DATA = {  # sample 0 nested [C][H][W], the others flat (row-major)
    "inputs": [[[[1, 2, 0, -1], [3, -2, 1, 1], [0, 1, 2, 2], [-1, 0, 1, 3]]],
               [2, 1, -1, 0, 1, 1, 3, -2, 0, 2, 1, 1, -3, 1, 2, 0],
               [0, -1, 2, 3, 1, 0, -2, 1, 2, 2, 1, -1, 1, 3, 0, 1]],
    "targets": [[1, 0], [0, 1], ["1/2", -1]],
}


def test_rank_and_hessian_from_layer_files(tmp_path, capsys):
    from symhess.io.exchange import dataset_from_json, network_from_json  # noqa: E402

    model, data_file, target = tmp_path / "m.json", tmp_path / "d.json", tmp_path / "h.json"
    model.write_text(json.dumps(LAYER_MODEL))
    data_file.write_text(json.dumps(LAYER_DATA))
    net = network_from_json(LAYER_MODEL)
    data = dataset_from_json(LAYER_DATA, net.arch)
    assert net.arch.describe().startswith("in=1x4x4 Conv2d(2,k2x2,s1x2,p0x1,b) ReLU AvgPool2d(3x1)")
    out, _ = run_json(capsys, "rank", "--model", str(model), "--data", str(data_file))
    check_against_independent(out, net, data)
    assert main(["hessian", "--model", str(model), "--data", str(data_file), "--out", str(target)]) == 0
    doc = json.loads(target.read_text())
    direct = sympy_hessians(net, data)
    for part in PARTS:
        exported = sympy.Matrix([[sympy.Rational(Fraction(v)) for v in row] for row in doc["hessians"][part]])
        assert exported == getattr(direct, part)
    again = network_from_json(doc["model"])  # the exported model reads back as the same network
    assert again.arch == net.arch and again.theta() == net.theta()
    assert main(["audit", "--model", str(model)]) == 0
    assert "| 1 (Conv2d) | 2×1×2×2 | 2 |" in capsys.readouterr().out
