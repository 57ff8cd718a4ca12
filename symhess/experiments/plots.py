"""Plots of rank tables (the paper's Figures 1, 2(a), 2(b), 3 and the square-root law).

Exact generic ranks are drawn as markers, the theory's bounds as lines, one colour per
Hessian (``H_O``, ``H_F``, ``H_L``) and one marker/line style per series (LCN vs LCN+WS),
against the swept variable, or against ``p`` on log-log axes for the square-root law
(with the fitted slope and a slope-½ reference line). matplotlib is an optional extra
(``pip install symhess[plot]``); without it :func:`render_plot` raises :class:`InputError`.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..hessian.hessians import PARTS
from ..io.output import write_atomic
from ..scalars import InputError
from .float_audit import EPS64, FAMILIES, TABLE_COLUMN, family_instance, float_matrices, float_singular_values
from .sweep import PART_LABELS, TableResult, TableRow

PLOT_FORMATS = ("png", "svg")
COLOURS = {"outer": "tab:blue", "functional": "tab:orange", "loss": "tab:green"}
SERIES_STYLES = (("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."))
"""(marker, bound line style) of the 1st, 2nd, ... series."""


def plot_format(path: str) -> str:
    """``png`` or ``svg`` from the extension of ``path``; :class:`InputError` otherwise."""
    ext = Path(path).suffix.lstrip(".").lower()
    if ext not in PLOT_FORMATS:
        raise InputError("--out", "a file ending in .png or .svg", path)
    return ext


def pyplot_or_error():
    """matplotlib's pyplot on the non-interactive Agg backend, or a clear :class:`InputError`."""
    try:
        import matplotlib  # optional extra, imported on use (matplotlib)
    except ImportError:
        raise InputError("plot", "matplotlib installed (pip install 'symhess[plot]')", "not installed") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # optional extra, imported on use
    return plt


def _x(row: TableRow, plot_x: str) -> int:
    return row.params if plot_x == "p" else row.value


def render_plot(result: TableResult, fmt: str) -> bytes:
    """The figure of ``result`` as PNG or SVG bytes."""
    if fmt not in PLOT_FORMATS:
        raise InputError("--out", "a file ending in .png or .svg", fmt)
    if result.spec.name == "float-failures":
        return render_float_failures(result, fmt)
    plt = pyplot_or_error()
    spec = result.spec
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    try:
        for (marker, line), series in zip(SERIES_STYLES, spec.series):
            rows = sorted((r for r in result.rows if r.series == series.label), key=lambda r: _x(r, spec.plot_x))
            xs = [_x(r, spec.plot_x) for r in rows]
            prefix = f"{series.label} " if series.label else ""
            for part in PARTS:
                tag = PART_LABELS[part]
                ax.plot(xs, [r.ranks.get(part) for r in rows], linestyle="none", marker=marker,
                        color=COLOURS[part], label=f"{prefix}rank H_{tag}")
                if all(r.bounds is not None for r in rows) and rows:
                    ax.plot(xs, [r.bounds.get(part) for r in rows], linestyle=line, color=COLOURS[part],
                            alpha=0.7, label=f"{prefix}bound H_{tag}")
            if spec.plot_x == "value" and spec.swept == "channels" and series is spec.series[0]:
                ax.plot(xs, [r.params for r in rows], linestyle=":", color="black", label="p (parameters)")
        if spec.log_log:
            ax.set_xscale("log")
            ax.set_yscale("log")
            from matplotlib.ticker import ScalarFormatter  # optional extra, imported on use
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_formatter(ScalarFormatter())
            _reference_slope(ax, result)
        ax.set_xlabel("p (number of parameters)" if spec.plot_x == "p" else spec.swept)
        ax.set_ylabel("rank (exact, certified)")
        ax.set_title(f"{spec.name}: {spec.title}", fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        buf = io.BytesIO()
        import matplotlib  # optional extra, imported on use
        with matplotlib.rc_context({"svg.hashsalt": "symhess"}):  # same ids every run: reproducible files
            fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else {"Software": None})
        return buf.getvalue()
    finally:
        plt.close(fig)


def _reference_slope(ax, result: TableResult) -> None:
    """A slope-½ line through the last ``H_L`` point and the fitted slopes in a text box."""
    rows = sorted(result.rows, key=lambda r: r.params)
    if not rows:
        return
    x1, y1 = rows[-1].params, rows[-1].ranks.loss
    x0 = rows[0].params
    ax.plot([x0, x1], [y1 * (x0 / x1) ** 0.5, y1], color="grey", linestyle="--", linewidth=1,
            label="slope 1/2 (reference)")
    text = "\n".join(f"fit H_{PART_LABELS[f.part]}: slope {f.slope:.3f}" for f in result.fits if f.part != "outer")
    if text:
        ax.text(0.02, 0.98, text, transform=ax.transAxes, va="top", fontsize=8)


def write_plot(result: TableResult, path: str) -> None:
    """Render ``result`` and write it to ``path`` atomically (format from the extension)."""
    write_atomic(path, render_plot(result, plot_format(path)))


def render_float_failures(result: TableResult, fmt: str) -> bytes:
    """``symhess plot float-failures``: per family, the float64 singular values (``σ_i / σ_1``, log scale)
    of one Hessian at the first knob setting where numpy's default breaks (else the absolute, then the
    relative threshold; else the last setting), with the
    certified exact rank marked and the thresholds of numpy, rtol=1e-6 and atol=1e-7/p drawn."""
    plt = pyplot_or_error()
    families = [f for f in FAMILIES if any(r.series == f for r in result.rows)]
    fig, axes = plt.subplots(1, len(families), figsize=(3.2 * len(families), 3.6), squeeze=False)
    columns = [TABLE_COLUMN.get(c, c) for c in ("numpy", "atol=1e-7/p", "rtol=1e-6")]
    try:
        for ax, fam in zip(axes[0], families):
            rows = sorted((r for r in result.rows if r.series == fam), key=lambda r: r.value)
            col = next((c for c in columns if any(dict(r.extra)[c] != "ok" for r in rows)), columns[0])
            broken = [r for r in rows if dict(r.extra)[col] != "ok"]
            row = broken[0] if broken else rows[-1]
            cell = dict(row.extra)[col]
            wrong = [p for p, v in zip(("r", "outer", "functional", "loss"), cell[3:].split("/"))
                     if v.endswith("*")] if broken else []
            part = next((p for p in ("loss", "outer", "functional") if p in wrong), "loss")
            net, data = family_instance(fam, row.value, result.seed * 1000)
            mats = float_matrices(net, data, autodiff=False)
            sv = float_singular_values(mats.part(part))
            rel = np.maximum(sv / sv[0], 1e-40)
            exact = row.ranks.get(part)
            idx = np.arange(1, len(sv) + 1)
            ax.semilogy(idx, rel, marker=".", linestyle="none", color="black", label="float64 sigma_i / sigma_1")
            ax.axvline(exact + 0.5, color="tab:green", label=f"exact rank {exact} (certified)")
            p = net.arch.num_params
            for tol, colour, name in ((max(sv.shape[0], 1) * EPS64, "tab:red", "numpy tol"),
                                      (1e-6, "tab:orange", "rtol 1e-6"),
                                      (1e-7 / p / sv[0], "tab:purple", "atol 1e-7/p")):
                ax.axhline(tol, color=colour, linestyle="--", linewidth=1, label=name)
            label = dict(row.extra)["setting"]
            sym = {"outer": "H_O", "functional": "H_F", "loss": "H_L"}[part]
            ax.set_title(f"{fam}, {label}: {sym}\n{col.split('=torch')[0]}: {cell}", fontsize=8)
            ax.set_xlabel("i")
            ax.grid(True, alpha=0.3)
        axes[0][0].set_ylabel("sigma_i / sigma_1 (float64 SVD)")
        axes[0][0].legend(fontsize=6, loc="lower left")
        fig.suptitle("float-failures: float64 singular values vs the certified exact rank", fontsize=9)
        fig.tight_layout()
        buf = io.BytesIO()
        import matplotlib  # optional extra, imported on use
        with matplotlib.rc_context({"svg.hashsalt": "symhess"}):
            fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else {"Software": None})
        return buf.getvalue()
    finally:
        plt.close(fig)
