"""The layer format of model files (any layer stack) and data files with nested inputs: exact, round trips, errors."""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import numpy as np
import pytest
from cli_fixtures import MODEL

from symhess.hessian.sequential import sample_pass
from symhess.hessian.torch_float import torch_module
from symhess.io.exchange import (dataset_from_json, dataset_to_json, load_dataset, load_network, network_from_json,
                                 network_to_json)
from symhess.nets.architecture import Network
from symhess.nets.data import random_dataset
from symhess.nets.layers import AvgPool, Conv, Dense, Flatten, MaxPool, ReLU, conv1d, conv2d
from symhess.nets.sequential import SequentialArchitecture, SequentialNetwork, from_network, random_sequential_network
from symhess.scalars import InputError

LAYER_MODEL = {
    "input_shape": [1, 4, 4],
    "layers": [
        {"type": "conv2d", "weight": [[[[1, -1], ["1/2", 0]]], [[[0, 2], [1, "0.25"]]]], "bias": [1, "-1/3"],
         "stride": [1, 1], "padding": [1, 0]},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2, "stride": [1, 1]},
        {"type": "avgpool2d", "kernel_size": [2, 1]},
        {"type": "flatten"},
        {"type": "linear", "weight": [[1, 0, 2, -1, 1, 3, 0, 1], [0, 1, -1, 2, 2, 1, 1, 0]], "bias": [0, 1]},
    ],
}
"""Conv2d(2, k2x2, padding (1, 0), bias) on 1x4x4 -> 2x5x3 -> maxpool 2x2 stride 1 -> 2x4x2 -> avgpool 2x1 -> 2x2x2 -> 8 -> 2."""

ARCHS = [
    SequentialArchitecture((1, 6, 5), (conv2d(2, (3, 2), stride=(2, 1), padding=(1, 0), bias=True), ReLU(),
                                       MaxPool((2, 2), (1, 1)), Flatten(), Dense(3, bias=True))),
    SequentialArchitecture((2, 7), (conv1d(3, 2, stride=2, padding=1, bias=True), AvgPool((2,), (1,)), ReLU(),
                                    conv1d(2, 2), MaxPool((2,)), Flatten(), Dense(2))),
    SequentialArchitecture((1, 8, 8), (conv2d(2, 3, padding=1, bias=True), ReLU(), MaxPool((2, 2)), conv2d(2, 3),
                                       AvgPool((2, 2)), Flatten(), Dense(3, bias=True))),
    SequentialArchitecture((5,), (Dense(3, bias=True), ReLU(), Dense(2))),
]


def _json(doc):
    return json.loads(json.dumps(doc))


def test_layer_format_reads_values_exactly():
    net = network_from_json(_json(LAYER_MODEL))
    assert isinstance(net, SequentialNetwork)
    assert [type(p.layer) for p in net.arch.placed] == [Conv, ReLU, MaxPool, AvgPool, Flatten, Dense]
    conv = net.arch.placed[0].layer
    assert (conv.kernel_size, conv.stride, conv.padding, conv.bias) == ((2, 2), (1, 1), (1, 0), True)
    assert net.arch.placed[2].layer.stride == (1, 1) and net.arch.placed[3].layer.stride == (2, 1)  # default: window
    (w, b), (v, c) = net.params
    assert w.shape == (2, 1, 2, 2) and w[0, 0, 1, 0] == Fraction(1, 2) and w[1, 0, 1, 1] == Fraction(1, 4)
    assert list(b) == [1, Fraction(-1, 3)] and list(c) == [0, 1] and v.shape == (2, 8)
    assert net.arch.num_params == 8 + 2 + 16 + 2
    doc = _json(LAYER_MODEL)
    doc["layers"][0]["weight"][0][0][0][0] = 0.1
    assert network_from_json(doc).params[0][0][0, 0, 0, 0] == Fraction(0.1)  # the JSON float's exact binary value


def test_no_bias_spellings():
    for spelling in (None, False, "absent"):
        doc = _json(LAYER_MODEL)
        if spelling == "absent":
            del doc["layers"][5]["bias"]
        else:
            doc["layers"][5]["bias"] = spelling
        net = network_from_json(doc)
        assert net.params[1][1] is None and net.arch.placed[5].layer.bias is False


@pytest.mark.parametrize("index", range(len(ARCHS)))
def test_round_trip(index, tmp_path):
    net = random_sequential_network(ARCHS[index], seed=index, rational=True)
    doc = network_to_json(net)
    assert "input_shape" in doc and "input_dim" not in doc
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    back = load_network(path)
    assert isinstance(back, SequentialNetwork)
    assert back.arch == net.arch and back.theta() == net.theta()
    assert network_to_json(back) == _json(doc)


def test_1d_format_unchanged_and_both_written():
    net = network_from_json(_json(MODEL))
    assert isinstance(net, Network)
    assert network_to_json(net) == _json(MODEL)
    layered = from_network(net)  # the same network as a layer stack: the layer format
    doc = network_to_json(layered)
    assert [layer["type"] for layer in doc["layers"]] == ["conv1d", "flatten", "linear"]
    back = network_from_json(_json(doc))
    assert back.arch == layered.arch and back.theta() == net.theta()


def test_inputs_flat_or_nested_are_the_same_data(tmp_path):
    arch = ARCHS[2]
    data = random_dataset(arch, 3, seed=1, kind="gaussian")
    flat = dataset_to_json(data)
    assert len(flat["inputs"][0]) == 64
    nested = {"inputs": [np.array(x, dtype=object).reshape(1, 8, 8).tolist() for x in data.inputs],
              "targets": flat["targets"]}
    nested = json.loads(json.dumps(nested, default=str))
    mixed = {"inputs": [nested["inputs"][0], flat["inputs"][1], nested["inputs"][2]], "targets": flat["targets"]}
    for doc in (flat, nested, mixed):
        path = tmp_path / "d.json"
        path.write_text(json.dumps(doc))
        got = load_dataset(path, arch)
        assert (got.inputs == data.inputs).all() and (got.targets == data.targets).all()
    # nested [C][L] for a 1D layer stack; the row-major order is torch's (channel-major)
    one = ARCHS[1]
    doc = {"inputs": [[[1, 2, 3, 4, 5, 6, 7], ["1/2", 0, 0, 0, 0, 0, -1]]], "targets": [[0, 1]]}
    got = dataset_from_json(doc, one)
    assert list(got.inputs[0]) == [1, 2, 3, 4, 5, 6, 7, Fraction(1, 2), 0, 0, 0, 0, 0, -1]


def test_loaded_network_computes_torch_function():
    """The layer-format network equals torch's model of the same layers (where torch is installed)."""
    torch = pytest.importorskip("torch")
    net = network_from_json(_json(LAYER_MODEL))
    model = torch_module(net)
    x = [Fraction(5 * v - 38, 16) for v in range(16)]
    out = model(torch.tensor([float(v) for v in x], dtype=torch.float64).reshape(1, 1, 4, 4)).detach().numpy()[0]
    exact = [float(v) for v in sample_pass(net, x).output]
    assert np.abs(out - exact).max() < 1e-12


def _broken(path, value, doc=LAYER_MODEL):
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()
W0 = ("layers", 0, "weight")

MODEL_ERRORS = [
    # (id, path, value, field)
    ("input-shape-empty", ("input_shape",), [], "input_shape"),
    ("input-shape-4-axes", ("input_shape",), [1, 1, 4, 4], "input_shape"),
    ("input-shape-string", ("input_shape",), "1,4,4", "input_shape"),
    ("input-shape-zero", ("input_shape",), [0, 4, 4], "input_shape[0]"),
    ("input-shape-float", ("input_shape",), [1, 4.0, 4], "input_shape[1]"),
    ("input-shape-bool", ("input_shape",), [1, True, 4], "input_shape[1]"),
    ("input-shape-huge", ("input_shape",), [1000, 1000, 1000], "input_shape"),
    ("input-shape-null", ("input_shape",), None, "input_shape"),
    ("with-input-dim", ("input_dim",), 16, "input_dim"),
    ("with-activation", ("activation",), "relu", "activation"),
    ("layers-empty", ("layers",), [], "layers"),
    ("layers-object", ("layers",), {}, "layers"),
    ("layer-number", ("layers", 1), 3, "layers[1]"),
    ("type-missing", ("layers", 0, "type"), _DELETE, "layers[0].type"),
    ("type-conv3d", ("layers", 0, "type"), "conv3d", "layers[0].type"),
    ("type-Conv2d-case", ("layers", 0, "type"), "Conv2d", "layers[0].type"),
    ("type-number", ("layers", 0, "type"), 2, "layers[0].type"),
    ("conv-unknown-key", ("layers", 0, "dilation"), 2, "layers[0].dilation"),
    ("conv-no-weight", W0, _DELETE, "layers[0].weight"),
    ("conv-weight-3-deep", W0, [[[1, 2]], [[3, 4]]], "layers[0].weight"),
    ("conv-weight-flat", W0, [1, 2, 3], "layers[0].weight"),
    ("conv-weight-in-channels", W0, [[[[1, 2], [3, 4]], [[1, 2], [3, 4]]]], "layers[0].weight[0]"),
    ("conv-weight-ragged", W0, [[[[1, -1], [0, 0]]], [[[0, 2], [1]]]], "layers[0].weight[1][0][1]"),
    ("conv-weight-value", W0 + (0, 0, 1, 0), "x", "layers[0].weight[0][0][1][0]"),
    ("conv-weight-nan", W0 + (0, 0, 1, 0), "nan", "layers[0].weight[0][0][1][0]"),
    ("conv-weight-bool", W0 + (0, 0, 1, 0), True, "layers[0].weight[0][0][1][0]"),
    ("conv-kernel-too-big", W0, [[[[1] * 5] * 2]], "layers[0].weight"),
    ("bias-short", ("layers", 0, "bias"), [1], "layers[0].bias"),
    ("bias-true", ("layers", 0, "bias"), True, "layers[0].bias"),
    ("bias-string", ("layers", 0, "bias"), "1,2", "layers[0].bias"),
    ("bias-zero", ("layers", 0, "bias"), 0, "layers[0].bias"),
    ("bias-value", ("layers", 0, "bias", 1), "1/0", "layers[0].bias[1]"),
    ("bias-nested", ("layers", 0, "bias"), [[1], [2]], "layers[0].bias[0]"),
    ("stride-zero", ("layers", 0, "stride"), 0, "layers[0].stride"),
    ("stride-one-axis", ("layers", 0, "stride"), [1], "layers[0].stride"),
    ("stride-axis-zero", ("layers", 0, "stride"), [1, 0], "layers[0].stride[1]"),
    ("stride-float", ("layers", 0, "stride"), 1.5, "layers[0].stride"),
    ("padding-negative", ("layers", 0, "padding"), -1, "layers[0].padding"),
    ("padding-string", ("layers", 0, "padding"), [1, "0"], "layers[0].padding[1]"),
    ("padding-huge", ("layers", 0, "padding"), 10**12, "layers[0].padding"),
    ("relu-extra-key", ("layers", 1, "inplace"), True, "layers[1].inplace"),
    ("pool-no-kernel", ("layers", 2, "kernel_size"), _DELETE, "layers[2].kernel_size"),
    ("pool-kernel-zero", ("layers", 2, "kernel_size"), 0, "layers[2].kernel_size"),
    ("pool-kernel-too-big", ("layers", 2, "kernel_size"), [6, 1], "layers[2].kernel_size"),
    ("pool-kernel-3-axes", ("layers", 2, "kernel_size"), [2, 2, 2], "layers[2].kernel_size"),
    ("pool-stride-zero", ("layers", 2, "stride"), [0, 1], "layers[2].stride[0]"),
    ("pool-padding", ("layers", 2, "padding"), 1, "layers[2].padding"),
    ("pool-1d-on-2d", ("layers", 3, "type"), "avgpool1d", "layers[3].type"),
    ("conv1d-on-2d", ("layers", 0, "type"), "conv1d", "layers[0].type"),
    ("linear-before-flatten", ("layers", 4, "type"), "relu", "layers[5].type"),
    ("linear-weight-width", ("layers", 5, "weight"), [[1, 2, 3]], "layers[5].weight[0]"),
    ("linear-weight-empty", ("layers", 5, "weight"), [], "layers[5].weight"),
    ("linear-weight-flat", ("layers", 5, "weight"), [1, 2, 3, 4, 5, 6, 7, 8], "layers[5].weight[0]"),
    ("linear-bias-long", ("layers", 5, "bias"), [0, 1, 2], "layers[5].bias"),
    ("linear-stride", ("layers", 5, "stride"), 1, "layers[5].stride"),
]


@pytest.mark.parametrize("path, value, field", [e[1:] for e in MODEL_ERRORS], ids=[e[0] for e in MODEL_ERRORS])
def test_model_errors_name_the_field(path, value, field):
    with pytest.raises(InputError) as err:
        network_from_json(_json(_broken(path, value)))
    assert err.value.field == field, str(err.value)
    assert "expected" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("layers, field", [
    ([{"type": "conv2d", "weight": [[[[1]]]]}], "layers"),                              # output not flat
    ([{"type": "flatten"}, {"type": "relu"}], "layers"),                                  # nothing to differentiate
    ([{"type": "flatten"}, {"type": "conv2d", "weight": [[[[1]]]]}], "layers[1].type"),   # conv after flatten
    ([{"type": "flatten"}, {"type": "maxpool1d", "kernel_size": 2}], "layers[1].type"),  # pool after flatten
    ([{"type": "linear", "weight": [[1] * 16]}], "layers[0].type"),                     # linear on (1, 4, 4)
    ([{"type": "flatten"}, {"type": "linear", "weight": [[1] * 16]}, "relu"], "layers[2]"),
])
def test_layer_stack_errors(layers, field):
    with pytest.raises(InputError) as err:
        network_from_json({"input_shape": [1, 4, 4], "layers": layers})
    assert err.value.field == field, str(err.value)


def test_missing_input_key_names_both_formats():
    with pytest.raises(InputError, match="input_dim: expected a required key .*input_shape"):
        network_from_json({"layers": []})


DATA = {"inputs": [[[list(range(4)), [0, 1, 0, 1], ["1/2", 0, 0, 0], [1, 1, 1, 1]]], list(range(16))],
        "targets": [[1, 0], [0, "1/3"]]}


@pytest.mark.parametrize("path, value, field", [
    (("inputs", 0), [[[1, 2, 3, 4]] * 4] * 2, "inputs[0]"),                # two channels for one
    (("inputs", 0, 0), [[1, 2, 3, 4]] * 3, "inputs[0][0]"),               # three rows for four
    (("inputs", 0, 0, 1), [0, 1, 0], "inputs[0][0][1]"),                  # a short row
    (("inputs", 0, 0, 2, 0), "x", "inputs[0][0][2][0]"),
    (("inputs", 1), list(range(15)), "inputs[1]"),                       # flat, one short
    (("inputs", 1, 3), [3], "inputs[1][3]"),                              # a list inside a flat input
    (("inputs", 1), [], "inputs[1]"),
    (("inputs", 1), 5, "inputs[1]"),
    (("inputs",), [], "inputs"),
    (("inputs",), {}, "inputs"),
    (("targets", 1), [0], "targets[1]"),
    (("targets",), [[1, 0]], "targets"),
])
def test_data_errors_name_the_field(path, value, field):
    arch = network_from_json(_json(LAYER_MODEL)).arch
    assert dataset_from_json(_json(DATA), arch).inputs.shape == (2, 16)
    with pytest.raises(InputError) as err:
        dataset_from_json(_json(_broken(path, value, DATA)), arch)
    assert err.value.field == field, str(err.value)
    assert "expected" in str(err.value) and "\n" not in str(err.value)
