"""A background lane for the subprocess-bound work of some test modules (the machine has 2 cores).

pytest runs the tests in one process, on one core. A test module whose tests mostly wait for
subprocesses (the README commands, the bad-input catalogue, the malicious torch files) may define

    background_jobs(items, mktemp) -> {key: job}

given its selected items and ``mktemp(name) -> Path`` (a fresh directory, removed at the end of
the session); a job is a callable without arguments. After collection every job of every such
module is submitted, in test order, to one worker thread, so that those subprocesses run on the
second core while the other tests run. A test gets a result with the ``background`` fixture:
``background(module, key, job)`` returns the job's result, waiting for it if it is running, and
runs ``job`` itself if it has not started yet (or was never submitted, e.g. under
``--collect-only``), so no test ever depends on the lane.

BLAS and torch run single-threaded here (``OMP_NUM_THREADS=1`` unless set; the subprocesses
inherit it): the tests' matrices are small, and with the lane busy a second thread only
contends for the second core (torch tests were seen to take 3x longer then).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy or torch is imported (test modules import them)

_futures: dict[tuple[str, Any], Future] = {}
_state: dict[str, Any] = {}


def _mktemp(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=_state["root"]))


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    modules: dict[Any, list[pytest.Item]] = {}
    for item in session.items:
        module = getattr(item, "module", None)
        if module is not None and hasattr(module, "background_jobs"):
            modules.setdefault(module, []).append(item)
    if not modules:
        return
    _state["root"] = tempfile.mkdtemp(prefix="symhess-background-")
    _state["pool"] = pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="symhess-background")
    for module, items in modules.items():
        for key, job in module.background_jobs(items, _mktemp).items():
            _futures[module.__name__, key] = pool.submit(job)


def pytest_sessionfinish(session: pytest.Session) -> None:
    pool = _state.pop("pool", None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
    root = _state.pop("root", None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def background() -> Callable[[str, Any, Callable[[], Any]], Any]:
    def result(module: str, key: Any, job: Callable[[], Any]) -> Any:
        future = _futures.pop((module, key), None)
        if future is None or future.cancel():  # not submitted, or not started yet: run it here
            return job()
        return future.result()

    return result
