"""Model and data files: exact reading, round trips, and one clear error per mistake."""

import json
from fractions import Fraction

import pytest

from symhess.io.exchange import (dataset_from_json, dataset_to_json, network_from_json, network_to_json)
from symhess.nets.architecture import Architecture, ConvLayer, random_network
from symhess.nets.data import random_dataset
from symhess.scalars import InputError

MODEL = {
    "input_dim": 5, "activation": "relu",
    "layers": [
        {"type": "conv1d", "weight": [[[1, "-1/2", "0.25"]], [[2, 0, 1]]], "stride": 2, "padding": 1},
        {"type": "linear", "weight": [[1, 2, 3, 4, 5, 6]]},
    ],
}


def test_reads_values_exactly():
    net = network_from_json(MODEL)
    assert net.arch.layers[0].out_dim == 3 and net.arch.layers[1].kernel_size == 3
    assert net.weights[0][0, 0, 1] == Fraction(-1, 2)
    assert net.weights[0][0, 0, 2] == Fraction(1, 4)
    # the dense weight on the channel-major flattening: [K][c*length + t]
    assert net.weights[1][0, 1, 0] == 4
    doc = json.loads('{"input_dim": 2, "layers": [{"type": "linear", "weight": [[0.1, 1e-3]]}]}')
    fcn = network_from_json(doc)
    assert fcn.weights[0][0, 0, 0] == Fraction(0.1)  # the exact binary value of the JSON float
    assert fcn.weights[0][0, 0, 0] != Fraction(1, 10)


def test_round_trip():
    arch = Architecture(9, (ConvLayer(2, 3, 2, 1), ConvLayer(3, 2)), 2, "linear")
    net = random_network(arch, seed=3, rational=True)
    back = network_from_json(json.loads(json.dumps(network_to_json(net))))
    assert back.arch == arch
    assert back.theta() == net.theta()
    data = random_dataset(arch, 4, seed=1, kind="gaussian")
    back_data = dataset_from_json(json.loads(json.dumps(dataset_to_json(data))), arch)
    assert (back_data.inputs == data.inputs).all() and (back_data.targets == data.targets).all()


def _broken(path, value):
    doc = json.loads(json.dumps(MODEL))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize("path, value, field", [
    (("layers", 1, "weight"), [[1, 2, 3]], "layers[1].weight[0]"),                # shape mismatch between layers
    (("layers", 0, "weight"), [[1, 2, 3]], "layers[0].weight"),                # wrong nesting
    (("layers", 0, "weight"), [[[1, "x", 3]], [[2, 0, 1]]], "layers[0].weight[0][0][1]"),  # non-numeric
    (("layers", 0, "weight"), [[[1, float("nan"), 3]], [[2, 0, 1]]], "layers[0].weight[0][0][1]"),
    (("activation",), "tanh", "activation"),
    (("layers", 0, "dilation"), 2, "layers[0].dilation"),                       # unknown key
    (("layers", 0, "type"), "conv2d", "layers[0].type"),
    (("layers", 0, "stride"), 0, "layers[0].stride"),
    (("input_dim",), "5", "input_dim"),
])
def test_model_errors_name_the_field(path, value, field):
    with pytest.raises(InputError) as err:
        network_from_json(_broken(path, value))
    assert err.value.field == field, str(err.value)
    assert "expected" in str(err.value) and "\n" not in str(err.value)


def test_unknown_top_level_key():
    doc = dict(MODEL, optimizer="sgd")
    with pytest.raises(InputError, match="optimizer"):
        network_from_json(doc)


@pytest.mark.parametrize("doc, field", [
    ({"inputs": [[1, 2, 3, 4, 5]], "targets": [[1, 2]]}, "targets[0]"),       # K = 1
    ({"inputs": [[1, 2, 3, 4]], "targets": [[1]]}, "inputs[0]"),
    ({"inputs": [[1, 2, 3, 4, 5]], "targets": []}, "targets"),
    ({"inputs": [[1, 2, 3, 4, 5]], "targets": [[1]], "weights": []}, "weights"),
    ({"inputs": [[1, 2, 3, 4, "inf"]], "targets": [[1]]}, "inputs[0][4]"),
])
def test_data_errors_name_the_field(doc, field):
    arch = network_from_json(MODEL).arch
    with pytest.raises(InputError) as err:
        dataset_from_json(doc, arch)
    assert err.value.field == field, str(err.value)
