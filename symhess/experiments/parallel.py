"""Running independent instances of a sweep: serially or in a process pool.

One function, :func:`map_instances`, serves every sweep (``symhess check``,
``symhess table``). Results come back in input order, so parallel and serial runs
give identical output. A progress bar (tqdm, on stderr) shows long sweeps.

Beyond one machine, ``dask_address`` (the CLI's ``--dask ADDRESS``) sends the instances
to a Dask distributed scheduler (optional extra ``symhess[dask]``); the workers need
symhess importable. Results are gathered in input order as well.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence, TypeVar

from tqdm import tqdm

from ..scalars import InputError

T = TypeVar("T")


def default_jobs() -> int:
    """All cores of this machine."""
    return os.cpu_count() or 1


def map_instances(func: Callable[[Any], T], items: Sequence[Any], jobs: int | None = 1,
                  progress: str | None = None, dask_address: str | None = None) -> list[T]:
    """``[func(x) for x in items]``, in order, with ``jobs`` worker processes or on a Dask cluster.

    ``func`` and the items must be picklable when ``jobs > 1`` or with ``dask_address``
    (module-level functions, frozen dataclasses). ``progress`` is the progress-bar label,
    or ``None`` for no bar. ``dask_address`` (e.g. ``"tcp://10.0.0.5:8786"``): submit to
    that scheduler instead of a local pool (``jobs`` is then ignored).
    """
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    bar = tqdm(total=len(items), desc=progress, disable=progress is None, leave=False, unit="inst")
    try:
        if dask_address is not None:
            return _map_dask(func, items, dask_address, bar)
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


def _map_dask(func: Callable[[Any], T], items: Sequence[Any], address: str, bar: tqdm) -> list[T]:
    """Submit every item to the Dask scheduler at ``address``; results in input order."""
    try:
        from dask.distributed import Client  # optional extra, imported on use (dask)
    except ImportError:
        raise InputError("--dask", "the optional extra dask[distributed] installed (pip install 'symhess[dask]')",
                         address) from None
    try:
        client = Client(address, timeout=10, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise InputError("--dask", "the address of a reachable Dask scheduler, e.g. tcp://host:8786",
                         f"{address} ({err})") from None
    with client:
        futures = client.map(func, list(items), pure=False)
        results = []
        for fut in futures:  # in input order; the cluster runs them concurrently meanwhile
            results.append(fut.result())
            bar.update()
        return results
