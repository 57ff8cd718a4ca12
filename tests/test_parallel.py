"""Sweeps give identical results serially, in a process pool and on a Dask cluster (issue 5)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from symhess.experiments.parallel import map_instances
from symhess.hessian.assembly import hessian_ranks
from symhess.nets.architecture import Architecture, ConvLayer, random_network
from symhess.nets.data import random_dataset
from symhess.scalars import InputError


@dataclass(frozen=True)
class Instance:
    channels: int
    seed: int


def ranks_of(inst: Instance) -> tuple[int, int, int, bool]:
    """Certified exact ranks of ``H_O``, ``H_F``, ``H_L`` of a small generated CNN."""
    arch = Architecture(8, (ConvLayer(inst.channels, 3),), 2)
    net, data = random_network(arch, inst.seed), random_dataset(arch, 4, inst.seed)
    rep = hessian_ranks(net, data)
    return rep.ranks["outer"].rank, rep.ranks["functional"].rank, rep.ranks["loss"].rank, rep.certified


ITEMS = [Instance(c, s) for c in (1, 2) for s in range(2)]


def test_serial_equals_process_pool():
    serial = map_instances(ranks_of, ITEMS, jobs=1)
    assert all(r[3] for r in serial)
    assert map_instances(ranks_of, ITEMS, jobs=2, progress=None) == serial


@pytest.fixture(scope="module")
def cluster():
    """One local Dask cluster (a scheduler and one worker process) shared by this module's tests."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster


def test_dask_local_cluster_equals_serial(cluster):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import the tests
    serial = map_instances(ranks_of, ITEMS, jobs=1)
    assert map_instances(ranks_of, ITEMS, dask_address=cluster.scheduler_address) == serial


def test_dask_unreachable_scheduler_is_an_input_error(monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    timeouts = []
    real_client = distributed.Client

    def client(address, timeout, **kwargs):  # the real Client, but give up after 1 s instead of the 10 s used
        timeouts.append(timeout)
        return real_client(address, timeout=1, **kwargs)

    monkeypatch.setattr(distributed, "Client", client)
    with pytest.raises(InputError, match="--dask"):
        map_instances(ranks_of, ITEMS[:1], dask_address="tcp://127.0.0.1:9")
    assert len(timeouts) == 1 and 0 < timeouts[0] <= 60  # the library connects with a finite timeout


def test_check_command_on_dask_equals_serial(capsys, cluster):
    from symhess.cli.main import main

    assert main(["check", "--claim", "Theorem 7", "--json", "--jobs", "1"]) == 0
    serial = capsys.readouterr().out
    assert main(["check", "--claim", "Theorem 7", "--json", "--dask", cluster.scheduler_address]) == 0
    assert capsys.readouterr().out == serial
