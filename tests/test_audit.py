"""``symhess audit``: the Lemma 1 structure report against independently counted values."""

import json
from fractions import Fraction
from math import gcd

import numpy as np
import pytest

from symhess.cli.audit import audit, permutation_cycles
from symhess.cli.main import main
from symhess.nets.architecture import Architecture, ConvLayer
from symhess.nets.toeplitz import layer_toeplitz

ARCHS = [
    Architecture(12, (ConvLayer(4, 3), ConvLayer(4, 3)), 2),
    Architecture(11, (ConvLayer(3, 4, stride=2, padding=1), ConvLayer(2, 3, stride=3, padding=2)), 3),
    Architecture(1, (ConvLayer(1, 3, padding=1),), 1),  # two taps only ever meet padding
]


def taps(k: int, d_in: int, d_out: int, stride: int, padding: int) -> list[int]:
    """How many output positions ``t`` see tap ``j`` on a real input: ``0 ≤ s t + j − p < d``."""
    return [sum(1 for t in range(d_out) if 0 <= stride * t + j - padding < d_in) for j in range(k)]


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: a.describe())
def test_degrees_components_sparsity(arch):
    report = audit(arch)
    for shape, la in zip(arch.layers, report.layers):
        per_tap = taps(shape.kernel_size, shape.in_dim, shape.out_dim, shape.stride, shape.padding)
        pairs = shape.out_channels * shape.in_channels
        expected_hist: dict[int, int] = {}
        for deg in per_tap:
            expected_hist[deg] = expected_hist.get(deg, 0) + pairs
        assert la.kernel_degree_histogram == expected_hist
        if shape.stride == 1 and shape.padding == 0:
            assert la.kernel_degree_min == la.kernel_degree_max == shape.out_dim  # d_l per (o, i) pair
        assert la.unused_kernel_entries == expected_hist.get(0, 0)
        # nnz = structurally non-zero entries of T^l, counted on T^l built from non-zero weights
        T = layer_toeplitz(np.full(shape.weight_shape, Fraction(1), dtype=object), shape)
        assert la.nnz == int((T != 0).sum()) == pairs * sum(per_tap)
        assert la.density == la.nnz / (T.size * shape.num_params)
        assert la.toeplitz_degree_max == 1
        assert la.components == la.kernel_entries == shape.num_params
        assert la.stars


def test_unused_kernel_entries_with_wide_padding():
    la = audit(ARCHS[2]).layers[0]
    assert la.unused_kernel_entries == 2 and la.kernel_degree_histogram == {0: 2, 1: 1}


@pytest.mark.parametrize("size,power", [(1, 0), (6, 0), (6, 1), (6, 2), (6, 3), (6, 4), (12, 8), (7, 3), (10, 6)])
def test_cycle_type_of_rotation_powers(size, power):
    """``P^a`` on ``D`` points: ``gcd(a, D)`` cycles of length ``D / gcd(a, D)`` (``a = 0``: fixed points)."""
    g = gcd(power, size) if power else size
    assert permutation_cycles(size, power) == (size // g,) * g


def test_cycle_types_cover_the_powers_used():
    shape = ARCHS[1].layers[0]
    la = audit(ARCHS[1]).layers[0]
    powers = sorted(p for c in la.cycle_types for p in c.powers)
    assert powers == [shape.stride * t for t in range(shape.out_dim)]
    assert la.padded_length == shape.in_dim + 2 * shape.padding


def test_cli_json_and_table(capsys):
    flags = ["--input-dim", "12", "--kernels", "3,3", "--channels", "4,4", "--strides", "1,2",
             "--paddings", "0,1", "--outputs", "2"]
    assert main(["audit", *flags, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["params"] == 4 * 3 + 4 * 4 * 3 + 2 * 4 * 5
    assert [la["layer"] for la in doc["layers"]] == [1, 2, 3]
    assert doc["layers"][0]["kernel_degree_histogram"] == {"10": 12}
    assert all(la["stars"] for la in doc["layers"])
    assert main(["audit", *flags]) == 0
    text = capsys.readouterr().out
    assert "| layer |" in text and "components" in text


def test_cli_bad_flags_exit_2(capsys):
    assert main(["audit", "--kernels", "3,3", "--channels", "4"]) == 2
    err = capsys.readouterr().err
    assert "--channels" in err and "Traceback" not in err
