"""``symhess check``: machine-check every claim of the paper, in exact arithmetic.

Runs the registry of :mod:`proofs_checks` (every module defining ``CLAIM``; the same
registry ``pytest proofs_checks`` runs) on the default sweep, or ``--full``. Every
(claim, instance) pair is an independent task sent through
:func:`symhess.experiments.parallel.map_instances` (``--jobs``, progress bar on stderr); results come
back in order, so the output does not depend on ``--jobs``.

Output: a table, one row per claim: ``claim · instances · verdicts · worst gap``, where
the verdicts are counted over all results and the worst gap (``bound − observed``) is the
most negative gap when there is a violation, else the largest one (the loosest bound;
``0`` everywhere means every bound is attained). ``--json`` prints one JSON object with
every result instead. Exit status: ``1`` if any result is ``violated`` (or ``error``: a
check that crashed), ``0`` otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from proofs_checks import framework

from ...experiments.parallel import default_jobs, map_instances
from ...io.output import FORMATS, check_target, render_table, write_atomic
from ...scalars import InputError
from ..args import IntArg, check_dask_address, check_jobs

NAME = "check"
HELP = "machine-check every lemma, proposition, theorem and remark of the paper (exact arithmetic)"

COLUMNS = ("claim", "instances", "verdicts", "worst_gap")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full", action="store_true", help="run the full (larger, slower) sweep of every claim")
    parser.add_argument("--claim", action="append", metavar="NAME", default=None,
                        help="only claims whose name or module contains NAME (case-insensitive; repeatable)")
    parser.add_argument("--jobs", type=IntArg(), default=None, metavar="N",
                        help=f"worker processes, 1..256 (default: all cores, here {default_jobs()}); results do not depend on it")
    parser.add_argument("--dask", metavar="ADDRESS", default=None,
                        help="run the instances on this Dask scheduler (e.g. tcp://host:8786) instead of locally")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every result")
    parser.add_argument("--out", metavar="FILE", help="also write the table to FILE (format from --format or the extension)")
    parser.add_argument("--format", choices=FORMATS, default=None, help="table format: md (default), csv or json")


@dataclass(frozen=True)
class Task:
    """One claim on one instance: the unit of work sent to a worker process."""

    claim: Any
    instance: Any


def run_task(task: Task) -> list:
    """``run_claim`` with errors caught (a crashing check becomes an ``error`` result)."""
    return framework.run_claim(task.claim, task.instance, catch_errors=True)


def module_name(claim: Any) -> str:
    """The module that defines ``claim`` (its ``check`` function's module), without the package."""
    return getattr(claim.check, "__module__", "").rsplit(".", 1)[-1]


def select(claims: Sequence[Any], patterns: Sequence[str] | None) -> list[Any]:
    """The claims matching any pattern (substring of name or module, case-insensitive); all if none."""
    if not patterns:
        return list(claims)
    chosen = []
    for pat in patterns:
        key = pat.lower()
        hits = [c for c in claims if key in c.name.lower() or key in module_name(c).lower()]
        if not hits:
            names = ", ".join(module_name(c) for c in claims)
            raise InputError("--claim", f"part of a claim name or module ({names})", pat)
        chosen += [c for c in hits if c not in chosen]
    return [c for c in claims if c in chosen]


def worst_gap(results: Sequence[Any]) -> int | None:
    """Most negative ``bound − observed`` if any is negative, else the largest; ``None`` without gaps."""
    gaps = [r.gap for r in results if r.gap is not None and r.verdict != framework.DEGENERATE]
    if not gaps:
        return None
    return min(gaps) if min(gaps) < 0 else max(gaps)


def verdict_counts(results: Sequence[Any]) -> dict[str, int]:
    """``{verdict: count}`` in the framework's verdict order, zero counts left out."""
    counts = {v: sum(1 for r in results if r.verdict == v) for v in framework.VERDICTS}
    return {v: c for v, c in counts.items() if c}


def jsonable(value: Any) -> Any:
    """A JSON-ready copy: exact rationals as ``"p/q"`` strings, tuples as lists, others by ``str``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalar
        return jsonable(value.item())
    return str(value)


def claim_report(claim: Any, instances: int, results: Sequence[Any]) -> dict[str, Any]:
    """Everything known about one claim after the sweep (JSON-ready)."""
    return {
        "claim": claim.name, "module": module_name(claim), "statement": claim.statement,
        "exact": claim.exact, "tags": list(claim.tags), "instances": instances,
        "verdicts": verdict_counts(results), "worst_gap": worst_gap(results),
        "ok": framework.claim_ok(results), "status": framework.claim_status(results),
        "results": [jsonable(r.to_dict()) for r in results],
    }


def table_row(report: dict[str, Any]) -> dict[str, Any]:
    verdicts = ", ".join(f"{c} {v}" for v, c in report["verdicts"].items()) or "no result"
    return {"claim": report["claim"], "instances": report["instances"], "verdicts": verdicts,
            "worst_gap": report["worst_gap"]}


def _hint(report: dict[str, Any]) -> str:
    """The install hint of a skipped claim (from its first skipped result)."""
    return next((r["detail"] for r in report["results"] if r["verdict"] == "skipped"), "optional package missing")


def out_format(path: str, fmt: str | None) -> str:
    """The table format for ``--out``: ``--format`` if given, else from the extension."""
    if fmt is not None:
        return fmt
    ext = Path(path).suffix.lstrip(".").lower()
    if ext not in FORMATS:
        raise InputError("--out", "a file ending in .md, .csv or .json (or give --format)", path)
    return ext


def sweep(claims: Sequence[Any], full: bool, jobs: int | None, dask_address: str | None = None) -> list[dict[str, Any]]:
    """Run every claim on every instance of its sweep; one report per claim, in registry order."""
    tasks = [Task(c, inst) for c in claims for inst in c.instances(full)]
    per_task = map_instances(run_task, tasks, jobs=jobs, progress="symhess check", dask_address=dask_address)
    reports = []
    for claim in claims:
        mine = [(t, res) for t, res in zip(tasks, per_task) if t.claim is claim]
        report = claim_report(claim, len(mine), [r for _, res in mine for r in res])
        empty = [framework.instance_label(t.instance) for t, res in mine if not res]
        if empty:  # a check that returned nothing checked nothing: never a silent pass
            report["ok"] = False
            report["verdicts"]["no result"] = len(empty)
        reports.append(report)
    return reports


def summary_document(reports: Sequence[dict[str, Any]], full: bool) -> dict[str, Any]:
    """The one JSON document of a check run (``--json`` prints it, ``--out x.json`` writes it)."""
    return {"full": full, "ok": all(r["ok"] for r in reports), "claims": reports,
            "violations": sum(r["verdicts"].get("violated", 0) for r in reports),
            "errors": sum(r["verdicts"].get("error", 0) for r in reports),
            "degenerate": sum(r["verdicts"].get("degenerate instance", 0) for r in reports),
            "not_checked": sum(r["verdicts"].get("not checked", 0) for r in reports),
            "skipped": [r["claim"] for r in reports if r.get("status", "").startswith("skipped")]}


def run(args: argparse.Namespace) -> int:
    check_jobs(args.jobs)
    check_dask_address(args.dask)
    fmt = args.format or "md"
    file_fmt = out_format(args.out, args.format) if args.out else None
    if args.out:
        check_target(args.out)  # before the sweep, not after it
    claims = select(framework.registry(), args.claim)
    reports = sweep(claims, args.full, args.jobs, args.dask)
    ok = all(r["ok"] for r in reports)
    rows = [table_row(r) for r in reports]
    summary = summary_document(reports, args.full)
    if args.out:
        write_atomic(args.out, json.dumps(summary, indent=2) + "\n" if file_fmt == "json"
                     else render_table(rows, file_fmt, COLUMNS))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        sys.stdout.write(render_table(rows, fmt, COLUMNS))
        bad = [r["claim"] for r in reports if not r["ok"]]
        total = sum(r["instances"] for r in reports)
        if fmt == "md":
            skipped = [f"{r['claim']} ({_hint(r)})" for r in reports if r["status"].startswith("skipped")]
            print(f"\n{len(reports)} claims, {total} instances ({'full' if args.full else 'default'} sweep): "
                  + ("every claim holds" if ok else f"FAILED: {'; '.join(bad)}")
                  + (f"; skipped, optional package missing: {'; '.join(skipped)}" if skipped else ""))
    return 0 if ok else 1
