"""``symhess rank`` on a ReLU net reports the ReLU bounds, and the linear theorem beside them."""

from symhess.cli.report import rank_report
from symhess.nets.architecture import Architecture, ConvLayer
from symhess.nets.relu import redraw_until_smooth
from symhess.theory.bounds import relu_bounds


def test_relu_report_uses_relu_bounds_and_labels_linear():
    arch = Architecture(8, (ConvLayer(3, 3),), 2, "relu")
    draw = redraw_until_smooth(arch, 10, 0, kind="gaussian")
    rep = rank_report(draw.net, draw.data)
    doc = rep.to_dict()
    # hand values: min(nK, p − m) = min(20, 45 − 3) = 20; 2m min(k, d_1 min(K, n)) = 6·3 = 18
    assert (doc["bounds"]["outer"], doc["bounds"]["functional"]) == (20, 18)
    assert doc["bounds"] == relu_bounds(arch, 10).to_dict()
    for part in ("outer", "functional", "loss"):
        assert doc["ranks"][part] <= doc["bounds"][part]
    assert doc["linear_theorem_bounds"]["outer"] == 16          # Theorem 7: K r = 16, exceeded
    assert doc["ranks"]["outer"] > doc["linear_theorem_bounds"]["outer"]
    text = rep.to_text()
    assert "linear" in text.splitlines()[4] and "not a bound for ReLU" in text


def test_linear_report_has_no_linear_column():
    from symhess.nets.architecture import random_network
    from symhess.nets.data import random_dataset

    arch = Architecture(8, (ConvLayer(3, 3),), 2)
    rep = rank_report(random_network(arch, 0), random_dataset(arch, 10, 0))
    assert "linear_theorem_bounds" not in rep.to_dict()
    assert rep.bounds.source.startswith("Theorems 7, 8")
