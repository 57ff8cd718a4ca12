"""The bad-input catalogue: every user mistake gives one line on stderr and exit status 2.

For every case (model files, data files, torch files, flags, output paths) we assert: exit
status 2, exactly one line on stderr naming the field or flag, no ``Traceback``, no partial
output file, and an answer within :data:`TIME_LIMIT` seconds. Most cases run in-process
(``symhess.cli.main.main``), each in a forked child of one batch process (cheap: the imports are
done once and shared; a hang is killed at the time limit, and the child's address space is
capped so that a huge allocation fails instead of swapping); a handful run through a real
``python -m symhess`` subprocess each.

The batch processes are plain ``python`` (this file run with ``--json DIR SHARD/SHARDS``), two side
by side, each started once per test session (in the background lane of ``tests/conftest.py``, from
the start of the session), so that each case's child pays no import.

``python tests/test_bad_inputs.py [ID-SUBSTRING...]`` runs the catalogue and lists the failures.
"""

from __future__ import annotations

import copy
import functools
import gc
import io
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import importlib.util

import pytest

TIME_LIMIT = 20.0  # seconds per case (the answer is expected within a few)
EXTRA_ADDRESS_SPACE = 2 * 2**30  # a case may map at most this much beyond what the test process has

HAVE_TORCH = not os.environ.get("SYMHESS_NO_TORCH") and importlib.util.find_spec("torch") is not None
torch: Any = None  # imported by the batch process (prewarm), never at pytest collection

from cli_fixtures import DATA, MODEL  # noqa: E402
DEEP = 100_000
BIG_INT = "9" * 5001


def _set(doc: Any, path: tuple, value: Any) -> Any:
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


def model(path: tuple = (), value: Any = None, raw: str | None = None) -> str:
    """The good model with ``path`` set to ``value`` (JSON text); ``raw`` replaces the value's JSON text."""
    if not path:
        return json.dumps(MODEL)
    if raw is None:
        return json.dumps(_set(MODEL, path, value))
    return json.dumps(_set(MODEL, path, "@@RAW@@")).replace('"@@RAW@@"', raw)


def data(path: tuple = (), value: Any = None, raw: str | None = None) -> str:
    if not path:
        return json.dumps(DATA)
    if raw is None:
        return json.dumps(_set(DATA, path, value))
    return json.dumps(_set(DATA, path, "@@RAW@@")).replace('"@@RAW@@"', raw)


@dataclass
class Case:
    """``argv`` with ``{tmp}`` for the case's directory; ``files`` written there first."""

    id: str
    argv: list[str]
    names: str | None = None  # the line must contain this (the flag or field as the user typed it)
    files: dict[str, str | bytes | Callable[[Path], None]] = field(default_factory=dict)
    subprocess: bool = False
    fsize: int | None = None  # RLIMIT_FSIZE in bytes: a full disk
    needs_torch: bool = False
    skip_root: bool = False
    outside: tuple[str, ...] = ()  # paths outside {tmp} that must not appear


CASES: list[Case] = []


def add(id: str, argv: list[str], field: str | None = None, **kw: Any) -> None:
    CASES.append(Case(id, argv, field, **kw))


RANK = ["rank", "--input-dim", "6", "--kernels", "3", "--channels", "2", "--samples", "4"]
M = ["--model", "{tmp}/m.json"]
D = ["--data", "{tmp}/d.json"]


def model_case(id: str, text: str | bytes, field: str | None, command: str = "rank", **kw: Any) -> None:
    extra = ["--out", "{tmp}/h.json"] if command == "hessian" else []
    add(f"model-{id}", [command, *M, *extra], field, files={"m.json": text}, **kw)


def data_case(id: str, text: str | bytes, field: str | None, **kw: Any) -> None:
    add(f"data-{id}", ["rank", *M, *D], field, files={"m.json": model(), "d.json": text}, **kw)


# ---- model files: the file itself --------------------------------------------------------------
add("model-missing", ["rank", "--model", "{tmp}/nope.json"], "--model")
add("model-directory", ["rank", "--model", "{tmp}"], "--model")
add("model-dev-zero", ["rank", "--model", "/dev/zero"], "--model")
add("model-dev-null", ["rank", "--model", "/dev/null"], "--model")
model_case("empty", "", "--model")
model_case("whitespace", "  \n\t ", "--model")
model_case("not-json", "hello", "--model")
model_case("truncated", model()[:40], "--model")
model_case("trailing-garbage", model() + " x", "--model")
model_case("invalid-utf8", b'{"input_dim": 5, "activation": "\xff\xfe", "layers": []}', "--model")
model_case("binary", bytes(range(256)) * 4, "--model")
model_case("utf16", model().encode("utf-16"), "--model")
model_case("deep-list", "[" * DEEP + "]" * DEEP, "--model", subprocess=True)
model_case("deep-object", '{"a":' * DEEP + "1" + "}" * DEEP, "--model")
model_case("deep-in-weight", model(("layers", 0, "weight"), raw="[" * DEEP + "]" * DEEP), "--model")
model_case("big-int-weight", model(("layers", 0, "weight", 0, 0, 0), raw=BIG_INT), "layers[0].weight[0][0][0]")
model_case("big-int-input-dim", model(("input_dim",), raw=BIG_INT), "input_dim")
model_case("big-negative-int", model(("layers", 1, "weight", 0, 0), raw="-" + BIG_INT), "layers[1].weight[0][0]")
model_case("duplicate-top-key", model()[:-1] + ', "input_dim": 5}', "input_dim")
model_case("duplicate-layer-key", model(("layers", 0, "stride"), raw='1, "stride": 2'), "stride")
model_case("duplicate-in-hessian", model()[:-1] + ', "layers": []}', "layers", command="hessian")
model_case("top-list", "[1, 2]", "--model")
model_case("top-number", "3", "--model")
model_case("top-string", '"model"', "--model")
model_case("top-null", "null", "--model")
model_case("top-empty-object", "{}", "input_dim")
model_case("nan-literal", model(("layers", 0, "weight", 0, 0, 1), raw="NaN"), "layers[0].weight[0][0][1]")
model_case("infinity-literal", model(("layers", 0, "weight", 0, 0, 1), raw="Infinity"), "layers[0].weight")
model_case("neg-infinity-literal", model(("layers", 1, "weight", 1, 1), raw="-Infinity"), "layers[1].weight")
model_case("float-overflow", model(("layers", 0, "weight", 0, 0, 1), raw="1e100000000"), "layers[0].weight[0][0][1]")
model_case("float-many-digits", model(("layers", 0, "weight", 0, 0, 1), raw="0." + "1" * 5000 + "e-99999"),
           "layers[0].weight[0][0][1]")

# ---- model files: values -----------------------------------------------------------------------
W = ("layers", 0, "weight", 0, 0, 1)
for vid, value in [("exp-huge", "1e100000000"), ("exp-huge-neg", "1e-100000000"), ("exp-4001", "1e4001"),
                   ("exp-huge-frac", "2.5E+99999999"), ("big-int-string", BIG_INT),
                   ("big-denominator", "1/" + BIG_INT), ("long-decimal", "0." + "0" * 5000 + "1"),
                   ("nan-string", "nan"), ("inf-string", "inf"), ("neg-inf-string", "-Infinity"),
                   ("div-zero", "1/0"), ("half-fraction", "1/"), ("word", "abc"), ("empty-string", ""),
                   ("spaces", "   "), ("two-slashes", "1/2/3"), ("hex", "0x10"), ("complex", "1+2j"),
                   ("decimal-fraction", "1.5/2"), ("underscore-huge", "1_000_" + "0" * 5000)]:
    model_case(f"value-{vid}", model(W, value), "layers[0].weight[0][0][1]")
for vid, value in [("true", True), ("null", None), ("object", {}), ("list", [1]), ("nested", [[1]])]:
    model_case(f"value-{vid}", model(W, value), "layers[0].weight[0][0][1]")
model_case("value-in-linear", model(("layers", 1, "weight", 1, 5), "x"), "layers[1].weight[1][5]")

# ---- model files: structure and sizes ----------------------------------------------------------
for fid, path, value, fld in [
    ("no-input-dim", ("input_dim",), _DELETE, "input_dim"),
    ("no-layers", ("layers",), _DELETE, "layers"),
    ("input-dim-0", ("input_dim",), 0, "input_dim"),
    ("input-dim-negative", ("input_dim",), -1, "input_dim"),
    ("input-dim-float", ("input_dim",), 1.5, "input_dim"),
    ("input-dim-string", ("input_dim",), "5", "input_dim"),
    ("input-dim-bool", ("input_dim",), True, "input_dim"),
    ("input-dim-1e12", ("input_dim",), 10**12, "input_dim"),
    ("input-dim-1e21", ("input_dim",), 10**21, "input_dim"),
    ("padding-1e12", ("layers", 0, "padding"), 10**12, "layers[0].padding"),
    ("padding-negative", ("layers", 0, "padding"), -1, "layers[0].padding"),
    ("padding-string", ("layers", 0, "padding"), "0", "layers[0].padding"),
    ("stride-0", ("layers", 0, "stride"), 0, "layers[0].stride"),
    ("stride-1e12", ("layers", 0, "stride"), 10**12, "layers[0].stride"),
    ("stride-float", ("layers", 0, "stride"), 1.0, "layers[0].stride"),
    ("layers-empty", ("layers",), [], "layers"),
    ("layers-object", ("layers",), {}, "layers"),
    ("layers-null", ("layers",), None, "layers"),
    ("layers-string", ("layers",), "conv", "layers"),
    ("layer-number", ("layers", 0), 3, "layers[0]"),
    ("layer-null", ("layers", 0), None, "layers[0]"),
    ("layer-no-type", ("layers", 0, "type"), _DELETE, "layers[0].type"),
    ("layer-no-weight", ("layers", 0, "weight"), _DELETE, "layers[0].weight"),
    ("layer-conv2d", ("layers", 0, "type"), "conv2d", "layers[0].type"),
    ("last-layer-conv", ("layers", 1, "type"), "conv1d", "layers[1].type"),
    ("first-layer-linear", ("layers", 0, "type"), "linear", "layers[0].type"),
    ("layer-unknown-key", ("layers", 0, "dilation"), 2, "layers[0].dilation"),
    ("linear-unknown-key", ("layers", 1, "bias"), [0, 0], "layers[1].bias"),
    ("top-unknown-key", ("optimizer",), "sgd", "optimizer"),
    ("activation-tanh", ("activation",), "tanh", "activation"),
    ("activation-number", ("activation",), 1, "activation"),
    ("activation-null", ("activation",), None, "activation"),
    ("weight-flat", ("layers", 0, "weight"), [1, 2, 3], "layers[0].weight"),
    ("weight-2d", ("layers", 0, "weight"), [[1, 2, 3]], "layers[0].weight"),
    ("weight-empty", ("layers", 0, "weight"), [], "layers[0].weight"),
    ("weight-string", ("layers", 0, "weight"), "1,2,3", "layers[0].weight"),
    ("weight-ragged", ("layers", 0, "weight"), [[[1, 2, 3]], [[1, 2]]], "layers[0].weight[1][0]"),
    ("weight-in-channels", ("layers", 0, "weight"), [[[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [1, 2, 3]]],
     "layers[0].weight[0]"),
    ("weight-4d", ("layers", 0, "weight"), [[[[1], [2], [3]]], [[[1], [2], [3]]]], "layers[0].weight[0][0][0]"),
    ("kernel-too-big", ("layers", 0, "weight"), [[[1, 2, 3, 4, 5, 6]], [[1, 2, 3, 4, 5, 6]]], "layers[0].weight"),
    ("linear-too-short", ("layers", 1, "weight"), [[1, 2, 3]], "layers[1].weight[0]"),
    ("linear-empty", ("layers", 1, "weight"), [], "layers[1].weight"),
    ("linear-flat", ("layers", 1, "weight"), [1, 2, 3, 4, 5, 6], "layers[1].weight"),
    ("linear-ragged", ("layers", 1, "weight"), [[1, 0, 2, -1, 1, 3], [0, 1]], "layers[1].weight[1]"),
]:
    model_case(fid, model(path, value), fld)
model_case("padding-1e12-audit", model(("layers", 0, "padding"), 10**12), "layers[0].padding", command="audit")
model_case("input-dim-1e12-hessian", model(("input_dim",), 10**12), "input_dim", command="hessian")
model_case("too-many-layers", json.dumps({"input_dim": 5, "layers": [
    {"type": "conv1d", "weight": [[[1]]], "padding": 1} for _ in range(5000)] + [
    {"type": "linear", "weight": [[1] * 10005]}]}), "layers")

# ---- model files: the layer format (input_shape, any layer stack) ------------------------------
LAYER_MODEL = {"input_shape": [1, 4, 4], "layers": [
    {"type": "conv2d", "weight": [[[[1, -1], ["1/2", 0]]], [[[0, 2], [1, "1/4"]]]], "bias": [1, "-1/3"],
     "padding": [1, 0]},
    {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2, "stride": 1}, {"type": "flatten"},
    {"type": "linear", "weight": [[1, 0, 2, -1, 1, 3, 0, 1] * 2, [0, 1, -1, 2, 2, 1, 1, 0] * 2], "bias": [0, 1]}]}
LAYER_DATA = {"inputs": [[[[1, 2, 3, 4], [0, 1, 0, 1], ["1/2", 0, 0, 0], [1, 1, 1, 1]]], list(range(16))],
              "targets": [[1, 0], [0, "1/3"]]}


def layer_model(path: tuple = (), value: Any = None) -> str:
    return json.dumps(_set(LAYER_MODEL, path, value) if path else LAYER_MODEL)


LW = ("layers", 0, "weight")
for fid, path, value, fld in [
    ("input-shape-empty", ("input_shape",), [], "input_shape"),
    ("input-shape-zero", ("input_shape",), [1, 0, 4], "input_shape[1]"),
    ("input-shape-huge", ("input_shape",), [10**6, 10**6, 10**6], "input_shape"),
    ("input-shape-big-int", ("input_shape",), [1, 10**30, 4], "input_shape[1]"),
    ("input-shape-and-dim", ("input_dim",), 16, "input_dim"),
    ("type-conv3d", ("layers", 0, "type"), "conv3d", "layers[0].type"),
    ("conv1d-on-image", ("layers", 0, "type"), "conv1d", "layers[0].type"),
    ("weight-3-deep", LW, [[[1, 2]], [[3, 4]]], "layers[0].weight"),
    ("weight-channels", LW, [[[[1, 2], [3, 4]], [[1, 2], [3, 4]]]], "layers[0].weight[0]"),
    ("weight-value", LW + (1, 0, 1, 1), "1/0", "layers[0].weight[1][0][1][1]"),
    ("weight-deep", LW, [[[[[[[[1]]]]]]]], "layers[0].weight[0][0][0][0]"),
    ("bias-true", ("layers", 0, "bias"), True, "layers[0].bias"),
    ("bias-short", ("layers", 0, "bias"), [1], "layers[0].bias"),
    ("padding-axes", ("layers", 0, "padding"), [1, 0, 0], "layers[0].padding"),
    ("padding-1e12", ("layers", 0, "padding"), [10**12, 0], "layers[0].padding[0]"),
    ("stride-zero", ("layers", 0, "stride"), [0, 1], "layers[0].stride[0]"),
    ("pool-kernel-too-big", ("layers", 2, "kernel_size"), [9, 1], "layers[2].kernel_size"),
    ("pool-padding", ("layers", 2, "padding"), 1, "layers[2].padding"),
    ("linear-before-flatten", ("layers", 3), {"type": "relu"}, "layers[4].type"),
    ("linear-width", ("layers", 4, "weight"), [[1, 2, 3]], "layers[4].weight[0]"),
    ("not-flat", ("layers",), [{"type": "conv2d", "weight": [[[[1]]]]}], "layers"),
]:
    model_case(f"layers-{fid}", layer_model(path, value), fld)
HUGE_2D = json.dumps({"input_shape": [1, 4, 4], "layers": [
    {"type": "conv2d", "weight": [[[[1, -1], ["1/2", 0]]]], "padding": [10**6, 10**6]}, {"type": "flatten"}]})
model_case("layers-padding-huge-2d", HUGE_2D, "--memory-limit")
model_case("layers-padding-huge-2d-audit", HUGE_2D, "--memory-limit", command="audit")
model_case("layers-padding-huge-2d-hessian", HUGE_2D, "--memory-limit", command="hessian")
for fid, path, value, fld in [
    ("nested-channels", ("inputs", 0), [[[1, 2, 3, 4]] * 4] * 2, "inputs[0]"),
    ("nested-short-row", ("inputs", 0, 0, 1), [0, 1, 0], "inputs[0][0][1]"),
    ("nested-value", ("inputs", 0, 0, 2, 0), "x", "inputs[0][0][2][0]"),
    ("flat-short", ("inputs", 1), list(range(15)), "inputs[1]"),
    ("flat-list-inside", ("inputs", 1, 3), [3], "inputs[1][3]"),
]:
    add(f"data-layers-{fid}", ["rank", *M, *D], fld,
        files={"m.json": layer_model(), "d.json": json.dumps(_set(LAYER_DATA, path, value))})

# ---- data files --------------------------------------------------------------------------------
add("data-missing", ["rank", *M, "--data", "{tmp}/nope.json"], "--data", files={"m.json": model()})
add("data-directory", ["rank", *M, "--data", "{tmp}"], "--data", files={"m.json": model()})
add("data-dev-zero", ["rank", *M, "--data", "/dev/zero"], "--data", files={"m.json": model()})
data_case("empty", "", "--data")
data_case("not-json", "{inputs: 1}", "--data")
data_case("truncated", data()[:30], "--data")
data_case("invalid-utf8", b'{"inputs": [[1, 2, 3, 4, "\xc3\x28"]], "targets": [[1, 0]]}', "--data")
data_case("deep", '{"inputs": ' + "[" * DEEP + "]" * DEEP + ', "targets": []}', "--data")
data_case("duplicate-key", data()[:-1] + ', "inputs": []}', "inputs")
data_case("big-int", data(("inputs", 0, 0), raw=BIG_INT), "inputs[0][0]")
data_case("exp-huge", data(("inputs", 0, 0), "1e100000000"), "inputs[0][0]")
data_case("exp-huge-target", data(("targets", 2, 0), "-7E+123456789"), "targets[2][0]")
data_case("nan", data(("targets", 0, 0), raw="NaN"), "targets[0][0]")
data_case("top-list", "[]", "--data")
data_case("top-null", "null", "--data")
for fid, path, value, fld in [
    ("no-inputs", ("inputs",), _DELETE, "inputs"),
    ("no-targets", ("targets",), _DELETE, "targets"),
    ("extra-key", ("weights",), [], "weights"),
    ("inputs-empty", ("inputs",), [], "inputs"),
    ("inputs-object", ("inputs",), {}, "inputs"),
    ("inputs-flat", ("inputs",), [1, 2, 3, 4, 5], "inputs[0]"),
    ("inputs-short-row", ("inputs", 1), [1, 2], "inputs[1]"),
    ("inputs-long-row", ("inputs", 2), [1, 2, 3, 4, 5, 6], "inputs[2]"),
    ("inputs-empty-rows", ("inputs",), [[], [], []], "inputs[0]"),
    ("inputs-nested", ("inputs", 0, 0), [1], "inputs[0][0]"),
    ("inputs-bool", ("inputs", 0, 1), False, "inputs[0][1]"),
    ("inputs-null", ("inputs", 0, 1), None, "inputs[0][1]"),
    ("inputs-word", ("inputs", 0, 1), "x", "inputs[0][1]"),
    ("inputs-div-zero", ("inputs", 0, 1), "3/0", "inputs[0][1]"),
    ("targets-empty", ("targets",), [], "targets"),
    ("targets-too-few", ("targets",), [[1, 0]], "targets"),
    ("targets-short-row", ("targets", 0), [1], "targets[0]"),
    ("targets-string", ("targets",), "1,0", "targets"),
    ("targets-inf", ("targets", 1, 1), "inf", "targets[1][1]"),
]:
    data_case(fid, data(path, value), fld)
add("data-ce-not-one-hot", ["rank", *M, *D, "--loss", "ce"], "targets",
    files={"m.json": model(), "d.json": data()})
add("data-for-generated-net", [*RANK, *D], "inputs", files={"d.json": data()})

# ---- torch files -------------------------------------------------------------------------------
T = ["rank", "--torch", "{tmp}/m.pt", "--input-dim", "8", "--samples", "3"]


def _torch_file(kind: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        module = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3, bias=False), torch.nn.Flatten(),
                                     torch.nn.Linear(12, 2, bias=False))
        if kind == "tensor":
            torch.save(torch.zeros(3), path)
        elif kind == "state_dict":
            torch.save(module.state_dict(), path)
        elif kind == "dilation":
            torch.save(torch.nn.Sequential(torch.nn.Conv1d(1, 2, 2, dilation=2, bias=False), torch.nn.Flatten(),
                                           torch.nn.Linear(12, 2, bias=False)), path)
        elif kind == "pool-padding":
            torch.save(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.MaxPool2d(2, padding=1),
                                           torch.nn.Flatten(), torch.nn.Linear(18, 2)), path)
        elif kind == "lenet":
            torch.save(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                           torch.nn.Flatten(), torch.nn.Linear(32, 2)), path)
        else:
            torch.save(module, path)
            blob = path.read_bytes()
            path.write_bytes(blob[: len(blob) // 2] if kind == "truncated" else blob)
    return write


def _fake_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"not a pickle")
    path.write_bytes(path.read_bytes()[:-30])


add("torch-missing", ["rank", "--torch", "{tmp}/nope.pt"], "--torch", needs_torch=True)
add("torch-directory", ["rank", "--torch", "{tmp}"], "--torch", needs_torch=True)
add("torch-empty", T, "--torch", files={"m.pt": b""}, needs_torch=True)
add("torch-text", T, "--torch", files={"m.pt": "this is not a torch file\n"}, needs_torch=True)
add("torch-json", T, "--torch", files={"m.pt": model()}, needs_torch=True)
add("torch-random-bytes", T, "--torch", files={"m.pt": bytes(range(256)) * 16}, needs_torch=True)
add("torch-truncated-zip", T, "--torch", files={"m.pt": _torch_file("truncated")}, needs_torch=True)
add("torch-fake-zip", T, "--torch", files={"m.pt": _fake_zip}, needs_torch=True)
add("torch-tensor", T, "--torch", files={"m.pt": _torch_file("tensor")}, needs_torch=True)
add("torch-state-dict", T, "--torch", files={"m.pt": _torch_file("state_dict")}, needs_torch=True)
add("torch-dilation", T, "--torch module[0] (Conv1d).dilation", files={"m.pt": _torch_file("dilation")},
    needs_torch=True)
add("torch-pool-padding", ["rank", "--torch", "{tmp}/m.pt", "--input-shape", "1,8,8"],
    "--torch module[1] (MaxPool2d).padding", files={"m.pt": _torch_file("pool-padding")}, needs_torch=True)
add("torch-2d-no-input-shape", ["rank", "--torch", "{tmp}/m.pt"], "--input-shape",
    files={"m.pt": _torch_file("lenet")}, needs_torch=True)
add("torch-2d-input-dim", ["rank", "--torch", "{tmp}/m.pt", "--input-dim", "8"], "--input-dim",
    files={"m.pt": _torch_file("lenet")}, needs_torch=True)
add("torch-2d-wrong-channels", ["rank", "--torch", "{tmp}/m.pt", "--input-shape", "3,8,8"],
    "--torch module[0] (Conv2d).in_channels", files={"m.pt": _torch_file("lenet")}, needs_torch=True)
add("torch-2d-wrong-size", ["rank", "--torch", "{tmp}/m.pt", "--input-shape", "1,6,6"],
    "--torch module[4] (Linear).in_features", files={"m.pt": _torch_file("lenet")}, needs_torch=True)
add("torch-wrong-input-dim", ["rank", "--torch", "{tmp}/m.pt", "--input-dim", "9"], "--torch",
    files={"m.pt": _torch_file("good")}, needs_torch=True)
add("torch-input-dim-1e12", ["rank", "--torch", "{tmp}/m.pt", "--input-dim", str(10**12)], "--input-dim",
    files={"m.pt": _torch_file("good")}, needs_torch=True)
add("torch-and-model", ["rank", "--torch", "{tmp}/m.pt", *M], "--torch",
    files={"m.pt": _torch_file("good"), "m.json": model()}, needs_torch=True)
add("torch-dev-zero", ["rank", "--torch", "/dev/zero"], "--torch", needs_torch=True)

# ---- flags -------------------------------------------------------------------------------------
for flag, values in [
    ("--input-dim", ["abc", "0", "-1", "1.5", "", str(10**12), str(10**21), "1e3"]),
    ("--outputs", ["abc", "0", "-2", str(10**12), str(10**21)]),
    ("--channels", ["x", "0", "2,", "-1", str(10**12), str(10**21), "2,2", ""]),
    ("--kernels", ["x", "0", "", "3,,3", "-1", str(10**12), ",".join(["1"] * 5000)]),
    ("--strides", ["0", "x", str(10**12)]),
    ("--paddings", ["-1", "x", str(10**12), "1,1"]),
    ("--activation", ["tanh", ""]),
    ("--seed", ["abc", "1.5"]),
    ("--samples", ["0", "-5", "abc", str(10**12), str(10**21)]),
    ("--dataset", ["cifar", ""]),
    ("--method", ["svd"]),
    ("--loss", ["hinge"]),
    ("--dps", ["0", "-1", "abc", "10", "10000000"]),
    ("--certify-limit", ["-1", "abc"]),
    ("--memory-limit", ["nan", "inf", "-inf", "0", "-1", "abc", "1e400"]),
    ("--redraw", ["-1", "abc", "1000000000"]),
]:
    for value in values:
        add(f"flag{flag}={value[:20]}", [*RANK, f"{flag}={value}"], flag)
add("flag-paddings-negative-pair", ["rank", "--kernels", "3,3", "--paddings", "-1,0"], "--paddings")
add("flag-paddings-negative-pair-sub", ["rank", "--kernels", "3,3", "--paddings", "-1,0"], "--paddings",
    subprocess=True)
add("flag-input-dim-abc-sub", ["rank", "--input-dim", "abc"], "--input-dim", subprocess=True)
add("flag-missing-value", ["rank", "--input-dim"], "--input-dim")
add("flag-unknown", ["rank", "--frobnicate", "3"], "--frobnicate")
add("flag-ambiguous", ["rank", "--in", "3"], "--in")
add("flag-json-with-value", ["rank", "--json=yes"], "--json")
add("flag-model-and-torch", ["rank", *M, "--torch", "{tmp}/m.pt"], "--torch", files={"m.json": model()})
add("flag-kernel-too-big", ["rank", "--input-dim", "4", "--kernels", "3,3"], "--kernels")
add("flag-channels-count", ["rank", "--kernels", "3", "--channels", "2,2"], "--channels")
add("flag-redraw-with-model", ["rank", *M, "--redraw", "3"], "--redraw", files={"m.json": model()})
add("flag-ce-float64", [*RANK, "--loss", "ce", "--method", "float64"], "--method")
add("flag-ce-dps-huge", [*RANK, "--loss", "ce", "--dps", "10000000"], "--dps")
add("flag-ce-one-output", [*RANK, "--loss", "ce", "--outputs", "1"], "--outputs")
add("flag-digits-input-dim", [*RANK, "--dataset", "digits"], "--input-dim")
add("flag-digits-samples", ["rank", "--input-dim", "16", "--kernels", "3", "--dataset", "digits",
                            "--samples", "100000"], "--samples")
add("flag-digits-outputs", ["rank", "--input-dim", "16", "--kernels", "3", "--dataset", "digits",
                            "--outputs", "11"], "--outputs")
add("memory-rank-big", ["rank", "--input-dim", "100000", "--kernels", "3,3", "--channels", "500,500",
                        "--samples", "20", "--memory-limit", "1"], "--memory-limit")
add("memory-rank-big-sub", ["rank", "--input-dim", "100000", "--kernels", "3,3", "--channels", "500,500",
                            "--samples", "20", "--memory-limit", "1"], "--memory-limit", subprocess=True)
add("memory-rank-default-limit", ["rank", "--input-dim", "1000000", "--kernels", "3,3", "--channels",
                                  "1000,1000"], "--memory-limit")
add("memory-rank-samples", ["rank", "--samples", "1000000", "--input-dim", "100000", "--kernels", "3"],
    "--memory-limit")
add("memory-rank-ce", ["rank", "--loss", "ce", "--input-dim", "100000", "--kernels", "3", "--channels", "100",
                       "--memory-limit", "1"], "--memory-limit")
add("memory-rank-mpmath", ["rank", "--method", "mpmath", "--input-dim", "3000", "--kernels", "3", "--channels", "4",
                           "--dps", "10000", "--memory-limit", "1"], "--memory-limit")
add("flag-mpmath-dps-huge", [*RANK, "--method", "mpmath", "--dps", "10000000"], "--dps")
add("memory-rank-redraw", ["rank", "--activation", "relu", "--redraw", "3", "--input-dim", "100000",
                           "--channels", "300,300", "--memory-limit", "1"], "--memory-limit")
add("memory-rank-model", ["rank", *M, "--samples", "1000000", "--memory-limit", "1"], "--memory-limit",
    files={"m.json": model()})
add("memory-hessian", ["hessian", "--input-dim", "2000", "--kernels", "3,3", "--channels", "50,50",
                       "--out", "{tmp}/h.json"], "--memory-limit")
add("memory-hessian-limit", ["hessian", "--input-dim", "200", "--kernels", "3,3", "--channels", "8,8",
                             "--out", "{tmp}/h.json", "--memory-limit", "0.001"], "--memory-limit")
add("memory-audit", ["audit", "--input-dim", "20000", "--kernels", "3,3", "--channels", "20,20"], "--memory-limit")
add("memory-audit-limit", ["audit", "--input-dim", "100", "--kernels", "3", "--channels", "4",
                           "--memory-limit", "0.0001"], "--memory-limit")
add("audit-bad-kernels", ["audit", "--kernels", "3,3", "--channels", "4"], "--channels")
add("audit-input-dim-1e21", ["audit", "--input-dim", str(10**21)], "--input-dim")
add("hessian-parts", ["hessian", *RANK[1:], "--parts", "outer,bogus", "--out", "{tmp}/h.json"], "--parts")
add("hessian-parts-empty", ["hessian", *RANK[1:], "--parts", "", "--out", "{tmp}/h.json"], "--parts")
add("hessian-no-out", ["hessian", *RANK[1:]], "--out")
add("hessian-bad-dataset", ["hessian", *RANK[1:], "--dataset", "cifar", "--out", "{tmp}/h.json"], "--dataset")
add("command-unknown", ["frobnicate"], "frobnicate")
add("command-option-unknown", ["--frobnicate"], "--frobnicate")

# ---- table / plot / check flags ----------------------------------------------------------------
add("table-unknown", ["table", "no-such-table"], "NAME")
add("table-format", ["table", "filter-size", "--format", "xml"], "--format")
add("table-jobs-0", ["table", "filter-size", "--jobs", "0"], "--jobs")
add("table-jobs-abc", ["table", "filter-size", "--jobs", "abc"], "--jobs")
add("table-jobs-huge", ["table", "filter-size", "--jobs", "1000000"], "--jobs")
add("table-seed", ["table", "filter-size", "--seed", "x"], "--seed")
add("table-dask-bad", ["table", "filter-size", "--dask", "not an address"], "--dask")
add("plot-unknown", ["plot", "no-such-table", "--out", "{tmp}/p.png"], "NAME")
add("plot-no-out", ["plot", "filter-size"], "--out")
add("plot-pdf", ["plot", "filter-size", "--out", "{tmp}/p.pdf"], "--out")
add("plot-jobs", ["plot", "filter-size", "--out", "{tmp}/p.png", "--jobs", "-3"], "--jobs")
add("check-format", ["check", "--format", "xml"], "--format")
add("check-jobs-0", ["check", "--jobs", "0"], "--jobs")
add("check-jobs-abc", ["check", "--jobs", "abc"], "--jobs")
add("check-claim", ["check", "--claim", "no-such-claim"], "--claim")
add("check-dask-bad", ["check", "--dask", "::::"], "--dask")

# ---- output paths ------------------------------------------------------------------------------
HESSIAN = ["hessian", *RANK[1:], "--out"]
OUTPUTS = {
    "hessian": (HESSIAN, ".json"),
    "table": (["table", "filter-size", "--no-progress", "--jobs", "1", "--out"], ".md"),
    "plot": (["plot", "filter-size", "--no-progress", "--jobs", "1", "--out"], ".png"),
    "check": (["check", "--jobs", "1", "--out"], ".md"),
}


def _make_dir(name: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.mkdir()
    return make


def _readonly_dir(path: Path) -> None:
    path.mkdir()
    path.chmod(0o500)


def _link_to(target: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.symlink_to(target)
    return make


for cmd, (argv, ext) in OUTPUTS.items():
    add(f"out-{cmd}-missing-dir", [*argv, f"{{tmp}}/no/such/dir/o{ext}"], "--out")
    add(f"out-{cmd}-is-directory", [*argv, f"{{tmp}}/o{ext}"], "--out", files={f"o{ext}": _make_dir("o")})
    add(f"out-{cmd}-parent-is-file", [*argv, f"{{tmp}}/f/o{ext}"], "--out", files={"f": "x"})
    add(f"out-{cmd}-dev-full", [*argv, "/dev/full"], "--out")
    add(f"out-{cmd}-proc", [*argv, f"/proc/symhess-out{ext}"], "--out", outside=(f"/proc/symhess-out{ext}",))
    add(f"out-{cmd}-symlink-to-device", [*argv, f"{{tmp}}/o{ext}"], "--out", files={f"o{ext}": _link_to("/dev/null")})
    add(f"out-{cmd}-readonly-dir", [*argv, f"{{tmp}}/ro/o{ext}"], "--out", files={"ro": _readonly_dir},
        skip_root=True)
add("out-hessian-wrong-ext", [*HESSIAN, "{tmp}/h.txt"], "--out")
add("out-hessian-dev-null", [*HESSIAN, "/dev/null"], "--out")
add("out-hessian-dev-full-sub", [*HESSIAN, "/dev/full"], "--out", subprocess=True)
add("out-hessian-full-disk", [*HESSIAN, "{tmp}/h.json"], "--out", fsize=2000)
add("out-table-full-disk", ["table", "filter-size", "--no-progress", "--jobs", "1", "--out", "{tmp}/t.csv"],
    "--out", fsize=400)
add("out-table-wrong-ext", ["table", "filter-size", "--out", "{tmp}/t.txt"], "--out")
add("out-check-wrong-ext", ["check", "--out", "{tmp}/c.txt"], "--out")


# ---- the runner --------------------------------------------------------------------------------

@dataclass
class Outcome:
    code: Any
    err: str
    seconds: float


def _vm_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def run_forked(argv: list[str], fsize: int | None, workdir: Path) -> Outcome:
    """``main(argv)`` in a forked child: stdout/stderr captured, killed after :data:`TIME_LIMIT`."""
    result = workdir.parent / f".{workdir.name}.result"
    errfile = workdir.parent / f".{workdir.name}.stderr"
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code: Any = 1
        try:
            from symhess.cli.main import main

            limit = _vm_bytes() + EXTRA_ADDRESS_SPACE
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            fd = os.open(errfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 2)
            os.dup2(devnull, 1)
            sys.stderr = open(2, "w", closefd=False)
            sys.stdout = open(1, "w", closefd=False)
            os.chdir(workdir)
            hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
            if fsize is not None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, hard))
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code
            except BaseException:  # noqa: BLE001 - report it as the traceback a user would see
                traceback.print_exc()
                code = "exception"
            sys.stderr.flush()
            sys.stdout.flush()
            if fsize is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
            result.write_text(json.dumps({"code": code}))
        finally:
            os._exit(0)
    deadline = start + TIME_LIMIT
    while True:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return Outcome("timeout", errfile.read_text(errors="replace") if errfile.exists() else "", TIME_LIMIT)
        time.sleep(0.005)
    seconds = time.monotonic() - start
    err = errfile.read_text(errors="replace") if errfile.exists() else ""
    code = json.loads(result.read_text())["code"] if result.exists() else "crashed"
    for f in (result, errfile):
        if f.exists():
            f.unlink()
    return Outcome(code, err, seconds)


def run_subprocess(argv: list[str], workdir: Path) -> Outcome:
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "symhess", *argv], capture_output=True, text=True,
                              timeout=TIME_LIMIT, cwd=workdir, errors="replace")
    except subprocess.TimeoutExpired as exc:
        return Outcome("timeout", (exc.stderr or b"").decode(errors="replace") if isinstance(exc.stderr, bytes)
                       else (exc.stderr or ""), TIME_LIMIT)
    return Outcome(proc.returncode, proc.stderr, time.monotonic() - start)


def _listing(root: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            out.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(out)


def prepare(case: Case, workdir: Path) -> list[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        path = workdir / name
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return [a.replace("{tmp}", str(workdir)) for a in case.argv]


def problems(case: Case, workdir: Path) -> list[str]:
    """Everything wrong with one case's behaviour (empty: it behaves)."""
    argv = prepare(case, workdir)
    before = _listing(workdir)
    devices = {p: os.stat(p).st_mode for p in ("/dev/full", "/dev/null")}
    outcome = run_subprocess(argv, workdir) if case.subprocess else run_forked(argv, case.fsize, workdir)
    found = []
    lines = outcome.err.splitlines()
    if outcome.code != 2:
        found.append(f"exit status {outcome.code!r}, expected 2")
    if len(lines) != 1:
        found.append(f"{len(lines)} lines on stderr, expected 1")
    if "Traceback" in outcome.err:
        found.append("a traceback")
    if case.names and lines and case.names not in lines[0]:
        found.append(f"the line does not name {case.names!r}")
    if lines and "expected" not in lines[0]:
        found.append("the line does not say what was expected")
    if outcome.seconds > TIME_LIMIT - 0.5:
        found.append(f"no answer within {TIME_LIMIT:.0f} s")
    after = _listing(workdir)
    if after != before:
        found.append(f"files changed: {sorted(set(after) ^ set(before))}")
    for p in case.outside:
        if os.path.lexists(p):
            found.append(f"{p} was created")
    for p, mode in devices.items():
        if not stat.S_ISCHR(os.stat(p).st_mode) or os.stat(p).st_mode != mode:
            found.append(f"{p} is no longer the device it was")
    if found:
        found.append(f"stderr: {outcome.err[-600:]!r}")
    return found


def _cleanup(workdir: Path) -> None:
    for dirpath, dirnames, _ in os.walk(workdir):
        for d in dirnames:
            try:
                os.chmod(os.path.join(dirpath, d), 0o700)
            except OSError:
                pass


def _skip_reason(case: Case) -> str | None:
    if case.needs_torch and not HAVE_TORCH:
        return "needs torch"
    if case.skip_root and os.geteuid() == 0:
        return "root can write into a read-only directory"
    return None


def prewarm() -> None:
    """Import everything the cases reach, once, so that forked children start warm."""
    global torch
    from symhess.cli.main import build_parser

    build_parser()
    import symhess.experiments.plots  # noqa: F401
    import symhess.experiments.tables  # noqa: F401
    from proofs_checks.framework import registry

    registry()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        pass
    if HAVE_TORCH:
        import torch as _torch

        torch = _torch


def run_batch(root: Path, chosen: list[Case], shard: int = 0, shards: int = 1) -> dict[str, list[str]]:
    """The problems of every in-process case (skipped and subprocess cases left out); of shard ``shard`` only
    (the cases ``i`` with ``i mod shards = shard``)."""
    prewarm()
    gc.freeze()  # the warm objects stay out of the children's collections: fewer copy-on-write pages
    results = {}
    for i, case in enumerate(chosen):
        if case.subprocess or _skip_reason(case) or i % shards != shard:
            continue
        workdir = root / f"case{i}"
        try:
            results[case.id] = problems(case, workdir)
        except Exception as err:  # noqa: BLE001 - a broken case is a failure, not a crash of the batch
            results[case.id] = [f"the runner failed: {type(err).__name__}: {err}"]
        finally:
            _cleanup(workdir)
    return results


BATCH_SHARDS = 2
"""Batch processes run side by side (``case i`` goes to shard ``i mod BATCH_SHARDS``): 2 cores."""


def _run_batches(root: Path) -> dict[str, list[str]]:
    """The batch processes' results, merged (a failed batch: ``{"batch failed": [its stderr]}``)."""
    procs = [subprocess.Popen([sys.executable, __file__, "--json", str(root), f"{k}/{BATCH_SHARDS}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent) for k in range(BATCH_SHARDS)]
    results: dict[str, list[str]] = {}
    for proc in procs:
        out, err = proc.communicate(timeout=20 * 60)
        if proc.returncode != 0:
            return {"batch failed": [err[-3000:]]}
        results |= json.loads(out.strip().splitlines()[-1])
    return results


def background_jobs(items, mktemp):
    """The batch, for the background lane (``tests/conftest.py``), when an in-process case is selected."""
    ids = {item.callspec.params["case"].id for item in items if getattr(item, "originalname", None) == "test_bad_input"}
    if not any(c.id in ids and not c.subprocess and not _skip_reason(c) for c in CASES):
        return {}
    return {"batch": functools.partial(_run_batches, mktemp("bad_inputs"))}


@pytest.fixture(scope="module")
def batch(background, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    results = background(__name__, "batch", lambda: _run_batches(tmp_path_factory.mktemp("bad_inputs")))
    assert "batch failed" not in results, results.get("batch failed")
    return results


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, batch: dict[str, list[str]], tmp_path: Path) -> None:
    reason = _skip_reason(case)
    if reason:
        pytest.skip(reason)
    if case.subprocess:
        workdir = tmp_path / "work"
        try:
            found = problems(case, workdir)
        finally:
            _cleanup(workdir)
    else:
        found = batch[case.id]
    assert not found, "; ".join(found)


def test_catalogue_is_large() -> None:
    assert len(CASES) > 150
    assert len({c.id for c in CASES}) == len(CASES)


def test_help_and_version_are_quick() -> None:
    for argv in (["--help"], ["--version"], ["rank", "--help"]):
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "symhess", *argv], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and proc.stdout and not proc.stderr
        assert time.monotonic() - start < 10
    assert proc.stdout.count("(default") >= 10  # rank --help states the defaults


if __name__ == "__main__":  # the catalogue as a script
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if sys.argv[1:2] == ["--json"]:  # a batch process of the pytest run: --json DIR SHARD/SHARDS
        shard, shards = map(int, sys.argv[3].split("/"))
        print(json.dumps(run_batch(Path(sys.argv[2]), CASES, shard, shards)))
        sys.exit(0)
    chosen = [c for c in CASES if len(sys.argv) < 2 or any(s in c.id for s in sys.argv[1:])]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        results = run_batch(Path(tmp), chosen)
        for i, case in enumerate(chosen):
            if case.subprocess and not _skip_reason(case):
                results[case.id] = problems(case, Path(tmp) / f"sub{i}")
                _cleanup(Path(tmp) / f"sub{i}")
    failures = {k: v for k, v in results.items() if v}
    for case_id, found in failures.items():
        print(f"FAIL {case_id}: " + "; ".join(found))
    print(f"{len(failures)} of {len(results)} cases fail ({time.monotonic() - t0:.1f} s)")
