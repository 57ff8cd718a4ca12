"""Running independent instances of a sweep: serially or in a process pool.

One function, :func:`map_instances`, serves every sweep (``symhess check``,
``symhess table``). Results come back in input order, so parallel and serial runs
give identical output. A progress bar (tqdm, on stderr) shows long sweeps.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def default_jobs() -> int:
    """All cores of this machine."""
    return os.cpu_count() or 1


def map_instances(func: Callable[[Any], T], items: Sequence[Any], jobs: int | None = 1,
                  progress: str | None = None) -> list[T]:
    """``[func(x) for x in items]``, in order, with ``jobs`` worker processes.

    ``func`` and the items must be picklable when ``jobs > 1`` (module-level
    functions, frozen dataclasses). ``progress`` is the progress-bar label, or
    ``None`` for no bar.
    """
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    bar = tqdm(total=len(items), desc=progress, disable=progress is None, leave=False, unit="inst")
    try:
        if jobs == 1 or len(items) <= 1:
            out = []
            for x in items:
                out.append(func(x))
                bar.update()
            return out
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = []
            for r in pool.map(func, items):
                results.append(r)
                bar.update()
            return results
    finally:
        bar.close()
