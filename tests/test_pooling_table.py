"""`symhess table pooling`: its ranks are those of the rational route, and the table runs."""

from __future__ import annotations

import pytest

from symhess.experiments import tables
from symhess.experiments.datasets import load_dataset
from symhess.experiments.sweep import SweepPoint, measure_layers
from symhess.hessian.sequential import sequential_hessians
from symhess.linalg.rank import exact_rank
from symhess.nets.relu import GENERIC_SCALE, attempt_seed
from symhess.nets.sequential import random_sequential_network


@pytest.mark.parametrize("family", [tables.pooling_max, tables.pooling_avg_linear])
def test_pooling_table_ranks_equal_the_rational_route(family):
    arch = family(1)
    point = SweepPoint(1, "x", arch, 12, "gaussian")
    result = measure_layers(point, 0)
    redraws = dict(result.extra)["redraws"]
    net = random_sequential_network(arch, attempt_seed(0, redraws), scale=GENERIC_SCALE)
    H = sequential_hessians(net, load_dataset(arch, 12, 0, "gaussian"))
    assert [exact_rank(H.part(p)).rank for p in ("outer", "functional", "loss")] == \
        [result.ranks.outer, result.ranks.functional, result.ranks.loss]


def test_downsampling_choices_have_equal_parameter_counts():
    counts = {f(2).num_params for f in (tables.pooling_avg, tables.pooling_max, tables.pooling_stride)}
    assert len(counts) == 1 and tables.pooling_none(2).num_params > counts.pop()
