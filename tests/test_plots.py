"""``symhess plot``: PNG / SVG files from rank tables, clear errors, never a partial file."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from symhess.cli.main import main
from symhess.experiments.plots import render_plot
from symhess.experiments.sweep import run_table
from symhess.experiments.tables import TABLES, get_table

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytest.importorskip("matplotlib")


def tiny_result(name: str, values: tuple[int, ...]):
    return run_table(dataclasses.replace(get_table(name), values=values, seeds=1), progress=False)


def test_png_of_filter_size_via_cli(tmp_path):
    out = tmp_path / "fs.png"
    assert main(["plot", "filter-size", "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["fs.png"]


@pytest.mark.parametrize("name, values", [("lcn", (3, 4)), ("sqrt-law", (2, 3, 4)), ("channels", (1, 2))])
def test_svg_of_each_kind_of_table(name, values):
    svg = render_plot(tiny_result(name, values), "svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")
    assert "rank H_L" in svg  # matplotlib keeps each text as an XML comment beside its glyph paths


@pytest.mark.parametrize("argv", [
    ["plot", "no-such-table", "--out", "x.png"],
    ["plot", "filter-size", "--out", "x.pdf"],
    ["plot", "filter-size"],
])
def test_bad_plot_arguments_exit_2_without_file(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("symhess: error:")
    assert list(tmp_path.iterdir()) == []


def test_missing_matplotlib_is_an_input_error(tmp_path, monkeypatch, capsys):
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    out = tmp_path / "x.png"
    assert main(["plot", "filter-size", "--out", str(out), "--jobs", "1", "--no-progress"]) == 2
    assert "matplotlib" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _boom(point, seed):
    raise RuntimeError("instance failed")


def test_no_partial_plot_file_when_rendering_fails(tmp_path, monkeypatch):
    import symhess.experiments.plots as plots

    def broken_savefig(*args, **kwargs):
        raise RuntimeError("disk full")

    import matplotlib.figure
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken_savefig)
    out = tmp_path / "x.svg"
    with pytest.raises(RuntimeError):
        plots.write_plot(tiny_result("lcn", (6,)), str(out))
    assert list(tmp_path.iterdir()) == []


def test_no_partial_plot_file_when_the_sweep_fails(tmp_path, monkeypatch):
    monkeypatch.setitem(TABLES, "broken", dataclasses.replace(get_table("lcn"), name="broken", measure=_boom))
    out = tmp_path / "x.png"
    with pytest.raises(RuntimeError):
        main(["plot", "broken", "--out", str(out), "--jobs", "1", "--no-progress"])
    assert list(tmp_path.iterdir()) == []
