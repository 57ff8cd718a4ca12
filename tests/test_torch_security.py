"""No file may run code: ``--torch`` reads with ``weights_only=True`` and an allow-list of module classes.

Each malicious file carries a payload that creates a marker file when unpickled. We check that
``symhess rank --torch FILE``, run as a real subprocess (in the background lane of
``tests/conftest.py``), does not create it (exit status 2,
exactly one line on stderr naming ``--torch``, no traceback, no output, no marker), and that
the payload is live (plain ``pickle.load`` or ``torch.load(weights_only=False)`` then does
create the marker).
"""

from __future__ import annotations

import builtins
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from symhess.cli.main import main  # noqa: E402
from symhess.io.torch_import import SAFE_MODULES, from_torch, load_torch_model  # noqa: E402
from symhess.scalars import InputError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class OpenMarker:
    """Unpickling calls ``open(marker, "w")``: creates the marker file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


class SystemMarker(OpenMarker):
    """Unpickling runs a shell command (``os.system``)."""

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


class ExecMarker(OpenMarker):
    """Unpickling runs Python source (``exec``)."""

    def __reduce__(self):
        return (builtins.exec, (f"open({self.marker!r}, 'w').close()",))


PAYLOADS = {"open": OpenMarker, "system": SystemMarker, "exec": ExecMarker}


def _good_module() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv1d(1, 2, 3, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2, bias=False))


def _write(kind: str, payload: str, path: Path, marker: Path) -> None:
    """A malicious file of ``kind``: raw pickle (protocol 0/2/5), torch.save of the payload, or of a module carrying it."""
    evil = PAYLOADS[payload](marker)
    if kind.startswith("pickle"):
        path.write_bytes(pickle.dumps(evil, protocol=int(kind[len("pickle"):])))
    elif kind == "torch":
        torch.save(evil, path)
    elif kind == "torch-inside-module":  # a legitimate module with the payload in its __dict__
        module = _good_module()
        module.payload = evil
        torch.save(module, path)
    else:
        raise AssertionError(kind)


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)


def _unsafe_load_creates_marker(path: Path, marker: Path, kind: str) -> bool:
    """The payload is live: an unsafe load (here, in-process; the payload only touches ``marker``) creates it."""
    try:
        if kind.startswith("torch"):
            torch.load(path, weights_only=False)
        else:
            with open(path, "rb") as fh:
                pickle.load(fh)
    except Exception:  # noqa: BLE001 - the payload's return value may not be a module; the side effect counts
        pass
    found = marker.exists()
    if found:
        marker.unlink()
    return found


CASES = [("pickle0", "open"), ("pickle2", "system"), ("pickle5", "exec"), ("torch", "open"), ("torch", "system"),
         ("torch", "exec"), ("torch-inside-module", "open")]


def _case(kind: str, payload: str, workdir: Path) -> Callable[[], tuple[Path, Path, subprocess.CompletedProcess]]:
    """Write the malicious file now (torch's RNG left as it was); the job: ``symhess rank --torch`` on it."""
    marker, path = workdir / "marker", workdir / "model.pt"
    with torch.random.fork_rng():
        _write(kind, payload, path, marker)
    return lambda: (path, marker, _run("-m", "symhess", "rank", "--torch", str(path), "--input-dim", "8",
                                       "--samples", "3"))


def background_jobs(items, mktemp):
    """The real ``symhess`` subprocess of every selected case, for the background lane (``tests/conftest.py``)."""
    keys = [(item.callspec.params["kind"], item.callspec.params["payload"]) for item in items
            if getattr(item, "originalname", None) == "test_malicious_file_runs_no_code"]
    return {(kind, payload): _case(kind, payload, mktemp(f"{kind}-{payload}")) for kind, payload in keys}


@pytest.mark.parametrize("kind,payload", CASES, ids=[f"{k}-{p}" for k, p in CASES])
def test_malicious_file_runs_no_code(background, tmp_path, kind, payload):
    path, marker, proc = background(__name__, (kind, payload), lambda: _case(kind, payload, tmp_path)())
    assert not marker.exists(), "the file ran code"
    assert _unsafe_load_creates_marker(path, marker, kind), "the payload should be live"
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("symhess: error: --torch") and "weights_only=True" in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_malicious_file_in_process_is_an_input_error(tmp_path, capsys):
    marker = tmp_path / "marker"
    for i, payload in enumerate(PAYLOADS):
        path = tmp_path / f"m{i}.pt"
        _write("torch", payload, path, marker)
        with pytest.raises(InputError, match="--torch") as err:
            load_torch_model(path, 8)
        assert "needs" in str(err.value)
        assert main(["rank", "--torch", str(path), "--input-dim", "8", "--samples", "3"]) == 2
        assert len(capsys.readouterr().err.splitlines()) == 1
        assert not marker.exists()


def test_legitimate_torch_save_still_loads(tmp_path, capsys):
    model = _good_module()
    path = tmp_path / "good.pt"
    torch.save(model, path)
    net, expected = load_torch_model(path), from_torch(model, 8)
    assert net.arch == expected.arch
    assert all((a == b).all() for a, b in zip(net.weights, expected.weights))  # exact, weight for weight
    assert main(["rank", "--torch", str(path), "--samples", "3"]) == 0
    assert "H_L" in capsys.readouterr().out


def test_legitimate_float16_and_padding_string_models_load(tmp_path):
    model = nn.Sequential(nn.Conv1d(1, 2, 3, bias=False, padding="valid"), nn.Conv1d(2, 2, 2, stride=2, padding=1,
                                                                                      bias=False),
                          nn.Flatten(), nn.Linear(2 * 4, 3, bias=False)).to(torch.float16)
    path = tmp_path / "half.pt"
    torch.save(model, path)
    net = load_torch_model(path, 8)
    assert net.arch == from_torch(model, 8).arch


@pytest.mark.parametrize("layer", ["Conv2d", "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d"])
def test_allow_listed_layers_load_and_convert(tmp_path, layer):
    """Conv2d and the pooling layers are on the allow-list: the file is read and converted exactly."""
    child, shape = {"Conv2d": (lambda: nn.Conv2d(1, 1, 1), (1, 2, 2)), "AvgPool1d": (lambda: nn.AvgPool1d(2), (1, 8)),
                    "AvgPool2d": (lambda: nn.AvgPool2d(2), (1, 4, 4)), "MaxPool1d": (lambda: nn.MaxPool1d(2), (1, 8)),
                    "MaxPool2d": (lambda: nn.MaxPool2d(2), (1, 4, 4))}[layer]
    model = nn.Sequential(child(), nn.Flatten(), nn.Linear(4, 2))
    path = tmp_path / "m.pt"
    torch.save(model, path)
    net = load_torch_model(path, input_shape=shape)
    assert net.arch.placed[0].layer.name == layer
    assert net.theta() == from_torch(model, input_shape=shape).theta()
    with pytest.raises(InputError, match=rf"^--torch module\[0\] \({layer}\)\.padding"):
        child_padded = {"Conv2d": lambda: nn.Conv2d(1, 1, 1, padding="same"),
                        "AvgPool1d": lambda: nn.AvgPool1d(2, padding=1), "AvgPool2d": lambda: nn.AvgPool2d(2, padding=1),
                        "MaxPool1d": lambda: nn.MaxPool1d(2, padding=1), "MaxPool2d": lambda: nn.MaxPool2d(2, padding=1)}[layer]
        torch.save(nn.Sequential(child_padded(), nn.Flatten(), nn.Linear(4, 2)), path)
        load_torch_model(path, input_shape=shape)


def test_a_class_outside_the_allow_list_is_refused_by_name(tmp_path):
    path = tmp_path / "dropout.pt"
    torch.save(nn.Sequential(nn.Conv1d(1, 2, 3, bias=False), nn.Dropout(), nn.Flatten(),
                             nn.Linear(12, 2, bias=False)), path)
    with pytest.raises(InputError, match="needs torch.nn.modules.dropout.Dropout"):
        load_torch_model(path, 8)


def test_allow_list_is_exactly_the_supported_module_classes(tmp_path, monkeypatch):
    assert set(SAFE_MODULES) == {"Sequential", "Conv1d", "ReLU", "Flatten", "Linear", "Conv2d",
                                 "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d"}
    seen = {}
    real = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs, safe=set(torch.serialization.get_safe_globals()))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    path = tmp_path / "good.pt"
    torch.save(_good_module(), path)
    load_torch_model(path)
    assert seen["weights_only"] is True
    assert {getattr(nn, name) for name in SAFE_MODULES} <= seen["safe"]
    assert not torch.serialization.get_safe_globals() or getattr(nn, "Conv1d") not in \
        torch.serialization.get_safe_globals()  # the allow-list is scoped to the load, not global
