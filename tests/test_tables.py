"""Rank tables (symhess.experiments.tables, ``symhess table``): tiny sweeps checked against independent ranks.

Independent routes: PyTorch autograd Hessians in float64 (``torch.func``) with numpy's SVD
rank, and sympy's direct differentiation with ``Matrix.rank`` (no FLINT, no index maps).
"""

from __future__ import annotations

import csv
import io
import json
import dataclasses

import numpy as np
import pytest

from symhess.cli.main import main
from symhess.experiments.datasets import load_dataset
from symhess.experiments.sweep import (PartRanks, SweepPoint, TableSpec, fit_rows, instance_seeds, loglog_slope,
                                       run_table)
from symhess.experiments.tables import TABLES, get_table
from symhess.nets.architecture import random_network
from symhess.scalars import InputError

# The smallest interesting point of each table (first series); two seeds per point.
TINY = {"channels": (2,), "filter-size": (2, 8), "lcn": (3,), "sqrt-law": (2, 3)}


def tiny(name: str, seeds: int = 2) -> TableSpec:
    """The registered table cut down to a couple of points."""
    return dataclasses.replace(get_table(name), values=TINY[name], seeds=seeds)


@pytest.fixture(scope="module")
def tiny_results():
    return {name: run_table(tiny(name), progress=False) for name in TINY}


def test_the_paper_figures_are_registered():
    assert set(TINY) <= set(TABLES)


# --- independent ranks -----------------------------------------------------------------------


def torch_ranks(point: SweepPoint, seed: int) -> PartRanks:
    """float64 ranks of H_O, H_F, H_L from torch.func on the same instance (no symhess algebra)."""
    torch = pytest.importorskip("torch")
    arch = point.arch
    net = random_network(arch, seed)
    data = load_dataset(arch, point.samples, seed, point.dataset)
    theta0 = torch.tensor([float(v) for v in net.theta()], dtype=torch.float64)
    X = torch.tensor(data.inputs.astype(float), dtype=torch.float64)
    Y = torch.tensor(data.targets.astype(float), dtype=torch.float64)
    shapes, offsets = arch.layers, arch.param_offsets

    def outputs(theta):
        h = X[:, None, :]
        for s, off in zip(shapes, offsets):
            w = theta[off:off + s.num_params].reshape(s.weight_shape)
            if s.shared:
                h = torch.nn.functional.conv1d(h, w, stride=s.stride, padding=s.padding)
            else:  # locally connected: a filter bank per output position t
                patches = torch.nn.functional.pad(h, (s.padding, s.padding)).unfold(2, s.kernel_size, s.stride)
                h = torch.einsum("nitk,toik->not", patches, w)
            if s.index < len(shapes) and arch.activation == "relu":
                h = torch.relu(h)
        return h.reshape(h.shape[0], -1)  # (n, K)

    def loss(theta):
        return 0.5 * ((outputs(theta) - Y) ** 2).sum(dim=1).mean()

    H_L = torch.func.hessian(loss)(theta0).numpy()
    J = torch.func.jacrev(outputs)(theta0).reshape(-1, theta0.numel()).numpy()  # (nK, p)
    H_O = J.T @ J / data.n
    H_F = H_L - H_O
    return PartRanks(*(int(np.linalg.matrix_rank(H)) for H in (H_O, H_F, H_L)))


@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_sweep_ranks_equal_torch_float64_ranks(name, tiny_results):
    """Every row of the tiny sweep: generic rank == max over the same seeds of torch float64 ranks."""
    result = tiny_results[name]
    spec = result.spec
    seeds = instance_seeds(result.seed, spec.seeds)
    points = spec.points()
    assert len(points) == len(result.rows)
    for point, row in zip(points, result.rows):
        expected = PartRanks.max_of([torch_ranks(point, s) for s in seeds])
        assert row.ranks == expected, (name, point.value, point.series)
        assert row.certified
        assert row.params == point.arch.num_params
        assert row.degenerate == 0


def test_smallest_point_equals_sympy_direct_rank():
    """Sympy route (b) on a 2-hidden-layer point with p = 12 (sqrt-law family, m = 1): direct
    differentiation of the loss polynomial + sympy's Matrix.rank (runs without torch)."""
    from symhess.hessian.symbolic import direct_hessians

    spec = dataclasses.replace(get_table("sqrt-law"), values=(1,), seeds=1)
    row = run_table(spec, progress=False).rows[0]
    point = spec.points()[0]
    seed = instance_seeds(0, 1)[0]
    net = random_network(point.arch, seed)
    data = load_dataset(point.arch, point.samples, seed, point.dataset)
    direct = direct_hessians(net, data)
    ranks = PartRanks(*(direct[p].rank() for p in ("outer", "functional", "loss")))
    assert row.ranks == ranks


# --- bounds ------------------------------------------------------------------------------------


def needs_bounds():
    pytest.importorskip("symhess.theory.bounds", reason="symhess.theory.bounds not yet available")


@pytest.mark.parametrize("name", sorted(TINY))
def test_bounds_are_at_least_the_ranks(name, tiny_results):
    needs_bounds()
    for row in tiny_results[name].rows:
        assert row.bounds is not None
        assert row.holds is True
        for part in ("outer", "functional", "loss"):
            assert row.bounds.get(part) >= row.ranks.get(part), (name, row.value, part)


def test_one_hidden_layer_bounds_are_tight_for_outer_and_functional(tiny_results):
    """Theorems 7/8 are exact: the filter-size table must mark H_O and H_F tight."""
    needs_bounds()
    for row in tiny_results["filter-size"].rows:
        assert {"outer", "functional"} <= set(row.tight), row


# --- runner --------------------------------------------------------------------------------------


def test_parallel_equals_serial():
    spec = tiny("filter-size")
    assert run_table(spec, jobs=2, progress=False).rows == run_table(spec, jobs=1, progress=False).rows


def test_deterministic_from_seed():
    spec = tiny("lcn", seeds=1)
    a, b = run_table(spec, seed=5, progress=False), run_table(spec, seed=5, progress=False)
    assert a.rows == b.rows and a.seed == 5
    assert set(instance_seeds(0, 3)).isdisjoint(instance_seeds(1, 3))


def test_lcn_has_both_series(tiny_results):
    labels = [row.series for row in tiny_results["lcn"].rows]
    assert labels == ["LCN", "LCN+WS"]
    assert all("series" in rec for rec in tiny_results["lcn"].records())


def test_loglog_slope_of_exact_power_laws():
    xs = [4, 16, 64, 256]
    assert loglog_slope(xs, [3 * x ** 0.5 for x in xs]) == pytest.approx(0.5)
    assert loglog_slope(xs, [x for x in xs]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        loglog_slope([5, 5], [1, 2])


def test_sqrt_law_fit_uses_the_largest_points(tiny_results):
    result = tiny_results["sqrt-law"]
    fits = {f.part: f for f in fit_rows(result.rows, 2)}
    rows = sorted(result.rows, key=lambda r: r.params)[-2:]
    expected = loglog_slope([r.params for r in rows], [r.ranks.loss for r in rows])
    assert fits["loss"].slope == pytest.approx(expected)
    assert fits["loss"].params == tuple(r.params for r in rows)


def test_registry_rejects_duplicates_and_unknown_names():
    from symhess.experiments.tables import register
    with pytest.raises(ValueError):
        register(get_table("channels"))
    with pytest.raises(InputError):
        get_table("no-such-table")


# --- formats ---------------------------------------------------------------------------------------


def test_md_csv_json_parse(tiny_results):
    result = tiny_results["filter-size"]
    records = result.records()
    md = result.render("md")
    table_lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in table_lines[0].strip("|").split("|")]
    assert header == list(records[0])
    assert len(table_lines) == 2 + len(records)
    assert "generic rank = max over 2 seeds" in md
    rows = list(csv.DictReader(io.StringIO(result.render("csv"))))
    assert [int(r["rank_L"]) for r in rows] == [row.ranks.loss for row in result.rows]
    doc = json.loads(result.render("json"))
    assert doc["table"] == "filter-size"
    assert [r["rank_F"] for r in doc["rows"]] == [row.ranks.functional for row in result.rows]
    assert [r["k"] for r in doc["rows"]] == list(TINY["filter-size"])
    with pytest.raises(InputError):
        result.render("xml")


def test_sqrt_law_json_reports_the_fit(tiny_results):
    doc = json.loads(tiny_results["sqrt-law"].render("json"))
    assert {f["part"] for f in doc["fits"]} >= {"functional", "loss"}
    assert any("log-log slope of rank(H_L)" in n for n in doc["notes"])


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_table_writes_json_and_csv(tmp_path, capsys):
    out = tmp_path / "t.json"
    assert main(["table", "filter-size", "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    doc = json.loads(out.read_text())
    assert doc["table"] == "filter-size" and len(doc["rows"]) == len(get_table("filter-size").values)
    out_csv = tmp_path / "t.txt"
    assert main(["table", "filter-size", "--format", "csv", "--out", str(out_csv), "--jobs", "1",
                 "--no-progress"]) == 0
    assert next(csv.reader(io.StringIO(out_csv.read_text())))[0] == "k"


def test_cli_lists_tables(capsys):
    assert main(["table"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in TABLES)


@pytest.mark.parametrize("argv", [
    ["table", "no-such-table"],
    ["table", "filter-size", "--format", "xml"],
    ["table", "filter-size", "--out", "x.txt"],
    ["table", "filter-size", "--jobs", "0"],
])
def test_cli_bad_input_exits_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("symhess: error:") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def _boom(point, seed):
    raise RuntimeError("instance failed")


def test_no_partial_table_file_on_error(tmp_path, monkeypatch):
    broken = dataclasses.replace(get_table("filter-size"), name="broken", measure=_boom)
    monkeypatch.setitem(TABLES, "broken", broken)
    out = tmp_path / "t.md"
    with pytest.raises(RuntimeError):
        main(["table", "broken", "--out", str(out), "--jobs", "1", "--no-progress"])
    assert list(tmp_path.iterdir()) == []
