"""The cross-entropy claim (bounds with K − 1) and the ``crossentropy`` table.

Independent values: the table's smallest row against ``torch.func.hessian`` of
``torch.nn.functional.cross_entropy`` (float64, forward by ``conv1d``) ranked by numpy on a
well-separated spectrum; the degenerate draw's ``rank C_Kᵀ W^L`` and ``rank H_O`` by sympy.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import sympy

import proofs_checks.crossentropy_bounds as ceb
from proofs_checks.framework import DEGENERATE, ERROR, TIGHT, VIOLATED, run_claim
from symhess.cli.main import main
from symhess.experiments.crossentropy_sweep import measure_ce_draw
from symhess.experiments.sweep import instance_seeds, run_table
from symhess.experiments.tables import get_table
from symhess.hessian.crossentropy import class_labels, random_ce_instance


@pytest.fixture(scope="module")
def default_results():
    """The claim's default sweep, once per module: ``[(instance, results)]``."""
    return [(inst, run_claim(ceb.CLAIM, inst)) for inst in ceb.instances(False)]


@pytest.fixture(scope="module")
def table():
    return run_table(get_table("crossentropy"), jobs=1, progress=False)


# --- the claim ----------------------------------------------------------------------------------

def test_default_sweep_has_no_violation_and_exact_values_are_attained(default_results):
    results = [r for _, rs in default_results for r in rs]
    assert not [r for r in results if r.verdict in (VIOLATED, ERROR)]
    # every instance is checked on at least one generic draw
    for inst, rs in default_results:
        assert any(r.verdict != DEGENERATE for r in rs), inst.label
    # the theorem parts claimed exact (FCN, Theorems 7/8 with K - 1) are attained
    exact = [r for r in results if " = " in r.instance.split("[", 1)[-1] and "gap-rule" not in r.instance]
    assert exact and all(r.verdict == TIGHT for r in exact)


def test_fcn_k_minus_1_values_are_the_hand_computed_ones(default_results):
    """FCN 3 -> 2 -> 4 (K - 1 = 3, r = 3, q = 2, s = 3): H_O = q(r+K-1-q) = 8,
    H_F = 2q·M + 2qs − Lq² = 8 + 12 − 8 = 12, H_L = 8 + 12 + q(q − 2s) = 12."""
    inst, rs = default_results[1]
    assert inst.arch.outputs == 4 and inst.arch.input_dim == 3
    got = {r.instance.rsplit("[", 1)[1][:3]: (r.expected, r.observed) for r in rs if "FCN" in r.instance}
    assert got == {"H_O": (8, 8), "H_F": (12, 12), "H_L": (12, 12)}


def test_degenerate_head_is_reported_not_passed(default_results):
    """FCN 4 -> 3 -> 3, seed 1: rank C_Kᵀ W^2 = 1 (sympy), rank H_O = 7 < 8 (sympy): reported degenerate."""
    inst, rs = default_results[0]
    d = measure_ce_draw(inst.arch, inst.n, 1, inst.kind, inst.dps)
    W = sympy.Matrix(d.net.weights[-1].reshape(3, -1).tolist())
    assert (W[:2, :] - sympy.Matrix.vstack(W[2, :], W[2, :])).rank() == 1
    G = sympy.Matrix.vstack(*[sympy.Matrix([[J[c, j] - J[2, j] for j in range(J.cols)] for c in range(2)])
                              for J in _sympy_jacobians(d.net, d.data)])
    assert G.rank() == 7
    flagged = [r for r in rs if r.verdict == DEGENERATE and "seed 1" in r.instance]
    assert flagged and "C_K^T W^L = 1" in flagged[0].detail
    assert all("max over 2 draws" in r.detail for r in rs if r.verdict == TIGHT)  # seeds 0, 2 only


def _sympy_jacobians(net, data):
    """``∂F(x_i)/∂θ`` by sympy differentiation of the symbolic network (independent of the index maps)."""
    from symhess.hessian.symbolic import network_outputs
    from symhess.nets.architecture import symbolic_network

    sym = symbolic_network(net.arch)
    theta = sym.theta()
    values = dict(zip(theta, [sympy.Rational(str(v)) for v in net.theta()]))
    out = []
    for x in data.inputs:
        F = sympy.Matrix(network_outputs(sym, x)[0])
        out.append(F.jacobian(theta).subs(values))
    return out


def test_a_wrong_bound_is_violated(monkeypatch):
    """The check can fail: a bound one below the truth, and (exact claim) one above it."""
    inst = ceb.CEInstance(ceb.cnn(4, [(2, 2)], 2), 6)
    real = ceb.theorem_bounds

    def shifted(delta):
        def bounds(arch, r):
            b = real(arch, r)
            return dataclasses.replace(b, outer=b.outer + delta, functional=b.functional + delta)
        return bounds

    for delta in (-1, +1):
        monkeypatch.setattr(ceb, "theorem_bounds", shifted(delta))
        bad = [r for r in run_claim(ceb.CLAIM, inst) if r.verdict == VIOLATED]
        assert {r.instance.rsplit("[", 1)[1][:3] for r in bad} == {"H_O", "H_F"}, delta


def test_no_clear_gap_is_a_degenerate_instance_never_a_pass():
    """Untempered logits (up to ~100) at 15 digits: the gap rule finds no clear gap for H_L."""
    inst = ceb.CEInstance(ceb.cnn(5, [(2, 3)], 3), 7, (0,), dps=15, max_logit=100)
    rs = run_claim(ceb.CLAIM, inst)
    no_gap = [r for r in rs if "no clear gap" in r.detail]
    assert no_gap and all(r.verdict == DEGENERATE and r.observed is None for r in no_gap)
    assert not [r for r in rs if r.verdict in (VIOLATED, ERROR)]
    assert not [r for r in rs if "[H_L" in r.instance and r.verdict != DEGENERATE]


def test_claim_is_in_the_full_sweep():
    assert "beyond" in ceb.CLAIM.tags and len(ceb.instances(True)) > len(ceb.instances(False))


# --- the table ----------------------------------------------------------------------------------

def _torch_ce_ranks(net, data):
    """float64 ranks of H_O (jacrev, A_i = diag p − p pᵀ) and H_L (torch.func.hessian) by numpy,
    with the spectrum checked to be well separated; H_F = H_L − H_O."""
    torch = pytest.importorskip("torch")
    arch = net.arch
    conv, last = arch.layers
    X = torch.tensor([[float(v) for v in x] for x in data.inputs], dtype=torch.float64)
    labels = torch.tensor(class_labels(data.targets, arch.outputs))
    theta = torch.tensor([float(v) for v in net.theta()], dtype=torch.float64)

    def logits(th):
        w = th[:conv.num_params].reshape(conv.weight_shape)
        h = torch.nn.functional.conv1d(X.unsqueeze(1), w).flatten(1)
        return h @ th[conv.num_params:].reshape(arch.outputs, -1).T

    H_L = torch.func.hessian(lambda th: torch.nn.functional.cross_entropy(logits(th), labels))(theta)
    J = torch.func.jacrev(logits)(theta)
    P = torch.softmax(logits(theta), dim=1)
    A = torch.diag_embed(P) - P.unsqueeze(2) * P.unsqueeze(1)
    H_O = torch.einsum("nkp,nkl,nlq->pq", J, A, J) / data.n
    ranks = []
    for H in (H_O, H_L - H_O, H_L):
        M = H.numpy()
        rank = int(np.linalg.matrix_rank(M))
        sv = np.linalg.svd(M, compute_uv=False) / np.linalg.svd(M, compute_uv=False)[0]
        # well separated: the kept values far above float64 noise, >= 6 decades above the dropped ones
        assert sv[rank - 1] > 1e-9 and (rank == len(sv) or (sv[rank] < 1e-13 and sv[rank - 1] > 1e6 * sv[rank])), sv
        ranks.append(rank)
    return tuple(ranks)


def test_smallest_row_equals_torch_float64_ranks(table):
    spec = get_table("crossentropy")
    row = min(table.rows, key=lambda r: r.params)
    point = min(spec.points(), key=lambda p: p.arch.num_params)
    per_seed = [_torch_ce_ranks(*random_ce_instance(point.arch, point.samples, s))
                for s in instance_seeds(0, spec.seeds)]
    generic = tuple(max(rs[i] for rs in per_seed) for i in range(3))
    assert (row.ranks.outer, row.ranks.functional, row.ranks.loss) == generic


def test_table_rows_attain_the_k_minus_1_theorems_and_report_gaps(table):
    for row in table.rows:
        assert row.holds and {"outer", "functional"} <= set(row.tight)
        extra = dict(row.extra)
        assert extra["no_gap"] == 0 and extra["gap_F (dec)"] > 50 / 3 and extra["gap_L (dec)"] > 50 / 3
        assert row.ranks.outer < extra["bound_O_K"]  # K - 1 is sharper than the MSE bound with K
        assert row.certified is False  # H_F, H_L are not certified


def test_table_no_gap_seeds_are_left_out_and_all_no_gap_is_an_error(table):
    from symhess.experiments.crossentropy_sweep import CETableInstance, fold_ce_rows
    from symhess.scalars import InputError

    point = get_table("crossentropy").points()[0]
    good = CETableInstance(0, (3, 4, 5), (50.0, 49.0, 48.0), 5, 2, 50, None)
    bad = dataclasses.replace(good, seed=1, ranks=(9, None, None))
    row = fold_ce_rows(point, [good, bad])
    assert (row.ranks.outer, row.ranks.functional, dict(row.extra)["no_gap"], row.seeds) == (3, 4, 1, 2)
    with pytest.raises(InputError, match="no clear gap"):
        fold_ce_rows(point, [bad])


def test_cli_table_json_and_plot(tmp_path, capsys, table):
    assert main(["table", "crossentropy", "--jobs", "1", "--no-progress", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rows"] == json.loads(json.dumps(table.records()))  # deterministic from the seed
    assert {"gap_F (dec)", "gap_L (dec)", "bound_O_K"} <= set(doc["rows"][0])
    pytest.importorskip("matplotlib")
    out = tmp_path / "ce.png"
    assert main(["plot", "crossentropy", "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
