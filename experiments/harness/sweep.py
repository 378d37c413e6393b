"""Grid runner: measure each point, append its row at once, show progress, resume."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

from experiments.harness.records import RecordFile, point_key

__all__ = ["run_sweep"]


def run_sweep(points, measure, records: RecordFile, key_fields, *, resume=False,
              desc="sweep", progress=None):
    """Measure every point of ``points`` not already recorded; return the number measured.

    ``measure(point) -> dict`` returns the row for one point (it must contain ``key_fields``).
    Without ``resume`` the record file starts fresh. Progress is shown on stderr when it is a
    terminal (or when ``progress=True``).
    """
    points = list(points)
    if not resume:
        records.reset()
    done = records.done(key_fields)
    todo = [p for p in points if point_key(p, key_fields) not in done]
    show = sys.stderr.isatty() if progress is None else progress
    measured = 0
    for point in tqdm(todo, desc=desc, disable=not show, unit="pt", leave=False):
        row = dict(point)
        row.update(measure(point))
        records.append(row)
        measured += 1
    return measured
