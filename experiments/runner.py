"""Run one experiment end to end: sweep (data first), then figures, tables and README.

An experiment module provides ``TITLE``, ``QUESTION``, ``REFERENCES``, ``QUICK`` and ``FULL``
configurations (dicts), ``KEY_FIELDS`` (the columns that identify a point), ``points(config)``,
``measure(point, config) -> dict`` and ``report(data, out_dir, config) -> dict`` with ``setup``,
``findings``, ``figures`` and ``tables`` for the README.

The points are measured in this process, or on the workers of a dask cluster when a ``client``
is given (``experiments.harness.distributed``); the rows are the same either way.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import experiments
from experiments.harness import distributed, environment
from experiments.harness.records import RecordFile
from experiments.harness.sweep import measure_point, run_sweep
from experiments.harness.timing import blas_threads
from experiments.reporting.readme import hosts_seen, write_index, write_readme

__all__ = ["run"]


def run(name, *, quick=False, out="reports", resume=False, seed=0, threads=1, progress=None,
        log=print, client=None):
    """Run experiment ``name`` and write its report to ``out/name``; return the report dict.

    With ``client`` (a dask ``Client``, see ``experiments.harness.distributed.connect``) each
    point is measured on one of its workers; without it, one by one in this process.
    """
    module = experiments.load(name)
    config = dict(module.QUICK if quick else module.FULL, seed=seed, threads=threads)
    directory = Path(out) / name
    directory.mkdir(parents=True, exist_ok=True)
    command = "python -m experiments run " + name + (" --quick" if quick else "") + \
        (f" --seed {seed}" if seed else "")
    cluster = {} if client is None else {"dask": distributed.cluster_summary(client)}
    if max(cluster.get("dask", {}).get("threads_per_worker", [1])) > 1:
        log(f"{name}: note: some dask workers have several threads and measure several points "
            f"at once, which disturbs timings; start them with --nthreads 1")
    env = environment.collect(seed, [sys.executable] + sys.argv, quick=quick,
                              blas_threads=threads, config=_jsonable(config), **cluster)
    environment.write(directory / "environment.json", env)
    records = RecordFile(directory / "data.csv")
    start = time.perf_counter()
    if client is None:
        with blas_threads(threads):
            measured = run_sweep(module.points(config), lambda p: measure_point(name, p, config),
                                 records, module.KEY_FIELDS, resume=resume, desc=name,
                                 progress=progress)
    else:
        measured = distributed.run_sweep(client, name, module.points(config), config, records,
                                         module.KEY_FIELDS, resume=resume, desc=name,
                                         progress=progress)
    where = "" if client is None else f" on the dask cluster at {cluster['dask']['scheduler']}"
    log(f"{name}: measured {measured} point(s){where} in {time.perf_counter() - start:.1f} s")
    data = records.read()
    result = module.report(data, directory, config)
    write_readme(directory, title=module.TITLE, question=module.QUESTION, setup=result["setup"],
                 findings=result["findings"], figures=result["figures"],
                 tables=result["tables"], command=command, references=module.REFERENCES,
                 hosts=hosts_seen(data))
    write_index(out, experiments.catalogue())
    log(f"{name}: report in {directory}/README.md")
    for finding in result["findings"]:
        log(f"  - {finding}")
    return result


def _jsonable(config):
    return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else
                shlex.quote(repr(v))) for k, v in config.items()}
