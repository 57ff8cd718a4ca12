"""Verdict logic in both directions, and claims that can fail when fed a wrong Hessian.

A comparison loosened from ``==`` to ``<=`` (or ``>=``) must be caught: an identity with
``observed < expected`` and one with ``observed > expected`` are both ``violated``. Then the
remarks whose observed value can only be on one side of the expected one in a correct
program (column blocks: ``rank H_F ≤ Σ rank C_l``; Sylvester: ``n₊ + n₋ ≤ rank``; NTK) are fed
a deliberately wrong ingredient and must report ``violated``.
"""

from dataclasses import replace

import flint
import pytest

import proofs_checks.framework as fw
from proofs_checks import functional_column_blocks_orthogonal as colblocks
from proofs_checks import functional_hollow_inertia as hollow
from proofs_checks import outer_rank_equals_ntk as ntk
from proofs_checks.instances import Instance, generic_draw
from symhess.nets.architecture import Architecture, ConvLayer


@pytest.mark.parametrize("expected, observed, verdict", [(3, 3, fw.HOLDS), (3, 2, fw.VIOLATED),
                                                         (3, 4, fw.VIOLATED), (True, False, fw.VIOLATED),
                                                         (0, 1, fw.VIOLATED)])
def test_compare_exact_both_directions(expected, observed, verdict):
    res = fw.compare_exact("c", "i", expected, observed)
    assert res.verdict == verdict and res.relation == fw.IDENTITY
    assert res.ok is (verdict == fw.HOLDS)


@pytest.mark.parametrize("bound, observed, verdict", [(3, 3, fw.TIGHT), (3, 2, fw.HOLDS), (3, 4, fw.VIOLATED),
                                                      (0, 1, fw.VIOLATED), (0, 0, fw.TIGHT)])
def test_compare_bound(bound, observed, verdict):
    res = fw.compare_bound("c", "i", bound, observed)
    assert res.verdict == verdict and res.gap == bound - observed


def _claim(exact):
    return fw.Claim("c", "s", lambda i: [], lambda full: [], exact=exact)


def test_finalise_exact_claims():
    below = fw.compare_bound("c", "i", 3, 2)
    tight = fw.compare_bound("c", "i", 3, 3)
    ident = fw.compare_exact("c", "i", 3, 3)
    assert [r.verdict for r in fw.finalise(_claim(True), [below, tight, ident])] == [fw.VIOLATED, fw.TIGHT, fw.HOLDS]
    assert [r.verdict for r in fw.finalise(_claim(False), [below, tight])] == [fw.HOLDS, fw.TIGHT]


def test_claim_status():
    h, d = fw.compare_exact("c", "i", 1, 1), fw.degenerate("c", "i", "why")
    nc = fw.CheckResult("c", "i", None, None, fw.NOT_CHECKED)
    assert fw.claim_status([h, d]) == fw.CLAIM_HOLDS and fw.claim_ok([h, d])
    assert fw.claim_status([d, d]) == fw.CLAIM_NOT_CHECKED and not fw.claim_ok([d, d])
    assert fw.claim_status([]) == fw.CLAIM_NOT_CHECKED
    assert fw.claim_status([h, nc]) == fw.NOT_CHECKED
    assert fw.claim_status([h, fw.compare_exact("c", "i", 1, 0)]) == fw.VIOLATED
    assert fw.claim_status([h, fw.CheckResult("c", "i", None, None, fw.ERROR)]) == fw.ERROR
    assert not nc.ok and d.ok


ARCH = Architecture(6, (ConvLayer(2, 3),), 2, "linear")


def _seed_check(inst):
    """Degenerate unless a seed >= 3 is among the seeds."""
    if max(inst.seeds) < 3:
        raise fw.DegenerateInstance(f"seeds {inst.seeds}")
    return fw.compare_exact("c", inst.label, 1, 1)


def test_run_claim_redraws_then_checks():
    claim = fw.Claim("c", "s", _seed_check, lambda full: [])
    res = fw.run_claim(claim, Instance(ARCH, 4, (0, 1)))  # (0, 1) -> (2, 3): generic
    assert [r.verdict for r in res] == [fw.DEGENERATE, fw.HOLDS]
    assert "seeds=[2, 3]" in res[1].instance


def test_run_claim_not_checked_after_redraws():
    claim = fw.Claim("c", "s", lambda inst: fw.degenerate("c", inst.label, "always"), lambda full: [])
    res = fw.run_claim(claim, Instance(ARCH, 4, (0,)))
    assert [r.verdict for r in res] == [fw.DEGENERATE] * (1 + fw.REDRAW_ROUNDS) + [fw.NOT_CHECKED]
    assert not fw.claim_ok(res)
    assert fw.more_seeds(Instance(ARCH, 4, (5, 9))).seeds == (10, 11)
    assert fw.more_seeds(3) is None


def test_registry_wraps_instances_and_every_default_instance_is_checked():
    for claim in fw.registry():
        assert isinstance(claim.instances, fw.AtLeastOneInstance)
        assert claim.instances(False)


# ---- remarks that must be able to fail


def _fake_hessians(draw, **parts):
    from symhess.hessian.hessians import HessianParts

    H = draw.hessians
    return replace(draw, hessians=HessianParts(H.arch, parts.get("outer", H.outer),
                                               parts.get("functional", H.functional)))


def test_column_block_remark_can_fail(monkeypatch):
    """Dependent column blocks (rank H_F < Σ rank C_l, observed < expected) are a violation."""
    inst = colblocks.instances(False)[1]  # two layers + dense, linear
    real = generic_draw

    def dependent(instance, seed):
        d = real(instance, seed)
        F = d.hessians.functional
        p, p1 = F.nrows(), instance.arch.layers[0].num_params
        # copy column 0 of block 1 into a column of block 2 (and symmetrically): blocks now share a direction
        rows = [[F[i, j] for j in range(p)] for i in range(p)]
        for i in range(p):
            rows[i][p1] = rows[i][0]
        for j in range(p):
            rows[p1][j] = rows[0][j]
        rows[p1][p1] = rows[0][0]
        return _fake_hessians(d, functional=flint.fmpq_mat(rows))

    monkeypatch.setattr(colblocks, "generic_draw", dependent)
    res = colblocks.check(inst)
    assert res.verdict == fw.VIOLATED and res.observed < res.expected


def test_sylvester_count_can_fail(monkeypatch):
    """An inertia that misses a direction (n₊ + n₋ < rank) is a violation."""
    from symhess.linalg.inertia import Inertia

    real = hollow.inertia

    def lossy(M):
        i = real(M)
        return replace(i, positive=i.positive - 1, zero=i.zero + 1)

    monkeypatch.setattr(hollow, "inertia", lossy)
    inst = hollow.instances(False)[1]
    results = hollow.check(inst)
    sylvester = [r for r in results if "n+ + n- = rank" in r.instance]
    assert sylvester and all(r.verdict == fw.VIOLATED and r.observed < r.expected for r in sylvester)
    assert Inertia  # the dataclass replaced above


def test_ntk_rank_can_fail(monkeypatch):
    """A production H_O of too low rank (observed < expected) is a violation of rank H_O = rank JJᵀ."""
    real = generic_draw

    def low_rank(instance, seed):
        d = real(instance, seed)
        O = d.hessians.outer
        p = O.nrows()
        keep = [int(i == j == 0) for i in range(p) for j in range(p)]  # only entry (0, 0) survives: rank 1
        return _fake_hessians(d, outer=flint.fmpq_mat(p, p, [O[i, j] * keep[i * p + j]
                                                              for i in range(p) for j in range(p)]))

    monkeypatch.setattr(ntk, "generic_draw", low_rank)
    results = ntk.check(ntk.instances(False)[0])
    rank = [r for r in results if r.instance.endswith("[rank]")]
    assert rank and all(r.verdict == fw.VIOLATED and r.observed < r.expected for r in rank)
