"""Grid runner: measure each point, append its row at once, show progress, resume.

A row is the point's key fields, then what the experiment's ``measure`` returned, then the
measuring host's columns (``environment.host_columns``), in this order whichever process or
machine measured it (``experiments.harness.distributed`` runs the same ``measure_point`` on
dask workers).
"""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

import experiments
from experiments.harness import environment
from experiments.harness.records import RecordFile, point_key

__all__ = ["measure_point", "pending", "run_sweep", "show_progress"]


def measure_point(name: str, point: dict, config: dict) -> dict:
    """Measure ``point`` of experiment ``name`` in this process: its columns and this host's.

    Takes the experiment's name, not its module, so that it can be sent to another process.
    """
    result = experiments.load(name).measure(point, config)
    return {**result, **environment.host_columns()}


def pending(points, records: RecordFile, key_fields, *, resume=False) -> list:
    """The points of ``points`` still to measure; without ``resume`` the file starts fresh."""
    points = list(points)
    if not resume:
        records.reset()
    done = records.done(key_fields)
    return [p for p in points if point_key(p, key_fields) not in done]


def show_progress(progress) -> bool:
    """Whether to draw a progress bar: ``progress``, or by default when stderr is a terminal."""
    return sys.stderr.isatty() if progress is None else bool(progress)


def run_sweep(points, measure, records: RecordFile, key_fields, *, resume=False,
              desc="sweep", progress=None):
    """Measure every point of ``points`` not already recorded; return the number measured.

    ``measure(point) -> dict`` returns the measured columns of one point; its row is the point
    (which holds ``key_fields``) followed by them. Without ``resume`` the record file starts fresh. Progress is shown on stderr when it is a
    terminal (or when ``progress=True``).
    """
    todo = pending(points, records, key_fields, resume=resume)
    measured = 0
    for point in tqdm(todo, desc=desc, disable=not show_progress(progress), unit="pt",
                      leave=False):
        row = dict(point)
        row.update(measure(point))
        records.append(row)
        measured += 1
    return measured
