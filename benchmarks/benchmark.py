"""Benchmark: exact certified Hessian rank vs the float64 peers' method vs sympy (issue 5).

One command::

    .venv/bin/python benchmarks/benchmark.py                 # p ≈ 250 … 4000
    .venv/bin/python benchmarks/benchmark.py --sizes 10000   # the 10,000-parameter target
    .venv/bin/python benchmarks/benchmark.py --targets       # issue 11's targets, one summary

Instances: a 2-hidden-layer linear 1D CNN, ``d_0 = 16``, two conv layers of ``m`` channels and
filter size 3, a dense layer to ``K = 4`` outputs, ``n = 16`` integer samples, integer weights
(seed 0); ``m`` is chosen so that ``p = 3m² + 51m`` is closest to each target size. For each:

* **exact**: :func:`symhess.hessian.assembly.hessian_ranks` on ``H_L`` (fast integer assembly + rank),
  certified up to ``--certify-limit`` parameters, Monte Carlo (labelled) beyond;
* **exact MC**: the same with ``certify_limit = 0`` (rank modulo 3 random primes, not proved);
* **float64**: the same assembly code in float64 arithmetic + ``numpy.linalg.matrix_rank`` (SVD,
  numpy's default tolerance): the peers' method;
* **sympy**: ``sympy.Matrix.rank`` of the exact ``H_L`` (conversion not timed), killed after ``--cap`` s.

``--targets``: p ≈ 2,000 and the high-rank instance certified against float64 (target
``exact / float64 ≤ 1``), then Monte Carlo alone at p ≈ 10^4 (target: 2 GB peak) and
p ≈ 3·10^4 (target: 10 minutes, 16 GB), then the certified p = 9,360 instance alone (target:
10 minutes, 8 GB); prints one line per target with the ratio or the limits, the peak memory and
the load average.

Each measurement runs in a fresh subprocess, so the peak memory (``VmHWM``, :func:`symhess.linalg.memory.peak_rss_bytes`) is its own.
FLINT and the BLAS get the same number of threads (``--threads``, default all cores).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

DEFAULT_SIZES = (250, 500, 1000, 2000, 4000)
HIGH_RANK = "30,5x5,8x8,8,60,1"
CERTIFIED_10K = "16,3x3,48x48,4,16,3"
"""The issue's certified-at-10^4 instance (``--input-dim 16 --kernels 3,3 --channels 48,48 --outputs 4 --samples 16
--seed 3``, p = 9,360)."""
GB = 10 ** 9
D0, K, N_SAMPLES, KERNEL = 16, 4, 16, 3


def channels_for(target: int) -> int:
    """``m`` with ``p = 3m² + 51m`` closest to ``target``."""
    return min(range(1, 400), key=lambda m: abs(3 * m * m + 51 * m - target))


def instance(m: int):
    from symhess.nets.architecture import Architecture, ConvLayer, random_network
    from symhess.nets.data import random_dataset

    arch = Architecture(D0, (ConvLayer(m, KERNEL), ConvLayer(m, KERNEL)), K, "linear")
    return random_network(arch, 0), random_dataset(arch, N_SAMPLES, 0)


def spec_instance(spec: str):
    """``"d0,k1xk2,m1xm2,K,n,seed"`` (e.g. the high-rank ``30,5x5,8x8,8,60,1``): the network and data
    ``symhess rank --input-dim d0 --kernels k1,k2 --channels m1,m2 --outputs K --samples n --seed seed``
    builds (linear, integer data)."""
    from symhess.nets.architecture import Architecture, ConvLayer, random_network
    from symhess.nets.data import random_dataset

    d0, ks, ms, k_out, n, seed = spec.split(",")
    layers = tuple(ConvLayer(int(m), int(k)) for m, k in zip(ms.split("x"), ks.split("x")))
    arch = Architecture(int(d0), layers, int(k_out), "linear")
    return random_network(arch, int(seed)), random_dataset(arch, int(n), int(seed))


def worker(kind: str, m: int, certify_limit: int, spec: str | None = None, memory_limit: int | None = None) -> dict:
    """One measurement in this (fresh) process; returns a JSON-able dict."""
    from symhess.linalg.memory import peak_rss_bytes

    net, data = spec_instance(spec) if spec else instance(m)
    out = {"kind": kind, "p": net.arch.num_params}
    if kind in ("exact", "exact-mc"):
        from symhess.hessian.assembly import hessian_ranks

        rep = hessian_ranks(net, data, parts=("loss",), certify_limit=certify_limit if kind == "exact" else 0,
                            memory_limit=memory_limit)
        res = rep.ranks["loss"]
        out.update(seconds=rep.seconds["total"], assembly=rep.seconds["assembly"], rank=res.rank,
                   path=rep.path, estimate_bytes=rep.memory_estimate_bytes,
                   upper=res.details.get("upper", "whole matrix"))
        if kind == "exact-mc":
            out.update(primes=len(res.details["primes"]), error_bound=res.details["error_bound"])
    elif kind == "float64":
        import numpy as np

        from symhess.hessian.assembly import assemble

        t0 = time.perf_counter()
        A = assemble(net, data, arithmetic="float64")
        H = A.integer("loss") / float(A.scale("loss"))
        assembly = time.perf_counter() - t0
        rank = int(np.linalg.matrix_rank(H))
        out.update(seconds=time.perf_counter() - t0, assembly=assembly, rank=rank)
    elif kind == "sympy":
        import sympy

        from symhess.hessian.assembly import assemble

        A = assemble(net, data)
        M = sympy.Matrix(A.integer("loss").tolist())  # integer matrix: same rank as H_L
        t0 = time.perf_counter()
        out.update(rank=int(M.rank()), seconds=time.perf_counter() - t0)
    else:
        raise SystemExit(f"unknown worker kind {kind}")
    out["peak_memory_bytes"] = peak_rss_bytes()
    return out


def run(kind: str, m: int, args, memory_limit: int | None = None) -> dict | None:
    """Run :func:`worker` in a subprocess; ``None`` if it exceeded its time cap."""
    cap = args.cap if kind == "sympy" else args.timeout
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads), SYMHESS_FLINT_THREADS=str(args.threads))
    cmd = [sys.executable, __file__, "--worker", kind, "--channels", str(m), "--certify-limit", str(args.certify_limit)]
    if isinstance(m, str):  # an instance spec
        cmd[4:6] = ["--channels", "0", "--spec", m]
    if memory_limit:
        cmd += ["--memory-limit", str(memory_limit)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=cap, env=env)
    except subprocess.TimeoutExpired:  # subprocess.run kills the child
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="target parameter counts")
    ap.add_argument("--cap", type=float, default=120.0, help="sympy time cap in seconds (default 120)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="cap for the exact/float64 runs")
    ap.add_argument("--certify-limit", type=int, default=10000, help="certify up to this p (the library default)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-sympy", action="store_true", help="skip sympy")
    ap.add_argument("--sympy-max", type=int, default=2000, help="skip sympy above this p (it would hit the cap)")
    ap.add_argument("--targets", action="store_true",
                    help="issue 11's targets: p~2000 and the high-rank instance vs float64, Monte Carlo at 1e4 and 3e4")
    ap.add_argument("--mc-sizes", default="", help="target sizes measured by Monte Carlo alone (no float64)")
    ap.add_argument("--certified-specs", default="",
                    help="instance specs (';'-separated) certified alone, no float64 (target: 10 min, 8 GB)")
    ap.add_argument("--memory-limit", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--channels", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--spec", action="append", default=[],
                    help="extra instance d0,k1xk2,m1xm2,K,n,seed (e.g. the high-rank 30,5x5,8x8,8,60,1); repeatable")
    args = ap.parse_args(argv)
    if args.targets:
        args.sizes, args.spec, args.no_sympy = "2000", [HIGH_RANK], True
        args.mc_sizes = args.mc_sizes or "10000,30000"
        args.certified_specs = args.certified_specs or CERTIFIED_10K
    if args.worker:
        if os.environ.get("SYMHESS_FLINT_THREADS"):
            import flint

            flint.ctx.threads = int(os.environ["SYMHESS_FLINT_THREADS"])
        print(json.dumps(worker(args.worker, args.channels, args.certify_limit, args.spec[0] if args.spec else None,
                                args.memory_limit)))
        return 0
    header = ("| p | rank H_L | path | exact s | exact MC s | float64 s | exact/float64 | sympy s | "
              "sympy/exact | peak MB (exact) | peak MB (float64) | float64 rank agrees |")
    print(f"machine: {os.cpu_count()} cores; threads {args.threads}; sympy cap {args.cap:g} s")
    print(header)
    print("|" + "---|" * header.count("|")[:-1] if False else "|---" * (header.count("|") - 1) + "|")
    targets = [channels_for(int(s)) for s in args.sizes.split(",") if s] + list(args.spec)
    summary = []
    for m in targets:
        ex = run("exact", m, args)
        mc = run("exact-mc", m, args) if ex is None or ex["path"] == "certified" else ex
        fl = run("float64", m, args)
        sy = None
        skip_sympy = args.no_sympy or (ex and ex["p"] > args.sympy_max)
        if not skip_sympy:
            sy = run("sympy", m, args)
        p = (ex or fl)["p"]
        ratio = ex["seconds"] / fl["seconds"] if ex and fl else None
        sympy_s = "skipped" if skip_sympy else (f"> {args.cap:g}" if sy is None else fmt(sy["seconds"]))
        sympy_ratio = ("—" if skip_sympy or not ex else
                       (f"> {args.cap / ex['seconds']:.0f}" if sy is None else f"{sy['seconds'] / ex['seconds']:.0f}"))
        agree = "—" if not (ex and fl) else ("yes" if fl["rank"] == ex["rank"] else f"NO ({fl['rank']})")
        print(f"| {p} | {ex['rank'] if ex else '—'} | {ex['path'] if ex else 'timeout'} | "
              f"{fmt(ex and ex['seconds'])} | {fmt(mc and mc['seconds'])} | {fmt(fl and fl['seconds'])} | "
              f"{fmt(ratio)} | {sympy_s} | {sympy_ratio} | "
              f"{(ex['peak_memory_bytes'] / 2 ** 20) if ex else 0:.0f} | "
              f"{(fl['peak_memory_bytes'] / 2 ** 20) if fl else 0:.0f} | {agree} |", flush=True)
        if ex and fl:
            summary.append(f"exact/float64 <= 1 at p = {p}{' (high rank)' if isinstance(m, str) else ''}: "
                           f"{ratio:.2f} ({'met' if ratio <= 1 else 'NOT met'}; {ex['path']} {ex['seconds']:.2f} s "
                           f"vs float64 {fl['seconds']:.2f} s; peak {ex['peak_memory_bytes'] / GB:.2f} GB "
                           f"({_within(ex)}) vs {fl['peak_memory_bytes'] / GB:.2f} GB; load {_load()})")
    for size in [int(s) for s in args.mc_sizes.split(",") if s]:
        limit_s, limit_b = (600, 16 * GB) if size > 20000 else (600, 2 * GB)
        # the target's memory is the limit (above the default, half the RAM, when the target allows more)
        mc = run("exact-mc", channels_for(size), args, memory_limit=max(limit_b, _half_ram()))
        if mc is None:
            summary.append(f"Monte Carlo at p ~ {size}: timeout ({args.timeout:g} s)")
            continue
        ok = mc["seconds"] <= limit_s and mc["peak_memory_bytes"] <= limit_b
        summary.append(f"Monte Carlo at p = {mc['p']} (target {limit_s} s, {limit_b / GB:.0f} GB): "
                       f"{mc['seconds']:.1f} s, peak {mc['peak_memory_bytes'] / GB:.2f} GB ({_within(mc)}), "
                       f"rank {mc['rank']} ({'met' if ok else 'NOT met'}; "
                       f"{mc.get('primes', '?')} primes, error bound {mc.get('error_bound', float('nan')):.2g}; "
                       f"load {_load()})")
    for spec in [x.strip() for x in args.certified_specs.split(";") if x.strip()]:
        ex = run("exact", spec, args)
        if ex is None:
            summary.append(f"certified at {spec}: timeout ({args.timeout:g} s)")
            continue
        ok = ex["path"] == "certified" and ex["seconds"] <= 600 and ex["peak_memory_bytes"] <= 8 * GB
        summary.append(f"certified at p = {ex['p']} (target 600 s, 8 GB): {ex['seconds']:.1f} s, peak "
                       f"{ex['peak_memory_bytes'] / GB:.2f} GB ({_within(ex)}), "
                       f"rank {ex['rank']}, {ex['path']} ({'met' if ok else 'NOT met'}; load {_load()})")
    if summary:
        print("\ntargets:")
        print("\n".join("- " + line for line in summary))
    return 0


def _within(res: dict) -> str:
    """The memory estimate made before assembling, and whether the measured peak stayed within it."""
    ok = res["peak_memory_bytes"] <= res["estimate_bytes"]
    return f"estimate {res['estimate_bytes'] / GB:.2f} GB, peak {'within' if ok else 'ABOVE'} it"


def _half_ram() -> int:
    from symhess.linalg.memory import default_limit_bytes

    return default_limit_bytes()


def _load() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    raise SystemExit(main())
