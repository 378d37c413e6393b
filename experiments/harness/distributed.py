"""Sweeps on a dask.distributed cluster: one task per point, rows streamed into the CSV.

Each point is one task (``Client.submit``, ``pure=False``) that runs whole on one worker, so
its timings never mix machines; ``measure_on_worker`` receives the experiment's name, the point
and the configuration (plain data) and imports the experiment there. The client appends each
row to the append-only CSV as its task finishes (``as_completed``), so a killed client loses
only the points in flight and ``--resume`` measures just the rest. A worker lost mid-point is
replaced by the scheduler, which runs the point again elsewhere (up to dask's
``distributed.scheduler.allowed-failures``); the client still writes that point's row once,
because it writes rows only for finished tasks, each of which finishes once.

dask is an optional dependency (the ``distributed`` extra); this module imports it only when a
cluster is asked for.
"""

from __future__ import annotations

import contextlib
import importlib

from tqdm.auto import tqdm

from experiments.harness.records import RecordFile
from experiments.harness.sweep import measure_point, pending, show_progress
from experiments.harness.timing import blas_threads

__all__ = ["cluster_summary", "connect", "measure_on_worker", "require", "run_sweep"]

INSTALL_HINT = 'pip install -e ".[distributed]"'
# Read by BLAS and OpenMP runtimes when they load, so set before a worker process starts.
_BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def require():
    """The ``distributed`` package, or an ImportError saying which extra to install."""
    try:
        return importlib.import_module("distributed")
    except ImportError as exc:
        raise ImportError(f"running sweeps on a cluster (--scheduler/--workers) needs "
                          f"dask.distributed, which is not installed: {INSTALL_HINT}") from exc


@contextlib.contextmanager
def connect(*, scheduler: str | None = None, workers: int | None = None,
            threads: int | None = 1, processes: bool = True, timeout: float = 30.0):
    """A dask ``Client``: of the scheduler at ``scheduler`` or of a new ``LocalCluster``.

    Exactly one of ``scheduler`` (an address such as ``tcp://host:8786``) and ``workers`` (the
    number of local workers) is given. A local cluster has one thread per worker; its worker
    processes start with the BLAS/OpenMP thread variables set to ``threads`` (``None`` keeps
    dask's default of 1), and ``processes=False`` runs the workers as threads of this process
    instead. The local cluster is shut down on exit; a remote one is only disconnected from.
    """
    if (scheduler is None) == (workers is None):
        raise ValueError(f"connect needs exactly one of scheduler= (an address) or workers= "
                         f"(a count); got scheduler={scheduler!r}, workers={workers!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise TypeError(f"scheduler must be an address string such as 'tcp://host:8786', "
                        f"got {scheduler!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    distributed = require()
    if scheduler is not None:
        with distributed.Client(scheduler, timeout=timeout, set_as_default=False) as client:
            yield client
        return
    import dask.config

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if threads is not None:
        environ.update({name: str(threads) for name in _BLAS_VARIABLES})
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                           processes=processes, dashboard_address=None)
    with cluster, distributed.Client(cluster, set_as_default=False) as client:
        yield client


def cluster_summary(client) -> dict:
    """The scheduler's address, its workers, their hosts and threads (for environment.json)."""
    from distributed.comm import get_address_host

    threads = client.nthreads()  # worker address -> threads
    return {"scheduler": client.scheduler.address, "workers": len(threads),
            "hosts": sorted({get_address_host(address) for address in threads}),
            "threads_per_worker": sorted(set(threads.values()))}


def measure_on_worker(name: str, point: dict, config: dict) -> dict:
    """The task of one point: ``measure_point`` with BLAS pinned to ``config["threads"]``."""
    with blas_threads(config.get("threads")):
        return measure_point(name, point, config)


def run_sweep(client, name: str, points, config: dict, records: RecordFile, key_fields, *,
              resume=False, desc="sweep", progress=None) -> int:
    """Measure the points not yet recorded on ``client``'s workers; return how many.

    Rows are appended (and flushed to disk) in the order the points finish. If a point fails,
    the points still queued or running are cancelled and a RuntimeError names the failed one;
    the rows written so far stay, for ``--resume``.
    """
    distributed = require()
    todo = pending(points, records, key_fields, resume=resume)
    futures = {client.submit(measure_on_worker, name, point, config, pure=False): point
               for point in todo}
    measured = 0
    try:
        with tqdm(total=len(todo), desc=desc, disable=not show_progress(progress), unit="pt",
                  leave=False) as bar:
            for future in distributed.as_completed(futures, loop=client.loop):
                point = futures.pop(future)
                try:
                    result = future.result()
                except Exception as exc:
                    raise RuntimeError(
                        f"{name}: measuring point {point} failed ({type(exc).__name__}: {exc}); "
                        f"the {measured} row(s) finished in this run are in {records.path}; "
                        f"fix the cause and rerun with --resume") from exc
                records.append({**point, **result})
                future.release()  # written: a worker lost later must not measure it again
                measured += 1
                bar.update()
    except BaseException:
        client.cancel(list(futures))
        raise
    return measured
